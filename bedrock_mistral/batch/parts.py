"""Encode every record into local spool files before anything is uploaded, one file per job.

Records go to temporary files on disk (not a whole-job copy in memory) and are split so that no job
exceeds the model's limits: at most `max_records` records and `max_file_bytes` bytes per file, in
parts of balanced size so that no part falls under the minimum.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from bedrock_mistral.batch import records
from bedrock_mistral.batch.errors import BatchInputError
from bedrock_mistral.catalog import BatchLimits

if TYPE_CHECKING:
    from bedrock_mistral.client import BedrockClient


@dataclass
class Part:
    """The records of one future job, spooled to a temporary file."""

    first_index: int
    file: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile())  # noqa: SIM115 - Part.close
    count: int = 0
    size: int = 0
    stops: dict[int, list[str]] = field(default_factory=dict)
    """Client-side stop sequences of records that differ from the client's own (rare)."""
    digest: Any = field(default_factory=hashlib.sha256)

    def add(self, record: records.Record, default_stop: tuple[str, ...]) -> None:
        self.file.write(record.line)
        self.digest.update(record.line)
        self.count += 1
        self.size += len(record.line)
        if record.client_stop != default_stop:
            self.stops[record.index] = list(record.client_stop)

    def close(self) -> None:
        self.file.close()


def part_sizes(total: int, limits: BatchLimits) -> int:
    """Records per part: the fewest parts the per-job maximum allows, of equal size."""
    parts = max(1, math.ceil(total / limits.max_records))
    return math.ceil(total / parts)


def spool(
    client: BedrockClient, requests: Sequence[Any], limits: BatchLimits, *, first_index: int = 0
) -> list[Part]:
    """Every request validated and written; raises BatchInputError (naming the record) before any upload."""
    target = part_sizes(len(requests), limits)
    max_bytes = min(limits.max_file_bytes, limits.max_job_bytes)
    default_stop = tuple(client.params.stop)
    parts: list[Part] = []
    current: Part | None = None
    try:
        for offset, request in enumerate(requests):
            index = first_index + offset
            record = records.encode(client, index, request)
            if len(record.line) > max_bytes:
                raise BatchInputError(index, f"the record is {len(record.line)} bytes; a job file takes at "
                                      f"most {max_bytes}")
            if current is None or current.count >= target or current.size + len(record.line) > max_bytes:
                current = Part(index)
                parts.append(current)
            current.add(record, default_stop)
        if len(parts) > 1 and parts[-1].count < limits.min_records:
            raise BatchInputError(
                parts[-1].first_index,
                f"splitting by file size left a last job of {parts[-1].count} records, under the minimum "
                f"of {limits.min_records}; submit fewer or smaller records per call",
            )
    except BaseException:
        for part in parts:
            part.close()
        raise
    for part in parts:
        part.file.seek(0)
    return parts
