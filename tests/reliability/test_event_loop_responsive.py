"""Issue 13, item 3: 256 concurrent streams do not freeze the event loop.

A monitor coroutine ticks every 5 ms on the same loop while 256 `astream` calls (LangChain) or
`astream_chat` calls (LlamaIndex) run against the emulator. Each request's send is seen through
botocore's own `before-send` event. Started all at once, every call used to serialize, sign and send
its request in the same loop iteration, so no tick could fall between the first and the last send.
The test asserts only that the monitor kept running while the requests went out (ticks between the
first and the last send) and that no thread per call appeared; the stall itself is measured by the
benchmark (`python -m benchmarks --scenarios concurrency`), not here.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bedrock_mistral.client import BedrockClient
from bedrock_mistral.local import LocalBedrock

LARGE2 = "mistral.mistral-large-2407-v1:0"
STREAMS = 256
TICK_S = 0.005


def _langchain(bedrock: LocalBedrock) -> tuple[BedrockClient, Callable[[], AsyncIterator[str]]]:
    from langchain_bedrock_mistral import ChatBedrockMistral

    model = ChatBedrockMistral(model=LARGE2, max_tokens=8, **bedrock.client_kwargs())

    async def stream() -> AsyncIterator[str]:
        async for chunk in model.astream("Say hello."):
            yield str(chunk.content)

    return model.transport, stream


def _llama_index(bedrock: LocalBedrock) -> tuple[BedrockClient, Callable[[], AsyncIterator[str]]]:
    from llama_index.core.llms import ChatMessage

    from llama_index_bedrock_mistral import BedrockMistral

    llm = BedrockMistral(model=LARGE2, max_tokens=8, **bedrock.client_kwargs())

    async def stream() -> AsyncIterator[str]:
        async for response in await llm.astream_chat([ChatMessage(role="user", content="Say hello.")]):
            yield response.delta or ""

    return llm.transport, stream


@pytest.mark.parametrize("adapter", [_langchain, _llama_index], ids=["langchain-astream", "llamaindex-astream_chat"])
def test_monitor_keeps_ticking_while_256_streams_start(local_bedrock: LocalBedrock, adapter: Any) -> None:
    transport, stream = adapter(local_bedrock)

    async def scenario() -> tuple[list[float], list[float], list[str], int, int]:
        async def consume() -> str:
            return "".join([text async for text in stream()])

        await consume()  # warm-up: the async client, its session data and the default executor exist now
        sends: list[float] = []
        client = await transport._async_clients.get()
        client.meta.events.register(
            "before-send.bedrock-runtime", lambda **_: sends.append(time.perf_counter()), unique_id="loop-test"
        )
        ticks: list[float] = []
        peak_threads, before = threading.active_count(), threading.active_count()

        async def monitor() -> None:
            nonlocal peak_threads
            while True:
                await asyncio.sleep(TICK_S)
                ticks.append(time.perf_counter())
                peak_threads = max(peak_threads, threading.active_count())

        ticker = asyncio.get_running_loop().create_task(monitor())
        await asyncio.sleep(0)
        try:
            texts = await asyncio.wait_for(asyncio.gather(*(consume() for _ in range(STREAMS))), 60)
        finally:
            ticker.cancel()
            client.meta.events.unregister("before-send.bedrock-runtime", unique_id="loop-test")
        await transport.aclose()
        return sends, ticks, texts, before, peak_threads

    sends, ticks, texts, before, peak_threads = asyncio.run(scenario())
    assert len(texts) == STREAMS and all(texts), "every stream answered"
    assert len(sends) == STREAMS, f"{len(sends)} requests sent for {STREAMS} streams"
    first, last = min(sends), max(sends)
    between = [t for t in ticks if first < t < last]
    assert between, (
        f"the monitor did not tick while the {STREAMS} requests went out ({(last - first) * 1000:.1f} ms from the "
        "first to the last): their preparation held the event loop in one stretch"
    )
    assert peak_threads - before < 4, f"threads grew from {before} to {peak_threads} with {STREAMS} calls"
