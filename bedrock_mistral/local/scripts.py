"""Scripted replies: a test says exactly what the model answers, for any request or for those a matcher picks.

`bedrock.script.reply("Paris")` queues an answer for the next request; `bedrock.script.when(contains="weather",
tool="get_weather").reply(tool_calls=[("get_weather", {"city": "Paris"})])` answers only requests that match.
Replies are plain `Reply` objects, so every wire format (and its stream) delivers them the way it delivers an
engine's answer. Unmatched requests go to the default engine, or fail in strict mode.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bedrock_mistral import catalog
from bedrock_mistral.local.conversation import Conversation, Delta, Reply, StopReason, ToolInvocation
from bedrock_mistral.local.engines.base import stream_reply
from bedrock_mistral.local.faults import operation_name
from bedrock_mistral.local.service_errors import ServiceError

STOP_REASONS: dict[str, StopReason] = {
    "stop": "stop",
    "end_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "stop_sequence": "stop_sequence",
    "guardrail_intervened": "guardrail_intervened",
    "content_filtered": "content_filtered",
}
"""Accepted spellings: the native bodies' and Converse's."""

ToolCallLike = ToolInvocation | tuple[str, Mapping[str, Any]] | Mapping[str, Any]


@dataclass(frozen=True)
class ScriptedRequest:
    """What a scripted reply was matched against (and answered)."""

    operation: str
    model_id: str
    """As the client sent it (an inference profile ARN stays an ARN)."""
    base_model_id: str
    last_user_text: str
    tool_names: tuple[str, ...]
    has_tool_results: bool
    conversation: Conversation
    request_id: str


@dataclass(frozen=True)
class Matcher:
    """Which requests a reply answers; every given condition must hold."""

    model: str | None = None
    operation: str | None = None
    contains: str | None = None
    """A substring of the last user message."""
    pattern: str | None = None
    """A regular expression searched in the last user message."""
    tool: str | None = None
    """A tool of this name is offered."""
    tool_results: bool | None = None
    """True: the last turn carries tool results; False: it does not."""

    def accepts(self, request: ScriptedRequest) -> bool:
        if self.operation is not None and self.operation != request.operation:
            return False
        if self.model is not None and not _same_model(self.model, request):
            return False
        if self.contains is not None and self.contains not in request.last_user_text:
            return False
        if self.pattern is not None and re.search(self.pattern, request.last_user_text) is None:
            return False
        if self.tool is not None and self.tool not in request.tool_names:
            return False
        return self.tool_results is None or self.tool_results == request.has_tool_results

    def describe(self) -> str:
        given = {k: v for k, v in vars(self).items() if v is not None}
        return ", ".join(f"{k}={v!r}" for k, v in given.items()) or "any request"


def _same_model(model: str, request: ScriptedRequest) -> bool:
    """The id as sent, or any spelling of the same base model (`us.` profile, ARN)."""
    if model in (request.model_id, request.base_model_id):
        return True
    return catalog.base_model_id(model) == request.base_model_id


@dataclass
class ScriptedReply:
    """One scripted answer: what it says, which requests it answers, and the requests it did answer."""

    reply: Reply
    matcher: Matcher
    times: int | None = 1
    """How many requests it answers; None: every matching request, for as long as the script lasts."""
    matched: list[ScriptedRequest] = field(default_factory=list)

    @property
    def used(self) -> bool:
        return bool(self.matched)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and len(self.matched) >= self.times

    def describe(self) -> str:
        reply = self.reply
        what = (
            f"tool calls {[c.name for c in reply.tool_calls]}"
            if reply.tool_calls
            else f"text {reply.text[:60]!r}"
        )
        times = "every time" if self.times is None else f"{len(self.matched)}/{self.times} used"
        return f"{what} for {self.matcher.describe()} ({times})"


def make_reply(
    text: str = "",
    *,
    tool_calls: Iterable[ToolCallLike] = (),
    json_value: Any = None,
    stop_reason: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    reasoning: str = "",
) -> Reply:
    """A `Reply` from a test's terms, checked now so a typo fails where it is written."""
    calls = [_tool_call(c) for c in tool_calls]
    if json_value is not None:
        if text:
            raise ValueError("give either text or json, not both")
        text = json.dumps(json_value, ensure_ascii=False)
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if stop_reason is None:
        reason: StopReason = "tool_calls" if calls else "stop"
    elif stop_reason in STOP_REASONS:
        reason = STOP_REASONS[stop_reason]
    else:
        raise ValueError(f"unknown stop_reason {stop_reason!r}; use one of {', '.join(STOP_REASONS)}")
    for name, value in (("input_tokens", input_tokens), ("output_tokens", output_tokens)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return Reply(text, calls, reason, input_tokens, output_tokens, reasoning)


def _tool_call(value: ToolCallLike) -> ToolInvocation:
    if isinstance(value, ToolInvocation):
        return ToolInvocation(value.name, dict(value.arguments), value.id)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return ToolInvocation(value[0], dict(value[1]))
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        return ToolInvocation(value["name"], dict(value.get("arguments") or {}), str(value.get("id", "")))
    raise TypeError(
        f"a tool call is (name, arguments), {{'name': ..., 'arguments': {{...}}}} or a ToolInvocation, got {value!r}"
    )


class _Fixed:
    """An engine that gives one reply (a fresh copy: the wire formats fill in tool-call ids)."""

    name = "script"

    def __init__(self, reply: Reply) -> None:
        self._reply = reply

    def reply(self, conversation: Conversation) -> Reply:
        return copy.deepcopy(self._reply)

    def stream(self, conversation: Conversation) -> Iterator[Delta]:
        return stream_reply(self.reply(conversation))


class _Builder:
    """`script.when(...)`: the matcher waiting for its reply (the script itself is one matching anything)."""

    def __init__(self, script: Script, matcher: Matcher) -> None:
        self._script = script
        self._matcher = matcher

    def reply(
        self,
        text: str = "",
        *,
        tool_calls: Iterable[ToolCallLike] = (),
        json: Any = None,
        stop_reason: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        reasoning: str = "",
        times: int | None = 1,
    ) -> ScriptedReply:
        """Add an answer for the requests this builder matches (`script.reply`: the next request, any model
        and operation); used `times` times (None: every match)."""
        reply = make_reply(
            text,
            tool_calls=tool_calls,
            json_value=json,
            stop_reason=stop_reason,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            reasoning=reasoning,
        )
        return self._script.add(reply, self._matcher, times=times)


class Script(_Builder):
    """The scripted replies of one emulator; thread-safe. `LocalBedrock.script` is one of these."""

    def __init__(self, *, strict: bool = False) -> None:
        super().__init__(self, Matcher())
        self._lock = threading.Lock()
        self._replies: list[ScriptedReply] = []
        self._default_strict = strict
        self.strict = strict
        """True: a request no scripted reply matches fails with a ValidationException naming it."""

    # --- what tests call ---------------------------------------------------------------------------

    def when(
        self,
        *,
        model: str | None = None,
        operation: str | None = None,
        contains: str | None = None,
        matches: str | None = None,
        tool: str | None = None,
        tool_results: bool | None = None,
    ) -> _Builder:
        """Start a reply for the requests matching all the given conditions; finish with `.reply(...)`."""
        if matches is not None:
            re.compile(matches)  # a bad pattern fails here, not inside a request
        op = operation_name(operation) if operation is not None else None
        return _Builder(self, Matcher(model, op, contains, matches, tool, tool_results))

    def add(self, reply: Reply, matcher: Matcher | None = None, *, times: int | None = 1) -> ScriptedReply:
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every matching request)")
        scripted = ScriptedReply(reply, matcher or Matcher(), times)
        with self._lock:
            self._replies.append(scripted)
        return scripted

    @property
    def replies(self) -> list[ScriptedReply]:
        with self._lock:
            return list(self._replies)

    @property
    def unused(self) -> list[ScriptedReply]:
        """Replies no request has matched yet."""
        return [r for r in self.replies if not r.used]

    def assert_all_used(self) -> None:
        """Fail (AssertionError) if a scripted reply was never used, naming each one."""
        unused = self.unused
        if unused:
            listed = "\n".join(f"  - {r.describe()}" for r in unused)
            raise AssertionError(
                f"{len(unused)} scripted repl{'y was' if len(unused) == 1 else 'ies were'} never used:\n{listed}"
            )

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()
        self.strict = self._default_strict

    # --- what the emulator calls --------------------------------------------------------------------

    def engine_for(
        self, operation: str, model_id: str, base_model_id: str, conversation: Conversation, request_id: str
    ) -> _Fixed | None:
        """An engine giving the first matching scripted reply (consumed), or None when none matches.

        In strict mode an unmatched request raises the ValidationException the client sees.
        """
        if not self._replies and not self.strict:
            return None  # nothing scripted: no request to describe (the common case, on every request)
        request = ScriptedRequest(
            operation,
            model_id,
            base_model_id,
            conversation.last_user_text,
            tuple(t.name for t in conversation.tools),
            bool(conversation.turns and conversation.turns[-1].tool_results),
            conversation,
            request_id,
        )
        with self._lock:
            for scripted in self._replies:
                if not scripted.exhausted and scripted.matcher.accepts(request):
                    scripted.matched.append(request)
                    return _Fixed(scripted.reply)
            if not self.strict:
                return None
            waiting = [r.describe() for r in self._replies if not r.exhausted]
        raise ServiceError("ValidationException", _unmatched(request, waiting))


def _unmatched(request: ScriptedRequest, waiting: Sequence[str]) -> str:
    """Not a Bedrock message: the emulator's strict-mode error, written to say what was not matched."""
    tools = f", tools {list(request.tool_names)}" if request.tool_names else ""
    pending = "; ".join(waiting) if waiting else "none"
    return (
        f"No scripted reply matches this request (strict mode): {request.operation} on {request.model_id}, "
        f"last user message {request.last_user_text[:200]!r}{tools}. Scripted replies waiting: {pending}."
    )
