"""4. Cold import: `python -c "import X"` in a fresh process each time, interleaved, median of several runs."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

from benchmarks.measure import Row, median
from benchmarks.scenarios.common import Context, rotated

NAME = "cold_import"


@dataclass(frozen=True)
class ImportCase:
    key: str
    label: str
    statement: str
    counterpart: str | None = None
    """The alternative this one is compared with (its ratio_to_baseline)."""


CASES = (
    ImportCase("python", "python -c pass (interpreter start)", "pass"),
    ImportCase("boto3", "import boto3", "import boto3"),
    ImportCase("langchain-aws", "import langchain_aws", "import langchain_aws"),
    ImportCase(
        "ours-langchain",
        "import langchain_bedrock_mistral",
        "import langchain_bedrock_mistral",
        "langchain-aws",
    ),
    ImportCase(
        "llamaindex-bedrock-converse",
        "import llama_index.llms.bedrock_converse",
        "import llama_index.llms.bedrock_converse",
    ),
    ImportCase(
        "ours-llamaindex",
        "import llama_index_bedrock_mistral",
        "import llama_index_bedrock_mistral",
        "llamaindex-bedrock-converse",
    ),
)


def _time(statement: str) -> tuple[float, str]:
    """Wall time of one fresh interpreter running `statement`, and its stderr when it failed."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", statement],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    return wall, "" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["failed"])[-1]


def run(context: Context) -> list[Row]:
    settings = context.settings
    cases = [case for case in CASES if settings.import_cases is None or case.key in settings.import_cases]
    context.log(
        f"[4] cold import: {settings.import_runs} runs each of {', '.join(case.key for case in cases)}"
    )
    samples: dict[str, list[float]] = {case.key: [] for case in cases}
    errors: dict[str, str] = {}
    for turn in range(settings.import_warmup + settings.import_runs):
        for case in rotated([case for case in cases if case.key not in errors], turn):
            wall, error = _time(case.statement)
            if error:
                errors[case.key] = error
            elif turn >= settings.import_warmup:
                samples[case.key].append(wall)
    medians = {key: median(values) for key, values in samples.items() if values and key not in errors}
    floor = medians.get("python", 0.0)
    rows: list[Row] = []
    skipped: list[Row] = []
    for case in cases:
        if case.key not in medians:
            reason = f"does not import: {errors.get(case.key, 'no run')}"
            skipped.append(Row.skipped(NAME, case.key, case.label, reason))
            context.note(f"cold import of {case.label} skipped: {reason}")
            continue
        row = Row.from_samples(NAME, case.key, case.label, samples[case.key], statement=case.statement)
        row.extras["import_only_s"] = max(0.0, medians[case.key] - floor)
        if case.counterpart in medians:
            row.baseline = case.counterpart
            row.ratio_to_baseline = medians[case.key] / medians[case.counterpart]
        rows.append(row)
    return rows + skipped
