"""Pacing call starts so that many concurrent calls do not freeze the event loop.

Starting a call costs CPU on the loop before its first real wait: validation and encoding here, then
botocore's serialization, endpoint resolution and signing inside aiobotocore (about 0.3 ms a call).
Calls started together (`asyncio.gather`, `abatch`) would all do that in one loop iteration: 256 of
them hold the loop for 100 ms and more, and every other task on it (a web server's other requests, a
heartbeat) waits that long. The pacer of a loop lets starts run for a slice of `SLICE_S` seconds per
iteration; later starts wait, in arrival order, for the next iterations. The total work is the same,
no thread is involved, and a lone call never waits.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from time import perf_counter

SLICE_S = 0.004
"""Loop time given to call starts per iteration (the worst stall they add is about this plus one start)."""


class Pacer:
    """The start queue of one event loop, shared by every client and call on it. It does not hold its
    loop (the registry's key): a closed loop and its pacer are freed together."""

    def __init__(self) -> None:
        self._slice_started: float | None = None
        self._granted = 0
        self._overflowed = False
        self._armed = False
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def turn(self) -> None:
        """Returns at once while this iteration's slice lasts; otherwise waits for a later iteration."""
        if not self._waiting and self._admit():
            return
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiting.append(waiter)
        while True:
            try:
                await waiter
            except BaseException:
                if not waiter.done():
                    self._waiting.remove(waiter)
                raise
            if self._admit():
                return
            waiter = loop.create_future()  # woken, but the slice filled up first: stay at the front
            self._waiting.appendleft(waiter)

    def _admit(self) -> bool:
        now = perf_counter()
        if self._slice_started is None:
            self._slice_started, self._granted, self._overflowed = now, 1, False
            self._arm()
            return True
        if now - self._slice_started < SLICE_S:
            self._granted += 1
            return True
        self._overflowed = True
        return False

    def _arm(self) -> None:
        if not self._armed:
            self._armed = True
            asyncio.get_running_loop().call_soon(self._next_slice)

    def _next_slice(self) -> None:
        """Runs after the slice's iteration: ends the slice and wakes as many waiters as should fit in
        the next one (as many as the last slice took, twice as many if it had room to spare)."""
        self._armed = False
        self._slice_started = None
        count = self._granted if self._overflowed else 2 * self._granted
        while self._waiting and count > 0:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                count -= 1
        if self._waiting:
            self._arm()  # runs after the woken calls, in their iteration: slices follow one per iteration

    @property
    def waiting(self) -> int:
        return len(self._waiting)


_PACERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pacer] = weakref.WeakKeyDictionary()
_last: tuple[weakref.ref[asyncio.AbstractEventLoop], Pacer] | None = None
"""The last loop asked about and its pacer (asked per stream event: a weak-dictionary lookup makes a weak
reference each time)."""


def pacer() -> Pacer:
    """The running loop's pacer."""
    global _last
    loop = asyncio.get_running_loop()
    if _last is not None and _last[0]() is loop:
        return _last[1]
    found = _PACERS.get(loop)
    if found is None:
        found = _PACERS[loop] = Pacer()
    _last = (weakref.ref(loop), found)
    return found


async def turn() -> None:
    """Wait, if need be, for the running loop to have time for one more call start."""
    await pacer().turn()
