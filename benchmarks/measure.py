"""Measurement primitives: percentiles, result rows, a thread-count sampler and an event-loop lag ticker."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any


def median(samples: Sequence[float]) -> float:
    return float(statistics.median(samples))


def p90(samples: Sequence[float]) -> float:
    """Nearest-rank 90th percentile (the sample at or above 90% of the others)."""
    ordered = sorted(samples)
    return float(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)])


@dataclass
class Row:
    """One line of the results table: one implementation in one scenario."""

    scenario: str
    implementation: str
    label: str
    median_s: float | None = None
    p90_s: float | None = None
    ratio_to_baseline: float | None = None
    baseline: str | None = None
    n: int = 0
    status: str = "ok"
    """ok, skipped or error."""
    note: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    """Filled by `targets.evaluate`: {"target", "goal", "measured", "met"}."""

    @classmethod
    def from_samples(
        cls, scenario: str, implementation: str, label: str, samples: Sequence[float], **extras: Any
    ) -> Row:
        return cls(
            scenario,
            implementation,
            label,
            median_s=median(samples),
            p90_s=p90(samples),
            n=len(samples),
            extras=dict(extras),
        )

    @classmethod
    def skipped(
        cls, scenario: str, implementation: str, label: str, note: str, status: str = "skipped"
    ) -> Row:
        return cls(scenario, implementation, label, status=status, note=note)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.median_s is not None

    def as_dict(self, meta: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "implementation": self.implementation,
            "label": self.label,
            "median_s": self.median_s,
            "p90_s": self.p90_s,
            "ratio_to_baseline": self.ratio_to_baseline,
            "baseline": self.baseline,
            "n": self.n,
            "status": self.status,
            "note": self.note,
        }
        out.update(self.extras)
        out["targets"] = self.targets
        out.update(meta)
        return out


class ThreadSampler:
    """Samples `threading.active_count()` in a background thread; `peak` includes the sampler itself,
    `added` counts the threads that appeared after it started (the code under test's threads)."""

    def __init__(self, interval_s: float = 0.002) -> None:
        self.interval_s = interval_s
        self.baseline = threading.active_count()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-thread-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            count = threading.active_count()
            if count > self.peak:
                self.peak = count
            self._stop.wait(self.interval_s)

    def __enter__(self) -> ThreadSampler:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def added(self) -> int:
        """Threads above the count before sampling started, not counting the sampler."""
        return max(0, self.peak - self.baseline - 1)


class GcPauses:
    """The garbage collector's pauses while active (`gc.callbacks`): a full collection of a large heap stops
    the event loop like any other long step, so the worst lag is read next to the worst collection."""

    def __init__(self) -> None:
        self.worst_s = 0.0
        self.total_s = 0.0
        self.full = 0
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = time.perf_counter() - self._started
        self.total_s += pause
        self.worst_s = max(self.worst_s, pause)
        self.full += info.get("generation") == 2

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        gc.callbacks.remove(self._callback)


class LoopLag:
    """A ticker coroutine: sleeps `interval_s` again and again and records the worst overshoot."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.worst_s = 0.0
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            lag = time.perf_counter() - start - self.interval_s
            self.ticks += 1
            if lag > self.worst_s:
                self.worst_s = lag

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
