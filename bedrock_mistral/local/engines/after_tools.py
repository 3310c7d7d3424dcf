"""The turn after tool results: call a tool again when one is forced, JSON when JSON is asked for, else quote.

With `tool_choice` any (or a named tool) the model must call a tool. Agents that want a structured final
answer (LangChain's `create_agent` with a ToolStrategy) offer it as one more tool, named after the response
model: that tool gets called with arguments filled from the tool results and the conversation. Without
such a tool, the best matching tool is called again. With a JSON answer requested (a response schema,
JSON mode, a schema or keys in the prompt) the answer is that JSON, filled from the tool results.
"""

from __future__ import annotations

import json
from typing import Any

from bedrock_mistral.local.conversation import Conversation, OfferedTool, Reply, ToolInvocation, ToolResult
from bedrock_mistral.local.engines import answers, extract, json_output, tool_choice
from bedrock_mistral.local.engines.words import keywords

# Verbs in tool names that say nothing about what the result is ("retrieve_payment_status" -> status).
_GENERIC = keywords(
    "get retrieve fetch lookup look up search query check read load find list compute calculate run call do "
    "tool api info information data"
)
# Words that mark a tool as the place for the final, structured answer.
_OUTPUT_WORDS = keywords(
    "final response report output answer result results structured format schema summary respond reply"
)
# String properties that take the whole quoted answer when nothing more specific fills them.
_DESCRIPTIVE = {
    "answer",
    "response",
    "result",
    "output",
    "summary",
    "text",
    "message",
    "content",
    "finalanswer",
}


def reply(conversation: Conversation, results: list[ToolResult]) -> Reply:
    if conversation.tools and conversation.tool_choice in ("any", "tool"):
        calls = forced_calls(conversation)
        if calls:
            return Reply(tool_calls=calls, stop_reason="tool_calls")
    if conversation.tools:
        following = tool_choice.next_step_calls(conversation)
        if following:
            return Reply(tool_calls=following, stop_reason="tool_calls")
    quoted = answers.quote_tool_results(conversation, results)
    if json_output.wants_json(conversation):
        return Reply(text=json_answer(conversation, quoted))
    return Reply(text=quoted)


def all_results(conversation: Conversation) -> list[ToolResult]:
    return [r for turn in conversation.turns for r in turn.tool_results]


def _results_text(conversation: Conversation) -> str:
    return "\n".join(r.content for r in all_results(conversation) if not r.is_error)


def json_answer(conversation: Conversation, quoted: str) -> str:
    shape = json_output.target(conversation)
    if shape.schema is None:
        return json.dumps({"answer": quoted}, ensure_ascii=False)
    known = known_values(conversation, shape.schema, quoted)
    value = json_output.fill(shape, _results_text(conversation), known)
    return json.dumps(value, ensure_ascii=False)


def forced_calls(conversation: Conversation) -> list[ToolInvocation]:
    """The forced tool, else the structured-output tool, else the best match for the question."""
    tool: OfferedTool | None = None
    if conversation.tool_choice == "tool" and conversation.forced_tool:
        tool = next((t for t in conversation.tools if t.name == conversation.forced_tool), None)
    if tool is None:
        tool = structured_output_tool(conversation)
    if tool is not None:
        return [ToolInvocation(tool.name, arguments(conversation, tool))]
    return tool_choice.tool_calls(conversation, conversation.last_user_text)


def _called(conversation: Conversation) -> list[ToolInvocation]:
    return [call for turn in conversation.turns for call in turn.tool_calls]


def _properties(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    resolved = extract.Extractor(schema or {}, extract.Evidence.of("")).resolve(schema or {})
    properties = resolved.get("properties") or {}
    return {k: v for k, v in properties.items() if isinstance(v, dict)}


def structured_output_tool(conversation: Conversation) -> OfferedTool | None:
    """An offered tool not called yet that reads like a response model rather than an action."""
    called = _called(conversation)
    names = {c.name for c in called}
    known = {extract.normalise(k) for c in called for k in c.arguments}
    known |= {extract.normalise(k) for r in all_results(conversation) for k in _json_object(r.content)}
    result_words = set().union(*(_tool_words(conversation, c.name) for c in called)) if called else set()
    best: tuple[int, int] | None = None
    for index, tool in enumerate(conversation.tools):
        if tool.name in names:
            continue
        score = 0
        if tool.name[:1].isupper() and "_" not in tool.name and any(ch.islower() for ch in tool.name):
            score += 2  # a class name: LangChain names the tool after the pydantic model / TypedDict
        score += len((keywords(tool.name) | keywords(tool.description)) & _OUTPUT_WORDS)
        for prop in _properties(tool.parameters):
            if extract.normalise(prop) in known or keywords(prop) & result_words:
                score += 1
        if score >= 2 and (best is None or score > best[0]):
            best = (score, index)
    return conversation.tools[best[1]] if best else None


def _tool_words(conversation: Conversation, name: str) -> set[str]:
    return keywords(name) - _GENERIC


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def known_values(
    conversation: Conversation, schema: dict[str, Any] | None, quoted: str = ""
) -> dict[str, Any]:
    """Property values the tool calls and their results give for `schema`.

    Arguments of earlier calls keep their names; a JSON object result gives its keys; a plain result goes
    to the property that reads most like the tool's name ("Paid" from retrieve_payment_status -> status),
    none when no property shares a word with that name (the result then only counts as evidence).
    """
    known: dict[str, Any] = {}
    for call in _called(conversation):
        known.update(call.arguments)
    from_arguments = {extract.normalise(k) for k in known}
    properties = _properties(schema)
    tools = {t.name: t for t in conversation.tools}
    for result in all_results(conversation):
        if result.is_error:
            continue
        parsed = _json_object(result.content)
        if parsed:
            known.update(parsed)
            continue
        name = result.name or conversation.tool_name_for(result.tool_call_id) or ""
        spec = tools.get(name)
        prop = _best_property(properties, name, spec.description if spec else "", from_arguments)
        if prop is not None:
            known[prop] = result.content.strip()
    taken = {extract.normalise(k) for k in known}
    for prop, prop_schema in properties.items():
        descriptive = extract.normalise(prop) in _DESCRIPTIVE and extract.normalise(prop) not in taken
        if quoted and descriptive and prop_schema.get("type", "string") == "string":
            known[prop] = quoted
    return known


def _best_property(
    properties: dict[str, dict[str, Any]], tool_name: str, tool_description: str, skip: set[str]
) -> str | None:
    name_words = keywords(tool_name) - _GENERIC
    description_words = keywords(tool_description) - _GENERIC
    best: tuple[int, str] | None = None
    for prop, prop_schema in properties.items():
        if extract.normalise(prop) in skip:
            continue
        prop_words = keywords(prop)
        about = keywords(str(prop_schema.get("description", "")))
        named = 2 * len(prop_words & name_words) + len(about & name_words)
        score = named + len(prop_words & description_words)
        if named > 0 and (best is None or score > best[0]):
            best = (score, prop)
    return best[1] if best else None


def arguments(conversation: Conversation, tool: OfferedTool) -> dict[str, Any]:
    """Arguments for `tool` from earlier calls, tool results and the conversation's user turns."""
    schema = tool.parameters or {}
    if not _properties(schema):
        return {}
    users = "\n".join(t.text for t in conversation.turns if t.role == "user" and t.text.strip())
    text = f"{json_output.evidence_text(users)}\n{_results_text(conversation)}"
    extractor = extract.Extractor(schema, extract.Evidence.of(text), known_values(conversation, schema))
    value, _ = extractor.value("", schema)
    return value if isinstance(value, dict) else {}
