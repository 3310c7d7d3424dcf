"""Issue 8, part 2: bad input fails clearly before any request; the emulator must receive nothing."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_mistral import BedrockClient, ChatRequest, CompletionRequest, InferenceParams, Message
from bedrock_mistral.catalog import BodyFormat, resolve
from bedrock_mistral.errors import (
    BedrockMistralError,
    ConfigurationError,
    ContextWindowExceededError,
    InvalidRequestError,
    ParameterError,
    UnknownModelError,
    UnsupportedFeatureError,
)
from bedrock_mistral.local import LocalBedrock
from tests.reliability import registry
from tests.reliability.adapters import BY_KEY
from tests.reliability.bad_inputs import LARGE2, LARGE2402, PNG, ConfigCase, RequestCase

HELLO = (Message("user", "Hello"),)


@pytest.fixture
def quiet(bedrock: LocalBedrock) -> Iterator[LocalBedrock]:
    """The emulator, which must not see a single request during the test."""
    yield bedrock
    assert bedrock.requests == [], "a request was sent for input that should have been refused"


def _value_id(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    text = repr(value)
    return text if len(text) <= 20 else text[:17] + "..."


PARAMS = [
    pytest.param(model, api, name, value, id=f"{model.split('.', 1)[1]}-{api}-{name}={_value_id(value)}")
    for model, api, name, value in registry.BAD_PARAMS.cases
]


@pytest.mark.parametrize("model, api, name, value", PARAMS)
def test_out_of_range_parameter(quiet: LocalBedrock, model: str, api: str, name: str, value: Any) -> None:
    params = InferenceParams(**{name: value})
    spec = resolve(model, api)  # type: ignore[arg-type]
    completion_takes_top_k = (
        name == "top_k"
        and api == "invoke"
        and spec.completion_body_format() is BodyFormat.TEXT_COMPLETION
        and isinstance(value, int)
        and spec.top_k is not None
        and spec.top_k.contains(value)
    )
    if not completion_takes_top_k:  # a default top_k is fine where the model's text-completion body takes it
        with pytest.raises(ParameterError) as info:
            BedrockClient(model, api=api, params=params, **quiet.client_kwargs())  # type: ignore[arg-type]
        assert info.value.parameter == name and model in str(info.value) and "allowed" in str(info.value)
    client = BedrockClient(model, api=api, **quiet.client_kwargs())  # type: ignore[arg-type]
    with pytest.raises(ParameterError) as info:
        client.chat(ChatRequest(HELLO, params=params))
    assert info.value.parameter == name
    with pytest.raises(ParameterError):
        list(client.stream_chat(ChatRequest(HELLO, params=params)))
    if not completion_takes_top_k:
        with pytest.raises(ParameterError):
            client.complete(CompletionRequest("Hello", params=params))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.key) for c in registry.BAD_REQUESTS.cases])
def test_malformed_request(quiet: LocalBedrock, case: RequestCase) -> None:
    client = BedrockClient(case.model, api=case.api, **quiet.client_kwargs())
    request = case.request()
    calls = (
        (client.chat, client.stream_chat)
        if isinstance(request, ChatRequest)
        else (client.complete, client.stream_complete)
    )
    for call in calls:
        with pytest.raises(case.error) as info:
            result = call(request)  # type: ignore[arg-type]
            if not hasattr(result, "text"):
                list(result)  # type: ignore[call-overload]
        assert isinstance(info.value, ConfigurationError) and isinstance(info.value, ValueError)
        message = str(info.value).lower()
        for word in case.mentions:
            assert word.lower() in message, f"{word!r} not in {info.value}"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.key) for c in registry.BAD_CONFIG.cases])
def test_bad_configuration(quiet: LocalBedrock, case: ConfigCase) -> None:
    options = {**quiet.client_kwargs(), **case.options}
    with pytest.raises(case.error) as info:
        BedrockClient(case.model, **options)
    assert case.mentions.lower() in str(info.value).lower(), str(info.value)


# --- through the adapters ------------------------------------------------------------------------------------


def _expect(error: type[BaseException], fn: Any) -> BaseException:
    with pytest.raises(error) as info:
        fn()
    assert type(info.value).__module__ == "bedrock_mistral.errors" or error is TypeError, (
        f"the transport's error was wrapped: {info.value!r}"
    )
    return info.value


def _lc_chat(bedrock: LocalBedrock, case: str) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    adapter = BY_KEY["langchain-chat"]
    if case == "ctor-temperature":
        _expect(ParameterError, lambda: adapter.build(bedrock, fresh=True, temperature=1.5))
        return
    if case == "ctor-unknown-model":
        from langchain_bedrock_mistral import ChatBedrockMistral

        _expect(
            UnknownModelError, lambda: ChatBedrockMistral(model="mistral.nope-v1:0", region_name="us-east-1")
        )
        return
    model = adapter.build(bedrock)
    image = HumanMessage(
        content=[
            {"type": "text", "text": "What is this?"},
            {
                "type": "image",
                "base64": __import__("base64").b64encode(PNG).decode(),
                "mime_type": "image/png",
            },
        ]
    )
    actions: dict[str, tuple[type[BaseException], Any]] = {
        "call-temperature": (ParameterError, lambda: model.invoke("hi", temperature=3)),
        "call-max-tokens": (ParameterError, lambda: model.invoke("hi", max_tokens=10**6)),
        "empty-messages": (InvalidRequestError, lambda: model.invoke([])),
        "ends-with-ai": (InvalidRequestError, lambda: model.invoke([HumanMessage("hi"), AIMessage("hello")])),
        "bad-tool-schema": (
            InvalidRequestError,
            lambda: model.bind_tools(
                [
                    {
                        "type": "function",
                        "function": {
                            "name": "get_weather",
                            "description": "w",
                            "parameters": {"type": "object", "properties": {"c": {"type": "town"}}},
                        },
                    }
                ]
            ).invoke("weather?"),
        ),
        "bad-tool-name": (
            InvalidRequestError,
            lambda: model.bind_tools(
                [
                    {
                        "type": "function",
                        "function": {
                            "name": "get weather",
                            "description": "w",
                            "parameters": {"type": "object", "properties": {}},
                        },
                    }
                ]
            ).invoke("weather?"),
        ),
        "image-to-text-only": (UnsupportedFeatureError, lambda: model.invoke([image])),
        "context-window": (ContextWindowExceededError, lambda: model.invoke("word " * 132_000)),
        "unknown-call-kwarg": (TypeError, lambda: model.invoke("hi", temprature=0.2)),
    }
    error, action = actions[case]
    _expect(error, action)


def _lc_llm(bedrock: LocalBedrock, case: str) -> None:
    adapter = BY_KEY["langchain-llm"]
    if case == "ctor-temperature":
        _expect(ParameterError, lambda: adapter.build(bedrock, fresh=True, temperature=-1))
        return
    if case == "ctor-unknown-model":
        from langchain_bedrock_mistral import BedrockMistralLLM

        _expect(
            UnknownModelError, lambda: BedrockMistralLLM(model="mistral.nope-v1:0", region_name="us-east-1")
        )
        return
    llm = adapter.build(bedrock)
    actions: dict[str, tuple[type[BaseException], Any]] = {
        "call-temperature": (ParameterError, lambda: llm.invoke("hi", temperature=1.5)),
        "call-top-k": (ParameterError, lambda: llm.invoke("hi", top_k=0)),
        "call-stop-11": (ParameterError, lambda: llm.invoke("hi", stop=[f"s{i}" for i in range(11)])),
        "context-window": (ContextWindowExceededError, lambda: llm.invoke("word " * 33_000)),
        "unknown-call-kwarg": (TypeError, lambda: llm.invoke("hi", topk=3)),
    }
    error, action = actions[case]
    _expect(error, action)


def _li(bedrock: LocalBedrock, case: str) -> None:
    from llama_index.core.base.llms.types import ChatMessage, ImageBlock, MessageRole, TextBlock
    from llama_index.core.tools import FunctionTool

    adapter = BY_KEY["llama-index"]
    if case == "ctor-temperature":
        _expect(ParameterError, lambda: adapter.build(bedrock, fresh=True, temperature=7))
        return
    if case == "ctor-unknown-model":
        from llama_index_bedrock_mistral import BedrockMistral

        _expect(UnknownModelError, lambda: BedrockMistral(model="mistral.nope-v1:0", region_name="us-east-1"))
        return
    llm = adapter.build(bedrock)
    user = ChatMessage(role=MessageRole.USER, content="hi")

    def weather(city: str) -> str:
        return f"sunny in {city}"

    bad_name = FunctionTool.from_defaults(fn=weather, name="get weather", description="w")
    bad_schema = FunctionTool.from_defaults(fn=weather, name="get_weather", description="w")
    bad_schema.metadata.fn_schema = None
    image = ChatMessage(
        role=MessageRole.USER, blocks=[TextBlock(text="What is this?"), ImageBlock(image=PNG)]
    )
    actions: dict[str, tuple[type[BaseException], Any]] = {
        "call-temperature": (ParameterError, lambda: llm.chat([user], temperature=1.5)),
        "empty-messages": (InvalidRequestError, lambda: llm.chat([])),
        "ends-with-assistant": (
            InvalidRequestError,
            lambda: llm.chat([user, ChatMessage(role=MessageRole.ASSISTANT, content="hello")]),
        ),
        "bad-tool-name": (InvalidRequestError, lambda: llm.chat_with_tools([bad_name], user_msg="weather?")),
        "bad-tool-schema": (
            InvalidRequestError,
            lambda: llm.chat_with_tools([_schema_tool(bad_schema)], user_msg="weather?"),
        ),
        "image-to-text-only": (UnsupportedFeatureError, lambda: llm.chat([image])),
        "context-window": (
            ContextWindowExceededError,
            lambda: llm.chat([ChatMessage(role=MessageRole.USER, content="word " * 132_000)]),
        ),
    }
    error, action = actions[case]
    _expect(error, action)


def _schema_tool(tool: Any) -> Any:
    """A tool whose parameter schema is not a JSON object schema."""
    from llama_index.core.tools import ToolMetadata

    class Broken(ToolMetadata):
        def get_parameters_dict(self) -> dict[str, Any]:
            return {"type": "object", "properties": {"city": {"type": "town"}}}

    tool._metadata = Broken(name="get_weather", description="w")
    return tool


ADAPTER_RUNNERS = {"langchain-chat": _lc_chat, "langchain-llm": _lc_llm, "llama-index": _li}


@pytest.mark.parametrize("adapter, case", registry.BAD_ADAPTER_INPUT.params())
def test_bad_input_through_adapter(quiet: LocalBedrock, adapter: str, case: str) -> None:
    ADAPTER_RUNNERS[adapter](quiet, case)


def test_errors_before_requests_are_value_errors() -> None:
    for error in (
        ParameterError,
        InvalidRequestError,
        UnsupportedFeatureError,
        ContextWindowExceededError,
        UnknownModelError,
    ):
        assert issubclass(error, ValueError) and issubclass(error, BedrockMistralError)


def test_top_k_configured_for_a_text_completion_body_is_accepted(quiet: LocalBedrock) -> None:
    client = BedrockClient(LARGE2402, params=InferenceParams(top_k=50), **quiet.client_kwargs())
    assert client.params.top_k == 50


def test_top_k_message_names_the_body_format(quiet: LocalBedrock) -> None:
    with pytest.raises(ParameterError) as info:
        BedrockClient(LARGE2, params=InferenceParams(top_k=5), **quiet.client_kwargs())
    assert "top_k" in str(info.value) and LARGE2 in str(info.value)
