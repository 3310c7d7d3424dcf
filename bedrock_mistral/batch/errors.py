"""Errors of batch jobs: bad input (nothing submitted), a failed record, a malformed output line."""

from __future__ import annotations

from typing import Any

from bedrock_mistral.errors import BedrockMistralError, ConfigurationError


class BatchInputError(ConfigurationError):
    """A record that cannot be sent (the same rules as on-demand calls); nothing was uploaded or submitted."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"batch record {index}: {reason}")
        self.index = index
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.index, self.reason))


class BatchMinimumError(ConfigurationError):
    """Too few records for a Batch Inference job, and the caller asked for batch only."""


class BatchRecordError(BedrockMistralError):
    """One record Bedrock could not answer. Yielded in its row by `results()`, never dropped."""

    def __init__(self, index: int, record_id: str, code: str, message: str) -> None:
        super().__init__(f"batch record {index} ({record_id}) failed: {code}: {message}")
        self.index = index
        self.record_id = record_id
        self.code = code
        """Bedrock's `errorCode` (an HTTP status such as "400"), or `NotProcessed` when the job ended
        before the record ran, or the on-demand error's code."""
        self.reason = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.index, self.record_id, self.code, self.reason))


class BatchOutputError(BedrockMistralError):
    """An output line that cannot be read (not JSON, a record id never submitted, no output or error)."""

    def __init__(self, source: str, line_number: int, reason: str) -> None:
        super().__init__(f"{source} line {line_number}: {reason}")
        self.source = source
        self.line_number = line_number
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.source, self.line_number, self.reason))


class BatchJobError(BedrockMistralError):
    """A job operation that cannot be done now (results of a running job, a wait that timed out)."""
