"""Many clients at once: 200 concurrent streams, no error, no lost chunk."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bedrock_mistral.local import LocalBedrock

STREAMS = 200


def test_200_concurrent_streams(bedrock: LocalBedrock) -> None:
    prompts = [
        f"<s>[INST] Tell me about topic number {i} and the city of Paris. [/INST]" for i in range(STREAMS)
    ]
    client = bedrock.client()
    expected = [
        json.loads(
            client.invoke_model(modelId="mistral.mistral-7b-instruct-v0:2", body=json.dumps({"prompt": p}))[
                "body"
            ].read()
        )["outputs"][0]["text"]
        for p in prompts
    ]
    local = threading.local()
    barrier = threading.Barrier(STREAMS, timeout=30)

    def stream(index: int) -> str:
        if not hasattr(local, "client"):
            local.client = bedrock.client()
        body = json.dumps({"prompt": prompts[index]})
        response = local.client.invoke_model_with_response_stream(
            modelId="mistral.mistral-7b-instruct-v0:2", body=body
        )
        barrier.wait()  # every stream is open at the same time
        chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
        assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == len(chunks)
        return "".join(c["outputs"][0]["text"] for c in chunks)

    with ThreadPoolExecutor(STREAMS) as pool:
        texts: list[Any] = list(pool.map(stream, range(STREAMS)))
    assert texts == expected
