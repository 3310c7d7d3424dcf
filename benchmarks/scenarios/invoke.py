"""1. Invoke overhead: many sequential short invokes per model, implementations interleaved call by call.

Besides wall time, the client's CPU time per call (`time.thread_time`) is kept: the emulator runs in another
process, so it is the cost of the SDK plus the adapter alone, and it moves little when the machine is busy.
"""

from __future__ import annotations

import time

from benchmarks.emulator import EmulatorProcess
from benchmarks.implementations import Implementation
from benchmarks.measure import Row, median
from benchmarks.scenarios.common import (
    Context,
    attach_ratios,
    build_all,
    model_name,
    model_slug,
    rotated,
    short_error,
)

PROMPT = "Say hello"
NAME = "invoke_overhead"


def run(context: Context) -> list[Row]:
    settings = context.settings
    rows: list[Row] = []
    with EmulatorProcess() as endpoint:
        for model in settings.invoke_models:
            scenario = f"{NAME}/{model_slug(model)}"
            context.log(f"[1] invoke overhead: {model_name(model)}, {settings.invoke_calls} calls each")
            impls, skipped = build_all(context, scenario, model, endpoint, settings.invoke_max_tokens, floors=True)
            rows += _measure(context, scenario, model, impls) + skipped
    return rows


def _measure(context: Context, scenario: str, model: str, impls: list[Implementation]) -> list[Row]:
    settings = context.settings
    samples: dict[str, list[float]] = {impl.key: [] for impl in impls}
    cpu: dict[str, list[float]] = {impl.key: [] for impl in impls}
    failed: dict[str, str] = {}
    active = list(impls)
    for turn in range(settings.invoke_warmup + settings.invoke_calls):
        for impl in rotated(active, turn):
            start, start_cpu = time.perf_counter(), time.thread_time()
            try:
                impl.invoke(PROMPT)
            except Exception as exc:  # noqa: BLE001 - one failing implementation must not end the run
                failed[impl.key] = short_error(exc)
                active.remove(impl)
                continue
            if turn >= settings.invoke_warmup:
                samples[impl.key].append(time.perf_counter() - start)
                cpu[impl.key].append(time.thread_time() - start_cpu)
    rows: list[Row] = []
    for impl in impls:
        if impl.key in failed:
            rows.append(Row.skipped(scenario, impl.key, impl.label, failed[impl.key], status="error"))
            context.note(f"{impl.label} failed in {scenario}: {failed[impl.key]}")
            continue
        row = Row.from_samples(
            scenario,
            impl.key,
            impl.label,
            samples[impl.key],
            model=model,
            wire=impl.wire,
            framework=impl.framework,
            cpu_median_s=median(cpu[impl.key]),
        )
        rows.append(row)
    wires = {impl.key: impl.wire for impl in impls}
    attach_ratios(rows, wires)
    attach_ratios(rows, wires, extra="cpu_median_s")
    attach_floors(rows, impls)
    return rows


def attach_floors(rows: list[Row], impls: list[Implementation]) -> None:
    """`beyond_floor_s`: an adapter's overhead over raw boto3 minus its framework's floor (the fake model's
    median in the same run), i.e. what the adapter itself adds to the framework's own per-call cost."""
    floors = {impl.framework: impl.key for impl in impls if impl.floor}
    medians = {row.implementation: row.median_s for row in rows if row.ok}
    for row in rows:
        floor = medians.get(floors.get(str(row.extras.get("framework")), ""))
        overhead = row.extras.get("overhead_s")
        if floor is not None and overhead is not None:
            row.extras["floor_s"] = floor
            row.extras["beyond_floor_s"] = overhead - floor
