"""3. Async concurrency: many `astream` calls at once against per-token latency.

Measured per run: wall time, peak thread count (sampled in a background thread) and the worst lag of a
ticker coroutine on the same event loop. One `asyncio.run` per run and implementation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from benchmarks.emulator import EmulatorProcess
from benchmarks.implementations import Implementation
from benchmarks.measure import LoopLag, Row, ThreadSampler, median
from benchmarks.scenarios.common import (
    Context,
    attach_ratios,
    build_all,
    model_name,
    model_slug,
    rotated,
    short_error,
)
from benchmarks.scenarios.streaming import long_prompt

NAME = "async_concurrency"
T = TypeVar("T")


@dataclass
class RunResult:
    wall_s: float
    peak_threads: int
    threads_added: int
    loop_lag_s: float
    errors: int
    short_streams: int
    first_error: str = ""
    timed_out: bool = False


async def _run_once(
    impl: Implementation, streams: int, prompt: str, expected: int, timeout_s: float
) -> RunResult:
    lag = LoopLag()
    lag.start()
    counts: list[int] = []

    async def consume() -> None:
        count = 0
        async for _ in impl.astream(prompt):
            count += 1
        counts.append(count)

    timed_out = False
    with ThreadSampler() as sampler:
        start = time.perf_counter()
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(consume() for _ in range(streams)), return_exceptions=True), timeout_s
            )
        except asyncio.TimeoutError:
            results, timed_out = [], True
        wall = time.perf_counter() - start
    await lag.stop()
    errors = [r for r in results if isinstance(r, BaseException)]
    return RunResult(
        wall_s=wall,
        peak_threads=1 + sampler.added,
        threads_added=sampler.added,
        loop_lag_s=lag.worst_s,
        errors=len(errors) + (streams - len(results) if timed_out else 0),
        short_streams=sum(1 for c in counts if c < expected),
        first_error=short_error(errors[0]) if errors else ("timed out" if timed_out else ""),
        timed_out=timed_out,
    )


def run(context: Context) -> list[Row]:
    settings = context.settings
    model = settings.concurrency_model
    scenario = f"{NAME}/{model_slug(model)}"
    context.log(
        f"[3] async concurrency: {settings.concurrency} concurrent astream calls, {settings.concurrency_tokens} "
        f"tokens at {settings.token_latency_ms:g} ms each, {model_name(model)}, {settings.concurrency_runs} runs"
    )
    if any(cls.wire == "converse" for cls in context.classes):
        context.note(
            "async concurrency: the emulator's --token-latency-ms delays every stream frame, so a ConverseStream "
            f"(messageStart, contentBlockStop, messageStop and metadata besides the {settings.concurrency_tokens} "
            f"text deltas) takes {(settings.concurrency_tokens + 4) * settings.token_latency_ms / 1000:.2f} s "
            f"alone, against {settings.concurrency_tokens * settings.token_latency_ms / 1000:.2f} s for InvokeModel"
        )
    with EmulatorProcess(token_latency_ms=settings.token_latency_ms) as endpoint:
        impls, skipped = build_all(context, scenario, model, endpoint, settings.concurrency_tokens)
        return _measure(context, scenario, model, impls) + skipped


def _measure(context: Context, scenario: str, model: str, impls: list[Implementation]) -> list[Row]:
    """Each implementation keeps one event loop for its warm-up and all its runs (as a long-lived app would:
    clients and thread pools are made once); the runs still alternate between implementations."""
    settings = context.settings
    prompt = long_prompt(settings.concurrency_tokens)
    ideal = settings.concurrency_tokens * settings.token_latency_ms / 1000
    results: dict[str, list[RunResult]] = {impl.key: [] for impl in impls}
    failed: dict[str, str] = {}
    loops = {impl.key: asyncio.new_event_loop() for impl in impls}
    try:
        active = list(impls)
        for impl in list(active):  # warm-up: imports, client creation, service-model loading
            warm = _in_loop(
                loops[impl.key],
                _run_once(
                    impl,
                    min(4, settings.concurrency),
                    prompt,
                    settings.concurrency_tokens,
                    settings.concurrency_timeout_s,
                ),
            )
            if warm.errors:
                failed[impl.key] = f"warm-up failed: {warm.first_error}"
                active.remove(impl)
        for turn in range(settings.concurrency_runs):
            for impl in rotated(active, turn):
                context.log(f"    {impl.label} (run {turn + 1})")
                result = _in_loop(
                    loops[impl.key],
                    _run_once(
                        impl,
                        settings.concurrency,
                        prompt,
                        settings.concurrency_tokens,
                        settings.concurrency_timeout_s,
                    ),
                )
                results[impl.key].append(result)
                if result.timed_out or result.errors:
                    failed[impl.key] = (
                        f"{result.errors} of {settings.concurrency} streams failed in run {turn + 1}: "
                        f"{result.first_error}"
                    )
                    active.remove(impl)
    finally:
        for impl in impls:
            _close_loop(loops[impl.key], impl)
    rows: list[Row] = []
    for impl in impls:
        runs = results[impl.key]
        if not runs:
            rows.append(
                Row.skipped(scenario, impl.key, impl.label, failed.get(impl.key, "no run"), status="error")
            )
            context.note(f"{impl.label} in {scenario}: {failed.get(impl.key, 'no run')}")
            continue
        row = Row.from_samples(
            scenario,
            impl.key,
            impl.label,
            [r.wall_s for r in runs],
            model=model,
            wire=impl.wire,
            async_path=impl.async_description(),
            concurrency=settings.concurrency,
            ideal_s=ideal,
            ratio_to_ideal=median([r.wall_s for r in runs]) / ideal,
            peak_threads=max(r.peak_threads for r in runs),
            threads_added=max(r.threads_added for r in runs),
            loop_lag_max_s=max(r.loop_lag_s for r in runs),
            errors=sum(r.errors for r in runs),
            short_streams=sum(r.short_streams for r in runs),
        )
        if impl.key in failed:
            row.status = "error"
            row.note = failed[impl.key]
            context.note(f"{impl.label} in {scenario}: {failed[impl.key]}")
        elif row.extras["short_streams"]:
            row.note = f"{row.extras['short_streams']} streams ended with fewer than {settings.concurrency_tokens} chunks"
            context.note(f"{impl.label} in {scenario}: {row.note}")
        rows.append(row)
    attach_ratios(rows, {impl.key: impl.wire for impl in impls})
    return rows


def _in_loop(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine on the implementation's loop, with a fresh default thread pool sized as asyncio
    sizes it, shut down afterwards, so no run counts the threads another run (or implementation) left."""
    executor = ThreadPoolExecutor(
        max_workers=min(32, (os.cpu_count() or 1) + 4), thread_name_prefix="asyncio"
    )
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coroutine)
    finally:
        asyncio.set_event_loop(None)
        executor.shutdown(wait=True)


def _close_loop(loop: asyncio.AbstractEventLoop, impl: Implementation) -> None:
    """What asyncio.run does at the end: close the implementation's clients, generators and thread pool."""

    async def close() -> None:
        with contextlib.suppress(Exception):  # closing must not turn a measured run into a failure
            await impl.aclose()

    try:
        _in_loop(loop, close())
        _in_loop(loop, loop.shutdown_asyncgens())
    finally:
        loop.close()
