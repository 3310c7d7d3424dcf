"""Inputs under a job's minimum run as on-demand calls, concurrently, through the transport's async path
(and so through whatever rate limiting the transport applies)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bedrock_mistral.batch.errors import BatchRecordError
from bedrock_mistral.batch.output import BatchResult
from bedrock_mistral.batch.records import Record, record_id
from bedrock_mistral.errors import BedrockMistralError

if TYPE_CHECKING:
    from bedrock_mistral.transport import BedrockClient


async def arun(
    client: BedrockClient, records: Sequence[Record], keys: Sequence[Any] | None, concurrency: int
) -> list[BatchResult]:
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(record: Record) -> BatchResult:
        key = keys[record.index] if keys is not None else record.index
        async with gate:
            try:
                response = await client.asend(record.encoded)
            except BedrockMistralError as exc:
                code = str(getattr(exc, "code", None) or type(exc).__name__)
                error = BatchRecordError(record.index, record_id(record.index), code, exc.message)
                return BatchResult(record.index, key, error=error)
        return BatchResult(record.index, key, response=response)

    return list(await asyncio.gather(*(one(record) for record in records)))


def run(
    client: BedrockClient, records: Sequence[Record], keys: Sequence[Any] | None, concurrency: int
) -> list[BatchResult]:
    """The sync entry: its own event loop, in a helper thread when this thread already runs one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun(client, records, keys, concurrency))
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(arun(client, records, keys, concurrency))
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="bedrock-mistral-batch-on-demand")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    results: list[BatchResult] = box["value"]
    return results
