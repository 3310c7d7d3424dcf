"""What the application and the HTTP server exchange: a parsed request in, a response or a paced frame stream out.

Waiting is data here, not a `time.sleep`: a response carries its delay and a stream yields `Pause` items,
so the server decides how to wait (an event-loop timer) and a slow answer never holds a thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes


@dataclass(frozen=True)
class Pause:
    """Yielded by a stream: wait this long before the next frame (fault latency, per-token pacing)."""

    seconds: float


DROP = b""
"""Yielded by a stream to close the connection without the terminating chunk."""

Frame = bytes | Pause


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    stream: Iterator[Frame] | None = None
    drop: bool = False
    """Close the connection without answering."""
    delay_s: float = 0.0
    """Wait this long before the first byte (or before dropping)."""
