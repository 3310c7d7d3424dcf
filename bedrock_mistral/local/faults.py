"""Scriptable failures: throttling, error answers, in-stream exceptions, dropped connections, latency.

Each fault can be limited to a number of requests and scoped to an operation and/or a model. The server
asks for a `Plan` once per request; taking a plan consumes the faults it used, under one lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from bedrock_mistral import catalog
from bedrock_mistral.local.service_errors import THROTTLED

Kind = Literal["error", "stream_error", "drop", "latency"]
OPERATIONS = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")
STREAMING = frozenset({"InvokeModelWithResponseStream", "ConverseStream"})
_ALIASES = {
    "invoke": "InvokeModel",
    "invoke_model": "InvokeModel",
    "invokemodel": "InvokeModel",
    "invoke_with_response_stream": "InvokeModelWithResponseStream",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "invoke_model_with_response_stream": "InvokeModelWithResponseStream",
    "invokemodelwithresponsestream": "InvokeModelWithResponseStream",
    "converse": "Converse",
    "converse_stream": "ConverseStream",
    "converse-stream": "ConverseStream",
    "conversestream": "ConverseStream",
}
STREAM_EXCEPTIONS = (
    "modelStreamErrorException",
    "throttlingException",
    "validationException",
    "modelTimeoutException",
    "internalServerException",
    "serviceUnavailableException",
)


def operation_name(name: str) -> str:
    """The botocore operation name for any spelling (`converse_stream`, `ConverseStream`, ...)."""
    if name in OPERATIONS:
        return name
    try:
        return _ALIASES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown operation {name!r}; use one of {', '.join(OPERATIONS)}") from None


@dataclass
class Fault:
    """One scripted fault. `remaining` None means it applies until cleared."""

    kind: Kind
    remaining: int | None = 1
    operation: str | None = None
    model: str | None = None
    status: int = 400
    code: str = ""
    message: str = ""
    after_chunks: int = 0
    first_byte_ms: float = 0.0
    per_token_ms: float = 0.0

    def matches(self, operation: str, model_id: str) -> bool:
        if self.operation is not None and self.operation != operation:
            return False
        if self.kind == "stream_error" and operation not in STREAMING:
            return False  # in-stream exceptions need a stream; a drop also hits non-stream calls
        if self.model is not None:
            return catalog.base_model_id(self.model) == catalog.base_model_id(model_id)
        return True


@dataclass
class Plan:
    """What to do to one request; an empty plan means normal service."""

    error: Fault | None = None
    stream_error: Fault | None = None
    drop: Fault | None = None
    first_byte_ms: float = 0.0
    per_token_ms: float = 0.0
    used: list[Fault] = field(default_factory=list)


class Faults:
    """Thread-safe fault registry; `LocalBedrock.faults` is one of these."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def _add(self, fault: Fault) -> Fault:
        if fault.operation is not None:
            fault.operation = operation_name(fault.operation)
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("count must be at least 1 (or None for every request)")
        with self._lock:
            self._faults.append(fault)
        return fault

    def throttle(
        self, count: int | None = 1, *, operation: str | None = None, model: str | None = None
    ) -> Fault:
        """Answer the next `count` requests with 429 ThrottlingException."""
        return self.error(
            429, "ThrottlingException", THROTTLED, count=count, operation=operation, model=model
        )

    def error(
        self,
        status: int,
        code: str,
        message: str,
        *,
        count: int | None = 1,
        operation: str | None = None,
        model: str | None = None,
    ) -> Fault:
        """Answer the next `count` requests with this status, error code and message."""
        return self._add(Fault("error", count, operation, model, status=status, code=code, message=message))

    def stream_error(
        self,
        after_chunks: int = 0,
        exception: str = "modelStreamErrorException",
        message: str = "The model stream failed. Try your request again.",
        *,
        count: int | None = 1,
        operation: str | None = None,
        model: str | None = None,
    ) -> Fault:
        """Send an in-stream exception frame after `after_chunks` event frames (streaming calls only)."""
        exception = exception[:1].lower() + exception[1:]
        if exception not in STREAM_EXCEPTIONS:
            raise ValueError(
                f"unknown stream exception {exception!r}; use one of {', '.join(STREAM_EXCEPTIONS)}"
            )
        return self._add(
            Fault(
                "stream_error",
                count,
                operation,
                model,
                code=exception,
                message=message,
                after_chunks=after_chunks,
            )
        )

    def drop_connection(
        self,
        after_chunks: int = 0,
        *,
        count: int | None = 1,
        operation: str | None = None,
        model: str | None = None,
    ) -> Fault:
        """Close the socket after `after_chunks` frames, without the terminating chunk (or without any answer)."""
        return self._add(Fault("drop", count, operation, model, after_chunks=after_chunks))

    def latency(
        self,
        first_byte_ms: float = 0.0,
        per_token_ms: float = 0.0,
        *,
        count: int | None = None,
        operation: str | None = None,
        model: str | None = None,
    ) -> Fault:
        """Sleep before the first byte and per output token (per chunk when streaming)."""
        return self._add(
            Fault("latency", count, operation, model, first_byte_ms=first_byte_ms, per_token_ms=per_token_ms)
        )

    def clear(self) -> None:
        """Restore normal service."""
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def take(self, operation: str, model_id: str) -> Plan:
        """The plan for one request, consuming one use of each fault it applies."""
        plan = Plan()
        streaming = operation in STREAMING
        with self._lock:
            for fault in self._faults:
                if not fault.matches(operation, model_id):
                    continue
                if fault.kind == "error" and plan.error is None:
                    plan.error = fault
                elif fault.kind == "stream_error" and streaming and plan.stream_error is None:
                    plan.stream_error = fault
                elif fault.kind == "drop" and plan.drop is None:
                    plan.drop = fault
                elif fault.kind == "latency" and not plan.first_byte_ms and not plan.per_token_ms:
                    plan.first_byte_ms, plan.per_token_ms = fault.first_byte_ms, fault.per_token_ms
                else:
                    continue
                plan.used.append(fault)
                if plan.error is not None:
                    break  # an error answer ends the request: nothing else applies
            if plan.error is not None:
                plan.used = [plan.error]
                plan.stream_error = plan.drop = None
            for fault in plan.used:
                if fault.remaining is not None:
                    fault.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return plan
