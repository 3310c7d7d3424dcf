"""Per-request facts shared by the wire formats: ids, token accounting, latency."""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bedrock_mistral.catalog import ModelSpec
from bedrock_mistral.local import token_counts
from bedrock_mistral.local.conversation import Conversation, Delta, ToolInvocation

if TYPE_CHECKING:
    from bedrock_mistral.local.guardrails import Outcome

_ALNUM = string.ascii_letters + string.digits
_URLSAFE = _ALNUM + "-_"


def chat_tool_call_id() -> str:
    """Mistral's native tool-call ids: 9 alphanumerics."""
    return "".join(secrets.choice(_ALNUM) for _ in range(9))


def converse_tool_use_id() -> str:
    """Converse tool-use ids as Bedrock makes them: `tooluse_` and 22 url-safe characters."""
    return "tooluse_" + "".join(secrets.choice(_URLSAFE) for _ in range(22))


def tool_call_tokens(calls: list[ToolInvocation]) -> int:
    return sum(token_counts.count(f"{c.name} {c.arguments_json()}") for c in calls)


@dataclass
class Exchange:
    """One request being answered: what the answers and metrics need to know about it."""

    request_id: str
    model_id: str
    spec: ModelSpec
    conversation: Conversation
    started: float = field(default_factory=time.perf_counter)
    first_byte: float | None = None
    input_tokens: int = 0
    tool_calls: list[ToolInvocation] = field(default_factory=list)
    _pieces: list[str] = field(default_factory=list)
    _reasoning: list[str] = field(default_factory=list)
    _text: str | None = ""
    _reported_output: int | None = None
    _counted_output: int | None = None
    """The output count of what was absorbed so far; dropped by `absorb` (answers read it several times)."""
    guardrail: Outcome | None = None
    """The guardrail's verdict, when the request named one (set before the answer is written)."""
    pending_latency_s: float = 0.0
    service_tier: str | None = None
    """The tier the request asked for, reported back in the answer."""
    """Injected latency the server waits out after the body is built, reported as if already spent."""

    def __post_init__(self) -> None:
        self.input_tokens = max(1, token_counts.count(self.conversation.all_text()))

    def absorb(self, delta: Delta) -> None:
        """Account for one delta. Text is joined and counted only when an answer needs it, so a long
        stream costs the same per frame at its end as at its start."""
        if self.first_byte is None:
            self.first_byte = time.perf_counter()
        self._counted_output = None
        if delta.text:
            self._pieces.append(delta.text)
            self._text = None
        if delta.reasoning:
            self._reasoning.append(delta.reasoning)
        self.tool_calls.extend(delta.tool_calls)
        if delta.input_tokens is not None:
            self.input_tokens = delta.input_tokens
        if delta.output_tokens is not None:
            self._reported_output = delta.output_tokens

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self._pieces)
        return self._text

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    @property
    def output_tokens(self) -> int:
        if self._reported_output is not None:
            return self._reported_output
        if self._counted_output is None:
            self._counted_output = (
                token_counts.count(self.text) + tool_call_tokens(self.tool_calls) + len(self._reasoning)
            )
        return self._counted_output

    def latency_ms(self) -> int:
        return int((time.perf_counter() - self.started + self.pending_latency_s) * 1000)

    def first_byte_ms(self) -> int:
        return int(((self.first_byte or time.perf_counter()) - self.started) * 1000)

    def guardrail_fields(self) -> dict[str, Any]:
        """Keys an InvokeModel body or last chunk gains under a guardrail (none without one)."""
        return self.guardrail.invoke_fields() if self.guardrail is not None else {}

    def invocation_metrics(self) -> dict[str, int]:
        return {
            "inputTokenCount": self.input_tokens,
            "outputTokenCount": self.output_tokens,
            "invocationLatency": self.latency_ms(),
            "firstByteLatency": self.first_byte_ms(),
        }
