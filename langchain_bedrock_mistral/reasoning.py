"""Reasoning in LangChain's shapes, and LangChain's standard content blocks for this integration's messages.

A response keeps LangChain's v0 shape (string content; the thinking in `additional_kwargs["reasoning_content"]`,
its signature in `additional_kwargs["reasoning_signature"]`); the translator registered here derives the v1
standard blocks (`reasoning`, `text`, `tool_call`, `tool_call_chunk`) that `content_blocks` and
`output_version="v1"` show. Reading reasoning back accepts every form a history may hold: v1 `reasoning`
blocks, langchain-aws's `reasoning_content`, Anthropic's `thinking` / `redacted_thinking`, and the
`additional_kwargs` form.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from bedrock_mistral.types import ReasoningPart

TEXT_KEY = "reasoning_content"
SIGNATURE_KEY = "reasoning_signature"
REDACTED_KEY = "redacted_reasoning"
"""`additional_kwargs` keys: the thinking text, its signature, and base64 redacted reasoning blocks."""

# Stable content-block indices for streamed v1 blocks: chunks of one kind merge, kinds never collide
# (tool-call chunk indices count tools, not blocks).
_REASONING_INDEX = "lc_reasoning"
_TEXT_INDEX = "lc_text"


# --- neutral -> LangChain ----------------------------------------------------------------------------


def reasoning_kwargs(
    text: str | None, parts: tuple[ReasoningPart, ...] = (), signature: str | None = None
) -> dict[str, Any]:
    """`additional_kwargs` for reasoning: text, the (last) signature, redacted blocks as base64."""
    extra: dict[str, Any] = {}
    if text:
        extra[TEXT_KEY] = text
    signature = signature or next((p.signature for p in reversed(parts) if p.signature), None)
    if signature:
        extra[SIGNATURE_KEY] = signature
    redacted = [base64.b64encode(p.redacted).decode("ascii") for p in parts if p.redacted is not None]
    if redacted:
        extra[REDACTED_KEY] = redacted
    return extra


# --- LangChain -> neutral ----------------------------------------------------------------------------


def _b64(value: Any) -> bytes | None:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _signature(*candidates: Any) -> str | None:
    return next((c for c in candidates if isinstance(c, str) and c), None)


def block_reasoning(block: Mapping[str, Any]) -> ReasoningPart | None:
    """One content block's reasoning, whatever integration wrote it; None for other blocks."""
    kind = block.get("type")
    raw_extras = block.get("extras")
    extras: Mapping[str, Any] = raw_extras if isinstance(raw_extras, Mapping) else {}
    if kind == "reasoning":
        redacted = _b64(extras.get("redacted_content"))
        if redacted is not None:
            return ReasoningPart(redacted=redacted)
        return ReasoningPart(
            text=str(block.get("reasoning") or ""),
            signature=_signature(extras.get("signature"), block.get("signature")),
        )
    if kind == "reasoning_content":
        inner = block.get("reasoning_content")
        inner = inner if isinstance(inner, Mapping) else {}
        redacted = _b64(inner.get("redacted_content"))
        if redacted is not None:
            return ReasoningPart(redacted=redacted)
        return ReasoningPart(text=str(inner.get("text") or ""), signature=_signature(inner.get("signature")))
    if kind == "thinking":
        return ReasoningPart(text=str(block.get("thinking") or ""), signature=_signature(block.get("signature")))
    if kind == "redacted_thinking":
        redacted = _b64(block.get("data"))
        return ReasoningPart(redacted=redacted) if redacted is not None else None
    if kind == "non_standard":
        value = block.get("value")
        if isinstance(value, Mapping) and value.get("type") == REDACTED_KEY:
            redacted = _b64(value.get("data"))
            return ReasoningPart(redacted=redacted) if redacted is not None else None
    return None


def message_reasoning(message: AIMessage) -> list[ReasoningPart]:
    """The reasoning an AI message carries: its reasoning blocks, else its `additional_kwargs`."""
    parts: list[ReasoningPart] = []
    if isinstance(message.content, list):
        for block in message.content:
            if isinstance(block, Mapping):
                part = block_reasoning(block)
                if part is not None and (part.text or part.redacted is not None):
                    parts.append(part)
    if parts:
        return parts
    extra = message.additional_kwargs
    text = extra.get(TEXT_KEY)
    if isinstance(text, str) and text:
        parts.append(ReasoningPart(text=text, signature=_signature(extra.get(SIGNATURE_KEY))))
    for value in extra.get(REDACTED_KEY) or []:
        redacted = _b64(value)
        if redacted is not None:
            parts.append(ReasoningPart(redacted=redacted))
    return parts


# --- standard content blocks (content_blocks, output_version="v1") -------------------------------------


def _reasoning_blocks(extra: Mapping[str, Any], chunk: bool) -> list[types.ContentBlock]:
    blocks: list[types.ContentBlock] = []
    text, signature = extra.get(TEXT_KEY), extra.get(SIGNATURE_KEY)
    if (isinstance(text, str) and text) or (isinstance(signature, str) and signature):
        block: types.ReasoningContentBlock = {"type": "reasoning", "reasoning": text if isinstance(text, str) else ""}
        if isinstance(signature, str) and signature:
            block["extras"] = {"signature": signature}
        if chunk:
            block["index"] = _REASONING_INDEX
        blocks.append(block)
    for value in extra.get(REDACTED_KEY) or []:
        blocks.append({"type": "non_standard", "value": {"type": REDACTED_KEY, "data": value}})
    return blocks


def _text_blocks(content: str | list[Any], chunk: bool) -> list[types.ContentBlock]:
    """Text (and reasoning blocks a caller put in list content, as they are)."""
    pieces = [content] if isinstance(content, str) else content
    blocks: list[types.ContentBlock] = []
    for piece in pieces:
        if isinstance(piece, Mapping) and piece.get("type") == "reasoning":
            blocks.append(dict(piece))  # type: ignore[arg-type]
            continue
        text = piece if isinstance(piece, str) else piece.get("text") if isinstance(piece, Mapping) else None
        if isinstance(piece, Mapping) and piece.get("type") not in (None, "text"):
            continue
        if isinstance(text, str) and text:
            block: types.TextContentBlock = {"type": "text", "text": text}
            if chunk:
                block["index"] = _TEXT_INDEX
            blocks.append(block)
    return blocks


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """Reasoning first, then the answer text, then the tool calls (valid and invalid)."""
    blocks = _reasoning_blocks(message.additional_kwargs, chunk=False)
    blocks.extend(_text_blocks(message.content, chunk=False))
    blocks.extend(_tool_call_blocks(message))
    return blocks


def _tool_call_blocks(message: AIMessage) -> list[types.ContentBlock]:
    blocks: list[types.ContentBlock] = []
    for call in message.tool_calls:
        blocks.append({"type": "tool_call", "id": call.get("id"), "name": call["name"], "args": call["args"]})
    for bad in message.invalid_tool_calls:
        blocks.append(
            {
                "type": "invalid_tool_call",
                "id": bad.get("id"),
                "name": bad.get("name"),
                "args": bad.get("args"),
                "error": bad.get("error"),
            }
        )
    return blocks


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    """A streamed piece: reasoning, text and tool-call chunks, each kind under its own block index. A
    gathered stream (`chunk_position="last"`) reads like a whole message."""
    if message.chunk_position == "last":
        return translate_content(message)
    blocks = _reasoning_blocks(message.additional_kwargs, chunk=True)
    blocks.extend(_text_blocks(message.content, chunk=True))
    for piece in message.tool_call_chunks:
        block: types.ToolCallChunk = {
            "type": "tool_call_chunk",
            "id": piece.get("id"),
            "name": piece.get("name"),
            "args": piece.get("args"),
        }
        if piece.get("index") is not None:
            block["index"] = f"lc_tool_{piece['index']}"
        blocks.append(block)
    return blocks


def register(provider: str) -> None:
    """Make `content_blocks` of this integration's messages use the translators above."""
    register_translator(provider, translate_content, translate_content_chunk)


__all__ = [
    "REDACTED_KEY",
    "SIGNATURE_KEY",
    "TEXT_KEY",
    "block_reasoning",
    "message_reasoning",
    "reasoning_kwargs",
    "register",
    "translate_content",
    "translate_content_chunk",
]
