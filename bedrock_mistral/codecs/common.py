"""Pieces every wire format shares: stop reasons, usage, tool-call arguments and ids, stop sequences."""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Mapping
from typing import Any

from bedrock_mistral.errors import MalformedResponseError
from bedrock_mistral.types import Metrics, StopReason, Usage

STOP_REASONS: dict[str, StopReason] = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "length": "length",
    "max_tokens": "length",
    "model_length": "length",
    "model_context_window_exceeded": "length",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "content_filter": "content_filter",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


def as_mapping(value: Any) -> Mapping[str, Any]:
    """Bodies come from the network: anything that is not an object reads as an empty one."""
    return value if isinstance(value, Mapping) else {}


def require_answer(body: Any, field: str, headers: Mapping[str, Any]) -> None:
    """A 200 body must hold the field its format puts the answer in (`choices`, `outputs`, `output`):
    without it the answer was lost, which is an error, not an empty answer."""
    value = body.get(field) if isinstance(body, Mapping) else None
    if isinstance(value, list):
        present = bool(value) and isinstance(value[0], Mapping)
    else:
        present = isinstance(value, Mapping)
    if not present:
        request_id = _header(headers, "x-amzn-requestid")
        raise MalformedResponseError(
            f"the answer has no {field!r} (got keys {sorted(body)[:10] if isinstance(body, Mapping) else []})",
            missing=field,
            request_id=str(request_id) if request_id else None,
        )


def normalize_stop_reason(raw: str | None) -> StopReason | None:
    if raw is None:
        return None
    return STOP_REASONS.get(str(raw), "other")


def to_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _header(headers: Mapping[str, Any], name: str) -> Any:
    lowered = name.lower()
    value = headers.get(lowered)  # botocore's HTTP headers come lower-cased: no scan needed
    if value is not None:
        return value
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def usage_from_headers(headers: Mapping[str, Any]) -> Usage | None:
    """InvokeModel reports token counts only in `X-Amzn-Bedrock-*-Token-Count` headers."""
    inp = to_int(_header(headers, "X-Amzn-Bedrock-Input-Token-Count"))
    out = to_int(_header(headers, "X-Amzn-Bedrock-Output-Token-Count"))
    if inp is None and out is None:
        return None
    return Usage(inp or 0, out or 0)


def metrics_from_headers(headers: Mapping[str, Any]) -> Metrics:
    return Metrics(latency_ms=to_int(_header(headers, "X-Amzn-Bedrock-Invocation-Latency")))


def usage_from_invocation_metrics(metrics: Any) -> tuple[Usage | None, Metrics | None]:
    """The last InvokeModelWithResponseStream chunk's `amazon-bedrock-invocationMetrics`."""
    if not isinstance(metrics, Mapping):
        return None, None
    inp, out = to_int(metrics.get("inputTokenCount")), to_int(metrics.get("outputTokenCount"))
    usage = Usage(inp or 0, out or 0) if inp is not None or out is not None else None
    return usage, Metrics(
        latency_ms=to_int(metrics.get("invocationLatency")),
        first_byte_latency_ms=to_int(metrics.get("firstByteLatency")),
    )


def parse_arguments(raw: Any) -> tuple[dict[str, Any], str | None, str | None]:
    """Tool-call arguments as (object, raw text, problem). Never raises: bad JSON is kept and flagged."""
    if isinstance(raw, Mapping):
        return dict(raw), None, None
    if raw is None or raw == "":
        return {}, None, None
    if not isinstance(raw, str):
        return {}, json.dumps(raw, default=str), f"arguments must be a JSON object, got {type(raw).__name__}"
    try:
        value = json.loads(raw)
    except ValueError as exc:
        return {}, raw, f"arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return {}, raw, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, raw, None


_MISTRAL_ID = re.compile(r"^[a-zA-Z0-9]{9}$")
_CONVERSE_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ALPHABET = string.ascii_letters + string.digits


def _digest_id(value: str, length: int) -> str:
    number = int.from_bytes(hashlib.sha256(value.encode("utf-8")).digest(), "big")
    out = []
    for _ in range(length):
        number, rem = divmod(number, len(_ALPHABET))
        out.append(_ALPHABET[rem])
    return "".join(out)


def mistral_tool_call_id(call_id: str) -> str:
    """Mistral's chat format takes 9 alphanumerics; other ids (`call_...`, `tooluse_...`) map stably."""
    return call_id if _MISTRAL_ID.match(call_id) else _digest_id(call_id, 9)


def converse_tool_use_id(call_id: str) -> str:
    return call_id if _CONVERSE_ID.match(call_id) else "tooluse_" + _digest_id(call_id, 22)


def truncate_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """Cut `text` before the first stop sequence, for formats that cannot send `stop` to Bedrock."""
    cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


class StopScanner:
    """Applies stop sequences to a stream, holding back only text that could begin a stop sequence."""

    def __init__(self, stop: tuple[str, ...]) -> None:
        self.stop = stop
        self.pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped or not self.stop:
            return "" if self.stopped else text
        self.pending += text
        cut, hit = truncate_at_stop(self.pending, self.stop)
        if hit:
            self.stopped, self.pending = True, ""
            return cut
        keep = max((len(s) - 1 for s in self.stop), default=0)
        # Hold back the longest suffix that is a prefix of some stop sequence.
        hold = 0
        for n in range(min(keep, len(self.pending)), 0, -1):
            tail = self.pending[-n:]
            if any(s.startswith(tail) for s in self.stop):
                hold = n
                break
        emit, self.pending = self.pending[: len(self.pending) - hold], self.pending[len(self.pending) - hold :]
        return emit

    def flush(self) -> str:
        out, self.pending = ("" if self.stopped else self.pending), ""
        return out
