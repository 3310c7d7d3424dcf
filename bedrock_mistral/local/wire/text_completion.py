"""The Mistral text-completion body: `{"prompt", ...}` in, `{"outputs": [{"text", "stop_reason"}]}` out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from bedrock_mistral.catalog import ModelSpec
from bedrock_mistral.local import eventstream, rejections
from bedrock_mistral.local.conversation import Conversation, ConversationTurn, Delta, ToolInvocation
from bedrock_mistral.local.wire.common import Exchange

_INST = re.compile(r"\[INST\](.*?)\[/INST\]", re.S)


def _clean(text: str) -> str:
    return text.replace("<s>", "").replace("</s>", "").strip()


def parse_prompt(prompt: str) -> list[ConversationTurn]:
    """Turns from the Mistral instruct template `<s>[INST] q1 [/INST] a1</s>[INST] q2 [/INST]`.

    A prompt without the template is one user turn.
    """
    if "[INST]" not in prompt:
        return [ConversationTurn("user", _clean(prompt))]
    turns: list[ConversationTurn] = []
    position = 0
    for match in _INST.finditer(prompt):
        answer = _clean(prompt[position : match.start()])
        if answer and turns:
            turns.append(ConversationTurn("assistant", answer))
        turns.append(ConversationTurn("user", match.group(1).strip()))
        position = match.end()
    return turns


def parse(body: dict[str, Any], spec: ModelSpec, model_id: str) -> Conversation:
    rejections.check_text_body(body, spec)
    default = spec.max_tokens.default
    return Conversation(
        model_id=model_id,
        turns=parse_prompt(body["prompt"]),
        max_tokens=int(body.get("max_tokens", default if default is not None else spec.max_tokens.maximum)),
        stop=list(body.get("stop") or []),
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
    )


def stop_reason(reason: str | None) -> str:
    return "length" if reason == "length" else "stop"


def tool_calls_text(calls: list[ToolInvocation]) -> str:
    """Tool calls as a raw Mistral completion writes them: `[TOOL_CALLS]` and a JSON list."""
    if not calls:
        return ""
    listed = [{"name": c.name, "arguments": c.arguments} for c in calls]
    return "[TOOL_CALLS]" + json.dumps(listed, ensure_ascii=False)


def response_body(exchange: Exchange, reason: str) -> bytes:
    text = exchange.text + tool_calls_text(exchange.tool_calls)
    body = {"outputs": [{"text": text, "stop_reason": stop_reason(reason)}], **exchange.guardrail_fields()}
    return json.dumps(body).encode()


def stream(deltas: Iterator[Delta], exchange: Exchange) -> Iterator[bytes]:
    """One chunk frame per delta; the last carries the stop reason and the invocation metrics."""
    for delta in deltas:
        exchange.absorb(delta)
        if delta.reasoning and not (delta.text or delta.tool_calls or delta.stop_reason):
            continue  # this body format has no place for reasoning: counted, not sent
        text = delta.text + tool_calls_text(delta.tool_calls)
        output: dict[str, Any] = {"outputs": [{"text": text, "stop_reason": None}]}
        if delta.stop_reason is not None:
            output["outputs"][0]["stop_reason"] = stop_reason(delta.stop_reason)
            output.update(exchange.guardrail_fields())
            output["amazon-bedrock-invocationMetrics"] = exchange.invocation_metrics()
        yield eventstream.chunk_frame(eventstream.dumps(output))
