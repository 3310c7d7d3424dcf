"""The ReAct text protocol (Thought / Action / Action Input / Observation / Answer) of LlamaIndex's agent."""

from __future__ import annotations

import json
import re

from bedrock_mistral.local.conversation import Conversation, ConversationTurn, OfferedTool
from bedrock_mistral.local.engines import answers, tool_choice

_TOOL = re.compile(
    r"> Tool Name: (?P<name>\S+)\s*\nTool Description: (?P<desc>.*?)\nTool Args: (?P<args>\{.*?\})\s*\n", re.S
)
_ACTION = re.compile(r"Action:\s*(?P<name>[^\n(]+)")
FINAL = "Thought: I can answer without using any more tools. I'll use the user's language to answer\nAnswer: "


def header(conversation: Conversation) -> str:
    """The text carrying the ReAct instructions: the system prompt or, for models that take none (the
    template folds the system prompt into it), the first user turn; "" when there is none."""
    first = next((t.text for t in conversation.turns if t.role == "user"), "")
    for text in (conversation.system, first):
        if "Action Input:" in text and "Thought:" in text:
            return text
    return ""


def is_react(conversation: Conversation) -> bool:
    return bool(header(conversation))


def _without_header(text: str, instructions: str) -> str:
    """The user's own words of a turn the instructions were folded into: its last paragraph."""
    if text != instructions:
        return text
    return text.strip().split("\n\n")[-1].strip()


def tools_in(system: str) -> list[OfferedTool]:
    tools = []
    for match in _TOOL.finditer(system + "\n"):
        try:
            schema = json.loads(match.group("args"))
        except ValueError:
            schema = {"type": "object", "properties": {}}
        tools.append(OfferedTool(match.group("name"), match.group("desc").strip(), schema))
    return tools


def answer(conversation: Conversation) -> str:
    """An Action for the matching tool, or after an Observation, the final Answer quoting it."""
    turns = conversation.turns
    last = turns[-1].text.strip() if turns else ""
    if last.startswith("Observation:"):
        observation = last[len("Observation:") :].strip()
        action = next((_ACTION.search(t.text) for t in reversed(turns) if t.role == "assistant"), None)
        name = action.group("name").strip() if action else None
        quoted = f"The result of {name} is: {observation}" if name else observation
        return FINAL + answers.sentence(quoted)
    instructions = header(conversation)
    question = next(
        (t.text for t in reversed(turns) if t.role == "user" and not t.text.startswith("Observation:")), ""
    )
    question = _without_header(question, instructions)
    probe = Conversation(model_id=conversation.model_id, tools=tools_in(instructions))
    chosen = tool_choice.wanted_tools(probe, question)
    if chosen:
        call = tool_choice.calls_for(chosen[0], question)[0]
        return (
            "Thought: The current language of the user is: English. I need to use a tool to help me answer the "
            f"question.\nAction: {call.name}\nAction Input: {json.dumps(call.arguments, ensure_ascii=False)}"
        )
    plain = Conversation(model_id=conversation.model_id, turns=[ConversationTurn("user", question)])
    return FINAL + answers.default_answer(plain)
