"""LangChain messages <-> the transport's neutral messages, responses and stream deltas.

Only framework translation lives here. Bedrock's rules (system folding, role merging, Converse turn
shapes, tool-call id formats) are applied by `bedrock_mistral` after this hands over neutral messages.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk

from bedrock_mistral import media
from bedrock_mistral.errors import InvalidRequestError
from bedrock_mistral.stream_summary import StreamSummary
from bedrock_mistral.types import (
    AudioPart,
    ContentPart,
    DocumentPart,
    ImagePart,
    Message,
    Metrics,
    ModelResponse,
    ReasoningPart,
    Role,
    StopReason,
    StreamDelta,
    TextPart,
    ToolCall,
    Usage,
)
from langchain_bedrock_mistral.reasoning import block_reasoning, message_reasoning, reasoning_kwargs, register

MODEL_PROVIDER = "bedrock_mistral"
"""`response_metadata["model_provider"]`: names the integration that produced a message."""
register(MODEL_PROVIDER)  # content_blocks / output_version="v1" for this provider's messages

_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[^,]*)?;base64,(?P<data>.*)$", re.DOTALL)
_SKIPPED_BLOCKS = frozenset(
    {
        "tool_use",  # Anthropic-style; the message's `tool_calls` carry the same calls
        "tool_call",
        "tool_call_chunk",
        "server_tool_call",
        "server_tool_result",
        "invalid_tool_call",
    }
)
_REASONING_BLOCKS = frozenset({"thinking", "redacted_thinking", "reasoning", "reasoning_content"})
"""Read back from AI messages (sent to Bedrock as reasoning); skipped in any other message."""
_CHAT_ROLES: dict[str, Role] = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "system": "system",
    "developer": "system",
}


# --- LangChain -> neutral ------------------------------------------------------------------------


def _decode(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestError(f"content block data is not valid base64: {exc}") from exc


def _from_url(url: str, what: str) -> tuple[bytes, str | None]:
    match = _DATA_URL.match(url)
    if match is None:
        raise InvalidRequestError(
            f"{what} URL {url[:60]!r} is not a data URL: Bedrock takes the bytes themselves, so pass "
            "base64 data (a data: URL or a base64 block)"
        )
    return _decode(match.group("data")), match.group("mime")


def _image(block: Mapping[str, Any]) -> ImagePart:
    """Every LangChain image block form: OpenAI `image_url`, v0 `source_type`, v1 `base64`/`url`,
    Anthropic `source`."""
    if block.get("type") == "image_url":
        ref = block.get("image_url")
        url = ref.get("url") if isinstance(ref, Mapping) else ref
        data, mime = _from_url(str(url or ""), "image")
    elif isinstance(block.get("source"), Mapping):
        source = block["source"]
        if source.get("type") != "base64":
            raise InvalidRequestError("image source must be base64 data: Bedrock takes the bytes themselves")
        data, mime = _decode(str(source.get("data") or "")), source.get("media_type")
    elif "base64" in block or block.get("source_type") == "base64":
        data = _decode(str(block.get("base64") or block.get("data") or ""))
        mime = block.get("mime_type")
    elif "url" in block:
        data, mime = _from_url(str(block["url"]), "image")
        mime = block.get("mime_type") or mime
    else:
        raise InvalidRequestError(f"unsupported image block (file ids are not supported): {sorted(block)}")
    return media.image(data, mime)


def _audio(block: Mapping[str, Any]) -> AudioPart:
    """v1 `audio` blocks (`base64` text or raw bytes in `base64`/`data`), v0 `source_type: base64`, and
    OpenAI's `{"type": "input_audio", "input_audio": {"data", "format"}}`."""
    ref = block.get("input_audio")
    if isinstance(ref, Mapping):
        raw, mime = ref.get("data"), ref.get("format")
    elif "url" in block and not (block.get("base64") or block.get("data")):
        data, mime = _from_url(str(block["url"]), "audio")
        return media.audio(data, block.get("mime_type") or mime)
    else:
        raw, mime = block.get("base64", block.get("data")), block.get("mime_type") or block.get("format")
    if isinstance(raw, (bytes, bytearray)):
        data = bytes(raw)
    elif isinstance(raw, str):
        data = _decode(raw)
    else:
        raise InvalidRequestError(
            "audio blocks must carry their bytes (base64 text or bytes): file ids and remote URLs are not supported"
        )
    return media.audio(data, str(mime) if mime else None)


def _nested(block: Mapping[str, Any], outer: str, key: str) -> Any:
    inner = block.get(outer)
    return inner.get(key) if isinstance(inner, Mapping) else None


def _document(block: Mapping[str, Any]) -> DocumentPart:
    """A file block (v0/v1 base64, or OpenAI `file.file_data` data URL) as a Converse document."""
    ref = block.get("file")
    if isinstance(ref, Mapping):
        data, mime = _from_url(str(ref.get("file_data") or ""), "file")
        name = str(ref.get("filename") or "document")
    elif "base64" in block or block.get("source_type") == "base64":
        data, mime = _decode(str(block.get("base64") or block.get("data") or "")), block.get("mime_type")
        name = str(
            _nested(block, "extras", "filename") or _nested(block, "metadata", "filename") or "document"
        )
    else:
        raise InvalidRequestError("file blocks must carry base64 data: Bedrock takes the bytes themselves")
    return media.document(data, mime, name)


def _parts(content: str | list[Any], assistant: bool = False) -> list[ContentPart]:
    """Content blocks as neutral parts; an assistant's reasoning blocks become reasoning parts."""
    if isinstance(content, str):
        return [TextPart(content)] if content else []
    parts: list[ContentPart] = []
    for block in content:
        if isinstance(block, str):
            parts.append(TextPart(block))
            continue
        if not isinstance(block, Mapping):
            raise InvalidRequestError(f"unsupported content block {block!r}")
        kind = block.get("type")
        if kind in ("text", "text-plain") or (kind is None and "text" in block):
            if block.get("text"):
                parts.append(TextPart(str(block["text"])))
        elif kind in ("image", "image_url"):
            parts.append(_image(block))
        elif kind in ("file", "document"):
            parts.append(_document(block))
        elif kind in ("audio", "input_audio"):
            parts.append(_audio(block))
        elif kind in _REASONING_BLOCKS or (kind == "non_standard" and assistant):
            reasoning = block_reasoning(block) if assistant else None
            if reasoning is not None and (reasoning.text or reasoning.redacted is not None):
                parts.append(reasoning)
        elif kind in _SKIPPED_BLOCKS:
            continue
        else:
            raise InvalidRequestError(
                f"content block type {kind!r} is not supported: use text, image, audio or file blocks"
            )
    return parts


def _tool_calls(message: AIMessage) -> tuple[ToolCall, ...]:
    calls = [
        ToolCall(id=c.get("id") or "", name=c["name"], arguments=dict(c["args"])) for c in message.tool_calls
    ]
    for bad in message.invalid_tool_calls:
        calls.append(
            ToolCall(
                id=bad.get("id") or "",
                name=bad.get("name") or "",
                arguments={},
                raw_arguments=bad.get("args"),
                invalid=bad.get("error") or "invalid arguments",
            )
        )
    return tuple(calls)


def to_message(message: BaseMessage) -> Message:
    """One LangChain message as a neutral message."""
    if isinstance(message, SystemMessage):
        return Message("system", _parts(message.content))
    if isinstance(message, HumanMessage):
        return Message("user", _parts(message.content))
    if isinstance(message, AIMessage):
        parts = _parts(message.content, assistant=True)
        if not any(isinstance(p, ReasoningPart) for p in parts):
            parts = [*message_reasoning(message), *parts]
        return Message("assistant", parts, tool_calls=_tool_calls(message))
    if isinstance(message, ToolMessage):
        return Message(
            "tool",
            _parts(message.content),
            tool_call_id=message.tool_call_id,
            name=message.name,
            is_error=message.status == "error",
        )
    if isinstance(message, ChatMessage) and message.role.lower() in _CHAT_ROLES:
        return Message(_CHAT_ROLES[message.role.lower()], _parts(message.content))
    raise InvalidRequestError(
        f"{type(message).__name__} cannot be sent to Bedrock: use system, human, AI or tool messages"
    )


def to_messages(messages: Sequence[BaseMessage]) -> tuple[Message, ...]:
    return tuple(to_message(m) for m in messages)


# --- neutral -> LangChain ------------------------------------------------------------------------


def usage_metadata(usage: Usage) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, total_tokens=usage.total_tokens
    )


def response_metadata(
    model_name: str,
    stop_reason: StopReason | None,
    raw_stop_reason: str | None,
    metrics: Metrics | None,
    api: str,
    request_id: str | None = None,
    service_tier: str | None = None,
) -> dict[str, Any]:
    """`finish_reason` is normalized to LangChain's vocabulary; `stop_reason` keeps Bedrock's raw value."""
    meta: dict[str, Any] = {
        "model_name": model_name,
        "model_provider": MODEL_PROVIDER,
        "api": api,
        "finish_reason": stop_reason,
        "stop_reason": raw_stop_reason,
    }
    if request_id:
        meta["request_id"] = request_id
    if service_tier:
        meta["service_tier"] = service_tier  # the tier Bedrock says served the request
    if metrics is not None:
        latency = {
            key: value
            for key, value in (
                ("latency_ms", metrics.latency_ms),
                ("first_byte_latency_ms", metrics.first_byte_latency_ms),
            )
            if value is not None
        }
        if latency:
            meta["metrics"] = latency
    return meta


def _lc_tool_calls(calls: Sequence[ToolCall]) -> tuple[list[Any], list[Any]]:
    """Valid calls become `tool_calls`; malformed ones `invalid_tool_calls` (never an exception)."""
    good, bad = [], []
    for call in calls:
        if call.invalid:
            bad.append(
                invalid_tool_call(name=call.name, args=call.raw_arguments, id=call.id, error=call.invalid)
            )
        else:
            good.append(tool_call(name=call.name, args=call.arguments, id=call.id))
    return good, bad


def from_response(response: ModelResponse, model_name: str) -> AIMessage:
    fields: dict[str, Any] = {}  # only what is there: AIMessage's own defaults cost less than empty values
    if response.tool_calls:
        fields["tool_calls"], fields["invalid_tool_calls"] = _lc_tool_calls(response.tool_calls)
    if response.reasoning or response.reasoning_parts:
        fields["additional_kwargs"] = reasoning_kwargs(response.reasoning, response.reasoning_parts)
    return AIMessage(
        content=response.text,
        **fields,
        usage_metadata=usage_metadata(response.usage) if response.usage else None,
        response_metadata=response_metadata(
            response.model_id or model_name,
            response.stop_reason,
            response.raw_stop_reason,
            response.metrics,
            response.api,
            response.request_id,
            response.service_tier,
        ),
    )


def content_chunk(
    text: str = "", reasoning: str = "", signature: str | None = None, redacted: bytes | None = None
) -> AIMessageChunk:
    parts = (ReasoningPart(redacted=redacted),) if redacted is not None else ()
    return AIMessageChunk(content=text, additional_kwargs=reasoning_kwargs(reasoning, parts, signature))


def tool_chunk(index: int, call_id: str | None, name: str | None, arguments: str) -> AIMessageChunk:
    return AIMessageChunk(
        content="", tool_call_chunks=[tool_call_chunk(name=name, args=arguments, id=call_id, index=index)]
    )


class ChunkAssembler:
    """Turns transport deltas into message chunks: content and tool-call pieces as they arrive, then one
    last chunk with the stop reason, usage (exactly once) and metadata, whatever order Bedrock sent them."""

    def __init__(self, model_name: str, api: str) -> None:
        self.model_name = model_name
        self.api = api
        self.summary = StreamSummary()

    def feed(self, delta: StreamDelta) -> AIMessageChunk | None:
        self.summary.observe(delta)
        if delta.tool_call is not None:
            call = delta.tool_call
            return tool_chunk(call.index, call.id, call.name, call.arguments)
        if delta.text or delta.reasoning or delta.reasoning_signature or delta.redacted_reasoning is not None:
            return content_chunk(delta.text, delta.reasoning, delta.reasoning_signature, delta.redacted_reasoning)
        return None

    def final(self) -> AIMessageChunk:
        end = self.summary
        return AIMessageChunk(
            content="",
            usage_metadata=usage_metadata(end.usage) if end.usage else None,
            response_metadata=response_metadata(
                self.model_name,
                end.stop_reason,
                end.raw_stop_reason,
                end.metrics,
                self.api,
                service_tier=end.service_tier,
            ),
            chunk_position="last",
        )


__all__ = [
    "MODEL_PROVIDER",
    "ChunkAssembler",
    "content_chunk",
    "from_response",
    "response_metadata",
    "to_message",
    "to_messages",
    "tool_chunk",
    "usage_metadata",
]
