"""Every validation rule: a clear ValueError naming the parameter, the model and what is allowed, and
no request on the wire."""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_mistral import (
    BedrockClient,
    ChatRequest,
    CompletionRequest,
    ImagePart,
    InferenceParams,
    Message,
    ToolCall,
    ToolSpec,
)
from bedrock_mistral.errors import (
    ContextWindowExceededError,
    InvalidRequestError,
    ParameterError,
    UnknownModelError,
    UnsupportedFeatureError,
)
from tests.transport.replay_server import ReplayServer

LARGE2 = "mistral.mistral-large-2407-v1:0"
M7B = "mistral.mistral-7b-instruct-v0:2"
MIXTRAL = "mistral.mixtral-8x7b-instruct-v0:1"
HI = (Message("user", "hi"),)
TOOL = ToolSpec(
    "get_weather", "Weather in a city", {"type": "object", "properties": {"city": {"type": "string"}}}
)


def client(replay: ReplayServer, model: str, **kwargs: Any) -> BedrockClient:
    return BedrockClient(
        model,
        region_name="us-east-1",
        endpoint_url=replay.endpoint_url,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        max_retries=0,
        **kwargs,
    )


@pytest.mark.parametrize(
    "model, params, parameter, fragment",
    [
        (MIXTRAL, InferenceParams(max_tokens=5000), "max_tokens", "1 to 4096"),
        (M7B, InferenceParams(max_tokens=0), "max_tokens", "1 to 8192"),
        (M7B, InferenceParams(max_tokens=8193), "max_tokens", "1 to 8192"),
        (M7B, InferenceParams(temperature=1.5), "temperature", "0 to 1"),
        (M7B, InferenceParams(temperature=-0.1), "temperature", "0 to 1"),
        (LARGE2, InferenceParams(top_p=2), "top_p", "0 to 1"),
        (M7B, InferenceParams(top_k=0), "top_k", "1 to 200"),
        (M7B, InferenceParams(top_k=201), "top_k", "1 to 200"),
        (M7B, InferenceParams(stop=tuple(str(i) for i in range(11))), "stop", "at most 10"),
        (LARGE2, InferenceParams(top_k=10), "top_k", "Bedrock rejects top_k"),
        (M7B, InferenceParams(temperature=True), "temperature", "a number"),  # type: ignore[arg-type]
        (M7B, InferenceParams(max_tokens=10.5), "max_tokens", "an integer"),  # type: ignore[arg-type]
    ],
)
def test_parameter_out_of_range(
    replay: ReplayServer, model: str, params: InferenceParams, parameter: str, fragment: str
) -> None:
    # At construction ...
    with pytest.raises(ParameterError) as info:
        client(replay, model, params=params)
    message = str(info.value)
    assert parameter in message and model in message and fragment in message
    assert isinstance(info.value, ValueError)
    # ... and per call.
    bedrock = client(replay, model)
    with pytest.raises(ParameterError):
        bedrock.chat(ChatRequest(HI, params=params))
    assert replay.received == []


def test_top_k_on_converse_names_the_api(replay: ReplayServer) -> None:
    with pytest.raises(ParameterError, match="Converse"):
        client(replay, M7B, api="converse", params=InferenceParams(top_k=5))
    assert replay.received == []


def test_unknown_model_lists_known_ids(replay: ReplayServer) -> None:
    with pytest.raises(UnknownModelError) as info:
        client(replay, "mistral.not-a-model-v9")
    assert "mistral.mistral-large-2407-v1:0" in str(info.value) and "api=" in str(info.value)
    assert client(replay, "mistral.not-a-model-v9", api="converse").spec.known is False


@pytest.mark.parametrize(
    "model_id",
    [
        "us.mistral.pixtral-large-2502-v1:0",
        "eu.mistral.pixtral-large-2502-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.mistral.pixtral-large-2502-v1:0",
        "arn:aws:bedrock:us-west-2::foundation-model/mistral.pixtral-large-2502-v1:0",
    ],
)
def test_profiles_and_arns_resolve(replay: ReplayServer, model_id: str) -> None:
    bedrock = client(replay, model_id)
    assert bedrock.spec.model_id == "mistral.pixtral-large-2502-v1:0"
    assert bedrock.api == "converse" and bedrock.model_id == model_id


def test_tools_on_model_without_tools(replay: ReplayServer) -> None:
    with pytest.raises(UnsupportedFeatureError) as info:
        client(replay, M7B).chat(ChatRequest(HI, tools=(TOOL,)))
    assert M7B in str(info.value) and "tools" in str(info.value)
    with pytest.raises(UnsupportedFeatureError, match="api='converse'"):
        client(replay, "mistral.mistral-small-2402-v1:0").chat(ChatRequest(HI, tools=(TOOL,)))
    assert replay.received == []


def test_image_on_text_only_model(replay: ReplayServer) -> None:
    image = Message("user", [ImagePart(b"\x89PNG", "png")])
    with pytest.raises(UnsupportedFeatureError) as info:
        client(replay, LARGE2, api="converse").chat(ChatRequest((image,)))
    assert "image" in str(info.value) and LARGE2 in str(info.value)
    assert replay.received == []


@pytest.mark.parametrize(
    "request_, fragment",
    [
        (ChatRequest(()), "empty"),
        (ChatRequest((Message("system", "be brief"),)), "only system"),
        (ChatRequest((Message("user", "hi"), Message("assistant", "hello"))), "ends with an assistant"),
        (ChatRequest(HI, tools=(ToolSpec("bad name!", "x"),)), "tool name"),
        (ChatRequest(HI, tools=(ToolSpec("t", "x", {"type": "string"}),)), "type 'object'"),
        (
            ChatRequest(
                HI, tools=(ToolSpec("t", "x", {"type": "object", "properties": {"a": {"type": "strin"}}}),)
            ),
            "JSON schema type",
        ),
        (ChatRequest(HI, tools=(TOOL, TOOL)), "twice"),
        (ChatRequest(HI, tools=(TOOL,), tool_choice="nope"), "tool_choice"),
        (
            ChatRequest((Message("user", "hi"), Message("tool", "42", tool_call_id="zzz"))),
            "no assistant message made",
        ),
    ],
)
def test_bad_conversations(replay: ReplayServer, request_: ChatRequest, fragment: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        client(replay, LARGE2).chat(request_)
    assert fragment in str(info.value)
    assert replay.received == []


def test_conversation_must_start_with_user_on_converse(replay: ReplayServer) -> None:
    messages = (Message("assistant", "Hi! How can I help?"), Message("user", "hi"))
    with pytest.raises(InvalidRequestError, match="start with a user message"):
        client(replay, LARGE2, api="converse").chat(ChatRequest(messages))
    assert replay.received == []


def test_context_window_preflight(replay: ReplayServer) -> None:
    long_prompt = "word " * 40_000
    with pytest.raises(ContextWindowExceededError) as info:
        client(replay, M7B).complete(CompletionRequest(long_prompt, InferenceParams(max_tokens=512)))
    assert "32768" in str(info.value).replace(",", "") and M7B in str(info.value)
    assert replay.received == []


def test_stream_validates_before_first_chunk(replay: ReplayServer) -> None:
    with pytest.raises(ParameterError):
        client(replay, M7B).stream_chat(ChatRequest(HI, params=InferenceParams(temperature=3)))
    assert replay.received == []


def test_credentials_never_in_repr(replay: ReplayServer) -> None:
    bedrock = BedrockClient(
        M7B,
        region_name="us-east-1",
        endpoint_url=replay.endpoint_url,
        aws_access_key_id="AKIDSENTINEL",
        aws_secret_access_key="sentinel-secret-value",
        aws_session_token="sentinel-token",
    )
    for text in (repr(bedrock), str(bedrock), repr(bedrock.settings)):
        assert "sentinel" not in text and "AKIDSENTINEL" not in text


def test_tool_result_for_known_call_is_accepted_without_request_errors() -> None:
    call = ToolCall("abc123XYZ", "get_weather", {"city": "Paris"})
    request = ChatRequest(
        (
            Message("user", "weather?"),
            Message("assistant", "", (call,)),
            Message("tool", "sunny", tool_call_id=call.id),
        ),
        tools=(TOOL,),
    )
    from bedrock_mistral.catalog import resolve
    from bedrock_mistral.validation import validate_chat_request

    validate_chat_request(resolve(LARGE2), "invoke", request)  # does not raise
