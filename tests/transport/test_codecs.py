"""Codec unit tests: neutral types <-> wire bodies, with plain dicts (no I/O)."""

from __future__ import annotations

import json

import pytest

from bedrock_mistral import (
    ChatRequest,
    CompletionRequest,
    ImagePart,
    InferenceParams,
    Message,
    ResponseFormat,
    ToolCall,
    ToolSpec,
)
from bedrock_mistral.catalog import resolve
from bedrock_mistral.codecs import decode, encode_chat, encode_completion, response_to_deltas, stream_decoder
from bedrock_mistral.codecs.stop_sequences import StopScanner
from bedrock_mistral.codecs.tool_ids import mistral_tool_call_id
from bedrock_mistral.errors import StreamIncompleteError
from bedrock_mistral.tool_arguments import parse_arguments

LARGE2 = resolve("mistral.mistral-large-2407-v1:0")
M7B = resolve("mistral.mistral-7b-instruct-v0:2")
PIXTRAL = resolve("mistral.pixtral-large-2502-v1:0")
LARGE3 = resolve("mistral.mistral-large-3-675b-instruct")
WEATHER = ToolSpec(
    "get_weather", "Weather in a city", {"type": "object", "properties": {"city": {"type": "string"}}}
)
CALL = ToolCall("call_abc123", "get_weather", {"city": "Paris"})
TOOL_TURNS = (
    Message("system", "Be brief."),
    Message("user", "Weather in Paris?"),
    Message("assistant", "Let me check.", (CALL,)),
    Message("tool", "sunny", tool_call_id="call_abc123"),
)


def test_text_completion_sends_stop_not_stop_sequences() -> None:
    encoded = encode_completion(
        M7B, "invoke", CompletionRequest("Hello", InferenceParams(max_tokens=5, stop=("\n",), top_k=50))
    )
    assert encoded.payload == {
        "prompt": encoded.payload["prompt"],
        "max_tokens": 5,
        "stop": ["\n"],
        "top_k": 50,
    }
    assert encoded.payload["prompt"].startswith("<s>[INST]") and "Hello" in encoded.payload["prompt"]


def test_templated_prompt_is_sent_as_given() -> None:
    prompt = "<s>[INST] What is your favourite condiment? [/INST]"
    assert encode_completion(M7B, "invoke", CompletionRequest(prompt)).payload["prompt"] == prompt


def test_chat_format_tools_and_ids() -> None:
    encoded = encode_chat(LARGE2, "invoke", ChatRequest(TOOL_TURNS, tools=(WEATHER,), tool_choice="any"))
    body = encoded.payload
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    call_id = body["messages"][2]["tool_calls"][0]["id"]
    assert len(call_id) == 9 and call_id.isalnum() and call_id == mistral_tool_call_id("call_abc123")
    assert body["messages"][3]["tool_call_id"] == call_id
    assert json.loads(body["messages"][2]["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    assert body["tools"][0]["function"]["name"] == "get_weather" and body["tool_choice"] == "any"
    assert encoded.can_stream  # the chat format streams tool calls whole


def test_named_tool_choice_offers_only_that_tool() -> None:
    other = ToolSpec("get_time", "Time", {"type": "object", "properties": {}})
    body = encode_chat(
        LARGE2, "invoke", ChatRequest(TOOL_TURNS[:2], tools=(WEATHER, other), tool_choice="get_time")
    ).payload
    assert [t["function"]["name"] for t in body["tools"]] == ["get_time"] and body["tool_choice"] == "any"
    kwargs = encode_chat(
        LARGE2, "converse", ChatRequest(TOOL_TURNS[:2], tools=(WEATHER, other), tool_choice="get_time")
    ).payload
    assert [t["toolSpec"]["name"] for t in kwargs["toolConfig"]["tools"]] == ["get_time"]
    assert kwargs["toolConfig"]["toolChoice"] == {"any": {}}


def test_converse_rules() -> None:
    encoded = encode_chat(LARGE2, "converse", ChatRequest(TOOL_TURNS, tools=(WEATHER,)))
    kwargs = encoded.payload
    assert kwargs["system"] == [{"text": "Be brief."}]
    roles = [m["role"] for m in kwargs["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert all("toolUse" in b for b in kwargs["messages"][1]["content"])  # text dropped beside toolUse
    assert "toolResult" in kwargs["messages"][2]["content"][0]
    assert not encoded.can_stream  # Mistral cannot stream tool use over ConverseStream


def test_converse_system_folded_for_7b() -> None:
    kwargs = encode_chat(
        M7B, "converse", ChatRequest((Message("system", "Be brief."), Message("user", "hi")))
    ).payload
    assert "system" not in kwargs
    assert kwargs["messages"][0]["content"][0]["text"] == "Be brief.\n\nhi"


def test_converse_tool_config_kept_for_tool_history_without_tools() -> None:
    kwargs = encode_chat(LARGE2, "converse", ChatRequest(TOOL_TURNS)).payload
    assert kwargs["toolConfig"]["tools"][0]["toolSpec"]["name"] == "get_weather"


def test_converse_output_config_and_images() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    kwargs = encode_chat(
        LARGE3,
        "converse",
        ChatRequest((Message("user", "capital?"),), response_format=ResponseFormat(schema, "City")),
    ).payload
    structure = kwargs["outputConfig"]["textFormat"]["structure"]["jsonSchema"]
    assert json.loads(structure["schema"]) == schema and structure["name"] == "City"
    image = Message("user", [ImagePart(b"\x89PNG", "png")])
    kwargs = encode_chat(PIXTRAL, "converse", ChatRequest((image,))).payload
    assert kwargs["messages"][0]["content"][0]["image"]["source"]["bytes"] == b"\x89PNG"


def test_chat_decode_keeps_malformed_arguments() -> None:
    body = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"id": "abcDEF123", "function": {"name": "f", "arguments": "{not json"}}],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    encoded = encode_chat(LARGE2, "invoke", ChatRequest((Message("user", "x"),)))
    response = decode(
        encoded, body, {"X-Amzn-Bedrock-Input-Token-Count": "3", "X-Amzn-Bedrock-Output-Token-Count": "4"}
    )
    call = response.tool_calls[0]
    assert call.invalid and call.raw_arguments == "{not json" and call.arguments == {}
    assert response.stop_reason == "tool_calls" and response.raw_stop_reason == "tool_calls"
    assert response.usage is not None and response.usage.total_tokens == 7


def test_chat_client_side_stop() -> None:
    encoded = encode_chat(
        LARGE2, "invoke", ChatRequest((Message("user", "x"),), params=InferenceParams(stop=("END",)))
    )
    assert "stop" not in encoded.payload
    body = {
        "choices": [{"message": {"role": "assistant", "content": "one two END three"}, "stop_reason": "stop"}]
    }
    assert decode(encoded, body, {}).text == "one two "
    decoder = stream_decoder(encoded)
    text = ""
    for piece in ["one ", "two E", "N", "D three"]:
        for delta in decoder.feed({"choices": [{"message": {"content": piece}, "stop_reason": None}]}):
            text += delta.text
    decoder.feed({"choices": [{"message": {"content": ""}, "stop_reason": "stop"}]})
    assert text == "one two "


def test_stop_scanner_releases_false_starts() -> None:
    scanner = StopScanner(("STOP",))
    out = scanner.feed("a ST") + scanner.feed("ART b") + scanner.flush()
    assert out == "a START b"


def test_chat_stream_without_final_chunk_is_incomplete() -> None:
    decoder = stream_decoder(encode_chat(LARGE2, "invoke", ChatRequest((Message("user", "x"),))))
    decoder.feed({"choices": [{"message": {"role": "assistant", "content": "partial"}, "stop_reason": None}]})
    with pytest.raises(StreamIncompleteError) as info:
        decoder.finish()
    assert info.value.partial_text == "partial"


def test_response_to_deltas_round_trip() -> None:
    encoded = encode_chat(LARGE2, "invoke", ChatRequest((Message("user", "x"),)))
    body = {
        "choices": [
            {
                "message": {
                    "content": " Hello  world\n",
                    "tool_calls": [{"id": "abcDEF123", "function": {"name": "f", "arguments": '{"a": 1}'}}],
                },
                "stop_reason": "tool_calls",
            }
        ]
    }
    response = decode(encoded, body, {})
    deltas = response_to_deltas(response)
    assert "".join(d.text for d in deltas) == " Hello  world\n"
    calls = [d.tool_call for d in deltas if d.tool_call]
    assert calls[0] is not None and calls[0].name == "f" and json.loads(calls[0].arguments) == {"a": 1}
    assert deltas[-1].stop_reason == "tool_calls"


@pytest.mark.parametrize(
    "raw, expected",
    [('{"a": 1}', {"a": 1}), ({"a": 1}, {"a": 1}), ("", {}), (None, {}), ("[1]", {}), ("nope", {})],
)
def test_parse_arguments_never_raises(raw: object, expected: dict) -> None:
    assert parse_arguments(raw)[0] == expected
