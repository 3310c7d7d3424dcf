"""The targets this project sets for itself, checked against the rows (reported, never asserted).

Our implementations are the rows whose key starts with `ours-`; the raw SDK baselines start with `boto3-`;
the frameworks' fake models (floors, no request) with `floor-`; everything else is an alternative adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.measure import Row

INVOKE_RATIO = 1.15
BEYOND_FLOOR_S = 60e-6
"""An adapter's overhead over raw boto3 may exceed its framework's own per-call cost by this much."""
STREAM_RATIO = 2.0
CONCURRENCY_IDEAL_RATIO = 1.5
LOOP_LAG_S = 0.020
AIOBOTOCORE_WALL_RATIO = 1.1
"""Wall time of our concurrent streams against raw aiobotocore's (same wire, same count)."""
LAG_WALL_AT = 256
ASYNC_SPEEDUP = 2.0
IMPORT_RATIO = 0.5
EMULATOR_RPS = 1000.0
EMULATOR_STREAMS = 1000
BATCH_RSS_MIB = 250.0
BATCH_RUNNER_RPS = 1000.0
BATCH_RSS_AT = 100_000
QUOTA_IDEAL_RATIO = 1.1
QUOTA_THROTTLED_SHARE = 0.10


def is_ours(row: Row) -> bool:
    return row.implementation.startswith("ours-")


def is_baseline(row: Row) -> bool:
    return row.implementation.startswith("boto3-")


def is_floor(row: Row) -> bool:
    return row.implementation.startswith("floor-")


def _others(rows: list[Row], scenario: str) -> list[Row]:
    return [
        r
        for r in rows
        if r.scenario == scenario and r.ok and not is_ours(r) and not is_baseline(r) and not is_floor(r)
    ]


def _add(row: Row, target: str, goal: str, measured: str, met: bool | None) -> None:
    row.targets.append({"target": target, "goal": goal, "measured": measured, "met": met})


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def _invoke(rows: list[Row], row: Row) -> None:
    if row.ratio_to_baseline is not None:
        _add(
            row,
            "invoke overhead vs raw boto3",
            f"≤ {INVOKE_RATIO}×",
            f"{row.ratio_to_baseline:.3f}× wall; client CPU {row.extras.get('cpu_median_s_ratio', 0):.2f}×",
            row.ratio_to_baseline <= INVOKE_RATIO,
        )
    if "beyond_floor_s" in row.extras:
        beyond = row.extras["beyond_floor_s"]
        _add(
            row,
            "invoke overhead within the framework's floor + 60 µs",
            f"≤ {_us(row.extras['floor_s'] + BEYOND_FLOOR_S)} (floor {_us(row.extras['floor_s'])} + 60 µs)",
            f"{_us(row.extras['overhead_s'])} (floor + {_us(beyond)})",
            beyond <= BEYOND_FLOOR_S,
        )
    others = [r for r in _others(rows, row.scenario) if "overhead_s" in r.extras]
    if "overhead_s" in row.extras and others:
        best = min(others, key=lambda r: r.extras["overhead_s"])
        mine = row.extras["overhead_s"]
        _add(
            row,
            "invoke overhead lower than every other adapter",
            f"< {_us(best.extras['overhead_s'])} ({best.label})",
            _us(mine),
            mine < best.extras["overhead_s"],
        )


def _stream(rows: list[Row], row: Row) -> None:
    if row.ratio_to_baseline is not None:
        _add(
            row,
            "per-chunk streaming cost vs raw boto3",
            f"≤ {STREAM_RATIO}×",
            f"{row.ratio_to_baseline:.2f}× wall ({row.extras.get('per_chunk_us', 0):.0f} µs/chunk); client CPU "
            f"{row.extras.get('cpu_per_chunk_us_ratio', 0):.2f}×",
            row.ratio_to_baseline <= STREAM_RATIO,
        )


def _concurrency(rows: list[Row], row: Row) -> None:
    extras = row.extras
    n = extras.get("concurrency", 0)
    _add(
        row,
        f"{n} concurrent streams: wall time vs ideal",
        f"≤ {CONCURRENCY_IDEAL_RATIO}× {extras.get('ideal_s', 0):.2f} s",
        f"{extras.get('ratio_to_ideal', 0):.2f}× ({row.median_s or 0:.2f} s)",
        extras.get("ratio_to_ideal", float("inf")) <= CONCURRENCY_IDEAL_RATIO,
    )
    if row.ratio_to_baseline is not None:
        _add(
            row,
            f"{n} concurrent streams: wall time vs raw aiobotocore",
            f"≤ {AIOBOTOCORE_WALL_RATIO}×",
            f"{row.ratio_to_baseline:.2f}×",
            row.ratio_to_baseline <= AIOBOTOCORE_WALL_RATIO,
        )
    lag = extras.get("loop_lag_max_s", float("inf"))
    _add(row, "worst event-loop lag", f"< {_ms(LOOP_LAG_S)}", _ms(lag), lag < LOOP_LAG_S)
    threads = extras.get("peak_threads", n)
    _add(row, "threads vs in-flight calls", f"< {n}", str(threads), threads < n)
    others = _others(rows, row.scenario)
    if others and row.median_s is not None:
        fastest = min(others, key=lambda r: r.median_s or float("inf"))
        speedup = (fastest.median_s or 0) / row.median_s
        _add(
            row,
            "faster than other adapters' async paths",
            f"≥ {ASYNC_SPEEDUP}× ({fastest.label}: {fastest.median_s:.2f} s)",
            f"{speedup:.1f}×",
            speedup >= ASYNC_SPEEDUP,
        )


def _loop_lag(rows: list[Row], row: Row) -> None:
    extras = row.extras
    n, call = extras.get("concurrency", 0), extras.get("call_name", "")
    lag = extras.get("loop_lag_max_s", float("inf"))
    _add(
        row,
        f"worst event-loop stall, {n} concurrent {call}",
        f"< {_ms(LOOP_LAG_S)}",
        f"{_ms(lag)} (worst GC pause {_ms(extras.get('gc_worst_s', 0.0))})",
        lag < LOOP_LAG_S,
    )
    threads = extras.get("threads_added", 0)
    _add(row, f"one thread for {n} concurrent {call}", "0 threads added", str(threads), threads == 0)
    if extras.get("call") == "astream" and n == LAG_WALL_AT and row.ratio_to_baseline is not None:
        _add(
            row,
            f"{n} concurrent streams: wall time vs raw aiobotocore",
            f"≤ {AIOBOTOCORE_WALL_RATIO}×",
            f"{row.ratio_to_baseline:.2f}×",
            row.ratio_to_baseline <= AIOBOTOCORE_WALL_RATIO,
        )


def _import(rows: list[Row], row: Row) -> None:
    if row.ratio_to_baseline is not None and row.baseline:
        _add(
            row,
            f"cold import vs {row.baseline}",
            f"< {IMPORT_RATIO}×",
            f"{row.ratio_to_baseline:.2f}× ({row.median_s or 0:.2f} s)",
            row.ratio_to_baseline < IMPORT_RATIO,
        )


def _capacity(rows: list[Row], row: Row) -> None:
    extras = row.extras
    if "requests_per_s" in extras:
        rps = extras["requests_per_s"]
        _add(
            row,
            "emulator invoke throughput",
            f"≥ {EMULATOR_RPS:.0f} req/s",
            f"{rps:.0f} req/s",
            rps >= EMULATOR_RPS,
        )
    if "max_concurrent_streams" in extras:
        held = extras["max_concurrent_streams"]
        measurable = extras.get("ramp_cap", 0) >= EMULATOR_STREAMS
        _add(
            row,
            "emulator concurrent streams",
            f"≥ {EMULATOR_STREAMS}",
            f"{held}" + ("" if measurable else f" (ramp capped at {extras.get('ramp_cap')})"),
            held >= EMULATOR_STREAMS if measurable else None,
        )


def _batch(rows: list[Row], row: Row) -> None:
    extras = row.extras
    if "peak_rss_mib" in extras and "memory" in row.scenario:
        rss, records = extras["peak_rss_mib"], extras.get("records", 0)
        _add(
            row,
            f"batch client peak RSS, {BATCH_RSS_AT:,} records",
            f"< {BATCH_RSS_MIB:.0f} MiB",
            f"{rss:.0f} MiB at {records:,} records",
            rss < BATCH_RSS_MIB if records >= BATCH_RSS_AT else None,
        )
    if extras.get("runner_records_per_s"):
        rate = extras["runner_records_per_s"]
        _add(row, "emulator job runner (rules engine)", f"≥ {BATCH_RUNNER_RPS:.0f} records/s", f"{rate:.0f} records/s",
             rate >= BATCH_RUNNER_RPS)
    if "answered" in extras:
        whole = extras["answered"] + extras["errors"] == extras["records"] and extras["in_order"]
        _add(row, "every input has one row, in input order", "all", f"{extras['answered']} answered, "
             f"{extras['errors']} errors of {extras['records']}", bool(whole))


def _quota(rows: list[Row], row: Row) -> None:
    extras = row.extras
    lost = extras["failed"] + extras["wrong"]
    _add(row, "no prompt lost under the quota", f"0 failed of {extras['prompts']:,}",
         f"{extras['failed']} failed, {extras['wrong']} wrong or empty", lost == 0)
    ratio = extras["ratio_to_ideal"]
    _add(row, "wall time vs the quota's ideal", f"≤ {QUOTA_IDEAL_RATIO}× {extras['ideal_s']:g} s",
         f"{ratio:.2f}× ({row.median_s or 0:.2f} s)", ratio <= QUOTA_IDEAL_RATIO)
    share = extras.get("throttled_share")
    _add(row, "throttled attempts vs requests sent", f"< {QUOTA_THROTTLED_SHARE:.0%}",
         "not reported" if share is None else f"{share:.1%} ({extras['throttled']} of {extras['requests_sent']})",
         None if share is None else share < QUOTA_THROTTLED_SHARE)
    others = [r for r in rows if r.scenario == row.scenario and r.ok and not is_ours(r)]
    if others:
        fewest = min(r.extras["failed"] + r.extras["wrong"] for r in others)
        _add(row, "fewer failed prompts than every other implementation", f"≤ {fewest}", str(lost), lost <= fewest)
        # Wall time is compared with those that answered everything: dropping prompts is not speed.
        whole = [r for r in others if r.extras["failed"] + r.extras["wrong"] == 0]
        if whole:
            fastest = min(whole, key=lambda r: r.median_s or float("inf"))
            _add(row, "faster than every other implementation that lost no prompt",
                 f"< {fastest.median_s:.2f} s ({fastest.label})", f"{row.median_s:.2f} s",
                 (row.median_s or 0) < (fastest.median_s or 0))


CHECKS: dict[str, tuple[Callable[[Row], bool], Callable[[list[Row], Row], None]]] = {
    "invoke_overhead": (is_ours, _invoke),
    "streaming": (is_ours, _stream),
    "async_concurrency": (is_ours, _concurrency),
    "async_loop_lag": (is_ours, _loop_lag),
    "cold_import": (is_ours, _import),
    "emulator_capacity": (lambda row: True, _capacity),
    "batch_inference": (lambda row: True, _batch),
    "throughput_under_quota": (is_ours, _quota),
}


def evaluate(rows: list[Row]) -> list[dict[str, Any]]:
    """Attach the targets to the rows they concern; returns them flat, for the summary table."""
    summary: list[dict[str, Any]] = []
    for row in rows:
        if not row.ok:
            continue
        check = CHECKS.get(row.scenario.split("/", 1)[0])
        if check is None or not check[0](row):
            continue
        row.targets.clear()
        check[1](rows, row)
        summary += [{"scenario": row.scenario, "implementation": row.label, **t} for t in row.targets]
    return summary
