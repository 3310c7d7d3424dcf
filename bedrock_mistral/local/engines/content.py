"""Plausible values for JSON keys the prompt names but gives no value for, built from its topic.

A deterministic stand-in for what a model would write: "Tell me a joke about cats" with `setup` and
`punchline` keys gets a (weak, always the same) cat joke; a `name` gets the subject of the question; a
plural key gets a short list of numbered items. Only used when no schema came with the request.
"""

from __future__ import annotations

import re
from typing import Any

from bedrock_mistral.local.engines.words import sentences

_ABOUT = re.compile(r"\babout\s+(?:the\s+|some\s+)?(?P<topic>[^.?!,;:\n]{1,80})", re.I)
_LEAD = re.compile(
    r"^(?:(?:please|now|so)\s+)?(?:(?:what|who|which|where|when|how)(?:'s|\s+(?:is|are|was|were|do|does|did)"
    r"(?:\s+you\s+think)?)?|tell\s+me(?:\s+about)?|give\s+me|show\s+me|describe|explain|write(?:\s+me)?|list|"
    r"name|suggest|recommend|create|generate|make|find|i\s+(?:want|need|would\s+like)(?:\s+to\s+know)?)\s+",
    re.I,
)
_JOKE = ("Why did the {thing} bring a ladder to the party?", "Because it heard the drinks were on the house!")
_DESCRIPTIVE = (
    "description",
    "summary",
    "explanation",
    "answer",
    "text",
    "content",
    "reason",
    "reasoning",
    "details",
    "comment",
    "response",
    "message",
    "body",
)
_NAMES = ("name", "title", "label", "dish", "meal", "heading", "subject", "topic")


def topic(text: str) -> str:
    """What the request is about: the object of 'about ...', else the first sentence without its verb."""
    match = _ABOUT.search(text)
    if match:
        return match.group("topic").strip()
    first = next(iter(sentences(text)), "").strip()
    first = _LEAD.sub("", first, count=1).strip().rstrip(".?!:;")
    return first or "the request"


def singular(phrase: str) -> str:
    """`cats` -> `cat`, `the best French meals` -> `the best French meal` (last word only)."""
    head, _, last = phrase.rpartition(" ")
    if last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3:
        last = last[:-1]
    return f"{head} {last}".strip()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _words(key: str) -> str:
    return " ".join(
        re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).replace("_", " ").replace("-", " ").split()
    ).lower()


class Content:
    """A `placeholder(name, schema)` for `extract.fill`: values about the topic of `text`."""

    def __init__(self, text: str) -> None:
        self.topic = topic(text)

    def __call__(self, name: str, kind: str) -> Any:
        words = _words(name)
        last = words.rsplit(" ", 1)[-1] if words else ""
        thing = singular(re.sub(r"^(?:the|a|an|some)\s+", "", self.topic, flags=re.I))
        if kind == "array":
            item = singular(words) or "item"
            return [f"{item} {n}" for n in (1, 2, 3)]
        if kind != "string":
            return None
        if last in ("setup", "question") and "joke" in words + " " + self.topic.lower() or last == "setup":
            return _JOKE[0].format(thing=thing)
        if last in ("punchline", "punch"):
            return _JOKE[1]
        if last == "joke":
            return " ".join(_JOKE).format(thing=thing)
        if last in _NAMES or not words:
            return _capital(self.topic)
        if last in _DESCRIPTIVE:
            return f"A short {words} about {self.topic}."
        return _capital(f"{words} of {self.topic}")
