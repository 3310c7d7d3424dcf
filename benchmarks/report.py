"""Writes `latest.json` (a list of rows, each carrying the run's date and machine) and `latest.md`."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.measure import Row
from benchmarks.scenarios.common import model_name
from benchmarks.settings import Settings

Column = tuple[str, Callable[[Row], str]]


def run_meta(settings: Settings, command: str) -> dict[str, Any]:
    """Date and machine, repeated in every JSON row and shown at the top of the table."""
    return {
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "load_average_1m": load_average(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation_python": sys.implementation.name,
        "mode": settings.mode,
        "command": command,
        "versions": versions(),
    }


VERSIONED = (
    "bedrock-mistral",
    "boto3",
    "botocore",
    "aiobotocore",
    "langchain-core",
    "langchain-aws",
    "llama-index-core",
    "llama-index-llms-bedrock-converse",
    "aioboto3",
)


def versions() -> dict[str, str]:
    """Installed versions of what is compared (absent packages left out)."""
    from importlib import metadata

    found: dict[str, str] = {}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def load_average() -> float | None:
    """The 1-minute load average (other work on the machine), or None where the platform has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not on every platform
        return None


def write_json(rows: list[Row], meta: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps([row.as_dict(meta) for row in rows], indent=2, ensure_ascii=False) + "\n")


# --- markdown ---------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value * 1000:.2f}"


def _s(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _us(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1e6:.0f}"


def _x(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}×"


def _extra(name: str, fmt: str = "{}") -> Callable[[Row], str]:
    def get(row: Row) -> str:
        value = row.extras.get(name)
        return "" if value is None else fmt.format(value)

    return get


def _targets(row: Row) -> str:
    marks = {True: "pass", False: "**miss**", None: "n/a"}
    return "; ".join(f"{marks[t['met']]}: {t['target']}" for t in row.targets)


LABEL: Column = ("Implementation", lambda r: r.label)
TARGETS: Column = ("Targets", _targets)
COLUMNS: dict[str, list[Column]] = {
    "invoke_overhead": [
        LABEL,
        ("API", _extra("wire")),
        ("median ms", lambda r: _ms(r.median_s)),
        ("p90 ms", lambda r: _ms(r.p90_s)),
        ("× boto3", lambda r: _x(r.ratio_to_baseline)),
        ("overhead µs", lambda r: _us(r.extras.get("overhead_s"))),
        ("beyond floor µs", lambda r: _us(r.extras.get("beyond_floor_s"))),
        ("client CPU µs", lambda r: _us(r.extras.get("cpu_median_s"))),
        ("CPU × boto3", lambda r: _x(r.extras.get("cpu_median_s_ratio"))),
        TARGETS,
    ],
    "streaming": [
        LABEL,
        ("API", _extra("wire")),
        ("first token ms", lambda r: _ms(r.extras.get("ttft_median_s"))),
        ("drain median s", lambda r: _s(r.median_s)),
        ("drain p90 s", lambda r: _s(r.p90_s)),
        ("chunks", _extra("chunks")),
        ("µs/chunk", _extra("per_chunk_us", "{:.1f}")),
        ("× boto3", lambda r: _x(r.ratio_to_baseline)),
        ("client CPU µs/chunk", _extra("cpu_per_chunk_us", "{:.1f}")),
        ("CPU × boto3", lambda r: _x(r.extras.get("cpu_per_chunk_us_ratio"))),
        TARGETS,
    ],
    "async_concurrency": [
        LABEL,
        ("async path", _extra("async_path")),
        ("wall median s", lambda r: _s(r.median_s)),
        ("wall p90 s", lambda r: _s(r.p90_s)),
        ("× ideal", lambda r: _x(r.extras.get("ratio_to_ideal"))),
        ("× aiobotocore", lambda r: _x(r.ratio_to_baseline)),
        ("peak threads", _extra("peak_threads")),
        ("worst loop lag ms", lambda r: _ms(r.extras.get("loop_lag_max_s"))),
        ("errors", _extra("errors")),
        TARGETS,
    ],
    "async_loop_lag": [
        LABEL,
        ("call", _extra("call_name")),
        ("concurrent calls", _extra("concurrency")),
        ("wall median s", lambda r: _s(r.median_s)),
        ("× aiobotocore", lambda r: _x(r.ratio_to_baseline)),
        ("worst loop lag ms", lambda r: _ms(r.extras.get("loop_lag_max_s"))),
        ("median run's lag ms", lambda r: _ms(r.extras.get("loop_lag_median_s"))),
        ("worst GC pause ms", lambda r: _ms(r.extras.get("gc_worst_s"))),
        ("full GCs", _extra("gc_full")),
        ("threads added", _extra("threads_added")),
        ("errors", _extra("errors")),
        TARGETS,
    ],
    "cold_import": [
        LABEL,
        ("median s", lambda r: _s(r.median_s)),
        ("p90 s", lambda r: _s(r.p90_s)),
        ("minus interpreter s", lambda r: _s(r.extras.get("import_only_s"))),
        (
            "× counterpart",
            lambda r: "" if r.ratio_to_baseline is None else f"{_x(r.ratio_to_baseline)} {r.baseline}",
        ),
        TARGETS,
    ],
    "emulator_capacity": [
        ("Measure", lambda r: r.scenario.split("/", 1)[-1]),
        ("median s", lambda r: _s(r.median_s)),
        ("p90 s", lambda r: _s(r.p90_s)),
        ("result", lambda r: _capacity_result(r)),
        TARGETS,
    ],
    "batch_inference": [
        ("Measure", lambda r: r.scenario.split("/", 1)[-1]),
        ("total s", lambda r: _s(r.median_s)),
        ("submit s", lambda r: _s(r.extras.get("submit_s"))),
        ("run s", lambda r: _s(r.extras.get("run_s"))),
        ("collect s", lambda r: _s(r.extras.get("collect_s"))),
        ("records/s", lambda r: f"{r.extras.get('records_per_s', 0):.0f}"),
        ("runner records/s", lambda r: f"{r.extras['runner_records_per_s']:.0f}" if r.extras.get("runner_records_per_s") else ""),
        ("client peak RSS MiB", lambda r: f"{r.extras['peak_rss_mib']:.0f}" if "peak_rss_mib" in r.extras else ""),
        TARGETS,
    ],
    "throughput_under_quota": [
        LABEL,
        ("path", _extra("path")),
        ("completed", _extra("completed")),
        ("failed", _extra("failed")),
        ("wrong or empty", _extra("wrong")),
        ("throttled attempts", _extra("throttled")),
        ("throttled / sent", _extra("throttled_share", "{:.1%}")),
        ("wall s", lambda r: _s(r.median_s)),
        ("× ideal", lambda r: _x(r.extras.get("ratio_to_ideal"))),
        ("client CPU s", _extra("cpu_s", "{:.2f}")),
        TARGETS,
    ],
    "loop_rss": [
        LABEL,
        ("calls", lambda r: str(r.n)),
        ("RSS at start MiB", _extra("rss_start_mib", "{:.1f}")),
        ("RSS at end MiB", _extra("rss_end_mib", "{:.1f}")),
        ("growth MiB", _extra("rss_growth_mib", "{:.1f}")),
        ("growth per call KiB", lambda r: f"{r.extras['rss_growth_mib'] * 1024 / r.n:.1f}" if r.n and "rss_growth_mib" in r.extras else ""),
        TARGETS,
    ],
}


def _capacity_result(row: Row) -> str:
    extras = row.extras
    if "requests_per_s" in extras:
        return (
            f"{extras['requests_per_s']:.0f} req/s with {extras['clients']} clients "
            f"({extras['requests']} requests, {extras['errors']} errors)"
        )
    levels = ", ".join(
        f"{lv['streams']}: {lv['ok']} ok in {lv['wall_s']:.2f} s" for lv in extras.get("levels", [])
    )
    return f"{extras.get('max_concurrent_streams')} concurrent streams held ({levels})"


TITLES = {
    "invoke_overhead": "1. Invoke overhead: sequential short invokes, median per call",
    "streaming": "2. Streaming one long answer: time to first token, time to drain, cost per chunk",
    "async_concurrency": "3. Async concurrency: concurrent `astream` calls against per-token latency",
    "async_loop_lag": "3b. Event-loop lag: concurrent `ainvoke` / `astream` calls with a 5 ms ticker on the same loop",
    "cold_import": '4. Cold import: a fresh `python -c "import ..."` per run',
    "emulator_capacity": "5. Emulator capacity (emulator in its own process, raw-socket clients)",
    "batch_inference": "6. Batch inference: a job through the emulator and moto's S3 vs the same prompts on demand",
    "throughput_under_quota": "7. Throughput under a quota: short prompts through each batch path against a quota",
    "loop_rss": "8. Memory over many event loops: one instance, a new `asyncio.run` per call",
}


def _scenario_loads(rows: list[Row]) -> list[tuple[str, Any]]:
    loads: dict[str, Any] = {}
    for row in rows:
        loads.setdefault(row.scenario.split("/", 1)[0], row.extras.get("load_average_1m_at_scenario_start"))
    return list(loads.items())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(columns: list[Column], rows: list[Row]) -> list[str]:
    lines = [
        "| " + " | ".join(name for name, _ in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        if row.ok:
            cells = [_cell(get(row)) for _, get in columns]
        else:
            cells = [_cell(row.label), f"{row.status}: {_cell(row.note)}"] + [""] * (len(columns) - 2)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _subtitle(rows: list[Row], settings: Settings) -> str:
    first = rows[0]
    kind = first.scenario.split("/", 1)[0]
    model = first.extras.get("model")
    if kind == "invoke_overhead":
        return f"{model_name(str(model))}: {settings.invoke_calls} calls per implementation, interleaved."
    if kind == "streaming":
        return f"{model_name(str(model))}: one answer of {settings.stream_chunks} chunks, {settings.stream_runs} runs."
    if kind == "async_concurrency":
        return (
            f"{model_name(str(model))}: {settings.concurrency} concurrent streams of {settings.concurrency_tokens} "
            f"tokens at {settings.token_latency_ms:g} ms per token (ideal "
            f"{settings.concurrency_tokens * settings.token_latency_ms / 1000:.2f} s), {settings.concurrency_runs} runs."
        )
    if kind == "async_loop_lag":
        return (
            f"{model_name(str(model))}: {' and '.join(map(str, settings.lag_levels))} concurrent calls of each kind, "
            f"{settings.concurrency_tokens} tokens at {settings.token_latency_ms:g} ms per token; worst overshoot of "
            f"a 5 ms ticker on the calls' loop, and the worst garbage-collector pause; {settings.lag_runs} runs. "
            "× aiobotocore: against raw aiobotocore making the same call on the same API."
        )
    if kind == "cold_import":
        return f"{settings.import_runs} runs each, interleaved."
    if kind == "batch_inference":
        return (
            f"Mistral Large 2 chat records (max_tokens 64); the client in a fresh process; on demand: abatch "
            f"with max_concurrency {settings.batch_on_demand_concurrency} against a quota of "
            f"{settings.batch_on_demand_rpm:g} requests/min."
        )
    if kind == "throughput_under_quota":
        return (
            f"{model_name(str(model))}: {settings.quota_prompts:,} prompts (max_tokens 32) at concurrency "
            f"{settings.quota_concurrency} against {first.extras.get('quota')}, bucket "
            f"{settings.quota_burst_s:g} s of refill, sized for an ideal {settings.quota_ideal_s:g} s; a fresh "
            "emulator (own process) per implementation; each library's default retry settings; throttled "
            "attempts counted by the emulator; client CPU is the benchmark process's."
        )
    if kind == "loop_rss":
        return (
            f"one instance, {settings.loop_rss_calls} calls each in its own asyncio.run (a new event loop per "
            "call); each implementation in a fresh process; RSS from /proc/self/status."
        )
    return (
        f"{settings.capacity_clients} keep-alive clients for {settings.capacity_seconds:g} s; streams ramp "
        f"{', '.join(map(str, settings.stream_levels))} ({settings.stream_level_tokens} chunks at "
        f"{settings.stream_level_latency_ms:g} ms each)."
    )


def write_markdown(
    rows: list[Row],
    meta: dict[str, Any],
    summary: list[dict[str, Any]],
    notes: list[str],
    settings: Settings,
    path: Path,
    chart: str | None,
) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['cpu_count']} cores (`os.cpu_count()`), {meta['platform']}",
        f"- python: {meta['python']}",
        f"- load average (1 min) at the start: {meta.get('load_average_1m')}; before each scenario: "
        + ", ".join(f"{name} {load}" for name, load in _scenario_loads(rows))
        + " (other work on the machine shows in wall times; client CPU times move much less)",
        f"- run: `{meta['command']}` (mode: {meta['mode']})",
        "- versions: " + ", ".join(f"{name} {version}" for name, version in meta.get("versions", {}).items()),
        "- ratios compare with raw boto3 on the same Bedrock API (InvokeModel or Converse); async with aiobotocore",
        "",
    ]
    if chart:
        lines += [f"![benchmark chart]({chart})", ""]
    lines += ["## Targets", ""]
    marks = {True: "pass", False: "**miss**", None: "n/a"}
    if summary:
        lines += [
            "| Target | Scenario | Implementation | Goal | Measured | Pass/miss |",
            "|---|---|---|---|---|---|",
        ]
        for item in summary:
            lines.append(
                "| "
                + " | ".join(
                    _cell(str(item[key]))
                    for key in ("target", "scenario", "implementation", "goal", "measured")
                )
                + f" | {marks[item['met']]} |"
            )
    else:
        lines.append("(no target could be evaluated in this run)")
    lines.append("")
    for scenario in dict.fromkeys(row.scenario for row in rows):
        group = [row for row in rows if row.scenario == scenario]
        kind = scenario.split("/", 1)[0]
        ok = [row for row in group if row.ok]
        lines += [f"## {TITLES.get(kind, kind)}", "", f"`{scenario}`. {_subtitle(ok or group, settings)}", ""]
        lines += _table(COLUMNS.get(kind, [LABEL, TARGETS]), group)
        lines.append("")
    if notes:
        lines += ["## Notes", ""] + [f"- {_cell(note)}" for note in notes] + [""]
    path.write_text("\n".join(lines))
