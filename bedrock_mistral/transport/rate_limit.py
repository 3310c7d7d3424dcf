"""Client-side rate limiting: one limiter per model, credentials, region and endpoint, shared by every
thread, task and adapter in the process.

Bedrock's on-demand quotas are per model and region, and every client in a process draws on the same
quota, so the limiter is keyed on exactly that and shared. It sends freely until Bedrock first throttles;
from then on it paces requests. The first throttle drops the send rate to what actually got through so far
times `BETA`; as a burst drains the quota's bucket before anything says what it refills at, that is a floor,
and the rate doubles from it every `STARTUP_DOUBLING_S` until a later send is throttled. Each later throttle
cuts from the rate then in force (or from what got through in the last second, if more) times `BETA`, and
the rate climbs back along botocore's CUBIC curve (`botocore.retries.throttling.CubicCalculator`, the curve
of botocore's own adaptive mode, steepened by `CUBIC_SCALE`). Only throttles of requests sent after the
last cut cut again, so a burst of throttles answered at once counts once.

botocore's `ClientRateLimiter` / `TokenBucket` are not used as they are: their bucket blocks the calling
thread on a condition variable (an event loop would freeze), and their rate starts from the measured send
rate, which is 0 until half a second has passed (a throttle in the first moments drops the rate to 0.5
requests a second). Pacing here is a reservation schedule: each caller is given its slot time and sleeps
(`time.sleep` in a thread, `asyncio.sleep` in a task) until it; the slot is recomputed on waking, so a
cut in the meantime is never overrun.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Literal

from botocore.retries.throttling import CubicCalculator

from bedrock_mistral.errors import ConfigurationError

RateLimitMode = Literal["adaptive", "off"]
RATE_LIMIT_MODES = ("adaptive", "off")
BETA = 0.85
"""After a throttle the rate is this fraction of the rate that got through."""
MIN_RATE = 0.5
"""Requests per second the adaptive rate never goes below."""
WINDOW_S = 1.0
"""Span over which send and success rates are measured."""
MIN_SPAN_S = 0.1
"""A rate is never measured over less than this (the first requests of a limiter)."""
IDLE_RESET_S = 60.0
"""A limiter unused this long forgets its rate: a minute's quota has refilled by then."""
MAX_NAP_S = 0.5
"""Longest single sleep of a waiter, so a raised rate reaches waiters that reserved under a lower one."""
RETRY_SPREAD_S = 0.25
"""A throttled call waits a random part of this before asking for its retry's slot: the send after a cut
is the one that finds out whether the cut was enough, and without the spread it would be the retry of the
call throttled last each time, which a run of cuts can throttle again and again until its attempts run out."""
STARTUP_DOUBLING_S = 0.25
"""After the first throttle the rate doubles this often until the next throttle: the first cut is made
before anything says what the quota refills at (a burst drains the bucket at once), so it is a floor."""
CUBIC_SCALE = 4.0
"""botocore's CUBIC constant is 0.4 (back to the old maximum after cbrt(max x 0.15 / 0.4) s: 4 s at 200
requests a second); ten times it is back in under 2 s, so a rate just under the quota is not held for long."""


def check_options(rate_limit: str, requests_per_second: float | None) -> None:
    """Raises ConfigurationError naming the allowed values."""
    if rate_limit not in RATE_LIMIT_MODES:
        raise ConfigurationError(
            f"rate_limit must be one of {', '.join(RATE_LIMIT_MODES)}, got {rate_limit!r}"
        )
    if requests_per_second is not None and (
        isinstance(requests_per_second, bool)
        or not isinstance(requests_per_second, (int, float))
        or not requests_per_second > 0
    ):
        raise ConfigurationError(
            f"requests_per_second must be a positive number (or None), got {requests_per_second!r}"
        )


@dataclass(frozen=True)
class Ticket:
    """One granted send: when it was granted, to tell throttles before a cut from those after."""

    sent_at: float


class _Window:
    """Event times of the last `WINDOW_S` seconds, for a rate."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def add(self, now: float) -> None:
        self._times.append(now)

    def rate(self, now: float, age: float) -> float:
        times = self._times
        while times and times[0] < now - WINDOW_S:
            times.popleft()
        return len(times) / max(MIN_SPAN_S, min(WINDOW_S, age))

    def rate_since(self, now: float, start: float) -> float:
        """The rate over the last `WINDOW_S` seconds counting only events at or after `start`."""
        self.rate(now, 1.0)  # drops what left the window
        count = sum(1 for t in reversed(self._times) if t >= start) if self._times else 0
        return count / max(MIN_SPAN_S, min(WINDOW_S, now - start))


class RateLimiter:
    """Paces sends to one model's quota. Thread-safe; the async acquire never blocks the event loop."""

    def __init__(
        self, requests_per_second: float | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.fixed = requests_per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._reset(clock())
        self.throttles = 0
        """Throttled attempts reported to this limiter."""
        self.cuts = 0
        """Times the rate was lowered."""

    def _reset(self, now: float) -> None:
        self._created = now
        self._rate: float | None = self.fixed
        self._cubic: CubicCalculator | None = None
        self._startup: float | None = None
        """The rate set by the first cut, while no second throttle has come (doubling from it)."""
        self._first_throttle = float("-inf")
        self._last_cut = float("-inf")
        self._last_use = now
        self._last_grant = float("-inf")
        self._anchor_t = now
        self._anchor_k = 0.0
        self._next_k = 0.0
        self._sends = _Window()
        self._successes = _Window()

    @property
    def rate(self) -> float | None:
        """Requests per second sent at most now; None while not limiting."""
        with self._lock:
            return self._rate

    # --- the schedule (under the lock) ------------------------------------------------------------

    def _due(self, now: float) -> float:
        """The slot index due at `now`."""
        assert self._rate is not None
        return self._anchor_k + (now - self._anchor_t) * self._rate

    def _set_rate(self, rate: float, now: float) -> None:
        if self._rate is not None:
            self._anchor_k = min(self._due(now), self._next_k)
        else:
            self._anchor_k = self._next_k
        self._anchor_t = now
        self._rate = rate

    def _reserve(self, now: float) -> float | None:
        if now - self._last_use > IDLE_RESET_S and self.fixed is None:
            self._reset(now)
        self._last_use = now
        if self._rate is None:
            return None
        slot = max(self._next_k, self._due(now))
        self._next_k = slot + 1
        return slot

    def _wait(self, slot: float | None, now: float) -> float:
        """Seconds until `slot` is due (0 when it is, or when the limiter stopped limiting)."""
        if slot is None or self._rate is None:
            return 0.0
        # Never two sends closer than one interval: waiters woken late (a busy loop or CPU) would
        # otherwise all go at once, a burst the quota's bucket may not hold.
        spacing = self._last_grant + 1 / self._rate - now
        return max(0.0, (slot - self._due(now)) / self._rate, spacing)

    def _grant(self, now: float) -> Ticket:
        self._sends.add(now)
        self._last_grant = now
        return Ticket(now)

    # --- acquiring ------------------------------------------------------------------------------

    def _try_grant(self, slot: float | None, first: bool) -> tuple[float | None, float, Ticket | None]:
        """One look at the clock, shared by threads and tasks: reserves a slot on the first look and grants
        it once it is due; otherwise says how long to wait before looking again."""
        with self._lock:
            now = self._clock()
            if first:
                slot = self._reserve(now)
            wait = self._wait(slot, now)
            return slot, wait, None if wait else self._grant(now)

    def acquire(self) -> Ticket:
        """Waits (in this thread) for a send slot."""
        slot, wait, ticket = self._try_grant(None, first=True)
        while ticket is None:
            time.sleep(min(wait, MAX_NAP_S))
            slot, wait, ticket = self._try_grant(slot, first=False)
        return ticket

    async def aacquire(self) -> Ticket:
        """Waits (awaiting, never blocking the loop) for a send slot."""
        slot, wait, ticket = self._try_grant(None, first=True)
        while ticket is None:
            await asyncio.sleep(min(wait, MAX_NAP_S))
            slot, wait, ticket = self._try_grant(slot, first=False)
        return ticket

    # --- feedback -------------------------------------------------------------------------------

    def retry_wait(self) -> float:
        """Seconds a throttled call waits before it asks for its retry's slot (see `RETRY_SPREAD_S`)."""
        return random.uniform(0.0, RETRY_SPREAD_S)

    def succeeded(self, ticket: Ticket) -> None:
        with self._lock:
            now = self._clock()
            self._successes.add(now)
            if self._cubic is None or self.fixed is not None:
                return
            # Like botocore: no climbing past twice what is being sent (a lull must not leave a rate that
            # a burst would then overrun), but a lull does not lower the rate either.
            ceiling = max(2 * self._sends.rate(now, now - self._created), self._rate or MIN_RATE)
            wanted = self._cubic.success_received(now)
            if self._startup is not None:
                wanted = max(wanted, self._startup * 2 ** ((now - self._last_cut) / STARTUP_DOUBLING_S))
            self._set_rate(max(MIN_RATE, min(wanted, ceiling)), now)

    def throttled(self, ticket: Ticket) -> None:
        with self._lock:
            self.throttles += 1
            if self.fixed is not None or ticket.sent_at < self._last_cut:
                return  # a fixed rate is the user's to set; a stale throttle was already answered
            now = self._clock()
            if self._cubic is None:
                # The first throttle: what got through so far is all there is to go on.
                age = now - self._created
                got_through = self._successes.rate(now, age)
                basis = got_through if got_through > 0 else self._sends.rate(now, age)
                if self._rate is not None:
                    basis = min(basis, self._rate)
                self._cubic = CubicCalculator(
                    starting_max_rate=basis, start_time=now, scale_constant=CUBIC_SCALE, beta=BETA
                )
                rate = max(MIN_RATE, self._cubic.error_received(basis, now))
                self._startup = rate
                self._first_throttle = now
            else:
                # Later throttles: the rate in force was just over the quota (as TCP's CUBIC takes the
                # window at a loss), unless less than got through was being sent (a backlog of sends
                # from before the last cut is still draining the quota): then what got through is.
                # Only what got through since the first throttle counts: before it the bucket's burst
                # passed, which says nothing of the refill rate.
                assert self._rate is not None
                self._startup = None
                got_through = self._successes.rate_since(now, self._first_throttle)
                rate = max(MIN_RATE, self._cubic.error_received(max(self._rate, got_through), now))
            self._set_rate(rate, now)
            self._last_cut = now
            self.cuts += 1


class _Unlimited:
    """The limiter of `rate_limit="off"`: grants at once and ignores feedback."""

    rate = None
    _TICKET = Ticket(0.0)

    def acquire(self) -> Ticket:
        return self._TICKET

    async def aacquire(self) -> Ticket:
        return self._TICKET

    def retry_wait(self) -> float:
        return 0.0

    def succeeded(self, ticket: Ticket) -> None:
        return None

    def throttled(self, ticket: Ticket) -> None:
        return None


UNLIMITED = _Unlimited()
Limiter = RateLimiter | _Unlimited
_LIMITERS: dict[Hashable, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(key: Hashable, requests_per_second: float | None = None) -> RateLimiter:
    """The process's limiter for `key` (model, credentials identity, region, endpoint); a fixed rate is
    part of the key, so clients that name different rates do not overrule each other."""
    full_key = (key, requests_per_second)
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(full_key)
        if limiter is None:
            limiter = _LIMITERS[full_key] = RateLimiter(requests_per_second)
        return limiter


def reset_limiters() -> None:
    """Forget every shared limiter's state (tests, or after a quota increase)."""
    with _LIMITERS_LOCK:
        _LIMITERS.clear()
