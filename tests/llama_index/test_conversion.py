"""Message, tool and stream conversion between LlamaIndex and the neutral types (pure, no I/O)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.tools import FunctionTool

from bedrock_mistral.errors import UnsupportedFeatureError
from bedrock_mistral.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    ModelResponse,
    ReasoningPart,
    StreamDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from llama_index_bedrock_mistral import messages as convert
from llama_index_bedrock_mistral import tools as tooling

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_roles_and_text() -> None:
    messages = convert.to_neutral_messages(
        [
            ChatMessage(role=MessageRole.SYSTEM, content="Be brief."),
            ChatMessage(role=MessageRole.DEVELOPER, content="Be kind."),
            ChatMessage(role=MessageRole.USER, content="Hi"),
            ChatMessage(role=MessageRole.ASSISTANT, content="Hello"),
            ChatMessage(role=MessageRole.USER, blocks=[TextBlock(text="a"), TextBlock(text="b")]),
        ]
    )
    assert messages == (
        Message("system", "Be brief."),
        Message("system", "Be kind."),
        Message("user", "Hi"),
        Message("assistant", "Hello"),
        Message("user", "a\nb"),
    )


def test_images_and_documents_become_parts() -> None:
    message = convert.to_neutral(
        ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="What is this?"),
                ImageBlock(image=PNG, image_mimetype="image/png"),
                DocumentBlock(data=b"hello", document_mimetype="text/plain", title="notes"),
            ],
        )
    )
    assert isinstance(message.content, list)
    text, image, document = message.content
    assert text == TextPart("What is this?")
    assert image == ImagePart(PNG, "png")
    assert document == DocumentPart(b"hello", "txt", "notes")


def test_audio_becomes_an_audio_part() -> None:
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"
    message = convert.to_neutral(ChatMessage(role="user", blocks=[AudioBlock(audio=wav, format="wav")]))
    assert message.content == [AudioPart(wav, "wav")]


def test_video_is_refused_clearly() -> None:
    with pytest.raises(UnsupportedFeatureError, match="VideoBlock"):
        convert.to_neutral(ChatMessage(role="user", blocks=[VideoBlock(video=b"\x00\x00\x00\x18ftypmp42")]))


def test_tool_calls_are_read_from_blocks_first() -> None:
    message = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="hmm"),
            ToolCallBlock(tool_call_id="abcDEF123", tool_name="add", tool_kwargs={"a": 1, "b": 2}),
            ToolCallBlock(tool_call_id="xyz", tool_name="bad", tool_kwargs='{"a": '),
        ],
        additional_kwargs={"tool_calls": [{"id": "ignored", "function": {"name": "x", "arguments": "{}"}}]},
    )
    neutral = convert.to_neutral(message)
    assert neutral.content == [ReasoningPart("hmm")]  # the thinking goes back; no text
    assert neutral.tool_calls[0] == ToolCall("abcDEF123", "add", {"a": 1, "b": 2})
    bad = neutral.tool_calls[1]
    assert (bad.name, bad.arguments, bad.raw_arguments) == ("bad", {}, '{"a": ')
    assert bad.invalid


@pytest.mark.parametrize(
    "raw",
    [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}},
        {"id": "c1", "function": {"name": "add", "arguments": {"a": 1}}},
        {"toolUseId": "c1", "name": "add", "input": {"a": 1}},
        {"tool_id": "c1", "tool_name": "add", "tool_kwargs": {"a": 1}},
    ],
)
def test_tool_calls_in_additional_kwargs(raw: dict[str, Any]) -> None:
    message = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [raw]})
    assert convert.to_neutral(message).tool_calls[0].name == "add"
    assert convert.to_neutral(message).tool_calls[0].arguments == {"a": 1}
    assert convert.to_neutral(message).tool_calls[0].id == "c1"


def test_tool_result_message() -> None:
    message = ChatMessage(
        role=MessageRole.TOOL,
        content="5",
        additional_kwargs={"tool_call_id": "c1", "name": "add", "is_error": True},
    )
    assert convert.to_neutral(message) == Message("tool", "5", tool_call_id="c1", name="add", is_error=True)


def test_response_with_tool_calls_and_usage() -> None:
    response = convert.to_chat_response(
        ModelResponse(
            text="",
            tool_calls=(ToolCall("abcDEF123", "add", {"a": 1}),),
            stop_reason="tool_calls",
            usage=Usage(10, 3),
            model_id="m",
            api="invoke",
        )
    )
    blocks = response.message.blocks
    assert blocks == [ToolCallBlock(tool_call_id="abcDEF123", tool_name="add", tool_kwargs={"a": 1})]
    assert response.message.additional_kwargs["tool_calls"] == [
        {"id": "abcDEF123", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
    ]
    assert response.raw is not None
    assert response.raw["usage"] == {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
    assert response.raw["stop_reason"] == "tool_calls"
    # What comes back is what goes out: the assistant turn round-trips.
    assert convert.to_neutral(response.message).tool_calls == (ToolCall("abcDEF123", "add", {"a": 1}),)


def test_reasoning_becomes_a_thinking_block_and_goes_back_with_its_signature() -> None:
    parts = (ReasoningPart("think", signature="sig-1"),)
    response = convert.to_chat_response(ModelResponse(text="42", reasoning="think", reasoning_parts=parts))
    block = response.message.blocks[0]
    assert isinstance(block, ThinkingBlock)
    assert block.content == "think" and block.additional_information == {"signature": "sig-1"}
    assert response.message.content == "42"
    assert convert.to_neutral(response.message) == Message("assistant", [parts[0], TextPart("42")])


def test_redacted_reasoning_round_trips_through_a_thinking_block() -> None:
    parts = (ReasoningPart(redacted=b"\x00secret\xff"),)
    response = convert.to_chat_response(ModelResponse(text="ok", reasoning_parts=parts))
    assert convert.to_neutral(response.message).content == [parts[0], TextPart("ok")]


def test_stream_accumulator_keeps_the_whole_message_and_usage_on_the_last_chunk() -> None:
    acc = convert.StreamAccumulator(raw={"model_id": "m"})
    deltas = [
        StreamDelta(role="assistant"),
        StreamDelta(text="Let me "),
        StreamDelta(text="check."),
        StreamDelta(tool_call=ToolCallDelta(0, "tooluse_1", "get_weather", '{"ci')),
        StreamDelta(tool_call=ToolCallDelta(0, arguments='ty": "Paris"}')),
        StreamDelta(stop_reason="tool_calls", raw_stop_reason="tool_use"),
        StreamDelta(usage=Usage(7, 2)),
    ]
    chunks: list[ChatResponse] = []
    for delta in deltas:
        step = acc.feed(delta)
        if step is not None:
            chunks.append(acc.chat_chunk(*step))
    assert len(chunks) == 6  # the role-only delta carries nothing
    assert "".join(c.delta or "" for c in chunks) == "Let me check."
    partial = chunks[2].message.blocks[-1]
    assert isinstance(partial, ToolCallBlock) and partial.tool_kwargs == '{"ci'
    assert tooling.tool_selections(chunks[2])[0].tool_kwargs == {}  # tolerated mid-stream, not an error
    last = chunks[-1]
    assert last.message.content == "Let me check."
    assert tooling.tool_selections(last)[0].tool_kwargs == {"city": "Paris"}
    assert last.raw == {
        "model_id": "m",
        "stop_reason": "tool_calls",
        "raw_stop_reason": "tool_use",
        "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
    }
    assert "usage" not in chunks[0].raw


def test_a_finished_answer_with_malformed_arguments_is_not_repaired() -> None:
    """Mid-stream, partial JSON is completed; in a finished answer it is not (no invented arguments)."""
    response = convert.to_chat_response(
        ModelResponse(
            text="",
            tool_calls=(ToolCall("c1", "get_weather", {}, '{"city": "Par', "arguments are not valid JSON"),),
            stop_reason="tool_calls",
        )
    )
    assert [s.tool_kwargs for s in tooling.tool_selections(response)] == [{}]
    acc = convert.StreamAccumulator()
    acc.feed(StreamDelta(tool_call=ToolCallDelta(0, "c1", "get_weather", '{"city": "Par')))
    assert tooling.tool_selections(acc.chat_chunk("", ""))[0].tool_kwargs == {"city": None}  # still streaming
    acc.feed(StreamDelta(stop_reason="tool_calls"))
    assert tooling.tool_selections(acc.chat_chunk("", ""))[0].tool_kwargs == {}


# --- tools -------------------------------------------------------------------------------------------


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_tool_spec_from_a_function_tool() -> None:
    spec = tooling.tool_spec(FunctionTool.from_defaults(add))
    assert spec.name == "add"
    assert "Add two integers." in spec.description
    assert spec.parameters["required"] == ["a", "b"]
    assert spec.parameters["properties"]["a"]["type"] == "integer"


@pytest.mark.parametrize(
    ("choice", "required", "expected"),
    [
        (None, False, None),
        (None, True, "any"),
        ("auto", True, "any"),
        ("auto", False, "auto"),
        ("required", False, "any"),
        ("none", False, "none"),
        ("add", False, "add"),
        ({"type": "function", "function": {"name": "add"}}, False, "add"),
        ({"tool": {"name": "add"}}, False, "add"),
        ({"any": {}}, False, "any"),
        ({"type": "required"}, False, "any"),
    ],
)
def test_tool_choice_spellings(choice: Any, required: bool, expected: str | None) -> None:
    assert tooling.tool_choice(choice, required) == expected


def test_tool_choice_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="tool_choice"):
        tooling.tool_choice({"bogus": 1})


def test_no_tool_call() -> None:
    response = ChatResponse(message=ChatMessage(role="assistant", content="plain"))
    assert tooling.tool_selections(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="tool call"):
        tooling.tool_selections(response)


def test_selections_from_additional_kwargs_only() -> None:
    message = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [{"id": "c1", "function": {"name": "add", "arguments": '{"a": 1, "b"'}}]
        },
    )
    (selection,) = tooling.tool_selections(ChatResponse(message=message))
    assert (selection.tool_id, selection.tool_name) == ("c1", "add")
    assert selection.tool_kwargs == {"a": 1}  # the half-written member is dropped, the rest kept


def test_keep_first_tool_call() -> None:
    calls = [("c1", "add", {"a": 1}, '{"a": 1}'), ("c2", "add", {"a": 2}, '{"a": 2}')]
    response = ChatResponse(message=convert.assistant_message("", calls))
    trimmed = tooling.keep_first_tool_call(response)
    assert [s.tool_id for s in tooling.tool_selections(trimmed)] == ["c1"]
    assert len(trimmed.message.additional_kwargs["tool_calls"]) == 1
    assert json.loads(trimmed.message.additional_kwargs["tool_calls"][0]["function"]["arguments"]) == {"a": 1}
