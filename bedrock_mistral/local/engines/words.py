"""Word-level helpers for the rules engine: tokenizing, stopwords, crude stemming, sentence splitting."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "get",
        "gets",
        "give",
        "given",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "should",
        "so",
        "tell",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "this",
        "those",
        "to",
        "us",
        "use",
        "used",
        "using",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "tool",
        "tools",
        "function",
        "call",
        "calls",
        "result",
        "results",
        "value",
        "values",
        "current",
        "return",
        "returns",
        "answer",
        "question",
        "any",
        "some",
        "all",
        "also",
        "just",
        "now",
        "today",
        "need",
        "want",
        "know",
        "let",
        "make",
        "sure",
        "only",
        "one",
        "find",
        "show",
        "provide",
    ]
)
_WORD = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def word_set(text: str) -> frozenset[str]:
    """The space-separated words of `text` as a set, for compact word lists."""
    return frozenset(text.split())


def stem(word: str) -> str:
    """Just enough stemming that `weather`/`weathers` and `payment`/`payments` meet."""
    word = word.lower()
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def words(text: str) -> list[str]:
    """Lower-cased words, identifiers split on `_` and camelCase."""
    out: list[str] = []
    for token in re.split(r"[_\W]+", _CAMEL.sub(" ", text)):
        out.extend(w.lower() for w in _WORD.findall(token))
    return out


def keywords(text: str) -> set[str]:
    """Stemmed words that carry meaning (stopwords and 1-letter words dropped)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def overlap(a: str, b: str) -> int:
    return len(keywords(a) & keywords(b))
