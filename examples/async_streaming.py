"""Async streaming with LangChain: several questions streamed concurrently with `astream`.

The transport uses aiobotocore, so the streams really run in parallel on one event loop (no thread pool).

    python examples/async_streaming.py [--aws]
"""

from __future__ import annotations

import asyncio
import time

from _common import Connection, run_example
from langchain_core.messages import AIMessageChunk

from langchain_bedrock_mistral import ChatBedrockMistral

MODEL = "mistral.mistral-large-2407-v1:0"
QUESTIONS = (
    "What is the best French cheese?",
    "Which wine goes with Comté?",
    "How long is Camembert aged?",
)


async def stream_one(llm: ChatBedrockMistral, number: int, question: str) -> AIMessageChunk:
    answer: AIMessageChunk | None = None
    async for chunk in llm.astream(question):
        print(f"[{number}] {chunk.content!r}", flush=True)
        answer = chunk if answer is None else answer + chunk
    if answer is None or not str(answer.content).strip():
        raise RuntimeError(f"question {number}: empty stream")
    return answer


async def stream_all(connection: Connection) -> list[AIMessageChunk]:
    llm = ChatBedrockMistral(model=MODEL, **connection)
    start = time.perf_counter()
    answers = await asyncio.gather(*(stream_one(llm, n, q) for n, q in enumerate(QUESTIONS, 1)))
    print(f"{len(answers)} streams in {time.perf_counter() - start:.2f} s")
    await llm.transport.aclose()  # close the async HTTP session before the event loop ends
    for number, answer in enumerate(answers, 1):
        print(f"[{number}] answer: {answer.content}")
        print(f"[{number}] usage: {answer.usage_metadata}")
    return answers


def main(connection: Connection) -> list[AIMessageChunk]:
    return asyncio.run(stream_all(connection))


if __name__ == "__main__":
    run_example(main, __doc__)
