"""ChatBedrockMistral through the wire: boto3 -> HTTP -> the local emulator, checked on both ends."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import TypedDict

from bedrock_mistral.errors import ConfigurationError, ModelStreamError, ParameterError, UnknownModelError
from bedrock_mistral.local import Conversation, Delta, LocalBedrock, Reply, ToolInvocation
from bedrock_mistral.local.engines.base import stream_reply
from langchain_bedrock_mistral import ChatBedrockMistral
from tests.langchain.conftest import LARGE, SEVEN_B, connection

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


class Add(BaseModel):
    """Add two integers."""

    a: int = Field(description="first")
    b: int = Field(description="second")


class Multiply(TypedDict):
    """Multiply two integers."""

    a: int
    b: int


def subtract(a: int, b: int) -> int:
    """Subtract b from a."""
    return a - b


DIVIDE = {
    "type": "function",
    "function": {
        "name": "divide",
        "description": "Divide a by b.",
        "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}},
    },
}
POWER = {
    "title": "power",
    "description": "a to the power b.",
    "type": "object",
    "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
}


def chat(
    conn: dict[str, Any], api: str | None = None, model: str = LARGE, **kwargs: Any
) -> ChatBedrockMistral:
    return ChatBedrockMistral(model=model, api=api, **conn, **kwargs)


# --- construction ----------------------------------------------------------------------------------


def test_invalid_parameters_raise_the_transport_error_at_construction() -> None:
    with pytest.raises(ParameterError, match="temperature=1.5 is not allowed"):
        ChatBedrockMistral(model=LARGE, temperature=1.5, region_name="us-east-1")
    with pytest.raises(ParameterError, match="top_k"):
        ChatBedrockMistral(model=LARGE, top_k=5, region_name="us-east-1")
    with pytest.raises(UnknownModelError, match="unknown model id"):
        ChatBedrockMistral(model="mistral.nope", region_name="us-east-1")
    with pytest.raises(UnknownModelError, match="does not support api='invoke'"):
        ChatBedrockMistral(model="mistral.pixtral-large-2502-v1:0", api="invoke", region_name="us-east-1")
    with pytest.raises(ConfigurationError, match="guardrail_identifier and guardrail_version"):
        ChatBedrockMistral(model=LARGE, guardrail_identifier="gr", region_name="us-east-1")
    with pytest.raises(ValueError, match="stop"):
        ChatBedrockMistral(model=LARGE, stop=[str(i) for i in range(11)], region_name="us-east-1")


def test_unknown_arguments_are_rejected_not_dropped() -> None:
    with pytest.raises(PydanticValidationError, match="temprature"):
        ChatBedrockMistral(model=LARGE, temprature=0.2, region_name="us-east-1")  # type: ignore[call-arg]


def test_aliases_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    model = ChatBedrockMistral(model_id=LARGE, stop_sequences=["END"])  # type: ignore[call-arg]
    assert (model.model, model.stop, model.region_name) == (LARGE, ["END"], "eu-central-1")
    assert model.aws_secret_access_key is not None
    assert model.aws_secret_access_key.get_secret_value() == "env-secret"
    # A named profile is not overridden by keys that only came from the environment.
    assert ChatBedrockMistral(model=LARGE, credentials_profile_name="dev")._credentials() == (
        None,
        None,
        None,
    )


def test_profile_ls_params_and_token_count() -> None:
    large = ChatBedrockMistral(
        model=LARGE, api="converse", region_name="us-east-1", temperature=0.1, max_tokens=9
    )
    assert large.profile is not None
    assert large.profile["max_input_tokens"] == 131_072
    assert large.profile["tool_calling"] is True and large.profile["image_inputs"] is False
    seven = ChatBedrockMistral(model=SEVEN_B, region_name="us-east-1")
    assert seven.profile is not None and seven.profile["tool_calling"] is False
    pixtral = ChatBedrockMistral(model="mistral.pixtral-large-2502-v1:0", region_name="us-east-1")
    assert pixtral.profile is not None and pixtral.profile["image_inputs"] is True
    assert large._get_ls_params(stop=["x"]) == {
        "ls_provider": "amazon_bedrock",
        "ls_model_name": LARGE,
        "ls_model_type": "chat",
        "ls_temperature": 0.1,
        "ls_max_tokens": 9,
        "ls_stop": ["x"],
    }
    assert 0 < large.get_num_tokens("The quick brown fox jumps over the lazy dog.") < 20


# --- requests on the wire --------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_invoke_sends_parameters_and_reads_metadata(bedrock: LocalBedrock, conn: dict, api: str) -> None:
    model = chat(conn, api, temperature=0.3, max_tokens=200)
    result = model.invoke([SystemMessage("Be brief."), HumanMessage("Hello")], top_p=0.5)
    request = bedrock.requests[-1]
    assert request.model_id == LARGE
    if api == "invoke":
        assert request.operation == "InvokeModel"
        assert request.body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert (request.body["temperature"], request.body["max_tokens"], request.body["top_p"]) == (
            0.3,
            200,
            0.5,
        )
    else:
        assert request.operation == "Converse"
        assert request.body["system"] == [{"text": "Be brief."}]
        assert request.body["inferenceConfig"] == {"maxTokens": 200, "temperature": 0.3, "topP": 0.5}
    assert isinstance(result, AIMessage) and result.text
    assert result.usage_metadata is not None and result.usage_metadata["output_tokens"] > 0
    assert result.response_metadata["finish_reason"] == "stop"
    assert result.response_metadata["stop_reason"] == ("stop" if api == "invoke" else "end_turn")
    assert "latency_ms" in result.response_metadata["metrics"]


def test_streaming_field_streams_under_invoke(bedrock: LocalBedrock, conn: dict) -> None:
    tokens: list[str] = []

    from langchain_core.callbacks import BaseCallbackHandler

    class Collect(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    result = chat(conn, "invoke", streaming=True).invoke("Hello", config={"callbacks": [Collect()]})
    assert bedrock.requests[-1].operation == "InvokeModelWithResponseStream"
    assert len(tokens) > 1 and "".join(tokens) == result.text


def test_model_override_per_call(bedrock: LocalBedrock, conn: dict) -> None:
    result = chat(conn, "converse").invoke("Hello", model="mistral.mistral-small-2402-v1:0")
    assert bedrock.requests[-1].model_id == "mistral.mistral-small-2402-v1:0"
    assert result.response_metadata["model_name"] == "mistral.mistral-small-2402-v1:0"


def test_unknown_call_arguments_fail(conn: dict) -> None:
    with pytest.raises(TypeError, match="unexpected call argument"):
        chat(conn).invoke("Hello", temprature=0.1)
    with pytest.raises(TypeError, match="bind_tools got unexpected call argument.*parallel_tool_calls"):
        chat(conn).bind_tools([get_weather], parallel_tool_calls=False)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_usage_exactly_once_per_stream(bedrock: LocalBedrock, conn: dict, api: str) -> None:
    chunks = list(chat(conn, api).stream("Write me 2 haikus."))
    assert len([c for c in chunks if c.usage_metadata]) == 1
    assert chunks[-1].chunk_position == "last" and chunks[-1].usage_metadata
    assert len(chunks) > 3


async def test_async_uses_the_transport_not_a_thread_pool(
    bedrock: LocalBedrock, conn: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import langchain_core.language_models.chat_models as lc_chat

    def no_threads(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("LangChain's thread-pool fallback was used")

    monkeypatch.setattr(lc_chat, "run_in_executor", no_threads)
    model = chat(conn, "converse")
    result = await model.ainvoke("Hello")
    chunks = [c async for c in model.astream("Hello")]
    batch = await model.abatch(["Hello", "Hi"])
    assert result.text and len(chunks) > 2 and len(batch) == 2
    assert "".join(c.text for c in chunks) == result.text  # the whole answer, not a truncated stream
    assert [r.operation for r in bedrock.requests].count("ConverseStream") == 1
    await model.transport.aclose()


def test_stream_error_surfaces_with_partial_text(bedrock: LocalBedrock, conn: dict) -> None:
    bedrock.faults.stream_error(after_chunks=3)
    received: list[str] = []
    with pytest.raises(ModelStreamError) as info:
        for chunk in chat(conn, "invoke", max_retries=0).stream("Write me 2 haikus."):
            received.append(chunk.text)
    assert info.value.partial_text == "".join(received)


def test_images_reach_vision_models_as_bytes(bedrock: LocalBedrock, conn: dict) -> None:
    image = {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()},
    }
    model = chat(conn, model="mistral.pixtral-large-2502-v1:0")
    model.invoke([HumanMessage([{"type": "text", "text": "Describe this image"}, image])])
    content = bedrock.requests[-1].body["messages"][0]["content"]
    assert content[1]["image"]["format"] == "png"
    assert base64.b64decode(content[1]["image"]["source"]["bytes"]) == PNG


# --- tools -----------------------------------------------------------------------------------------


ALL_FORMS = [get_weather, Add, Multiply, subtract, DIVIDE, POWER]
ALL_NAMES = ["get_weather", "Add", "Multiply", "subtract", "divide", "power"]


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("any", "any"),
        (True, "any"),
        ("none", "none"),
        (None, None),
    ],
)
def test_every_tool_form_and_choice_on_the_chat_format(
    bedrock: LocalBedrock, conn: dict, choice: Any, wire: str | None
) -> None:
    chat(conn, "invoke").bind_tools(ALL_FORMS, tool_choice=choice).invoke("What is the weather in Paris?")
    body = bedrock.requests[-1].body
    assert [t["function"]["name"] for t in body["tools"]] == ALL_NAMES
    assert body.get("tool_choice") == wire
    assert body["tools"][1]["function"]["parameters"]["properties"]["a"]["description"] == "first"


@pytest.mark.parametrize("choice", ["Add", {"type": "function", "function": {"name": "Add"}}])
@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_named_tool_choice(bedrock: LocalBedrock, conn: dict, choice: Any, api: str) -> None:
    result = chat(conn, api).bind_tools(ALL_FORMS, tool_choice=choice).invoke("What is 2 plus 3?")
    assert [c["name"] for c in result.tool_calls] == ["Add"]
    assert result.tool_calls[0]["args"] == {"a": 2, "b": 3}
    body = bedrock.requests[-1].body
    if api == "invoke":
        assert [t["function"]["name"] for t in body["tools"]] == ["Add"] and body["tool_choice"] == "any"
    else:
        assert [t["toolSpec"]["name"] for t in body["toolConfig"]["tools"]] == ["Add"]
        assert body["toolConfig"]["toolChoice"] == {"any": {}}


def test_bad_tool_choice_is_refused(conn: dict) -> None:
    with pytest.raises(ValueError, match="tool_choice"):
        chat(conn).bind_tools([Add], tool_choice={"weird": 1})
    with pytest.raises(ValueError, match="neither one of"):
        chat(conn).bind_tools([Add], tool_choice="Nope").invoke("hi")


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_parallel_tool_calls_stream_as_indexed_chunks(bedrock: LocalBedrock, conn: dict, api: str) -> None:
    model = chat(conn, api).bind_tools([get_weather])
    chunks = list(model.stream("What is the weather in Paris and in London?"))
    # Bedrock streams tool calls on the chat format; on Converse the transport makes one call.
    assert bedrock.requests[-1].operation == (
        "InvokeModelWithResponseStream" if api == "invoke" else "Converse"
    )
    pieces = [tc for c in chunks for tc in c.tool_call_chunks]
    first = {p["index"]: p for p in reversed(pieces)}
    assert sorted(first) == [0, 1]
    assert all(p["id"] and p["name"] == "get_weather" for p in first.values())
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert isinstance(full, AIMessageChunk)
    assert [c["args"] for c in full.tool_calls] == [{"city": "Paris"}, {"city": "London"}]
    assert full.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_tool_results_and_error_status_on_the_wire(bedrock: LocalBedrock, conn: dict, api: str) -> None:
    history = [
        HumanMessage("What is the weather in Paris?"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_abc123"}]),
        ToolMessage("city service unavailable", tool_call_id="call_abc123", status="error"),
    ]
    result = chat(conn, api).bind_tools([get_weather]).invoke(history)
    assert isinstance(result, AIMessage)
    body = bedrock.requests[-1].body
    if api == "invoke":
        tool_turn = body["messages"][-1]
        assert tool_turn["role"] == "tool" and tool_turn["content"].startswith("Error: ")
        assert tool_turn["tool_call_id"] == body["messages"][-2]["tool_calls"][0]["id"]
    else:
        result_block = body["messages"][-1]["content"][0]["toolResult"]
        assert result_block["content"][0]["text"].startswith("Error: ")


class _BadArguments:
    """An engine whose tool call arguments are not a JSON object, as a misbehaving model might send."""

    name = "bad-arguments"

    def __init__(self, raw: str) -> None:
        self.raw = raw

    def reply(self, conversation: Conversation) -> Reply:
        call = ToolInvocation(name="get_weather", arguments=self.raw)  # type: ignore[arg-type]
        return Reply(tool_calls=[call], stop_reason="tool_calls")

    def stream(self, conversation: Conversation) -> Iterator[Delta]:
        return stream_reply(self.reply(conversation))


@pytest.mark.parametrize("raw", ['{"city": "Par', '["Paris"]'])
@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_malformed_tool_arguments_become_invalid_tool_calls(api: str, raw: str) -> None:
    with LocalBedrock(engine=_BadArguments(raw)) as bad:  # type: ignore[arg-type]
        model = chat(connection(bad), api).bind_tools([get_weather])
        result = model.invoke("weather?")
        streamed = list(model.stream("weather?"))
    assert result.tool_calls == []
    assert [c["name"] for c in result.invalid_tool_calls] == ["get_weather"]
    assert result.invalid_tool_calls[0]["error"]
    if raw.startswith("{") and api == "converse":
        return  # LangChain's chunk merging parses truncated JSON leniently ({"city": "Par"}) by design
    full = streamed[0]
    for chunk in streamed[1:]:
        full = full + chunk
    assert isinstance(full, AIMessageChunk) and full.tool_calls == []
    assert [c["name"] for c in full.invalid_tool_calls] == ["get_weather"]


def test_tools_on_a_model_without_them_fail_clearly(conn: dict) -> None:
    with pytest.raises(ValueError, match="tools are not supported"):
        chat(conn, model=SEVEN_B).bind_tools([get_weather]).invoke("hi")
