"""5. Emulator capacity: invoke requests per second from concurrent keep-alive clients, and the largest
number of concurrent streams held without error (a bounded ramp).

The clients replay one botocore-signed request over raw asyncio sockets (see `benchmarks.rawhttp`), so
the client process is never the bottleneck; the emulator runs in its own process.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.emulator import EmulatorProcess
from benchmarks.measure import Row
from benchmarks.rawhttp import RawRequest, read_response, signed_request
from benchmarks.scenarios.common import Context, model_name, short_error
from benchmarks.scenarios.streaming import long_prompt

NAME = "emulator_capacity"
IMPLEMENTATION = "emulator"
LABEL = "local emulator (rules engine, own process)"


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    wall_s: float = 0.0


async def _invoke_client(request: RawRequest, until: float, result: LoadResult) -> None:
    reader, writer = await asyncio.open_connection(request.host, request.port)
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(request.data)
            response = await read_response(reader)
            if response.status == 200:
                result.latencies.append(time.perf_counter() - start)
            else:
                result.errors += 1
                result.first_error = result.first_error or f"HTTP {response.status}: {response.body[:200]!r}"
    finally:
        writer.close()


async def invoke_load(request: RawRequest, clients: int, seconds: float) -> LoadResult:
    result = LoadResult()
    start = time.perf_counter()
    outcomes = await asyncio.gather(
        *(_invoke_client(request, start + seconds, result) for _ in range(clients)), return_exceptions=True
    )
    result.wall_s = time.perf_counter() - start
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            result.errors += 1
            result.first_error = result.first_error or short_error(outcome)
    return result


@dataclass
class Level:
    streams: int
    ok: int = 0
    errors: int = 0
    open_now: int = 0
    peak_open: int = 0
    wall_s: float = 0.0
    durations: list[float] = field(default_factory=list)
    first_error: str = ""

    def summary(self) -> dict[str, Any]:
        return {
            "streams": self.streams,
            "ok": self.ok,
            "errors": self.errors,
            "peak_open": self.peak_open,
            "wall_s": round(self.wall_s, 4),
        }

    @property
    def held(self) -> bool:
        """Every stream completed cleanly, and all were open at the same moment."""
        return self.ok == self.streams and self.peak_open == self.streams


async def _one_stream(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    request: RawRequest,
    frames: int,
    level: Level,
) -> None:
    reader, writer = connection
    opened = False

    def first_frame() -> None:
        nonlocal opened
        opened = True
        level.open_now += 1
        level.peak_open = max(level.peak_open, level.open_now)

    try:
        start = time.perf_counter()
        writer.write(request.data)
        response = await read_response(reader, first_frame)
        if response.status != 200 or response.bad_frames or response.frames < frames:
            level.errors += 1
            level.first_error = level.first_error or (
                f"HTTP {response.status}, {response.frames} frames ({response.bad_frames} not events)"
            )
        else:
            level.ok += 1
            level.durations.append(time.perf_counter() - start)
    finally:
        if opened:
            level.open_now -= 1
        writer.close()


async def stream_level(request: RawRequest, streams: int, frames: int, timeout_s: float) -> Level:
    """Connect `streams` sockets first, then send every request at once and read every stream to its end."""
    level = Level(streams)
    start = time.perf_counter()
    connections = await asyncio.gather(
        *(asyncio.open_connection(request.host, request.port) for _ in range(streams)), return_exceptions=True
    )
    ready = [c for c in connections if not isinstance(c, BaseException)]
    refused = [c for c in connections if isinstance(c, BaseException)]
    if refused:
        level.errors += len(refused)
        level.first_error = f"{len(refused)} connections failed: {short_error(refused[0])}"
    tasks = [asyncio.ensure_future(_one_stream(c, request, frames, level)) for c in ready]
    done, pending = await asyncio.wait(tasks, timeout=max(1.0, timeout_s - (time.perf_counter() - start)))
    level.wall_s = time.perf_counter() - start
    for task in pending:
        task.cancel()
    for task in done:
        error = task.exception()
        if error is not None:
            level.errors += 1
            level.first_error = level.first_error or short_error(error)
    if pending:
        level.errors += len(pending)
        level.first_error = level.first_error or f"{len(pending)} streams unfinished after {timeout_s:g} s"
        await asyncio.gather(*pending, return_exceptions=True)
    return level


def run(context: Context) -> list[Row]:
    return [_invoke_rps(context), _streams(context)]


def _invoke_rps(context: Context) -> Row:
    settings = context.settings
    model = settings.capacity_model
    scenario = f"{NAME}/invoke_rps"
    context.log(
        f"[5] emulator capacity: invoke requests/s, {settings.capacity_clients} clients, "
        f"{settings.capacity_seconds:g} s, {model_name(model)}"
    )
    emulator = EmulatorProcess()
    with emulator as endpoint:
        body = {
            "messages": [{"role": "user", "content": "Say hello"}],
            "max_tokens": settings.invoke_max_tokens,
        }
        request = signed_request(endpoint, model, body, stream=False)
        rss_before, cpu_before = emulator.rss_bytes(), emulator.cpu_seconds()
        result = asyncio.run(invoke_load(request, settings.capacity_clients, settings.capacity_seconds))
        rss_after, cpu_after = emulator.rss_bytes(), emulator.cpu_seconds()
    if not result.latencies:
        return Row.skipped(
            scenario, IMPLEMENTATION, LABEL, f"no successful request: {result.first_error}", "error"
        )
    row = Row.from_samples(
        scenario,
        IMPLEMENTATION,
        LABEL,
        result.latencies,
        model=model,
        clients=settings.capacity_clients,
        duration_s=result.wall_s,
        requests=len(result.latencies),
        requests_per_s=len(result.latencies) / result.wall_s,
        errors=result.errors,
        emulator_cpu_s=_delta(cpu_before, cpu_after),
        emulator_rss_mb_before=_mb(rss_before),
        emulator_rss_mb_after=_mb(rss_after),
    )
    if result.errors:
        row.note = f"{result.errors} errors; first: {result.first_error}"
    return row


def _streams(context: Context) -> Row:
    settings = context.settings
    model = settings.capacity_model
    scenario = f"{NAME}/concurrent_streams"
    tokens = settings.stream_level_tokens
    context.log(
        f"[5] emulator capacity: concurrent streams, ramp {', '.join(map(str, settings.stream_levels))}; "
        f"{tokens} chunks at {settings.stream_level_latency_ms:g} ms each"
    )
    levels: list[Level] = []
    with EmulatorProcess(token_latency_ms=settings.stream_level_latency_ms) as endpoint:
        body = {"messages": [{"role": "user", "content": long_prompt(tokens)}], "max_tokens": tokens}
        request = signed_request(endpoint, model, body, stream=True)
        for streams in settings.stream_levels:
            level = asyncio.run(stream_level(request, streams, tokens, settings.stream_level_timeout_s))
            levels.append(level)
            context.log(f"    {streams} streams: {level.summary()}")
            if not level.held:
                break
            time.sleep(0.5)  # let the server's connection threads wind down between levels
    held = [level for level in levels if level.held]
    best = held[-1] if held else levels[0]
    if not best.durations:
        return Row.skipped(
            scenario, IMPLEMENTATION, LABEL, f"no stream completed: {best.first_error}", "error"
        )
    row = Row.from_samples(
        scenario,
        IMPLEMENTATION,
        LABEL,
        best.durations,
        model=model,
        max_concurrent_streams=held[-1].streams if held else 0,
        ramp_cap=max(settings.stream_levels),
        chunks_per_stream=tokens,
        chunk_latency_ms=settings.stream_level_latency_ms,
        ideal_stream_s=tokens * settings.stream_level_latency_ms / 1000,
        levels=[level.summary() for level in levels],
    )
    failed = next((level for level in levels if not level.held), None)
    if failed is not None:
        row.note = (
            f"{failed.streams} streams not held: {failed.first_error or f'peak open {failed.peak_open}'}"
        )
        context.note(f"emulator capacity: {row.note}")
    return row


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def _mb(value: int | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)
