"""LlamaIndex messages and responses <-> the neutral `bedrock_mistral` types.

Only translation lives here: which Bedrock body a message becomes is decided by `bedrock_mistral`.
Tool calls are written both as `ToolCallBlock` content blocks (what llama-index-core's agents and memory
read) and as OpenAI-style dicts in `additional_kwargs["tool_calls"]` (what older LlamaIndex code reads);
both spellings are read back, blocks first.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.base.llms.generic_utils import messages_to_prompt as generic_messages_to_prompt
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    CitableBlock,
    CitationBlock,
    CompletionResponse,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.llms.llm import default_completion_to_prompt

from bedrock_mistral import media
from bedrock_mistral.errors import InvalidRequestError, UnsupportedFeatureError
from bedrock_mistral.prompt import render_prompt
from bedrock_mistral.response_formats import parse_response_format, schema_format
from bedrock_mistral.tool_call_forms import tool_call_from_mapping, tool_result_id
from bedrock_mistral.types import (
    AudioPart,
    ContentPart,
    DocumentPart,
    ImagePart,
    Message,
    ModelResponse,
    ReasoningPart,
    ResponseFormat,
    Role,
    StreamDelta,
    TextPart,
    ToolCall,
    Usage,
)

_ROLES: dict[MessageRole, Role] = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "system",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}

# --- LlamaIndex -> neutral -------------------------------------------------------------------------


def _image_part(block: ImageBlock) -> ImagePart:
    return media.image(block.resolve_image(as_base64=False).read(), block.image_mimetype)


def _document_part(block: DocumentBlock) -> DocumentPart:
    data = block.resolve_document().read()
    return media.document(data, block.document_mimetype, block.title, default_format="txt")


def _audio_part(block: AudioBlock) -> AudioPart:
    """An AudioBlock's bytes (inline, a path or a data URL) and its format (`wav`, `audio/mpeg`, ...)."""
    return media.audio(block.resolve_audio(as_base64=False).read(), block.format)


def _thinking_part(block: ThinkingBlock) -> ReasoningPart | None:
    """A ThinkingBlock as reasoning to send back: its text and signature, or redacted content."""
    info = block.additional_information
    redacted = info.get("redacted_content")
    if isinstance(redacted, str):
        try:
            return ReasoningPart(redacted=base64.b64decode(redacted, validate=True))
        except (binascii.Error, ValueError):
            return None
    if isinstance(redacted, bytes):
        return ReasoningPart(redacted=redacted)
    if not block.content:
        return None
    signature = info.get("signature")
    return ReasoningPart(text=block.content, signature=signature if isinstance(signature, str) else None)


def _parts(blocks: Sequence[Any], assistant: bool = False) -> list[ContentPart]:
    parts: list[ContentPart] = []
    for block in blocks:
        if isinstance(block, ThinkingBlock):
            reasoning = _thinking_part(block) if assistant else None
            if reasoning is not None:
                parts.append(reasoning)
        elif isinstance(block, TextBlock):
            parts.append(TextPart(block.text))
        elif isinstance(block, ImageBlock):
            parts.append(_image_part(block))
        elif isinstance(block, DocumentBlock):
            parts.append(_document_part(block))
        elif isinstance(block, CitableBlock):
            parts.extend(_parts(block.content))
        elif isinstance(block, CitationBlock):
            parts.extend(_parts([block.cited_content]))
        elif isinstance(block, AudioBlock):
            parts.append(_audio_part(block))
        elif isinstance(block, VideoBlock):
            raise UnsupportedFeatureError(
                "VideoBlock content cannot be sent to Mistral on Bedrock: no Mistral model there takes video"
            )
        # ToolCallBlock and CachePoint carry no content to send as such.
    return parts


def _content(parts: list[ContentPart]) -> str | list[ContentPart]:
    """Plain text stays a string (every wire format takes it); mixed content stays a part list."""
    if all(isinstance(p, TextPart) for p in parts):
        return "\n".join(p.text for p in parts if isinstance(p, TextPart))
    return parts


def tool_calls_of(message: ChatMessage) -> tuple[ToolCall, ...]:
    """The tool calls an assistant message made: ToolCallBlocks, else `additional_kwargs["tool_calls"]`."""
    calls = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            calls.append(ToolCall.from_raw(block.tool_call_id or "", block.tool_name, block.tool_kwargs))
    if calls:
        return tuple(calls)
    for raw in message.additional_kwargs.get("tool_calls") or []:
        if not isinstance(raw, Mapping):
            dump = getattr(raw, "model_dump", None)
            raw = dump() if callable(dump) else vars(raw) if hasattr(raw, "__dict__") else {}
        call = tool_call_from_mapping(raw)
        if call is not None:
            calls.append(call)
    return tuple(calls)


def to_neutral(message: ChatMessage) -> Message:
    role = _ROLES.get(message.role)
    if role is None:
        raise UnsupportedFeatureError(f"message role {message.role!r} has no Bedrock equivalent")
    kwargs = message.additional_kwargs
    if role == "user" and not message.blocks:
        raise InvalidRequestError(
            "a user ChatMessage has no content (LlamaIndex keeps no block for content=None or bytes): "
            "pass the text as a str, or content blocks (TextBlock, ImageBlock, DocumentBlock, AudioBlock)"
        )
    content = _content(_parts(message.blocks, assistant=role == "assistant"))
    if role == "tool":
        return Message(
            role="tool",
            content=content,
            tool_call_id=tool_result_id(kwargs),
            name=kwargs.get("name") or kwargs.get("tool_name"),
            is_error=bool(kwargs.get("is_error", False)),
        )
    tool_calls = tool_calls_of(message) if role == "assistant" else ()
    return Message(role=role, content=content, tool_calls=tool_calls)


def to_neutral_messages(messages: Sequence[ChatMessage]) -> tuple[Message, ...]:
    return tuple(to_neutral(m) for m in messages)


# --- templates and response formats ---------------------------------------------------------------


@dataclass(frozen=True)
class MistralTemplate:
    """Default `messages_to_prompt` / `completion_to_prompt` for text-completion models: the shared
    Mistral instruct template, so a prompt formatted by LlamaIndex matches what the transport sends."""

    tokenizer: str

    def messages_to_prompt(self, messages: Sequence[ChatMessage]) -> str:
        return render_prompt(to_neutral_messages(messages), self.tokenizer)

    def completion_to_prompt(self, completion: str) -> str:
        return render_prompt((Message("user", completion),), self.tokenizer)


def is_custom_template(fn: Any) -> bool:
    """A template the user supplied: neither ours nor the generic default LlamaIndex puts in when none
    is given (any other function, LlamaIndex's ChatML helpers included, is the user's choice)."""
    if fn is None or isinstance(getattr(fn, "__self__", None), MistralTemplate):
        return False
    return fn is not generic_messages_to_prompt and fn is not default_completion_to_prompt


def response_format(value: Any) -> ResponseFormat | None:
    """A pydantic class, or any spelling `bedrock_mistral.response_formats` reads (a JSON schema, OpenAI's
    `{"type": "json_object"|"json_schema"}`, True)."""
    if isinstance(value, type) and issubclass(value, BaseModel):
        return schema_format(value.model_json_schema())
    return parse_response_format(value)


# --- neutral -> LlamaIndex -------------------------------------------------------------------------


def usage_dict(usage: Usage) -> dict[str, int]:
    """OpenAI key names: what `TokenCountingHandler` reads from `raw["usage"]`."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }


def openai_tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _arguments_text(call: ToolCall) -> str:
    return call.raw_arguments if call.invalid and call.raw_arguments else json.dumps(call.arguments)


def raw_of(response: ModelResponse) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "model_id": response.model_id,
        "api": response.api,
        "stop_reason": response.stop_reason,
        "raw_stop_reason": response.raw_stop_reason,
        "request_id": response.request_id,
        "metrics": {
            "latency_ms": response.metrics.latency_ms,
            "first_byte_latency_ms": response.metrics.first_byte_latency_ms,
        },
    }
    if response.usage is not None:
        raw["usage"] = usage_dict(response.usage)
    if response.service_tier is not None:
        raw["service_tier"] = response.service_tier
    return raw


def thinking_blocks(parts: Sequence[ReasoningPart]) -> list[ThinkingBlock]:
    """Reasoning as ThinkingBlocks; the signature (or redacted content, base64) in `additional_information`."""
    blocks = []
    for part in parts:
        if part.redacted is not None:
            info = {"redacted_content": base64.b64encode(part.redacted).decode("ascii")}
            blocks.append(ThinkingBlock(content=None, additional_information=info))
        else:
            info = {"signature": part.signature} if part.signature else {}
            blocks.append(ThinkingBlock(content=part.text, additional_information=info))
    return blocks


def assistant_message(
    text: str,
    calls: Sequence[tuple[str, str, dict[str, Any] | str, str]],
    reasoning: Sequence[ReasoningPart] = (),
) -> ChatMessage:
    """`calls` are (id, name, arguments as object or partial text, arguments as JSON text)."""
    blocks: list[Any] = list(thinking_blocks(reasoning))
    if text or not calls:
        blocks.append(TextBlock(text=text))
    blocks.extend(ToolCallBlock(tool_call_id=i, tool_name=n, tool_kwargs=kw) for i, n, kw, _ in calls)
    additional: dict[str, Any] = {}
    if calls:
        additional["tool_calls"] = [openai_tool_call(i, n, text_args) for i, n, _, text_args in calls]
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=additional)


def to_chat_response(response: ModelResponse) -> ChatResponse:
    calls = [
        (c.id, c.name, c.arguments if not c.invalid else (c.raw_arguments or ""), _arguments_text(c))
        for c in response.tool_calls
    ]
    reasoning = response.reasoning_parts or ((ReasoningPart(response.reasoning),) if response.reasoning else ())
    return ChatResponse(message=assistant_message(response.text, calls, reasoning), raw=raw_of(response))


def to_completion_response(response: ModelResponse) -> CompletionResponse:
    return CompletionResponse(text=response.text, raw=raw_of(response))


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: str = ""

    def kwargs(self) -> dict[str, Any] | str:
        """The parsed object once the JSON is complete; the partial text until then."""
        try:
            value = json.loads(self.arguments) if self.arguments else {}
        except ValueError:
            return self.arguments
        return value if isinstance(value, dict) else self.arguments


@dataclass
class StreamAccumulator:
    """Folds stream deltas into the cumulative responses LlamaIndex streams carry.

    Every chunk holds the whole message so far, so the last chunk (which callbacks and agents keep) has
    the full text, all tool calls and, once Bedrock sent it, `raw["usage"]`.
    """

    text: str = ""
    reasoning: str = ""
    reasoning_signature: str | None = None
    redacted: list[bytes] = field(default_factory=list)
    calls: dict[int, _PendingCall] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def feed(self, delta: StreamDelta) -> tuple[str, str] | None:
        """Record a delta; returns (text delta, reasoning delta), or None when it carries nothing."""
        if delta.text:
            self.text += delta.text
        if delta.reasoning:
            self.reasoning += delta.reasoning
        if delta.reasoning_signature:
            self.reasoning_signature = delta.reasoning_signature
        if delta.redacted_reasoning is not None:
            self.redacted.append(delta.redacted_reasoning)
        if delta.tool_call is not None:
            piece = delta.tool_call
            pending = self.calls.setdefault(piece.index, _PendingCall())
            pending.id = piece.id or pending.id
            pending.name = piece.name or pending.name
            pending.arguments += piece.arguments
        if delta.stop_reason is not None:
            self.raw["stop_reason"] = delta.stop_reason
            self.raw["raw_stop_reason"] = delta.raw_stop_reason
        if delta.usage is not None:
            self.raw["usage"] = usage_dict(delta.usage)
        if delta.service_tier is not None:
            self.raw["service_tier"] = delta.service_tier
        if delta.metrics is not None:
            self.raw["metrics"] = {
                "latency_ms": delta.metrics.latency_ms,
                "first_byte_latency_ms": delta.metrics.first_byte_latency_ms,
            }
        carries = (
            delta.text
            or delta.reasoning
            or delta.reasoning_signature
            or delta.redacted_reasoning is not None
            or delta.tool_call
            or delta.stop_reason
            or delta.usage
            or delta.metrics
            or delta.service_tier
        )
        return (delta.text, delta.reasoning) if carries else None

    def message(self) -> ChatMessage:
        calls = [(c.id, c.name, c.kwargs(), c.arguments or "{}") for _, c in sorted(self.calls.items())]
        reasoning = [ReasoningPart(self.reasoning, self.reasoning_signature)] if self.reasoning else []
        reasoning.extend(ReasoningPart(redacted=r) for r in self.redacted)
        return assistant_message(self.text, calls, reasoning)

    def chat_chunk(self, text_delta: str, reasoning_delta: str) -> ChatResponse:
        additional = {"thinking_delta": reasoning_delta} if reasoning_delta else {}
        return ChatResponse(
            message=self.message(), delta=text_delta, raw=dict(self.raw), additional_kwargs=additional
        )

    def completion_chunk(self, text_delta: str) -> CompletionResponse:
        return CompletionResponse(text=self.text, delta=text_delta, raw=dict(self.raw))


__all__ = [
    "MistralTemplate",
    "is_custom_template",
    "response_format",
    "StreamAccumulator",
    "to_chat_response",
    "to_completion_response",
    "to_neutral",
    "to_neutral_messages",
    "tool_calls_of",
    "usage_dict",
]
