"""A deterministic token model shared by every answer: one token per word with its leading space.

The same pieces are the stream chunks, so counts agree between headers, invocation metrics and Converse
usage, and `max_tokens` truncates at a chunk boundary.
"""

from __future__ import annotations

import re

_PIECE = re.compile(r"\s*\S+|\s+")


def pieces(text: str) -> list[str]:
    """Words with their leading whitespace; joining them gives back `text` exactly."""
    return _PIECE.findall(text)


def count(text: str) -> int:
    """Token estimate for `text` (at least 1 for non-empty text): `len(pieces(text))` without building the
    pieces. Each word is one piece; trailing whitespace is one more (`\\s` and `str.isspace` agree)."""
    return len(text.split()) + text[-1].isspace() if text else 0


def truncate(text: str, max_tokens: int | None, stop: list[str]) -> tuple[str, str | None]:
    """Cut at the first stop sequence, then at `max_tokens` pieces; returns the text and why it stopped.

    The reason is "stop_sequence", "length" or None (ran to its natural end).
    """
    reason: str | None = None
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    if cut >= 0:
        text, reason = text[:cut], "stop_sequence"
    if max_tokens is not None:
        parts = pieces(text)
        if len(parts) > max_tokens:
            text, reason = "".join(parts[:max_tokens]), "length"
    return text, reason
