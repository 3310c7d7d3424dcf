"""6. Batch inference: a Bedrock Batch Inference job end to end through the emulator (submit, run, collect),
a larger job for the client's peak memory, and the same prompts on demand through `abatch` beside it, against
an emulator that enforces a requests-per-minute quota (batch jobs are outside on-demand quotas).

The emulator runs in its own process with moto's S3 server (`serve --s3`); each batch client runs in a
fresh process (`benchmarks.batch_client`) so that its peak RSS is its own.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

from benchmarks.emulator import EmulatorProcess, Endpoint
from benchmarks.measure import Row
from benchmarks.scenarios.common import Context, short_error

NAME = "batch_inference"
LABEL = "ours: bedrock_mistral.batch"


def run(context: Context) -> list[Row]:
    settings = context.settings
    rows: list[Row] = []
    with EmulatorProcess(extra_args=("--s3",)) as endpoint:
        assert endpoint.s3_url, "the emulator did not start an S3 endpoint"
        for phase, records in (("end-to-end", settings.batch_records), ("memory", settings.batch_memory_records)):
            context.log(f"[6] batch inference: {phase}, {records:,} records")
            rows.append(_job_row(context, endpoint, phase, records))
    rpm = settings.batch_on_demand_rpm
    context.log(f"[6] on demand: the same {settings.batch_records:,} prompts through abatch under {rpm:g} requests/min")
    with EmulatorProcess(extra_args=("--rpm", f"{rpm:g}")) as quota_endpoint:
        rows.append(_on_demand_row(context, quota_endpoint, settings.batch_records, rpm))
    return rows


def _job_row(context: Context, endpoint: Endpoint, phase: str, records: int) -> Row:
    scenario = f"{NAME}/{phase} {records:,} records"
    command = [sys.executable, "-m", "benchmarks.batch_client", endpoint.url, str(endpoint.s3_url), str(records)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        context.note(f"batch client failed in {scenario}: {detail}")
        return Row.skipped(scenario, "ours-batch", LABEL, detail, status="error")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    row = Row.from_samples(scenario, "ours-batch", LABEL, [figures["total_s"]], **figures)
    row.extras["runner_records_per_s"] = records / figures["runner_s"] if figures["runner_s"] else None
    row.extras["records_per_s"] = records / figures["total_s"]
    return row


def _on_demand_row(context: Context, endpoint: Endpoint, records: int, rpm: float) -> Row:
    from benchmarks.batch_client import MODEL, prompt
    from langchain_bedrock_mistral import ChatBedrockMistral

    scenario = f"{NAME}/on-demand abatch {records:,} records, {rpm:g} requests/min quota"
    label = "ours: ChatBedrockMistral.abatch (on demand)"
    llm = ChatBedrockMistral(model_id=MODEL, max_tokens=64, max_retries=20, **endpoint.client_kwargs())
    inputs = [prompt(i) for i in range(records)]
    concurrency = context.settings.batch_on_demand_concurrency
    started = time.perf_counter()
    try:
        answers = asyncio.run(
            llm.abatch(inputs, config={"max_concurrency": concurrency}, return_exceptions=True)  # type: ignore[arg-type]
        )
    except Exception as exc:  # noqa: BLE001 - reported as a row, the run goes on
        return Row.skipped(scenario, "ours-abatch", label, short_error(exc), status="error")
    wall = time.perf_counter() - started
    errors = sum(1 for answer in answers if isinstance(answer, BaseException))
    return Row.from_samples(
        scenario, "ours-abatch", label, [wall], records=records, errors=errors, concurrency=concurrency,
        records_per_s=records / wall, quota_rpm=rpm,
    )
