"""What every scenario shares: the run context, building implementations, interleaving, baselines."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from benchmarks.emulator import Endpoint
from benchmarks.implementations import Implementation, Unavailable, create
from benchmarks.measure import Row
from benchmarks.settings import MODEL_NAMES, Settings

T = TypeVar("T")
BASELINE_FOR_WIRE = {"invoke": "boto3-invoke", "converse": "boto3-converse"}


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Context:
    settings: Settings
    classes: tuple[type[Implementation], ...]
    log: Callable[[str], None] = _stderr
    notes: list[str] = field(default_factory=list)
    """Run-level remarks for the report (skips, failures, caveats)."""

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)
        self.log(f"  note: {message}")


def model_slug(model: str) -> str:
    """`mistral.mistral-large-2407-v1:0` -> `mistral-large-2407`."""
    name = model.split(".", 1)[-1]
    return name.split("-v", 1)[0] if "-v" in name else name


def model_name(model: str) -> str:
    return MODEL_NAMES.get(model, model_slug(model))


def build_all(
    context: Context, scenario: str, model: str, endpoint: Endpoint, max_tokens: int, *, floors: bool = False
) -> tuple[list[Implementation], list[Row]]:
    """The implementations that can run `model`, and a skipped row (with the reason) for each other one.
    The frameworks' floors (fake models, no request) take part only when `floors` is set."""
    ready: list[Implementation] = []
    skipped: list[Row] = []
    for cls in context.classes:
        if cls.floor and not floors:
            continue
        impl = create(cls, model, endpoint, max_tokens)
        if isinstance(impl, Unavailable):
            skipped.append(Row.skipped(scenario, impl.key, impl.label, impl.reason))
            context.note(f"{impl.label} skipped for {model_name(model)}: {impl.reason}")
        else:
            ready.append(impl)
    return ready, skipped


def rotated(items: Sequence[T], turn: int) -> list[T]:
    """Round-robin order for one round, starting one further each round (A B C, B C A, C A B, ...)."""
    if not items:
        return []
    start = turn % len(items)
    return [*items[start:], *items[:start]]


def attach_ratios(rows: list[Row], wires: dict[str, str], extra: str | None = None) -> None:
    """ratio_to_baseline: median over the raw-boto3 median on the same Bedrock API (invoke or converse),
    plus `overhead_s`. With `extra`, the same for that extra instead: `<extra>_ratio`."""

    def value(row: Row) -> float | None:
        return row.median_s if extra is None else row.extras.get(extra)

    values = {row.implementation: value(row) for row in rows if row.ok}
    for row in rows:
        baseline = BASELINE_FOR_WIRE.get(wires.get(row.implementation, ""))
        base = values.get(baseline) if baseline else None
        mine = value(row)
        if not row.ok or not base or mine is None:
            continue
        if extra is not None:
            row.extras[f"{extra}_ratio"] = mine / base
            continue
        row.baseline = baseline
        row.ratio_to_baseline = mine / base
        row.extras.setdefault("overhead_s", mine - base)


def elapsed(start: float) -> float:
    return time.perf_counter() - start


def short_error(exc: BaseException, limit: int = 240) -> str:
    text = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return text if len(text) <= limit else text[: limit - 3] + "..."
