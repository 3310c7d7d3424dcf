"""The neutral conversation every wire format is parsed into, and the reply every engine returns.

Engines only see these types, so a rule or an upstream model answers the same way whichever of the
four operations (and three body formats) the request came through.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant"]
ToolChoice = Literal["auto", "any", "none", "tool"]
StopReason = Literal[
    "stop", "length", "tool_calls", "stop_sequence", "guardrail_intervened", "content_filtered"
]


@dataclass
class ToolInvocation:
    """A call the assistant makes; `id` is filled in by the wire format (its id styles differ)."""

    name: str
    arguments: dict[str, Any]
    id: str = ""

    def arguments_json(self) -> str:
        return json.dumps(self.arguments, ensure_ascii=False)


@dataclass
class ToolResult:
    tool_call_id: str
    content: str
    name: str | None = None
    is_error: bool = False


@dataclass
class AudioClip:
    """An audio block received: its format, its size and, for formats whose header says it, its length."""

    format: str
    size: int
    seconds: float | None = None


@dataclass
class ConversationTurn:
    role: Role
    text: str = ""
    tool_calls: list[ToolInvocation] = field(default_factory=list)
    tool_results: list[ToolResult] = field(default_factory=list)
    images: int = 0
    documents: list[str] = field(default_factory=list)
    audio: list[AudioClip] = field(default_factory=list)


@dataclass
class OfferedTool:
    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass
class Conversation:
    """Everything an engine needs to answer, independent of the wire format."""

    model_id: str
    system: str = ""
    turns: list[ConversationTurn] = field(default_factory=list)
    tools: list[OfferedTool] = field(default_factory=list)
    tool_choice: ToolChoice = "auto"
    forced_tool: str | None = None
    response_schema: dict[str, Any] | None = None
    json_mode: bool = False
    max_tokens: int | None = None
    stop: list[str] = field(default_factory=list)
    temperature: float | None = None
    top_p: float | None = None

    @property
    def last_user_text(self) -> str:
        for turn in reversed(self.turns):
            if turn.role == "user" and turn.text.strip():
                return turn.text
        return ""

    def tool_name_for(self, call_id: str) -> str | None:
        for turn in self.turns:
            for call in turn.tool_calls:
                if call.id == call_id:
                    return call.name
        return None

    def all_text(self) -> str:
        """Everything the model reads, for the input-token estimate."""
        parts = [self.system]
        for turn in self.turns:
            parts.append(turn.text)
            parts.extend(f"{c.name} {c.arguments_json()}" for c in turn.tool_calls)
            parts.extend(r.content for r in turn.tool_results)
            parts.extend(turn.documents)
        for tool in self.tools:
            parts.append(f"{tool.name} {tool.description} {json.dumps(tool.parameters)}")
        return "\n".join(p for p in parts if p)


@dataclass
class Reply:
    """A complete answer: text or tool calls, why it stopped, and token counts when the engine knows them.
    `reasoning` is a reasoning model's thinking, sent before the answer (Converse `reasoningContent`)."""

    text: str = ""
    tool_calls: list[ToolInvocation] = field(default_factory=list)
    stop_reason: StopReason = "stop"
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning: str = ""


@dataclass
class Delta:
    """One streamed increment: a text piece and/or whole tool calls; the last one carries the stop reason."""

    text: str = ""
    tool_calls: list[ToolInvocation] = field(default_factory=list)
    stop_reason: StopReason | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning: str = ""
