"""The benchmark harness, run end to end in its tiny configuration so that it cannot rot.

Only the shape of the results is checked, never a timing: the suite must not depend on machine speed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import cli
from benchmarks.implementations import BY_KEY
from benchmarks.settings import SCENARIOS

REQUIRED = ("scenario", "implementation", "median_s", "p90_s", "ratio_to_baseline", "status", "targets")
META = ("date", "cpu_count", "platform", "python", "mode")
pytestmark = pytest.mark.timeout(600)  # one tiny run of every scenario: tens of seconds

FAMILIES = (
    "invoke_overhead", "streaming", "async_concurrency", "cold_import", "emulator_capacity", "batch_inference",
    "loop_rss", "throughput_under_quota", "async_loop_lag",
)
WRITTEN_BY_ANOTHER = {"async_loop_lag"}
"""Families whose rows another scenario writes (the concurrency scenario writes the loop-lag rows)."""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    assert cli.main(["--tiny", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def rows(results: Path) -> list[dict[str, Any]]:
    data = json.loads((results / "latest.json").read_text())
    assert isinstance(data, list) and data
    return data


def test_writes_the_three_files(results: Path) -> None:
    for name in ("latest.json", "latest.md", "latest.png"):
        assert (results / name).stat().st_size > 0, name
    assert (results / "latest.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_rows_are_well_formed(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        for key in REQUIRED + META:
            assert key in row, (key, row)
        assert row["status"] in ("ok", "skipped", "error"), row
        assert isinstance(row["targets"], list)
        if row["status"] == "ok":
            assert isinstance(row["median_s"], float) and row["median_s"] > 0, row
            assert isinstance(row["p90_s"], float) and row["p90_s"] >= row["median_s"], row
            assert row["n"] >= 1
            assert row["ratio_to_baseline"] is None or row["ratio_to_baseline"] > 0, row
        else:
            assert row["note"], row
        for target in row["targets"]:
            assert set(target) == {"target", "goal", "measured", "met"}
            assert target["met"] in (True, False, None)
        assert row["cpu_count"] and row["mode"] == "tiny"


def test_every_scenario_reports(rows: list[dict[str, Any]]) -> None:
    assert len(FAMILIES) - len(WRITTEN_BY_ANOTHER) == len(SCENARIOS)
    families = {row["scenario"].split("/", 1)[0] for row in rows if row["status"] == "ok"}
    assert families == set(FAMILIES)


def test_every_implementation_appears_and_baselines_run(rows: list[dict[str, Any]]) -> None:
    invoke = [row for row in rows if row["scenario"].startswith("invoke_overhead/")]
    assert {row["implementation"] for row in invoke} == set(BY_KEY)
    for row in invoke:
        if row["implementation"].startswith("boto3-"):
            assert row["status"] == "ok" and row["ratio_to_baseline"] == pytest.approx(1.0)


def test_async_rows_carry_threads_and_loop_lag(rows: list[dict[str, Any]]) -> None:
    concurrency = [
        row for row in rows if row["scenario"].startswith("async_concurrency/") and row["status"] == "ok"
    ]
    assert concurrency
    for row in concurrency:
        assert row["peak_threads"] >= 1
        assert row["loop_lag_max_s"] >= 0
        assert row["errors"] == 0


def test_loop_lag_rows_cover_both_calls_for_ours_and_aiobotocore(rows: list[dict[str, Any]]) -> None:
    lag = [row for row in rows if row["scenario"].startswith("async_loop_lag/") and row["status"] == "ok"]
    seen = {(row["implementation"].split("-", 1)[0], row["call"]) for row in lag}
    assert seen >= {("ours", "ainvoke"), ("ours", "astream"), ("boto3", "ainvoke"), ("boto3", "astream")}
    for row in lag:
        assert row["loop_lag_max_s"] >= 0 and row["gc_worst_s"] >= 0 and row["errors"] == 0, row
        assert row["concurrency"] >= 1 and row["threads_added"] >= 0
        if row["implementation"].startswith("ours-"):
            assert row["ratio_to_baseline"] is not None and row["targets"], row


def test_markdown_has_date_machine_and_targets(results: Path, rows: list[dict[str, Any]]) -> None:
    text = (results / "latest.md").read_text()
    assert rows[0]["date"] in text
    assert f"{rows[0]['cpu_count']} cores" in text
    assert "## Targets" in text and "Pass/miss" in text


def test_batch_client_reports_its_own_peak_memory_not_its_parents() -> None:
    """Linux carries `ru_maxrss` over fork and exec, so a client started by a large harness reported the
    harness's memory; the batch client reads its own high-water mark."""
    import subprocess
    import sys

    ballast = b"x" * (320 * 1024 * 1024)  # resident in this process when the child is started
    script = "from benchmarks.batch_client import peak_rss_mib; print(peak_rss_mib())"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert len(ballast) and float(out.stdout) < 200
