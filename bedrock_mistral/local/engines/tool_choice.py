"""Which tools a prompt asks for: tool-name mentions, then shared words with names and descriptions."""

from __future__ import annotations

import re

from bedrock_mistral.local.conversation import Conversation, ToolCall, ToolSpec
from bedrock_mistral.local.engines import extract
from bedrock_mistral.local.engines.words import keywords

_SYNONYMS = {
    "+": "add plus sum",
    "*": "multiply times product",
    "×": "multiply times product",
    "/": "divide division quotient",
    "-": "subtract minus difference",
}
_WORD_SYNONYMS = {
    "plus": "add sum",
    "sum": "add",
    "times": "multiply product",
    "product": "multiply",
    "minus": "subtract",
    "divided": "divide",
    "temperature": "weather",
    "forecast": "weather",
}
_OPERATOR = re.compile(r"\d\s*([-+*/×])\s*\(?\d")


def message_keywords(text: str) -> set[str]:
    words = keywords(text)
    extra = " ".join(_SYNONYMS[m.group(1)] for m in _OPERATOR.finditer(text))
    extra += " " + " ".join(v for k, v in _WORD_SYNONYMS.items() if k in words)
    return words | keywords(extra)


def score(tool: ToolSpec, text: str, words: set[str]) -> int:
    """100 for a tool named in the prompt, else 2 per shared name word plus 1 per shared description word."""
    if re.search(rf"(?<![\w]){re.escape(tool.name)}(?![\w])", text, re.I):
        return 100
    name_words = keywords(tool.name)
    return 2 * len(words & name_words) + len((words & keywords(tool.description)) - name_words)


def wanted_tools(conversation: Conversation, text: str) -> list[ToolSpec]:
    """Tools the prompt asks for; forced tool choice always yields at least one."""
    tools = conversation.tools
    if not tools or conversation.tool_choice == "none":
        return []
    if conversation.tool_choice == "tool" and conversation.forced_tool:
        return [t for t in tools if t.name == conversation.forced_tool][:1] or tools[:1]
    words = message_keywords(text)
    scores = [(score(tool, text, words), index) for index, tool in enumerate(tools)]
    best = max(s for s, _ in scores)
    threshold = 100 if best >= 100 else max(2, (best + 1) // 2)
    chosen = [tools[i] for s, i in scores if s >= threshold]
    if not chosen and conversation.tool_choice == "any":
        chosen = [tools[max(scores, key=lambda p: (p[0], -p[1]))[1]]]
    return chosen


def calls_for(tool: ToolSpec, text: str) -> list[ToolCall]:
    """One call, or one per place when the tool takes a single place-like argument and several are named."""
    schema = tool.parameters or {}
    required = schema.get("required") or []
    properties = schema.get("properties") or {}
    if len(required) == 1 and any(h in required[0].lower() for h in extract.LOCATION_HINTS):
        prop = properties.get(required[0], {})
        places = extract.place_candidates(text)
        if isinstance(prop, dict) and prop.get("type", "string") == "string" and len(places) > 1:
            calls = []
            for place in places:
                args = extract.arguments(schema, text)
                args[required[0]] = place
                calls.append(ToolCall(tool.name, args))
            return calls
    return [ToolCall(tool.name, extract.arguments(schema, text))]


def tool_calls(conversation: Conversation, text: str) -> list[ToolCall]:
    """Calls for the wanted tools, leaving out calls already made with the same arguments (no agent loops)."""
    made = {(c.name, c.arguments_json()) for t in conversation.turns for c in t.tool_calls}
    calls: list[ToolCall] = []
    for tool in wanted_tools(conversation, text):
        calls.extend(calls_for(tool, text))
    fresh = [c for c in calls if (c.name, c.arguments_json()) not in made]
    if not fresh and calls and conversation.tool_choice in ("any", "tool"):
        return calls  # forced: a repeated call is still a call
    return fresh
