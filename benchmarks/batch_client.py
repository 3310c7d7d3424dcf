"""One batch job from a fresh client process: submit, run, collect. Run as
`python -m benchmarks.batch_client ENDPOINT S3_ENDPOINT RECORDS`; prints one JSON line of figures.

A process of its own so that its peak RSS is the batch client's alone (the harness has imported every
compared library), measured by the kernel, not sampled: the high-water mark of this process's own memory
(`VmHWM`). Not `ru_maxrss`, which Linux carries over from the parent across fork and exec, so a child of
the benchmark harness reported the harness's RSS at the moment it was started.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import uuid

from bedrock_mistral.batch import submit_batch
from bedrock_mistral.client import BedrockClient
from bedrock_mistral.local import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY
from bedrock_mistral.types import ChatRequest, InferenceParams, Message

MODEL = "mistral.mistral-large-2407-v1:0"
ROLE = "arn:aws:iam::123456789012:role/BedrockBatchRole"


def prompts(n: int) -> list[ChatRequest]:
    """The same prompts the on-demand comparison sends."""
    return [ChatRequest((Message("user", prompt(i)),), InferenceParams(max_tokens=64)) for i in range(n)]


def prompt(i: int) -> str:
    return f"Document {i}: summarize in one line why the quick brown fox jumps over the lazy dog."


def main(endpoint: str, s3_endpoint: str, records: int) -> dict[str, float | int | str]:
    client = BedrockClient(
        MODEL,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=DEFAULT_ACCESS_KEY_ID,
        aws_secret_access_key=DEFAULT_SECRET_ACCESS_KEY,
    )
    bucket = f"bench-{uuid.uuid4().hex[:12]}"
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=DEFAULT_ACCESS_KEY_ID,
        aws_secret_access_key=DEFAULT_SECRET_ACCESS_KEY,
    )
    s3.create_bucket(Bucket=bucket)
    started = time.perf_counter()
    job = submit_batch(client, prompts(records), s3_uri=f"s3://{bucket}/batch", role_arn=ROLE, s3_endpoint_url=s3_endpoint)
    submitted = time.perf_counter()
    state = job.wait(poll_interval=0.1, progress=False)
    ran = time.perf_counter()
    answered = errors = 0
    in_order = True
    for expected, result in enumerate(job.results()):
        in_order &= result.index == expected
        if result.ok:
            answered += 1
        else:
            errors += 1
    collected = time.perf_counter()
    runner_s = 0.0
    for item in state.jobs:  # the emulator's own clock: from submission to the job's end
        described = job._control.get_model_invocation_job(jobIdentifier=item.arn)
        runner_s = max(runner_s, (described["endTime"] - described["submitTime"]).total_seconds())
    return {
        "records": records,
        "jobs": len(state.jobs),
        "job_status": state.status,
        "answered": answered,
        "errors": errors,
        "in_order": int(in_order),
        "submit_s": submitted - started,
        "run_s": ran - submitted,
        "collect_s": collected - ran,
        "total_s": collected - started,
        "runner_s": runner_s,
        "peak_rss_mib": peak_rss_mib(),
    }


def peak_rss_mib() -> float:
    """This process's peak resident memory (`VmHWM`, reset by exec), in MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc: the kernel's figure


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
