"""2. Streaming: one long answer (one chunk per word); time to first token, time to drain, cost per chunk.

The client's CPU time per chunk is kept beside the wall time: when the emulator produces chunks more
slowly than the client consumes them, wall time shows the emulator and CPU time still shows the client.
"""

from __future__ import annotations

import time

from benchmarks.emulator import EmulatorProcess
from benchmarks.implementations import Implementation
from benchmarks.measure import Row, median, p90
from benchmarks.scenarios.common import (
    Context,
    attach_ratios,
    build_all,
    model_name,
    model_slug,
    rotated,
    short_error,
)

NAME = "streaming"


def long_prompt(words: int) -> str:
    """The rules engine repeats what follows `Repeat:` word for word: one stream chunk per word."""
    return "Repeat: " + " ".join(f"w{i}" for i in range(words))


def run(context: Context) -> list[Row]:
    settings = context.settings
    model = settings.stream_model
    scenario = f"{NAME}/{model_slug(model)}"
    context.log(
        f"[2] streaming: {settings.stream_chunks} chunks from {model_name(model)}, {settings.stream_runs} runs"
    )
    with EmulatorProcess() as endpoint:
        impls, skipped = build_all(context, scenario, model, endpoint, settings.stream_chunks)
        return _measure(context, scenario, model, impls) + skipped


def _one(impl: Implementation, prompt: str) -> tuple[float, float, float, int]:
    """(time to first chunk, time to drain, client CPU time, chunks) for one stream."""
    start, start_cpu = time.perf_counter(), time.thread_time()
    first = 0.0
    chunks = 0
    for _ in impl.stream(prompt):
        if not chunks:
            first = time.perf_counter() - start
        chunks += 1
    return first, time.perf_counter() - start, time.thread_time() - start_cpu, chunks


def _measure(context: Context, scenario: str, model: str, impls: list[Implementation]) -> list[Row]:
    settings = context.settings
    prompt = long_prompt(settings.stream_chunks)
    ttft: dict[str, list[float]] = {impl.key: [] for impl in impls}
    drain: dict[str, list[float]] = {impl.key: [] for impl in impls}
    cpu: dict[str, list[float]] = {impl.key: [] for impl in impls}
    chunks: dict[str, int] = {}
    failed: dict[str, str] = {}
    active = list(impls)
    for turn in range(settings.stream_warmup + settings.stream_runs):
        for impl in rotated(active, turn):
            try:
                first, total, cpu_s, count = _one(impl, prompt)
            except Exception as exc:  # noqa: BLE001
                failed[impl.key] = short_error(exc)
                active.remove(impl)
                continue
            if turn >= settings.stream_warmup:
                ttft[impl.key].append(first)
                drain[impl.key].append(total)
                cpu[impl.key].append(cpu_s)
                chunks[impl.key] = min(count, chunks.get(impl.key, count))
    rows: list[Row] = []
    for impl in impls:
        if impl.key in failed:
            rows.append(Row.skipped(scenario, impl.key, impl.label, failed[impl.key], status="error"))
            context.note(f"{impl.label} failed in {scenario}: {failed[impl.key]}")
            continue
        count = chunks[impl.key]
        row = Row.from_samples(
            scenario,
            impl.key,
            impl.label,
            drain[impl.key],
            model=model,
            wire=impl.wire,
            ttft_median_s=median(ttft[impl.key]),
            ttft_p90_s=p90(ttft[impl.key]),
            chunks=count,
            per_chunk_us=median(drain[impl.key]) / max(count, 1) * 1e6,
            cpu_per_chunk_us=median(cpu[impl.key]) / max(count, 1) * 1e6,
        )
        if count != settings.stream_chunks:
            row.note = f"received {count} text chunks, expected {settings.stream_chunks}"
            context.note(f"{impl.label}: {row.note} ({scenario})")
        rows.append(row)
    wires = {impl.key: impl.wire for impl in impls}
    attach_ratios(rows, wires)
    attach_ratios(rows, wires, extra="cpu_per_chunk_us")
    for row in rows:
        if row.ok and "overhead_s" in row.extras:
            row.extras["per_chunk_overhead_us"] = (
                row.extras["overhead_s"] / max(row.extras["chunks"], 1) * 1e6
            )
    return rows
