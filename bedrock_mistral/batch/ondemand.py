"""Inputs under a job's minimum run as on-demand calls, concurrently, through the transport's async path
(and so through whatever rate limiting the transport applies); without aiobotocore (the `async` extra),
through its sync path on a few threads."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from bedrock_mistral.batch.errors import BatchRecordError
from bedrock_mistral.batch.output import BatchResult
from bedrock_mistral.batch.records import Record, record_id
from bedrock_mistral.errors import BedrockMistralError
from bedrock_mistral.types import ModelResponse

if TYPE_CHECKING:
    from bedrock_mistral.client import BedrockClient


def _row(record: Record, keys: Sequence[Any] | None, outcome: ModelResponse | BedrockMistralError) -> BatchResult:
    """A row from one call's outcome: the response, or the error as the record's typed error."""
    key = keys[record.index] if keys is not None else record.index
    if isinstance(outcome, BedrockMistralError):
        code = str(getattr(outcome, "code", None) or type(outcome).__name__)
        error = BatchRecordError(record.index, record_id(record.index), code, outcome.message)
        return BatchResult(record.index, key, error=error)
    return BatchResult(record.index, key, response=outcome)


def _send(client: BedrockClient, record: Record) -> ModelResponse | BedrockMistralError:
    try:
        return client.send(record.encoded)
    except BedrockMistralError as exc:
        return exc


async def arun(
    client: BedrockClient, records: Sequence[Record], keys: Sequence[Any] | None, concurrency: int
) -> list[BatchResult]:
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(record: Record) -> BatchResult:
        outcome: ModelResponse | BedrockMistralError
        async with gate:
            try:
                outcome = await client.asend(record.encoded)
            except BedrockMistralError as exc:
                outcome = exc
        return _row(record, keys, outcome)

    return list(await asyncio.gather(*(one(record) for record in records)))


def has_async_io() -> bool:
    """Whether aiobotocore (the `async` extra) is installed."""
    return importlib.util.find_spec("aiobotocore") is not None


def run(
    client: BedrockClient, records: Sequence[Record], keys: Sequence[Any] | None, concurrency: int
) -> list[BatchResult]:
    """The sync entry: its own event loop, in a helper thread when this thread already runs one."""
    if not has_async_io():
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, 8))) as pool:
            return list(pool.map(lambda record: _row(record, keys, _send(client, record)), records))
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
