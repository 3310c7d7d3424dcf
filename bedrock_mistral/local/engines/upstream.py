"""Forwards conversations to an OpenAI-compatible `/v1/chat/completions` server (Ollama, vLLM, llama.cpp).

The client still speaks Bedrock to the emulator; only the answer comes from a real model. stdlib only.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from bedrock_mistral.local.conversation import Conversation, Delta, Reply, StopReason, ToolInvocation
from bedrock_mistral.local.service_errors import ServiceError

_FINISH: dict[str, StopReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


def chat_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")


def to_openai(conversation: Conversation, model: str, stream: bool) -> dict[str, Any]:
    """The OpenAI chat request for a neutral conversation."""
    messages: list[dict[str, Any]] = []
    if conversation.system:
        messages.append({"role": "system", "content": conversation.system})
    for turn in conversation.turns:
        for result in turn.tool_results:
            messages.append({"role": "tool", "tool_call_id": result.tool_call_id, "content": result.content})
        if turn.role == "assistant":
            message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
            if turn.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments_json()},
                    }
                    for c in turn.tool_calls
                ]
            messages.append(message)
        elif turn.text or not turn.tool_results:
            messages.append({"role": "user", "content": turn.text})
    body: dict[str, Any] = {"model": model, "messages": messages, "stream": stream}
    if conversation.tools and conversation.tool_choice != "none":
        body["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
            }
            for t in conversation.tools
        ]
        if conversation.tool_choice == "any":
            body["tool_choice"] = "required"
        elif conversation.tool_choice == "tool" and conversation.forced_tool:
            body["tool_choice"] = {"type": "function", "function": {"name": conversation.forced_tool}}
    if conversation.response_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": conversation.response_schema},
        }
    elif conversation.json_mode:
        body["response_format"] = {"type": "json_object"}
    for key, value in (
        ("max_tokens", conversation.max_tokens),
        ("temperature", conversation.temperature),
        ("top_p", conversation.top_p),
    ):
        if value is not None:
            body[key] = value
    if conversation.stop:
        body["stop"] = conversation.stop
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class UpstreamEngine:
    """One HTTP call per request (streamed with SSE when the client streams)."""

    name = "openai-compatible"
    blocking = True
    """Waits on the upstream server: run on the emulator's worker threads."""

    def __init__(self, url: str, model: str, *, api_key: str | None = None, timeout: float = 300.0) -> None:
        self.url = chat_url(url)
        self.model = model
        self.api_key = api_key
        self.timeout = timeout

    def _open(self, body: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310 - user-configured URL
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise ServiceError(
                "ModelErrorException", f"The upstream model returned HTTP {exc.code}: {detail}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ServiceError("ModelErrorException", f"The upstream model is unreachable: {exc}") from exc

    def reply(self, conversation: Conversation) -> Reply:
        with self._open(to_openai(conversation, self.model, stream=False)) as response:
            data = json.loads(response.read())
        choice = (data.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        calls = [
            ToolInvocation(c["function"]["name"], _arguments(c["function"].get("arguments")))
            for c in message.get("tool_calls") or []
        ]
        usage = data.get("usage") or {}
        return Reply(
            text=message.get("content") or "",
            tool_calls=calls,
            stop_reason="tool_calls" if calls else _FINISH.get(choice.get("finish_reason") or "stop", "stop"),
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
        )

    def stream(self, conversation: Conversation) -> Iterator[Delta]:
        partial: dict[int, dict[str, str]] = {}
        finish: str | None = None
        usage: dict[str, Any] = {}
        with self._open(to_openai(conversation, self.model, stream=True)) as response:
            for raw in response:
                line = raw.decode("utf-8").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                event = json.loads(data)
                usage = event.get("usage") or usage
                for choice in event.get("choices") or []:
                    delta = choice.get("delta") or {}
                    for call in delta.get("tool_calls") or []:
                        slot = partial.setdefault(
                            call.get("index", len(partial)), {"name": "", "arguments": ""}
                        )
                        function = call.get("function") or {}
                        slot["name"] += function.get("name") or ""
                        slot["arguments"] += function.get("arguments") or ""
                    if delta.get("content"):
                        yield Delta(text=delta["content"])
                    finish = choice.get("finish_reason") or finish
        calls = [ToolInvocation(slot["name"], _arguments(slot["arguments"])) for _, slot in sorted(partial.items())]
        yield Delta(
            tool_calls=calls,
            stop_reason="tool_calls" if calls else _FINISH.get(finish or "stop", "stop"),
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
        )
