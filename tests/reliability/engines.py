"""Engines for `LocalBedrock(engine=...)` that make the model misbehave: bad tool calls, empty answers."""

from __future__ import annotations

from collections.abc import Iterator

from bedrock_mistral.local import Conversation, Delta, Reply, ToolInvocation
from bedrock_mistral.local.engines.base import stream_reply

TRUNCATED = '{"city": "Par'
NOT_AN_OBJECT = '["Paris", 3]'


class RawArguments(ToolInvocation):
    """A tool call whose arguments go on the wire as this exact (invalid) text."""

    def __init__(self, name: str, raw: str) -> None:
        super().__init__(name, raw)  # type: ignore[arg-type] - Converse puts `arguments` on the wire as is
        self.raw = raw

    def arguments_json(self) -> str:
        return self.raw


class MisbehavingEngine:
    """Answers every conversation the same wrong way; `mode` is one of MODES."""

    MODES = ("malformed-json", "not-an-object", "unknown-tool", "empty")

    def __init__(self, mode: str) -> None:
        assert mode in self.MODES
        self.mode = mode
        self.name = f"misbehaving-{mode}"

    def reply(self, conversation: Conversation) -> Reply:
        if self.mode == "malformed-json":
            return Reply(tool_calls=[RawArguments("get_weather", TRUNCATED)], stop_reason="tool_calls")
        if self.mode == "not-an-object":
            return Reply(tool_calls=[RawArguments("get_weather", NOT_AN_OBJECT)], stop_reason="tool_calls")
        if self.mode == "unknown-tool":
            return Reply(tool_calls=[ToolInvocation("launch_rocket", {"target": "moon"})], stop_reason="tool_calls")
        return Reply(text="", stop_reason="stop")

    def stream(self, conversation: Conversation) -> Iterator[Delta]:
        return stream_reply(self.reply(conversation))
