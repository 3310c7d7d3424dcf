"""The PNG chart (matplotlib, Agg backend): one panel per client-side scenario, capacity in the caption."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.measure import Row

OURS = "#1f77b4"
BASELINE = "#7f7f7f"
OTHER = "#ff7f0e"


def _colour(key: str) -> str:
    if key.startswith("ours"):
        return OURS
    if key.startswith("boto3") or key in ("python", "boto3"):
        return BASELINE
    return OTHER


def _bars(
    axis: Any, rows: list[Row], value: Any, title: str, xlabel: str, log: bool = False, inner: Any = None
) -> None:
    """Horizontal bars per implementation; `inner` draws a second, thinner dark bar inside each one."""
    rows = [row for row in rows if row.ok and value(row) is not None]
    if not rows:
        axis.set_title(f"{title}\n(no data)", fontsize=9)
        axis.set_axis_off()
        return
    labels = [row.label.replace(" (baseline)", "*") for row in rows]
    values = [value(row) for row in rows]
    positions = range(len(rows))
    axis.barh(list(positions), values, color=[_colour(row.implementation) for row in rows])
    axis.set_yticks(list(positions))
    axis.set_yticklabels(labels, fontsize=7)
    axis.invert_yaxis()
    axis.set_title(title, fontsize=9)
    axis.set_xlabel(xlabel, fontsize=8)
    axis.tick_params(axis="x", labelsize=7)
    if log:
        axis.set_xscale("log")
    for position, number in zip(positions, values, strict=True):
        axis.text(number, position, f" {number:.3g}", va="center", fontsize=6)
    if inner is not None:
        inside = [inner(row) or 0 for row in rows]
        axis.barh(list(positions), inside, height=0.35, color="black", alpha=0.55)
        for position, number in zip(positions, inside, strict=True):
            axis.text(number, position, f" {number:.3g}", va="center", fontsize=6, color="white")


def _summary(axis: Any, rows: list[Row]) -> None:
    """The emulator's capacity and the count of targets met, as text in the spare panel."""
    lines = ["Emulator capacity (own process):"]
    for row in rows:
        if not (row.ok and row.scenario.startswith("emulator_capacity/")):
            continue
        if "requests_per_s" in row.extras:
            lines.append(
                f"  {row.extras['requests_per_s']:.0f} invoke req/s ({row.extras['clients']} clients)"
            )
        for level in row.extras.get("levels", []):
            lines.append(
                f"  {level['streams']} streams: {level['ok']} ok, peak {level['peak_open']} open at once"
            )
    targets = [t for row in rows for t in row.targets]
    if targets:
        met = sum(1 for t in targets if t["met"] is True)
        missed = sum(1 for t in targets if t["met"] is False)
        lines += ["", f"Targets: {met} met, {missed} missed (see latest.md)"]
    axis.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize=8, family="monospace")


def write_chart(rows: list[Row], meta: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def of(prefix: str) -> list[Row]:
        return [row for row in rows if row.scenario.startswith(prefix)]

    invoke = of("invoke_overhead/")
    invoke_models = list(dict.fromkeys(row.scenario for row in invoke))
    panels = len(invoke_models) + 6  # streaming, concurrency, import, quota, loop lag, and the summary
    columns = 2
    lines = (panels + columns - 1) // columns
    figure, axes = plt.subplots(lines, columns, figsize=(13, 3.6 * lines), squeeze=False)
    flat = [axis for line in axes for axis in line]
    index = 0
    for scenario in invoke_models:
        _bars(
            flat[index],
            [row for row in invoke if row.scenario == scenario],
            lambda row: row.median_s * 1000,
            f"Invoke {scenario.split('/', 1)[1]}: wall per call, CPU inside",
            "ms (lower is better)",
            inner=lambda row: (row.extras.get("cpu_median_s") or 0) * 1000,
        )
        index += 1
    _bars(
        flat[index],
        of("streaming/"),
        lambda row: row.extras.get("per_chunk_us"),
        "Streaming, per chunk: wall time (bar) and client CPU (dark inner bar)",
        "µs per chunk",
        inner=lambda row: row.extras.get("cpu_per_chunk_us"),
    )
    _bars(
        flat[index + 1],
        of("async_concurrency/"),
        lambda row: row.median_s,
        "Concurrent astream calls, wall time",
        "s (log scale)",
        log=True,
    )
    _bars(flat[index + 2], of("cold_import"), lambda row: row.median_s, "Cold import, process wall time", "s")
    _bars(
        flat[index + 3],
        [replace(row, label=f"{row.label} [{row.scenario.split('/', 1)[1]}]") for row in of("throughput_under_quota/")],
        lambda row: row.extras.get("ratio_to_ideal"),
        "Prompts through a quota: wall time / the quota's ideal (dark: failed share)",
        "× ideal (lower is better, 1 = ideal)",
        inner=lambda row: row.extras["failed"] / row.extras["prompts"] if row.extras.get("prompts") else 0,
    )
    lag_rows = of("async_loop_lag/")
    most = max((row.extras.get("concurrency", 0) for row in lag_rows), default=0)
    _bars(
        flat[index + 4],
        [
            replace(row, label=f"{row.label} {row.extras.get('call_name')}")
            for row in lag_rows
            if row.extras.get("concurrency") == most
        ],
        lambda row: (row.extras.get("loop_lag_max_s") or 0) * 1000,
        f"Worst event-loop lag, {most} concurrent calls (dark: worst GC pause)",
        "ms (target < 20)",
        inner=lambda row: (row.extras.get("gc_worst_s") or 0) * 1000,
    )
    for axis in flat[index + 5 :]:
        axis.set_axis_off()
    if len(flat) > index + 5:
        _summary(flat[index + 5], rows)
    capacity = []
    for row in of("emulator_capacity/"):
        if row.ok and "requests_per_s" in row.extras:
            capacity.append(f"emulator: {row.extras['requests_per_s']:.0f} invoke req/s")
        elif row.ok and "max_concurrent_streams" in row.extras:
            capacity.append(f"{row.extras['max_concurrent_streams']} concurrent streams held")
    figure.suptitle(
        f"bedrock-mistral benchmarks: {meta['date']}, {meta['cpu_count']} cores, Python {meta['python']}, "
        f"{meta['mode']} run"
        + (f"; {', '.join(capacity)}" if capacity else "")
        + "\nblue: this project, grey: raw boto3 / aiobotocore (*baseline), orange: alternatives",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
