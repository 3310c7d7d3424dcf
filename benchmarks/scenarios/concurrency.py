"""3. Async concurrency: many `astream` calls at once against per-token latency.

Measured per run: wall time, peak thread count (sampled in a background thread) and the worst lag of a
ticker coroutine on the same event loop. One `asyncio.run` per run and implementation.

3b. Event-loop lag (`async_loop_lag`): the same measure for `ainvoke` and `astream` at each of
`lag_levels` concurrent calls, for our implementations next to raw aiobotocore, with the worst garbage
collector pause of the run beside the worst lag (a full collection stalls the loop like any long step).
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
from benchmarks.measure import GcPauses, LoopLag, Row, ThreadSampler, median
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
LAG_NAME = "async_loop_lag"
LAG_CALLS = ("ainvoke", "astream")
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
        rows = _measure(context, scenario, model, impls) + skipped
        return rows + _measure_lag(context, model, [impl for impl in impls if impl.ours or impl.baseline])


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


@dataclass
class LagResult:
    wall_s: float
    lag_s: float
    gc_worst_s: float
    gc_full: int
    threads_added: int
    errors: int
    first_error: str = ""


async def _lag_once(impl: Implementation, call: str, calls: int, prompt: str, timeout_s: float) -> LagResult:
    """`calls` concurrent `ainvoke` or `astream` calls with the 5 ms ticker and the GC watch running."""

    async def one() -> None:
        if call == "ainvoke":
            text = await impl.ainvoke(prompt)
        else:
            text = "".join([chunk async for chunk in impl.astream(prompt)])
        if not text:
            raise RuntimeError(f"empty answer from {call}")

    lag = LoopLag()
    lag.start()
    with ThreadSampler() as sampler, GcPauses() as pauses:
        start = time.perf_counter()
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(one() for _ in range(calls)), return_exceptions=True), timeout_s
            )
        except asyncio.TimeoutError:
            results = [TimeoutError(f"{calls} calls not done after {timeout_s:g} s")]
        wall = time.perf_counter() - start
    await lag.stop()
    errors = [r for r in results if isinstance(r, BaseException)]
    return LagResult(
        wall_s=wall,
        lag_s=lag.worst_s,
        gc_worst_s=pauses.worst_s,
        gc_full=pauses.full,
        threads_added=sampler.added,
        errors=len(errors),
        first_error=short_error(errors[0]) if errors else "",
    )


def _has_ainvoke(impl: Implementation) -> bool:
    return type(impl).ainvoke is not Implementation.ainvoke


def _measure_lag(context: Context, model: str, impls: list[Implementation]) -> list[Row]:
    """Event-loop lag rows: each implementation on its own long-lived loop (as in `_measure`), warmed with a
    few calls of each kind; levels, calls and implementations interleaved."""
    settings = context.settings
    scenario = f"{LAG_NAME}/{model_slug(model)}"
    impls = [impl for impl in impls if _has_ainvoke(impl)]
    context.log(
        f"[3b] event-loop lag: {', '.join(map(str, settings.lag_levels))} concurrent ainvoke / astream calls, "
        f"{settings.lag_runs} runs"
    )
    prompt = long_prompt(settings.concurrency_tokens)
    results: dict[tuple[str, str, int], list[LagResult]] = {}
    failed: dict[str, str] = {}
    loops = {impl.key: asyncio.new_event_loop() for impl in impls}
    try:
        active = list(impls)
        for impl in list(active):
            for call in LAG_CALLS:
                warm = _in_loop(loops[impl.key], _lag_once(impl, call, 4, prompt, settings.concurrency_timeout_s))
                if warm.errors and impl in active:
                    failed[impl.key] = f"warm-up failed: {warm.first_error}"
                    active.remove(impl)
        for turn in range(settings.lag_runs):
            for calls in settings.lag_levels:
                for call in LAG_CALLS:
                    for impl in rotated(active, turn):
                        result = _in_loop(
                            loops[impl.key], _lag_once(impl, call, calls, prompt, settings.concurrency_timeout_s)
                        )
                        results.setdefault((impl.key, call, calls), []).append(result)
                        if result.errors:
                            failed.setdefault(impl.key, f"{result.errors} of {calls} {call} calls failed: {result.first_error}")
    finally:
        for impl in impls:
            _close_loop(loops[impl.key], impl)
    rows: list[Row] = []
    baselines: dict[tuple[Any, ...], Row] = {}
    for calls in settings.lag_levels:
        for call in LAG_CALLS:
            for impl in impls:
                runs = results.get((impl.key, call, calls))
                if not runs:
                    if calls == settings.lag_levels[0] and call == LAG_CALLS[0]:
                        rows.append(Row.skipped(scenario, impl.key, impl.label, failed.get(impl.key, "no run"), "error"))
                    continue
                row = Row.from_samples(
                    scenario,
                    impl.key,
                    impl.label,
                    [r.wall_s for r in runs],
                    model=model,
                    wire=impl.wire,
                    call=call,
                    call_name=impl.calls[call],
                    concurrency=calls,
                    loop_lag_max_s=max(r.lag_s for r in runs),
                    loop_lag_median_s=median([r.lag_s for r in runs]),
                    gc_worst_s=max(r.gc_worst_s for r in runs),
                    gc_full=sum(r.gc_full for r in runs),
                    threads_added=max(r.threads_added for r in runs),
                    errors=sum(r.errors for r in runs),
                )
                if row.extras["errors"]:
                    row.note = failed.get(impl.key, "")
                if impl.baseline:
                    baselines[(impl.wire, call, calls)] = row
                rows.append(row)
    for row in rows:
        extras = row.extras
        base = baselines.get((extras.get("wire"), extras.get("call"), extras.get("concurrency")))
        if row.ok and base is not None and base.median_s:
            row.ratio_to_baseline = (row.median_s or 0) / base.median_s
            row.baseline = base.label
    for key, reason in failed.items():
        context.note(f"{key} in {scenario}: {reason}")
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
