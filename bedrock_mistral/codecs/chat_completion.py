"""Mistral chat completion on InvokeModel (Mistral Large 2402 chat, Large 2 2407).

Request `{"messages", "tools", "tool_choice", "max_tokens", "temperature", "top_p"}`; response
`{"choices":[{"message":{...},"stop_reason"}]}`. The format has no `stop` key, so stop sequences are
applied to the answer on the client side.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bedrock_mistral.codecs.json_instruction import schema_instruction
from bedrock_mistral.codecs.native_params import native_params
from bedrock_mistral.codecs.stop_reasons import normalize_stop_reason
from bedrock_mistral.codecs.stop_sequences import truncate_at_stop
from bedrock_mistral.codecs.stream import StreamDecoder
from bedrock_mistral.codecs.tool_ids import mistral_tool_call_id
from bedrock_mistral.codecs.usage import (
    metrics_from_headers,
    usage_from_headers,
    usage_from_invocation_metrics,
)
from bedrock_mistral.codecs.values import as_mapping, require_answer, to_int
from bedrock_mistral.types import (
    ChatRequest,
    Message,
    ModelResponse,
    StreamDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)


def _tool_call(call: ToolCall) -> dict[str, Any]:
    arguments = call.raw_arguments if call.invalid and call.raw_arguments else json.dumps(call.arguments)
    return {"id": mistral_tool_call_id(call.id), "function": {"name": call.name, "arguments": arguments}}


def encode_messages(messages: Sequence[Message], extra_system: str | None = None) -> list[dict[str, Any]]:
    """Neutral messages -> Mistral chat messages: one leading system message, same roles merged."""
    system = [m.text for m in messages if m.role == "system" and m.text]
    if extra_system:
        system.append(extra_system)
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    out: list[dict[str, Any]] = [{"role": "system", "content": "\n\n".join(system)}] if system else []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            content = message.text
            if message.is_error and not content.lower().startswith("error"):
                content = f"Error: {content}"
            entry: dict[str, Any] = {
                "role": "tool",
                "tool_call_id": mistral_tool_call_id(message.tool_call_id or ""),
                "content": content,
            }
            name = message.name or names.get(message.tool_call_id or "")
            if name:
                entry["name"] = name
            out.append(entry)
            continue
        previous = out[-1] if out else None
        if previous is not None and previous["role"] == message.role and "tool_calls" not in previous:
            previous["content"] = "\n\n".join(t for t in (previous["content"], message.text) if t)
            if message.tool_calls:
                previous["tool_calls"] = [_tool_call(c) for c in message.tool_calls]
            continue
        entry = {"role": message.role, "content": message.text}
        if message.tool_calls:
            entry["tool_calls"] = [_tool_call(c) for c in message.tool_calls]
        out.append(entry)
    return out


def encode(request: ChatRequest) -> dict[str, Any]:
    fmt = request.response_format
    body: dict[str, Any] = {
        "messages": encode_messages(request.messages, schema_instruction(fmt.schema) if fmt else None)
    }
    tools = list(request.tools)
    choice = request.tool_choice
    if tools and choice not in (None, "auto", "any", "none"):
        # Bedrock knows only auto/any: a named choice offers that one tool and requires a call.
        tools = [t for t in tools if t.name == choice]
        choice = "any"
    if tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
            }
            for t in tools
        ]
        if choice is not None:
            body["tool_choice"] = choice
    if fmt is not None:
        body["response_format"] = {"type": "json_object"}
    body.update(native_params(request.params, text_completion=False))
    return body


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") if isinstance(part, Mapping) else str(part)
            for part in content
            if not isinstance(part, Mapping) or part.get("type", "text") == "text"
        )
    return ""


def decode_tool_calls(raw_calls: Any) -> tuple[ToolCall, ...]:
    calls = []
    for raw in raw_calls if isinstance(raw_calls, list) else []:
        if not isinstance(raw, Mapping):
            continue
        function = as_mapping(raw.get("function"))
        calls.append(
            ToolCall.from_raw(str(raw.get("id") or ""), str(function.get("name") or ""), function.get("arguments"))
        )
    return tuple(calls)


def _choice(body: Mapping[str, Any]) -> Mapping[str, Any]:
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        return choices[0]
    return {}


def _message(choice: Mapping[str, Any]) -> Mapping[str, Any]:
    message = choice.get("message", choice.get("delta"))
    return message if isinstance(message, Mapping) else {}


def _raw_stop(choice: Mapping[str, Any]) -> str | None:
    raw = choice.get("stop_reason", choice.get("finish_reason"))
    return raw if isinstance(raw, str) else None


def decode(
    body: Mapping[str, Any], headers: Mapping[str, Any], model_id: str, stop: tuple[str, ...] = ()
) -> ModelResponse:
    require_answer(body, "choices", headers)
    choice = _choice(body)
    message = _message(choice)
    text, stopped = truncate_at_stop(_content_text(message.get("content")), stop)
    raw = _raw_stop(choice)
    usage = usage_from_headers(headers)
    body_usage = body.get("usage")
    if usage is None and isinstance(body_usage, Mapping):
        prompt_tokens, completion_tokens = (
            to_int(body_usage.get("prompt_tokens")),
            to_int(body_usage.get("completion_tokens")),
        )
        if prompt_tokens is not None or completion_tokens is not None:
            usage = Usage(prompt_tokens or 0, completion_tokens or 0)
    return ModelResponse(
        text=text,
        tool_calls=decode_tool_calls(message.get("tool_calls")),
        stop_reason="stop" if stopped else normalize_stop_reason(raw),
        raw_stop_reason=raw,
        usage=usage,
        metrics=metrics_from_headers(headers),
        model_id=model_id,
        request_id=headers.get("x-amzn-requestid") or headers.get("x-amzn-RequestId"),
        api="invoke",
    )


class ChatStreamDecoder(StreamDecoder):
    """Chunks shaped like the response, with `message` (or `delta`); a tool call comes whole in one chunk."""

    def __init__(self, stop: tuple[str, ...] = ()) -> None:
        super().__init__(stop)
        self.tool_count = 0
        self.role_sent = False

    def feed(self, event: Mapping[str, Any]) -> list[StreamDelta]:
        choice = _choice(event)
        message = _message(choice)
        deltas: list[StreamDelta] = []
        if not self.role_sent and message.get("role"):
            self.role_sent = True
            deltas.append(StreamDelta(role=str(message["role"])))
        text = _content_text(message.get("content"))
        if text:
            emitted = self._text(text)
            if emitted:
                deltas.append(StreamDelta(text=emitted))
        for call in decode_tool_calls(message.get("tool_calls")):
            arguments = call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)
            deltas.append(
                StreamDelta(
                    tool_call=ToolCallDelta(index=self.tool_count, id=call.id, name=call.name, arguments=arguments)
                )
            )
            self.tool_count += 1
        raw = _raw_stop(choice)
        usage, metrics = usage_from_invocation_metrics(event.get("amazon-bedrock-invocationMetrics"))
        deltas.extend(self._ending(raw, normalize_stop_reason(raw), usage, metrics))
        return deltas
