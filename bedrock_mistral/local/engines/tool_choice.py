"""Which tools a prompt asks for: tool-name mentions, then shared words with names and descriptions."""

from __future__ import annotations

import re

from bedrock_mistral.local.conversation import Conversation, OfferedTool, ToolInvocation
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
_THEN = re.compile(
    r"\s*(?:,\s*)?\b(?:and then|then|after that|afterwards|once that is done|and use (?:it|that|the result) to)\b"
    r"\s*|;\s*",
    re.I,
)
_MESSAGE_PROPERTIES = ("body", "message", "text", "content", "note", "subject")
_SAYING = re.compile(r"\b(?:that|saying|to say)\s+(?P<content>.+)$", re.I | re.S)


def message_keywords(text: str) -> set[str]:
    words = keywords(text)
    extra = " ".join(_SYNONYMS[m.group(1)] for m in _OPERATOR.finditer(text))
    extra += " " + " ".join(v for k, v in _WORD_SYNONYMS.items() if k in words)
    return words | keywords(extra)


def score(tool: OfferedTool, text: str, words: set[str]) -> int:
    """100 for a tool named in the prompt, else 2 per shared name word plus 1 per shared description word."""
    if re.search(rf"(?<![\w]){re.escape(tool.name)}(?![\w])", text, re.I):
        return 100
    name_words = keywords(tool.name)
    return 2 * len(words & name_words) + len((words & keywords(tool.description)) - name_words)


def wanted_tools(conversation: Conversation, text: str) -> list[OfferedTool]:
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


def calls_for(tool: OfferedTool, text: str) -> list[ToolInvocation]:
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
                calls.append(ToolInvocation(tool.name, args))
            return calls
    return [ToolInvocation(tool.name, extract.arguments(schema, text))]


def steps(text: str) -> list[str]:
    """The steps of a request done in order ("find X, then email them"): a later step may need an earlier
    step's result, so its tool is called only once that result is in."""
    return [part.strip() for part in _THEN.split(text) if part and part.strip()]


def step_tools(conversation: Conversation, parts: list[str], index: int) -> list[OfferedTool]:
    """The tools one step asks for that no other step asks for more (a tie goes to the later step: in "look
    up the customer, then email them", `email_customer` belongs to the email)."""
    def home(tool: OfferedTool) -> int:
        scores = [score(tool, part, message_keywords(part)) for part in parts]
        return max(range(len(parts)), key=lambda i: (scores[i], i))

    return [t for t in wanted_tools(conversation, parts[index]) if home(t) == index]


def step_calls(conversation: Conversation, tools: list[OfferedTool], step: str, results: str = "") -> list[ToolInvocation]:
    """Calls for one step, arguments from its words and the results so far (a message-like argument takes
    what the step says: "email them that the refund is done" -> "the refund is done")."""
    calls = []
    for tool in tools:
        schema = tool.parameters or {}
        properties = schema.get("properties") or {}
        saying = _SAYING.search(step)
        known = {
            name: (saying.group("content") if saying else step).strip().rstrip(".")
            for name, prop in properties.items()
            if isinstance(prop, dict) and prop.get("type", "string") == "string" and name.lower() in _MESSAGE_PROPERTIES
        }
        extractor = extract.Extractor(schema, extract.Evidence.of(f"{step}\n{results}".strip()), known)
        value, _ = extractor.value("", schema) if properties else ({}, False)
        calls.append(ToolInvocation(tool.name, value if isinstance(value, dict) else {}))
    return calls


def next_step_calls(conversation: Conversation) -> list[ToolInvocation]:
    """After tool results: the calls of the first step of the request whose tools were not called yet."""
    text = conversation.last_user_text
    parts = steps(text)
    if len(parts) < 2 or conversation.tool_choice == "none":
        return []
    called = {c.name for t in conversation.turns for c in t.tool_calls}
    results = "\n".join(r.content for t in conversation.turns for r in t.tool_results if not r.is_error)
    for index, step in enumerate(parts):
        wanted = step_tools(conversation, parts, index)
        if wanted and not any(t.name in called for t in wanted):
            return step_calls(conversation, wanted, step, results)
    return []


def tool_calls(conversation: Conversation, text: str) -> list[ToolInvocation]:
    """Calls for the wanted tools, leaving out calls already made with the same arguments (no agent loops).
    A request in ordered steps calls the first step's tools only; independent requests are called at once."""
    made = {(c.name, c.arguments_json()) for t in conversation.turns for c in t.tool_calls}
    calls: list[ToolInvocation] = []
    parts = steps(text)
    first = step_calls(conversation, step_tools(conversation, parts, 0), parts[0]) if len(parts) > 1 else []
    if first:
        calls = first
    else:
        for tool in wanted_tools(conversation, text):
            calls.extend(calls_for(tool, text))
    fresh = [c for c in calls if (c.name, c.arguments_json()) not in made]
    if not fresh and calls and conversation.tool_choice in ("any", "tool"):
        return calls  # forced: a repeated call is still a call
    return fresh
