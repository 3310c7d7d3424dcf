"""LangChain messages -> neutral messages, and neutral responses/deltas -> LangChain messages (pure)."""

from __future__ import annotations

import base64

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from bedrock_mistral.errors import InvalidRequestError
from bedrock_mistral.types import (
    DocumentPart,
    ImagePart,
    Message,
    Metrics,
    ModelResponse,
    ReasoningPart,
    StreamDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from langchain_bedrock_mistral.messages import ChunkAssembler, from_response, to_message, to_messages

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
B64 = base64.b64encode(PNG).decode()


def test_roles_and_text() -> None:
    out = to_messages(
        [
            SystemMessage("be brief"),
            HumanMessage("hi", name="ann"),
            AIMessage("hello"),
            ChatMessage("x", role="user"),
        ]
    )
    assert out == (
        Message("system", [TextPart("be brief")]),
        Message("user", [TextPart("hi")]),
        Message("assistant", [TextPart("hello")]),
        Message("user", [TextPart("x")]),
    )


def test_ai_tool_calls_and_invalid_calls_are_kept() -> None:
    message = AIMessage(
        "",
        tool_calls=[{"name": "add", "args": {"a": 1}, "id": "call_1", "type": "tool_call"}],
        invalid_tool_calls=[
            {"name": "add", "args": "{oops", "id": "call_2", "error": "bad", "type": "invalid_tool_call"}
        ],
    )
    converted = to_message(message)
    assert converted.tool_calls == (
        ToolCall("call_1", "add", {"a": 1}),
        ToolCall("call_2", "add", {}, raw_arguments="{oops", invalid="bad"),
    )


def test_tool_message_error_status() -> None:
    ok = to_message(ToolMessage("3", tool_call_id="c1", name="add"))
    failed = to_message(ToolMessage("boom", tool_call_id="c1", status="error"))
    assert (ok.role, ok.tool_call_id, ok.name, ok.is_error) == ("tool", "c1", "add", False)
    assert failed.is_error is True


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{B64}"}},
        {"type": "image_url", "image_url": f"data:image/png;base64,{B64}"},
        {"type": "image", "base64": B64, "mime_type": "image/png"},  # v1
        {"type": "image", "source_type": "base64", "data": B64, "mime_type": "image/png"},  # v0
        {"type": "image", "url": f"data:image/png;base64,{B64}"},  # v1 data URL
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": B64}},  # Anthropic
        {"type": "image", "base64": B64},  # no mime type: sniffed from the bytes
    ],
)
def test_image_block_forms(block: dict) -> None:
    message = to_message(HumanMessage([{"type": "text", "text": "what is this?"}, block]))
    assert message.content == [TextPart("what is this?"), ImagePart(PNG, "png")]


def test_jpg_mime_means_jpeg() -> None:
    part = to_message(HumanMessage([{"type": "image", "base64": B64, "mime_type": "image/jpg"}])).parts[0]
    assert isinstance(part, ImagePart) and part.format == "jpeg"


def test_http_image_urls_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidRequestError, match="not a data URL"):
        to_message(HumanMessage([{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]))


def test_file_blocks_become_documents() -> None:
    pdf = base64.b64encode(b"%PDF-1.4").decode()
    message = to_message(
        HumanMessage(
            [
                {
                    "type": "file",
                    "base64": pdf,
                    "mime_type": "application/pdf",
                    "extras": {"filename": "r.pdf"},
                },
                {
                    "type": "file",
                    "file": {"filename": "q.pdf", "file_data": f"data:application/pdf;base64,{pdf}"},
                },
            ]
        )
    )
    assert message.content == [DocumentPart(b"%PDF-1.4", "pdf", "r"), DocumentPart(b"%PDF-1.4", "pdf", "q")]


def test_reasoning_blocks_become_reasoning_and_tool_use_blocks_are_skipped() -> None:
    message = AIMessage(
        [
            {"type": "thinking", "thinking": "hmm", "signature": "x"},
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
        ],
        tool_calls=[{"name": "f", "args": {}, "id": "t1", "type": "tool_call"}],
    )
    converted = to_message(message)
    assert converted.content == [ReasoningPart("hmm", signature="x"), TextPart("Let me look.")]
    assert converted.text == "Let me look."
    assert [c.name for c in converted.tool_calls] == ["f"]


def test_reasoning_blocks_in_a_user_message_are_skipped() -> None:
    converted = to_message(HumanMessage([{"type": "reasoning", "reasoning": "x"}, {"type": "text", "text": "Hi"}]))
    assert converted.content == [TextPart("Hi")]


def test_unknown_blocks_and_messages_fail_clearly() -> None:
    with pytest.raises(InvalidRequestError, match="'video'"):
        to_message(HumanMessage([{"type": "video", "base64": "AAAA", "mime_type": "video/mp4"}]))
    with pytest.raises(InvalidRequestError, match="FunctionMessage"):
        to_message(FunctionMessage("x", name="f"))


def test_response_to_ai_message() -> None:
    response = ModelResponse(
        text="",
        tool_calls=(
            ToolCall("abcdefghi", "add", {"a": 1}),
            ToolCall("bcdefghij", "add", {}, raw_arguments='"{a: 1"', invalid="arguments are not valid JSON"),
        ),
        stop_reason="tool_calls",
        raw_stop_reason="tool_calls",
        usage=Usage(10, 5),
        metrics=Metrics(latency_ms=12),
        model_id="mistral.mistral-large-2407-v1:0",
        api="invoke",
        request_id="rid",
    )
    message = from_response(response, "fallback")
    assert message.tool_calls == [{"name": "add", "args": {"a": 1}, "id": "abcdefghi", "type": "tool_call"}]
    assert message.invalid_tool_calls[0]["args"] == '"{a: 1"'
    assert message.invalid_tool_calls[0]["error"] == "arguments are not valid JSON"
    assert message.usage_metadata == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    meta = message.response_metadata
    assert meta["model_name"] == "mistral.mistral-large-2407-v1:0"
    assert (meta["finish_reason"], meta["stop_reason"]) == ("tool_calls", "tool_calls")
    assert meta["metrics"] == {"latency_ms": 12}
    assert meta["model_provider"] == "bedrock_mistral"


def test_chunk_assembler_puts_usage_and_stop_on_one_last_chunk() -> None:
    assembler = ChunkAssembler("m", "converse")
    deltas = [
        StreamDelta(role="assistant"),
        StreamDelta(text="Hi"),
        StreamDelta(tool_call=ToolCallDelta(0, "t1", "add", "")),
        StreamDelta(tool_call=ToolCallDelta(0, arguments='{"a": 1}')),
        StreamDelta(stop_reason="tool_calls", raw_stop_reason="tool_use"),
        StreamDelta(usage=Usage(3, 4), metrics=Metrics(latency_ms=5)),
    ]
    chunks = [c for c in (assembler.feed(d) for d in deltas) if c is not None]
    full = chunks[0]
    for chunk in [*chunks[1:], assembler.final()]:
        full = full + chunk
    assert full.content == "Hi"
    assert full.tool_calls == [{"name": "add", "args": {"a": 1}, "id": "t1", "type": "tool_call"}]
    assert full.usage_metadata == {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
    assert full.response_metadata["stop_reason"] == "tool_use"
    assert full.chunk_position == "last"
