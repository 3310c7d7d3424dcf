"""The PNG chart (matplotlib, Agg backend): one panel per client-side scenario, capacity in the caption."""

from __future__ import annotations

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


def _bars(axis: Any, rows: list[Row], value: Any, title: str, xlabel: str, log: bool = False) -> None:
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


def write_chart(rows: list[Row], meta: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def of(prefix: str) -> list[Row]:
        return [row for row in rows if row.scenario.startswith(prefix)]

    invoke = of("invoke_overhead/")
    invoke_models = list(dict.fromkeys(row.scenario for row in invoke))
    panels = len(invoke_models) + 3
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
            f"Invoke, median per call ({scenario.split('/', 1)[1]})",
            "ms (lower is better)",
        )
        index += 1
    _bars(
        flat[index],
        of("streaming/"),
        lambda row: row.extras.get("per_chunk_us"),
        "Streaming, cost per chunk (drain / chunks)",
        "µs per chunk",
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
    for axis in flat[index + 3 :]:
        axis.set_axis_off()
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
