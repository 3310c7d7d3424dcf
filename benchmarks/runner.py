"""Runs the selected scenarios in order and writes the three result files."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import report
from benchmarks.chart import write_chart
from benchmarks.implementations import selected
from benchmarks.measure import Row
from benchmarks.scenarios import batch, capacity, cold_import, concurrency, invoke, loop_rss, quota, streaming
from benchmarks.scenarios.common import Context, short_error
from benchmarks.settings import Settings
from benchmarks.targets import evaluate

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SCENARIOS: dict[str, Callable[[Context], list[Row]]] = {
    "invoke": invoke.run,
    "stream": streaming.run,
    "concurrency": concurrency.run,
    "import": cold_import.run,
    "capacity": capacity.run,
    "batch": batch.run,
    "loop_rss": loop_rss.run,
    "quota": quota.run,
}
QUIET_LOGGERS = ("langchain_aws", "llama_index", "botocore", "bedrock_mistral", "asyncio")
"""Libraries that log the expected probe failures (a model an adapter cannot run) as errors."""


@dataclass(frozen=True)
class Outcome:
    rows: list[Row]
    json_path: Path
    markdown_path: Path
    chart_path: Path
    seconds: float


def run(settings: Settings, out_dir: Path = RESULTS_DIR, command: str = "python -m benchmarks") -> Outcome:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    started = time.perf_counter()
    meta = report.run_meta(settings, command)
    context = Context(settings, selected(settings.implementations))
    rows: list[Row] = []
    for name in settings.scenarios:
        gc.collect()
        scenario_started = time.perf_counter()
        load = report.load_average()
        first = len(rows)
        try:
            rows += SCENARIOS[name](context)
        except Exception as exc:  # noqa: BLE001 - a broken scenario is reported, the others still run
            rows.append(Row.skipped(name, "-", f"scenario {name}", short_error(exc, 600), status="error"))
            context.note(f"scenario {name} failed: {short_error(exc, 600)}")
        for row in rows[first:]:
            row.extras["load_average_1m_at_scenario_start"] = load
        context.log(
            f"    ({name}: {time.perf_counter() - scenario_started:.0f} s, load average before: {load})"
        )
    summary = evaluate(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / "latest.json", out_dir / "latest.md", out_dir / "latest.png")
    write_chart(rows, meta, paths[2])
    report.write_json(rows, meta, paths[0])
    report.write_markdown(rows, meta, summary, context.notes, settings, paths[1], paths[2].name)
    return Outcome(rows, *paths, seconds=time.perf_counter() - started)
