"""Read Bedrock's batch output lines back into neutral responses, through the on-demand codecs.

An output line is `{"recordId", "modelInput", "modelOutput"}` or `{"recordId", "modelInput", "error":
{"errorCode", "errorMessage"}}`. `modelOutput` is the body InvokeModel (or Converse) would have answered,
so the same decoders read it. Token counts that InvokeModel sends in headers come, in a batch line, in
the body's `amazon-bedrock-invocationMetrics` (as the last chunk of a stream carries them) when present.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bedrock_mistral import codecs
from bedrock_mistral.batch.errors import BatchOutputError, BatchRecordError
from bedrock_mistral.batch.records import index_of
from bedrock_mistral.catalog import BodyFormat
from bedrock_mistral.codecs.usage import usage_from_invocation_metrics
from bedrock_mistral.types import ModelResponse

INVOCATION_METRICS = "amazon-bedrock-invocationMetrics"


@dataclass(frozen=True)
class BatchResult:
    """One input's outcome, in input order: `response` or `error`, never neither."""

    index: int
    key: Any
    """The input's key: its position in a list, or its key in a mapping."""
    response: ModelResponse | None = None
    error: BatchRecordError | None = None
    output: Any = None
    """The response as the caller's framework type (an adapter's job), else the neutral response."""

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> ModelResponse:
        """The response, or the record's error raised."""
        if self.error is not None:
            raise self.error
        assert self.response is not None
        return self.response


@dataclass(frozen=True)
class OutputLine:
    index: int
    record_id: str
    response: ModelResponse | None
    error: BatchRecordError | None


def body_format(invocation_type: str, model_input: Mapping[str, Any]) -> str:
    """The wire format of a record, read from its own body (so an attached job needs no local state)."""
    if invocation_type == "Converse":
        return codecs.CONVERSE
    if "messages" in model_input:
        return BodyFormat.CHAT_COMPLETION.value
    return BodyFormat.TEXT_COMPLETION.value


def decode_line(
    raw: bytes | str,
    *,
    source: str,
    line_number: int,
    model_id: str,
    invocation_type: str,
    valid_indexes: range,
    stops: Mapping[int, tuple[str, ...]] | None = None,
    default_stop: tuple[str, ...] = (),
) -> OutputLine:
    """One output line; raises BatchOutputError naming the line when it cannot be read."""
    try:
        line = json.loads(raw)
    except ValueError as exc:
        raise BatchOutputError(source, line_number, f"not JSON ({exc})") from None
    if not isinstance(line, dict):
        raise BatchOutputError(source, line_number, "not a JSON object")
    raw_id = line.get("recordId")
    index = index_of(raw_id)
    if index is None or index not in valid_indexes:
        raise BatchOutputError(source, line_number, f"record id {raw_id!r} was never submitted in this job")
    record_id = str(raw_id)
    error = line.get("error")
    if isinstance(error, Mapping):
        code = str(error.get("errorCode", "unknown"))
        message = str(error.get("errorMessage", ""))
        return OutputLine(index, record_id, None, BatchRecordError(index, record_id, code, message))
    output = line.get("modelOutput")
    if not isinstance(output, Mapping):
        raise BatchOutputError(source, line_number, "neither modelOutput nor error")
    model_input = line.get("modelInput")
    fmt = body_format(invocation_type, model_input if isinstance(model_input, Mapping) else {})
    stop = (stops or {}).get(index, default_stop) if fmt == BodyFormat.CHAT_COMPLETION.value else ()
    encoded = codecs.Encoded("converse" if fmt == codecs.CONVERSE else "invoke", fmt, {}, model_id, stop)
    response = codecs.decode(encoded, output, {})
    if response.usage is None:
        usage, metrics = usage_from_invocation_metrics(output.get(INVOCATION_METRICS))
        if usage is not None:
            response = replace(response, usage=usage, metrics=metrics or response.metrics)
    return OutputLine(index, record_id, response, None)
