"""Question-generation prompts: tools listed as JSON, an example answer, then the user's question.

LlamaIndex's LLMQuestionGenerator writes one, but only the structure is read: JSON blocks in the prompt, the
last `{name: description}` map is the tools on offer, an example answer is a JSON list of objects (perhaps
under one wrapping key) with a key whose values name tools of an earlier map and a key holding questions.
Each part of the user's question becomes a sub-question for the tool sharing most words with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bedrock_mistral.local.conversation import Conversation
from bedrock_mistral.local.engines.words import keywords

_FENCED = re.compile(r"```(?:json)?\s*(?P<body>[\[{].*?)\s*```", re.S)
_IDENTIFIER = re.compile(r"^[A-Za-z_][\w.-]*$")
_HEADER = re.compile(r"^\s*(?:<[^>]*>|#+\s.*|[A-Z][\w ]{0,30}:)\s*$")
_CLAUSE = re.compile(r"\s*(?:[;?]|,\s*(?:and\s+)?|\band\b|\balso\b|\bthen\b)\s*", re.I)


@dataclass
class Example:
    """The answer shape: its wrapping key (or None), the tool key and the question key."""

    wrapper: str | None
    tool_key: str
    question_key: str


def _blocks(text: str) -> list[tuple[int, Any]]:
    """(end offset, parsed value) of each fenced JSON block."""
    out = []
    for match in _FENCED.finditer(text):
        try:
            out.append((match.end(), json.loads(match.group("body"))))
        except ValueError:
            continue
    return out


def _is_tool_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and _IDENTIFIER.match(k) and isinstance(v, str) for k, v in value.items())
    )


def _example(value: Any, tool_names: set[str]) -> Example | None:
    wrapper = None
    if isinstance(value, dict) and len(value) == 1:
        wrapper, value = next(iter(value.items()))
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return None
    keys = list(value[0])
    tool_key = next((k for k in keys if all(str(v.get(k)) in tool_names for v in value)), None)
    question_key = next(
        (k for k in keys if k != tool_key and all(" " in str(v.get(k, "")) for v in value)), None
    )
    if tool_key is None or question_key is None:
        return None
    return Example(wrapper, tool_key, question_key)


def _question(text: str, after: int) -> str:
    lines = [line for line in text[after:].splitlines() if line.strip() and not _HEADER.match(line)]
    return " ".join(line.strip() for line in lines)


def _best_tool(clause: str, tools: dict[str, str]) -> tuple[int, str]:
    words = keywords(clause)
    scored = [(len(words & keywords(f"{name} {description}")), name) for name, description in tools.items()]
    return max(scored, key=lambda pair: pair[0])


def _as_question(clause: str) -> str:
    clause = clause.strip().rstrip("?.!")
    return clause[:1].upper() + clause[1:] + "?"


def answer(conversation: Conversation) -> str | None:
    """Sub-questions in the example's JSON (in a json fence, like the example), or None."""
    text = conversation.last_user_text
    blocks = _blocks(text)
    maps = [(end, value) for end, value in blocks if _is_tool_map(value)]
    if len(maps) < 2:
        return None
    example_names = {name for _, value in maps[:-1] for name in value}
    example = next((e for _, v in blocks if (e := _example(v, example_names)) is not None), None)
    if example is None:
        return None
    end, tools = maps[-1]
    question = _question(text, end)
    if not question:
        return None
    items: list[dict[str, str]] = []
    for clause in (c for c in _CLAUSE.split(question) if len(keywords(c)) >= 1):
        score, name = _best_tool(clause, tools)
        if score > 0:
            items.append({example.question_key: _as_question(clause), example.tool_key: name})
    if not items:
        items = [{example.question_key: _as_question(question), example.tool_key: _best_tool(question, tools)[1]}]
    value: Any = {example.wrapper: items} if example.wrapper else items
    return f"```json\n{json.dumps(value, ensure_ascii=False, indent=4)}\n```"
