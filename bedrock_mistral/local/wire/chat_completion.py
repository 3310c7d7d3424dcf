"""The Mistral chat-completion body (Large 2402 chat, Large 2407): messages, tools, tool_choice."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from bedrock_mistral.catalog import ModelSpec
from bedrock_mistral.local import eventstream, rejections
from bedrock_mistral.local.conversation import (
    Conversation,
    ConversationTurn,
    Delta,
    OfferedTool,
    ToolInvocation,
    ToolResult,
)
from bedrock_mistral.local.wire.common import Exchange, chat_tool_call_id


def _text(content: Any) -> tuple[str, int]:
    """Text and image count of a message content (a string, or a list of typed parts)."""
    if isinstance(content, str):
        return content, 0
    texts, images = [], 0
    for part in content or []:
        if isinstance(part, dict) and part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        elif isinstance(part, dict) and part.get("type") in ("image_url", "image"):
            images += 1
    return "\n".join(texts), images


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def parse(body: dict[str, Any], spec: ModelSpec, model_id: str) -> Conversation:
    rejections.check_chat_body(body, spec)
    conversation = Conversation(model_id=model_id)
    systems: list[str] = []
    for message in body["messages"]:
        role = message["role"]
        text, images = _text(message.get("content"))
        if role == "system":
            systems.append(text)
        elif role == "tool":
            result = ToolResult(str(message.get("tool_call_id", "")), text, message.get("name"))
            last = conversation.turns[-1] if conversation.turns else None
            if last is not None and last.role == "user" and last.tool_results and not last.text:
                last.tool_results.append(result)
            else:
                conversation.turns.append(ConversationTurn("user", tool_results=[result]))
        elif role == "assistant":
            calls = [
                ToolInvocation(
                    c.get("function", {}).get("name", ""),
                    _arguments(c.get("function", {}).get("arguments")),
                    str(c.get("id", "")),
                )
                for c in message.get("tool_calls") or []
            ]
            conversation.turns.append(ConversationTurn("assistant", text, tool_calls=calls))
        else:
            conversation.turns.append(ConversationTurn("user", text, images=images))
    conversation.system = "\n\n".join(systems)
    for tool in body.get("tools") or []:
        function = tool.get("function") or {}
        conversation.tools.append(
            OfferedTool(
                function.get("name", ""), function.get("description", ""), function.get("parameters") or {}
            )
        )
    choice = body.get("tool_choice", "auto")
    conversation.tool_choice = choice if choice in ("auto", "any", "none") else "auto"
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_object":
        conversation.json_mode = True
    elif response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        conversation.response_schema = schema if isinstance(schema, dict) else None
        conversation.json_mode = True
    default = spec.max_tokens.default
    conversation.max_tokens = int(
        body.get("max_tokens", default if default is not None else spec.max_tokens.maximum)
    )
    conversation.temperature = body.get("temperature")
    conversation.top_p = body.get("top_p")
    return conversation


def stop_reason(reason: str | None) -> str:
    return {"length": "length", "tool_calls": "tool_calls"}.get(reason or "", "stop")


def _tool_calls(calls: list[ToolInvocation]) -> list[dict[str, Any]]:
    for call in calls:
        call.id = call.id or chat_tool_call_id()
    return [{"id": c.id, "function": {"name": c.name, "arguments": c.arguments_json()}} for c in calls]


def _message(text: str, calls: list[ToolInvocation]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = _tool_calls(calls)
    return message


def _envelope(exchange: Exchange, kind: str) -> dict[str, Any]:
    return {
        "id": exchange.request_id.replace("-", ""),
        "object": kind,
        "created": int(time.time()),
        "model": exchange.model_id,
    }


def response_body(exchange: Exchange, reason: str) -> bytes:
    body = _envelope(exchange, "chat.completion")
    body["choices"] = [
        {
            "index": 0,
            "message": _message(exchange.text, exchange.tool_calls),
            "stop_reason": stop_reason(reason),
        }
    ]
    body["usage"] = {
        "prompt_tokens": exchange.input_tokens,
        "total_tokens": exchange.input_tokens + exchange.output_tokens,
        "completion_tokens": exchange.output_tokens,
    }
    body.update(exchange.guardrail_fields())
    return json.dumps(body, ensure_ascii=False).encode()


def stream(deltas: Iterator[Delta], exchange: Exchange) -> Iterator[bytes]:
    """Chunks with `message` (not `delta`); a tool call arrives whole; the last chunk has the metrics."""
    for delta in deltas:
        exchange.absorb(delta)
        if delta.reasoning and not (delta.text or delta.tool_calls or delta.stop_reason):
            continue  # this body format has no place for reasoning: counted, not sent
        body = _envelope(exchange, "chat.completion.chunk")
        choice: dict[str, Any] = {
            "index": 0,
            "message": _message(delta.text, delta.tool_calls),
            "stop_reason": None,
        }
        body["choices"] = [choice]
        if delta.stop_reason is not None:
            choice["stop_reason"] = stop_reason(delta.stop_reason)
            body.update(exchange.guardrail_fields())
            body["amazon-bedrock-invocationMetrics"] = exchange.invocation_metrics()
        yield eventstream.chunk_frame(eventstream.dumps(body))
