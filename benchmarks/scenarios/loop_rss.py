"""7. Memory over repeated `asyncio.run`: one instance called as a script or a task queue would call it,
one new event loop per call; RSS sampled along the way, ours next to raw aiobotocore. A client kept per
dead loop shows as RSS growing with the number of calls; released clients keep it flat."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from benchmarks.measure import Row
from benchmarks.scenarios.common import Context

NAME = "loop_rss"
MODEL = "mistral.mistral-large-2407-v1:0"

_COMMON = """
import asyncio, json, sys
def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
calls, endpoint, model = int(sys.argv[1]), sys.argv[2], sys.argv[3]
KEYS = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIABENCH",
            aws_secret_access_key="bench-secret")
samples = []
"""

SCRIPTS = {
    "ours-langchain": _COMMON + """
from langchain_bedrock_mistral import ChatBedrockMistral
llm = ChatBedrockMistral(model=model, max_tokens=16, **KEYS)
async def one():
    await llm.ainvoke("hi")
""",
    "raw-aiobotocore": _COMMON + """
from aiobotocore.session import get_session
session = get_session()
body = json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 16})
async def one():
    async with session.create_client("bedrock-runtime", **KEYS) as client:
        answer = await client.invoke_model(modelId=model, body=body)
        await answer["body"].read()
""",
}
_LOOP = """
import time
asyncio.run(one())
start = rss_mib()
began = time.perf_counter()
for i in range(1, calls + 1):
    asyncio.run(one())
    if i % max(1, calls // 10) == 0:
        samples.append((i, rss_mib()))
print(json.dumps({"start": start, "samples": samples, "per_call_s": (time.perf_counter() - began) / calls}))
"""


def run(context: Context) -> list[Row]:
    from bedrock_mistral.local import LocalBedrock

    calls = context.settings.loop_rss_calls
    context.log(f"[7] RSS over {calls} asyncio.run calls on one instance: ours vs raw aiobotocore")
    rows: list[Row] = []
    with LocalBedrock() as bedrock:
        for key, script in SCRIPTS.items():
            done = subprocess.run(
                [sys.executable, "-c", textwrap.dedent(script + _LOOP), str(calls), bedrock.endpoint_url, MODEL],
                capture_output=True, text=True, check=False,
            )
            if done.returncode != 0:
                error = (done.stderr.strip().splitlines() or ["failed"])[-1]
                rows.append(Row.skipped(NAME, key, f"{key}: {calls} asyncio.run", error, status="error"))
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            end = result["samples"][-1][1]
            growth = end - result["start"]
            rows.append(Row(
                NAME, key, f"{key}: RSS over {calls} asyncio.run(ainvoke) on one instance",
                median_s=result["per_call_s"], p90_s=result["per_call_s"], n=calls,
                note=f"RSS {result['start']:.1f} -> {end:.1f} MiB ({growth:+.1f} MiB, "
                     f"{growth * 1024 / calls:+.1f} KiB per call)",
                extras={"rss_start_mib": result["start"], "rss_end_mib": end,
                        "rss_growth_mib": growth, "samples": result["samples"]},
            ))
            bedrock.clear()
    return rows
