"""Reasoning and audio in the Converse codec, on plain dicts shaped as botocore's service model defines
them (`reasoningContent{reasoningText{text, signature} | redactedContent}`, `audio{format, source}`), and
the checks made before any request."""

from __future__ import annotations

import pytest

from bedrock_mistral.catalog import resolve
from bedrock_mistral.codecs import decode, encode_chat, encode_completion, response_to_deltas, stream_decoder
from bedrock_mistral.errors import UnsupportedFeatureError
from bedrock_mistral.types import (
    AudioPart,
    ChatRequest,
    CompletionRequest,
    Message,
    ReasoningPart,
    StreamDelta,
    TextPart,
    ToolCall,
)
from bedrock_mistral.validation import validate_chat_request, validate_reasoning_settings

MAGISTRAL = resolve("mistral.magistral-small-2509")
LARGE_3 = resolve("mistral.mistral-large-3-675b-instruct")
VOXTRAL = resolve("mistral.voxtral-mini-3b-2507")


def _converse(spec: object, *messages: Message) -> dict:
    return encode_chat(spec, "converse", ChatRequest(messages)).payload  # type: ignore[arg-type]


def test_reasoning_text_signature_and_redacted_content_are_decoded() -> None:
    body = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "6 x 7", "signature": "sig-A"}}},
                    {"reasoningContent": {"redactedContent": b"\x00\x01"}},
                    {"text": "42"},
                ],
            }
        },
        "stopReason": "end_turn",
        "usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 12},
    }
    encoded = encode_chat(MAGISTRAL, "converse", ChatRequest((Message("user", "6 x 7?"),)))
    response = decode(encoded, body, {})
    assert response.text == "42"
    assert response.reasoning == "6 x 7"
    assert response.reasoning_parts == (ReasoningPart("6 x 7", "sig-A"), ReasoningPart(redacted=b"\x00\x01"))
    # A request the API cannot stream is delivered as deltas that keep the signature and redacted bytes.
    deltas = response_to_deltas(response)
    assert [d.reasoning_signature for d in deltas if d.reasoning] == ["sig-A"]
    assert [d.redacted_reasoning for d in deltas if d.redacted_reasoning] == [b"\x00\x01"]


def test_converse_stream_reasoning_deltas_keep_text_signature_and_redacted_content() -> None:
    decoder = stream_decoder(encode_chat(MAGISTRAL, "converse", ChatRequest((Message("user", "q"),))))
    events = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "6 x "}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "7"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "sig-A"}}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"reasoningContent": {"redactedContent": b"\x07"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 2, "delta": {"text": "42"}}},
        {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": {"inputTokens": 1, "outputTokens": 2}, "metrics": {"latencyMs": 3}}},
    ]
    deltas: list[StreamDelta] = [d for event in events for d in decoder.feed(event)]
    assert "".join(d.reasoning for d in deltas) == "6 x 7"
    assert [d.reasoning_signature for d in deltas if d.reasoning_signature] == ["sig-A"]
    assert [d.redacted_reasoning for d in deltas if d.redacted_reasoning is not None] == [b"\x07"]
    assert "".join(d.text for d in deltas) == "42"
    assert decoder.text == "42"  # reasoning is never answer text


def test_assistant_reasoning_is_sent_back_in_converse_form_before_text_and_tool_use() -> None:
    payload = _converse(
        MAGISTRAL,
        Message("user", "q1"),
        Message("assistant", [ReasoningPart("think 1", "sig-1"), TextPart("a1")]),
        Message("user", "q2"),
        Message(
            "assistant",
            [ReasoningPart("think 2"), ReasoningPart(redacted=b"\x09")],
            tool_calls=(ToolCall("tooluse_1", "lookup", {"q": "x"}),),
        ),
        Message("tool", "result", tool_call_id="tooluse_1"),
    )
    first, second = payload["messages"][1]["content"], payload["messages"][3]["content"]
    assert first == [
        {"reasoningContent": {"reasoningText": {"text": "think 1", "signature": "sig-1"}}},
        {"text": "a1"},
    ]
    assert second[0] == {"reasoningContent": {"reasoningText": {"text": "think 2"}}}
    assert second[1] == {"reasoningContent": {"redactedContent": b"\x09"}}
    assert "toolUse" in second[2]


def test_reasoning_is_not_sent_to_a_catalog_model_that_does_not_reason() -> None:
    payload = _converse(
        LARGE_3,
        Message("user", "q1"),
        Message("assistant", [ReasoningPart("from another model", "sig"), TextPart("a1")]),
        Message("user", "q2"),
    )
    assert payload["messages"][1]["content"] == [{"text": "a1"}]


def test_reasoning_parts_stay_out_of_invoke_bodies() -> None:
    large_2 = resolve("mistral.mistral-large-2407-v1:0")
    history = (
        Message("user", "q1"),
        Message("assistant", [ReasoningPart("secret thoughts"), TextPart("a1")]),
        Message("user", "q2"),
    )
    chat = encode_chat(large_2, "invoke", ChatRequest(history)).payload
    assert "secret thoughts" not in str(chat) and chat["messages"][1]["content"] == "a1"
    seven_b = resolve("mistral.mistral-7b-instruct-v0:2")
    prompt = encode_chat(seven_b, "invoke", ChatRequest(history)).payload["prompt"]
    assert "secret thoughts" not in prompt and "a1" in prompt


def test_reasoning_settings_only_where_the_model_takes_them() -> None:
    for spec, why in ((MAGISTRAL, "always reasons"), (LARGE_3, "does not reason")):
        with pytest.raises(UnsupportedFeatureError, match=why) as info:
            validate_reasoning_settings(spec, {"reasoning_effort": "high"})
        assert "reasoning_effort" in str(info.value) and spec.model_id in str(info.value)
    validate_reasoning_settings(MAGISTRAL, {"safe_prompt": True})  # not a reasoning setting: passes


def test_audio_becomes_a_converse_audio_block() -> None:
    payload = _converse(VOXTRAL, Message("user", [AudioPart(b"RIFF....WAVE", "wav"), TextPart("Transcribe.")]))
    assert payload["messages"][0]["content"][0] == {"audio": {"format": "wav", "source": {"bytes": b"RIFF....WAVE"}}}


@pytest.mark.parametrize(
    ("model", "api", "part", "message"),
    [
        ("mistral.mistral-large-3-675b-instruct", "converse", AudioPart(b"x", "wav"), "does not accept audio"),
        ("mistral.mistral-large-2407-v1:0", "invoke", AudioPart(b"x", "wav"), "does not accept audio"),
        ("mistral.voxtral-small-24b-2507", "converse", AudioPart(b"x", "midi"), "audio format 'midi'"),
        ("mistral.voxtral-small-24b-2507", "converse", AudioPart(b"", "wav"), "empty"),
    ],
)
def test_bad_audio_is_refused_before_any_request(model: str, api: str, part: AudioPart, message: str) -> None:
    spec = resolve(model)
    request = ChatRequest((Message("user", [part, TextPart("?")]),))
    with pytest.raises(Exception, match=message) as info:
        validate_chat_request(spec, api, request)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    if "does not accept" in message:
        assert "mistral.voxtral-mini-3b-2507" in str(info.value)  # names the models that take audio


def test_completion_requests_check_reasoning_settings_too() -> None:
    from bedrock_mistral.client import BedrockClient

    client = BedrockClient(LARGE_3.model_id, region_name="us-east-1")
    with pytest.raises(UnsupportedFeatureError, match="does not reason"):
        client.prepare_completion(CompletionRequest("hi", additional_model_request_fields={"thinking": {}}))
    assert encode_completion(LARGE_3, "converse", CompletionRequest("hi")).api == "converse"
