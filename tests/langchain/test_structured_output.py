"""with_structured_output: function calling, JSON schema and JSON mode, checked on the wire."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from langchain_core.runnables import RunnableBinding, RunnableSequence
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import ChatBedrockMistral
from tests.langchain.conftest import LARGE, SEVEN_B

LARGE_3 = "mistral.mistral-large-3-675b-instruct"
PROMPT = "Create the customer 'Ada Lovelace', aged 36, from London."


class Customer(BaseModel):
    """A customer record."""

    name: str = Field(description="full name")
    age: int = Field(description="age in years")
    city: str = Field(description="home city")


class CustomerDict(TypedDict):
    """A customer record."""

    name: Annotated[str, ..., "full name"]
    age: Annotated[int, ..., "age in years"]
    city: Annotated[str, ..., "home city"]


SCHEMAS: list[Any] = [Customer, CustomerDict, Customer.model_json_schema()]


def check(result: Any) -> None:
    data = result.model_dump() if isinstance(result, BaseModel) else result
    assert data == {"name": "Ada Lovelace", "age": 36, "city": "London"}


@pytest.mark.parametrize("schema", SCHEMAS, ids=["pydantic", "typeddict", "json_schema"])
@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_function_calling(bedrock: LocalBedrock, conn: dict, api: str, schema: Any) -> None:
    model = ChatBedrockMistral(model=LARGE, api=api, **conn).with_structured_output(schema)
    result = model.invoke(PROMPT)
    check(result)
    assert isinstance(result, Customer) == (schema is Customer)
    body = bedrock.requests[-1].body
    if api == "invoke":
        assert body["tool_choice"] == "any" and body["tools"][0]["function"]["name"] in (
            "Customer",
            "CustomerDict",
        )
    else:
        assert body["toolConfig"]["toolChoice"] == {"any": {}}
    streamed = list(model.stream(PROMPT))
    check(streamed[-1])


def test_json_schema_uses_converse_output_config_where_supported(bedrock: LocalBedrock, conn: dict) -> None:
    model = ChatBedrockMistral(model=LARGE_3, **conn).with_structured_output(Customer, method="json_schema")
    check(model.invoke(PROMPT))
    config = bedrock.requests[-1].body["outputConfig"]["textFormat"]
    assert config["type"] == "json_schema"
    assert config["structure"]["jsonSchema"]["name"] == "Customer"


def test_json_schema_falls_back_to_instruction_and_json_mode(bedrock: LocalBedrock, conn: dict) -> None:
    model = ChatBedrockMistral(model=LARGE, api="invoke", **conn)
    check(model.with_structured_output(CustomerDict, method="json_schema").invoke(PROMPT))
    body = bedrock.requests[-1].body
    assert body["response_format"] == {"type": "json_object"}
    assert '"age"' in body["messages"][0]["content"] and body["messages"][0]["role"] == "system"


def test_json_mode(bedrock: LocalBedrock, conn: dict) -> None:
    model = ChatBedrockMistral(model=LARGE, api="invoke", **conn).with_structured_output(method="json_mode")
    result = model.invoke("Answer in JSON: what is the capital of France?")
    assert isinstance(result, dict)
    assert bedrock.requests[-1].body["response_format"] == {"type": "json_object"}


def test_include_raw_keeps_the_message_and_the_parsing_error(conn: dict) -> None:
    model = ChatBedrockMistral(model=LARGE, api="converse", **conn)
    ok = model.with_structured_output(Customer, include_raw=True).invoke(PROMPT)
    assert ok["parsing_error"] is None and ok["raw"].tool_calls
    check(ok["parsed"])
    # JSON mode carries no schema, so an answer of another shape fails to parse into Customer.
    bad = model.with_structured_output(Customer, method="json_mode", include_raw=True).invoke(
        "JSON please: hi"
    )
    assert bad["parsed"] is None and bad["parsing_error"] is not None and bad["raw"].text


def _bound_kwargs(runnable: Any) -> dict[str, Any]:
    assert isinstance(runnable, RunnableSequence)
    first = runnable.first
    assert isinstance(first, RunnableBinding)
    return first.kwargs


def test_default_method_follows_tool_support(conn: dict) -> None:
    large = ChatBedrockMistral(model=LARGE, **conn).with_structured_output(Customer)
    assert _bound_kwargs(large)["tool_choice"] == "Customer"
    seven = ChatBedrockMistral(model=SEVEN_B, **conn).with_structured_output(Customer)
    assert _bound_kwargs(seven)["response_format"]["type"] == "json_schema"


def test_bad_method_and_missing_schema(conn: dict) -> None:
    model = ChatBedrockMistral(model=LARGE, **conn)
    with pytest.raises(ValueError, match="method="):
        model.with_structured_output(Customer, method="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a schema"):
        model.with_structured_output(None, method="function_calling")


def test_response_format_bound_directly(bedrock: LocalBedrock, conn: dict) -> None:
    model = ChatBedrockMistral(model=LARGE_3, **conn).bind(response_format=Customer)
    result = model.invoke(PROMPT)
    check(Customer.model_validate_json(result.text))
    assert (
        bedrock.requests[-1].body["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["name"]
        == "Customer"
    )
