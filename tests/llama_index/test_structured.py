"""Structured output: the tool path on tool models, the JSON (response format) path on the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral
from tests.llama_index.conftest import LARGE_2407, MISTRAL_7B, MIXTRAL

Make = Callable[..., BedrockMistral]

PIXTRAL = "mistral.pixtral-large-2502-v1:0"
VOXTRAL_MINI = "mistral.voxtral-mini-3b-2507"  # Converse, no tools
PROMPT = PromptTemplate("Tell me about {city}, a city in France with 2100000 people.")
EXPECTED = {"name": "Paris", "country": "France", "population": 2100000}


class City(BaseModel):
    """A city and its country."""

    name: str
    country: str
    population: int


TOOL_MODELS = [
    pytest.param(LARGE_2407, None, id="large-2407-invoke"),
    pytest.param(LARGE_2407, "converse", id="large-2407-converse"),
    pytest.param(PIXTRAL, None, id="pixtral-converse"),
]


@pytest.mark.parametrize(("model", "api"), TOOL_MODELS)
def test_structured_predict_through_a_forced_tool_call(
    bedrock: LocalBedrock, make_llm: Make, model: str, api: Any
) -> None:
    llm = make_llm(model, api=api)
    city = llm.structured_predict(City, PROMPT, city="Paris")
    assert isinstance(city, City) and city.model_dump() == EXPECTED
    body = bedrock.requests[-1].body
    if "toolConfig" in body:
        assert body["toolConfig"]["toolChoice"] == {"any": {}}
        assert [t["toolSpec"]["name"] for t in body["toolConfig"]["tools"]] == ["City"]
    else:
        assert body["tool_choice"] == "any"
        assert [t["function"]["name"] for t in body["tools"]] == ["City"]


@pytest.mark.parametrize(("model", "api"), TOOL_MODELS)
async def test_astructured_predict(bedrock: LocalBedrock, make_llm: Make, model: str, api: Any) -> None:
    llm = make_llm(model, api=api)
    try:
        city = await llm.astructured_predict(City, PROMPT, city="Paris")
        assert isinstance(city, City) and city.model_dump() == EXPECTED
    finally:
        await llm.aclose()


@pytest.mark.parametrize(("model", "api"), [(LARGE_2407, None), (VOXTRAL_MINI, None)])
def test_as_structured_llm(bedrock: LocalBedrock, make_llm: Make, model: str, api: Any) -> None:
    structured = make_llm(model, api=api).as_structured_llm(City)
    response = structured.chat(
        [ChatMessage(role="user", content="Paris is a city in France with 2100000 people.")]
    )
    assert isinstance(response.raw, City)
    assert (response.raw.country, response.raw.population) == ("France", 2100000)


def test_model_without_tools_uses_the_json_schema_path(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(VOXTRAL_MINI)
    assert llm.metadata.is_function_calling_model is False
    city = llm.structured_predict(City, PROMPT, city="Paris")
    assert isinstance(city, City) and (city.country, city.population) == ("France", 2100000)
    body = bedrock.requests[-1].body
    assert "toolConfig" not in body
    schema = body["outputConfig"]["textFormat"]["structure"]["jsonSchema"]
    assert schema["name"] == "City"


def test_response_format_on_a_chat_format_model(bedrock: LocalBedrock, make_llm: Make) -> None:
    """`response_format` is also a plain chat keyword: JSON mode plus the schema on the native body."""
    llm = make_llm(LARGE_2407)
    response = llm.chat(
        [ChatMessage(role="user", content="Paris, France, 2100000 people")], response_format=City
    )
    body = bedrock.requests[-1].body
    assert body["response_format"] == {"type": "json_object"}
    assert '"population"' in body["messages"][0]["content"]  # the schema instruction, as a system message
    assert City.model_validate_json(response.message.content or "").population == 2100000


@pytest.mark.parametrize("model", [MISTRAL_7B, MIXTRAL])
def test_text_completion_model_json_path(bedrock: LocalBedrock, make_llm: Make, model: str) -> None:
    city = make_llm(model).structured_predict(City, PROMPT, city="Paris")
    assert isinstance(city, City) and (city.country, city.population) == ("France", 2100000)
