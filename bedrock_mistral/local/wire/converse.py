"""Converse / ConverseStream: content blocks in, `output.message` or the six stream events out."""

from __future__ import annotations

import base64
import io
import json
import wave
from collections.abc import Iterator
from typing import Any

from bedrock_mistral.catalog import ModelSpec
from bedrock_mistral.local import eventstream, rejections
from bedrock_mistral.local.conversation import (
    AudioClip,
    Conversation,
    ConversationTurn,
    Delta,
    OfferedTool,
    ToolInvocation,
    ToolResult,
)
from bedrock_mistral.local.wire.common import Exchange, converse_tool_use_id

STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "stop_sequence": "stop_sequence",
    "guardrail_intervened": "guardrail_intervened",
    "content_filtered": "content_filtered",
}
_TEXT_DOCUMENTS = frozenset({"txt", "md", "csv", "html", "json", "xml"})


def _document_text(document: dict[str, Any]) -> str:
    name = str(document.get("name", "document"))
    fmt = str(document.get("format", ""))
    source = document.get("source") or {}
    if "text" in source:
        return f"{name}: {source['text']}"
    raw = source.get("bytes")
    if fmt in _TEXT_DOCUMENTS and isinstance(raw, str):
        try:
            return f"{name}: {base64.b64decode(raw).decode('utf-8', 'replace')}"
        except ValueError:
            pass
    return f"[document {name}.{fmt}]"


def _result_text(blocks: list[dict[str, Any]]) -> str:
    parts = []
    for block in blocks:
        if "text" in block:
            parts.append(str(block["text"]))
        elif "json" in block:
            parts.append(json.dumps(block["json"], ensure_ascii=False))
        elif "document" in block:
            parts.append(_document_text(block["document"]))
        elif "image" in block:
            parts.append("[image]")
    return " ".join(parts)


def _audio_clip(audio: dict[str, Any]) -> AudioClip:
    """The audio's format and size; its length in seconds when it is a WAV file (the header says it)."""
    fmt = str(audio.get("format", ""))
    raw = (audio.get("source") or {}).get("bytes")
    try:
        data = base64.b64decode(raw) if isinstance(raw, str) else b""
    except ValueError:
        data = b""
    seconds = None
    if fmt == "wav" and data:
        try:
            with wave.open(io.BytesIO(data)) as clip:
                seconds = clip.getnframes() / float(clip.getframerate() or 1)
        except (wave.Error, EOFError):
            seconds = None
    return AudioClip(fmt, len(data), seconds)


def _turn(message: dict[str, Any]) -> ConversationTurn:
    turn = ConversationTurn(message["role"])
    texts = []
    for block in message.get("content") or []:
        if "text" in block:
            texts.append(str(block["text"]))
        elif "image" in block:
            turn.images += 1
        elif "audio" in block:
            turn.audio.append(_audio_clip(block["audio"]))
        elif "document" in block:
            turn.documents.append(_document_text(block["document"]))
        elif "toolUse" in block:
            use = block["toolUse"]
            turn.tool_calls.append(
                ToolInvocation(use.get("name", ""), use.get("input") or {}, use.get("toolUseId", ""))
            )
        elif "toolResult" in block:
            result = block["toolResult"]
            turn.tool_results.append(
                ToolResult(
                    result.get("toolUseId", ""),
                    _result_text(result.get("content") or []),
                    is_error=result.get("status") == "error",
                )
            )
    turn.text = "\n".join(texts)
    return turn


def parse(body: dict[str, Any], spec: ModelSpec, model_id: str, *, streaming: bool) -> Conversation:
    rejections.check_converse(body, spec, streaming=streaming)
    conversation = Conversation(model_id=model_id)
    conversation.system = "\n\n".join(str(b["text"]) for b in body.get("system") or [] if "text" in b)
    conversation.turns = [_turn(m) for m in body.get("messages") or []]
    tool_config = body.get("toolConfig") or {}
    for tool in tool_config.get("tools") or []:
        spec_ = tool.get("toolSpec")
        if spec_:
            schema = (spec_.get("inputSchema") or {}).get("json") or {}
            conversation.tools.append(OfferedTool(spec_.get("name", ""), spec_.get("description", ""), schema))
    choice = tool_config.get("toolChoice") or {}
    # A named tool is rejected for the Mistral models by validation; kept so the conversation is complete.
    if "tool" in choice:
        conversation.tool_choice = "tool"
        conversation.forced_tool = (choice.get("tool") or {}).get("name")
    else:
        conversation.tool_choice = "any" if "any" in choice else "auto"
    text_format = (body.get("outputConfig") or {}).get("textFormat") or {}
    schema_text = ((text_format.get("structure") or {}).get("jsonSchema") or {}).get("schema")
    if isinstance(schema_text, str):
        try:
            conversation.response_schema = json.loads(schema_text)
        except ValueError:
            raise rejections.validation(
                "The JSON schema in outputConfig.textFormat is not valid JSON."
            ) from None
    config = body.get("inferenceConfig") or {}
    default = spec.max_tokens.default
    conversation.max_tokens = int(
        config.get("maxTokens", default if default is not None else spec.max_tokens.maximum)
    )
    conversation.stop = list(config.get("stopSequences") or [])
    conversation.temperature = config.get("temperature")
    conversation.top_p = config.get("topP")
    return conversation


def _content(exchange: Exchange) -> list[dict[str, Any]]:
    thinking = exchange.reasoning
    blocks = [{"reasoningContent": {"reasoningText": {"text": thinking}}}] if thinking else []
    if exchange.tool_calls:
        for call in exchange.tool_calls:
            call.id = call.id or converse_tool_use_id()
        return blocks + [
            {"toolUse": {"toolUseId": c.id, "name": c.name, "input": c.arguments}}
            for c in exchange.tool_calls
        ]
    return blocks + [{"text": exchange.text}]


def _usage(exchange: Exchange) -> dict[str, int]:
    return {
        "inputTokens": exchange.input_tokens,
        "outputTokens": exchange.output_tokens,
        "totalTokens": exchange.input_tokens + exchange.output_tokens,
    }


def _tier(exchange: Exchange) -> dict[str, Any]:
    """The tier that served the request, as Converse reports it (only when the request named one)."""
    return {"serviceTier": {"type": exchange.service_tier}} if exchange.service_tier else {}


def response_body(exchange: Exchange, reason: str) -> bytes:
    body = {
        "metrics": {"latencyMs": exchange.latency_ms()},
        "output": {"message": {"content": _content(exchange), "role": "assistant"}},
        "stopReason": STOP_REASONS.get(reason, "end_turn"),
        "usage": {**_usage(exchange), "serverToolUsage": {}},
        **_tier(exchange),
    }
    if exchange.guardrail is not None and exchange.guardrail.traced:
        body["trace"] = exchange.guardrail.converse_trace()
    return eventstream.dumps(body, sort_keys=True)


def stream(deltas: Iterator[Delta], exchange: Exchange) -> Iterator[bytes]:
    """messageStart, reasoning deltas then text deltas (each its own block), one start/delta/stop per tool
    use, messageStop, metadata."""
    frame = eventstream.converse_frame
    yield frame("messageStart", {"role": "assistant"})
    index = 0
    open_kind = ""  # "reasoning" or "text": the block being streamed at `index`
    reason = "stop"
    for delta in deltas:
        exchange.absorb(delta)
        for kind, piece in (("reasoning", delta.reasoning), ("text", delta.text)):
            if not piece:
                continue
            if open_kind and open_kind != kind:
                yield frame("contentBlockStop", {"contentBlockIndex": index})
                index += 1
            open_kind = kind
            body = {"reasoningContent": {"text": piece}} if kind == "reasoning" else {"text": piece}
            yield frame("contentBlockDelta", {"contentBlockIndex": index, "delta": body})
        if delta.tool_calls and open_kind:
            yield frame("contentBlockStop", {"contentBlockIndex": index})
            index, open_kind = index + 1, ""
        for call in delta.tool_calls:
            call.id = call.id or converse_tool_use_id()
            yield frame(
                "contentBlockStart",
                {"contentBlockIndex": index, "start": {"toolUse": {"name": call.name, "toolUseId": call.id}}},
            )
            yield frame(
                "contentBlockDelta",
                {"contentBlockIndex": index, "delta": {"toolUse": {"input": call.arguments_json()}}},
            )
            yield frame("contentBlockStop", {"contentBlockIndex": index})
            index += 1
        if delta.stop_reason is not None:
            reason = delta.stop_reason
    if open_kind or index == 0:
        yield frame("contentBlockStop", {"contentBlockIndex": index})
    yield frame("messageStop", {"stopReason": STOP_REASONS.get(reason, "end_turn")})
    metadata: dict[str, Any] = {
        "usage": _usage(exchange),
        "metrics": {"latencyMs": exchange.latency_ms()},
        **_tier(exchange),
    }
    if exchange.guardrail is not None and exchange.guardrail.traced:
        metadata["trace"] = exchange.guardrail.converse_trace()
    yield frame("metadata", metadata)
