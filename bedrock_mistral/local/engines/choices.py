"""Selector prompts: a numbered list of choices, a question, and a JSON example asking for choice numbers.

LlamaIndex's LLMSingleSelector / LLMMultiSelector write them, but nothing here depends on their wording: the
choices are any consecutive `(1) ...` / `1. ...` / `1) ...` items, the example is any JSON-like snippet whose
keys take a number (the choice) and text (the reason), and "choices" in the plural (or "no more than N")
asks for several. Each part of the question picks the choice sharing most words with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bedrock_mistral.local.conversation import Conversation
from bedrock_mistral.local.engines.words import keywords

_ITEM = re.compile(r"^[ \t]*(?:\((?P<a>\d+)\)|(?P<b>\d+)[.)])[ \t]+(?P<text>\S.*)$", re.M)
_EXAMPLE_KEY = re.compile(r"[\"']?(?P<key>[A-Za-z_]\w*)[\"']?\s*:\s*(?P<value>-?\d+|\"[^\"\n]*\"|'[^'\n]*')")
_QUESTION = re.compile(r"\b(?:question|query|request|input|task)\b[^:\n]{0,40}:\s*(?:'(?P<s>[^\n]*)'|\"(?P<d>[^\n]*)\"|(?P<bare>[^\n]+))", re.I)
_SEVERAL = re.compile(r"\bchoices\b(?!\s+are\b)|\bno more than\s+(?P<max>\d+)|\bselect (?:all|several|multiple)\b", re.I)
_SELECTING = re.compile(r"\b(?:choices?|options?|select|pick|choose|most relevant|best match(?:es|ing)?)\b", re.I)
_CLAUSE = re.compile(r"\s*(?:[,;?]|\band\b|\balso\b)\s*", re.I)


@dataclass
class Format:
    """The answer shape the example shows: a list or one object, with its number and text keys."""

    as_list: bool
    number_keys: list[str]
    text_keys: list[str]


def choices_in(text: str) -> list[str]:
    """Consecutive numbered items from 1 (at least two), each up to the next item or a blank/rule line."""
    items: dict[int, str] = {}
    for match in _ITEM.finditer(text):
        number = int(match.group("a") or match.group("b"))
        if number == len(items) + 1:
            items[number] = match.group("text").strip()
        elif number == 1 and len(items) < 2:
            items = {1: match.group("text").strip()}
    return list(items.values()) if len(items) >= 2 else []


def requested_format(text: str) -> Format | None:
    """The JSON example after the word JSON: keys whose example value is a number hold the choice."""
    at = text.lower().find("json")
    if at < 0:
        return None
    rest = text[at:]
    start = min((i for i in (rest.find("["), rest.find("{")) if i >= 0), default=-1)
    if start < 0:
        return None
    snippet = rest[start:]
    number_keys: list[str] = []
    text_keys: list[str] = []
    for match in _EXAMPLE_KEY.finditer(snippet):
        keys = number_keys if match.group("value")[0] not in "\"'" else text_keys
        if match.group("key") not in number_keys + text_keys:
            keys.append(match.group("key"))
    if not number_keys:
        return None
    return Format(snippet.lstrip().startswith("["), number_keys, text_keys)


def question_in(text: str, choices: list[str]) -> str:
    matches = list(_QUESTION.finditer(text))
    if matches:
        last = matches[-1]
        return (last.group("s") or last.group("d") or last.group("bare") or "").strip()
    for choice in choices:
        text = text.replace(choice, " ")
    return text


def pick(question: str, choices: list[str], several: bool, limit: int) -> list[tuple[int, str]]:
    """(choice index from 0, the words of the question it answers), best first."""
    scored = [len(keywords(question) & keywords(c)) for c in choices]
    if not several:
        best = max(range(len(choices)), key=lambda i: (scored[i], -i))
        return [(best, question)]
    picked: list[tuple[int, str]] = []
    for clause in (c for c in _CLAUSE.split(question) if c.strip()):
        words = keywords(clause)
        scores = [len(words & keywords(c)) for c in choices]
        best = max(range(len(choices)), key=lambda i: (scores[i], -i))
        if scores[best] > 0 and best not in [i for i, _ in picked]:
            picked.append((best, clause.strip()))
    if not picked:
        best = max(range(len(choices)), key=lambda i: (scored[i], -i))
        picked = [(best, question)]
    return picked[:limit]


def answer(conversation: Conversation) -> str | None:
    """The selection as the example's JSON, or None when the prompt is not a selector prompt."""
    text = conversation.last_user_text
    if not _SELECTING.search(text):
        return None  # a numbered list in a prompt that asks for no choice is data, not choices
    choices = choices_in(text)
    shape = requested_format(text) if choices else None
    if shape is None:
        return None
    several = _SEVERAL.search(text)
    limit = int(several.group("max")) if several and several.group("max") else len(choices)
    question = question_in(text, choices)
    entries: list[dict[str, Any]] = []
    for index, clause in pick(question, choices, several is not None, limit):
        entry: dict[str, Any] = {key: index + 1 for key in shape.number_keys}
        for key in shape.text_keys:
            entry[key] = f"Choice {index + 1} ({choices[index].rstrip('.')}) is the most relevant to: {clause}"
        entries.append(entry)
    return json.dumps(entries if shape.as_list else entries[0], ensure_ascii=False, indent=2)
