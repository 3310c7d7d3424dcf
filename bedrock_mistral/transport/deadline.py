"""Whole-call deadlines: a bound on the time a call may take, whatever the socket timeouts allow.

botocore's read timeout applies to each socket read, so a server trickling one byte at a time keeps a
call alive indefinitely. A deadline bounds the whole call (retries included) and, for a stream, the
wait for the first event and between two events. Async calls are bounded with `asyncio.wait_for`;
blocking calls cannot be interrupted, so the blocking part runs in a daemon thread the caller waits
for, and the stream's socket is shut down when the caller gives up, which ends the abandoned read.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from bedrock_mistral.errors import BedrockTimeoutError

T = TypeVar("T")
_END = object()


def expired(seconds: float, what: str, partial_text: str | None = None) -> BedrockTimeoutError:
    return BedrockTimeoutError(
        f"Bedrock did not answer within the deadline of {seconds:g} s ({what})", partial_text=partial_text
    )


def call_within(fn: Callable[[], T], seconds: float, what: str, discard: Callable[[T], None]) -> T:
    """`fn()` run in a daemon thread; BedrockTimeoutError if it has not finished after `seconds`.

    A result that arrives after the caller gave up is handed to `discard` (to close a stream)."""
    results: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
    lock = threading.Lock()
    abandoned = False

    def run() -> None:
        try:
            outcome: tuple[bool, Any] = (True, fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            outcome = (False, exc)
        with lock:
            late = abandoned
            if not late:
                results.put(outcome)
        if late and outcome[0]:
            discard(outcome[1])

    threading.Thread(target=run, name="bedrock-deadline-call", daemon=True).start()
    try:
        ok, value = results.get(timeout=seconds)
    except queue.Empty:
        with lock:
            abandoned = True
            try:  # the result may have arrived between the timeout and taking the lock
                ok, value = results.get_nowait()
            except queue.Empty:
                raise expired(seconds, what) from None
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def events_within(events: Any, iterator: Iterator[Any], seconds: float) -> Iterator[Any]:
    """The stream's events, each awaited at most `seconds`; a reader thread does the blocking reads.

    On a missed deadline (or when the consumer stops early) the stream's socket is shut down, which
    ends the reader's blocked read at once."""
    items: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
    stop = threading.Event()

    def read() -> None:
        try:
            for event in iterator:
                if stop.is_set():
                    return
                items.put((True, event))
            items.put((True, _END))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            items.put((False, exc))

    threading.Thread(target=read, name="bedrock-deadline-stream", daemon=True).start()
    finished = False
    try:
        while True:
            try:
                ok, value = items.get(timeout=seconds)
            except queue.Empty:
                raise expired(seconds, "waiting for the next stream event") from None
            if not ok:
                finished = True
                raise value
            if value is _END:
                finished = True
                return
            yield value
    finally:
        if not finished:
            stop.set()
            abort(events)


def abort(response: Any) -> None:
    """Shut down the socket under a botocore event stream or streaming body: a blocked read returns."""
    raw = getattr(response, "_raw_stream", response)
    connection = getattr(raw, "_connection", None) or getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        fp = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


async def awaited_within(awaitable: Awaitable[T], seconds: float, what: str, partial_text: str | None = None) -> T:
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except BedrockTimeoutError:
        raise
    except asyncio.TimeoutError:
        raise expired(seconds, what, partial_text) from None
