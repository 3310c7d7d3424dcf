"""On-demand quotas: requests per minute and tokens per minute, per model (and optionally per operation).

Each quota is a bucket that refills continuously at `per_minute / 60` a second, up to `burst_seconds` of
refill. A request over the request quota is refused with Bedrock's 429 ThrottlingException "Too many
requests..."; one whose input tokens plus `max_tokens` would overdraw the token quota with "Too many
tokens...". As on Bedrock, `max_tokens` is charged when the request is admitted and the part the answer
did not use is given back when it ends. Batch jobs are not metered (Bedrock meters them separately).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bedrock_mistral import catalog
from bedrock_mistral.local.faults import operation_name
from bedrock_mistral.local.service_errors import THROTTLED, ServiceError

TOO_MANY_TOKENS = "Too many tokens, please wait before trying again."


class QuotaExceeded(ServiceError):
    """A request refused by a quota: 429 ThrottlingException before a stream, an in-stream
    `throttlingException` frame on the streaming operations."""

    def __init__(self, message: str) -> None:
        super().__init__("ThrottlingException", message, 429)


@dataclass(frozen=True)
class Quota:
    """One quota. `model` None applies it to every model, each model with its own buckets; `operation` None
    shares the buckets between the four operations."""

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    model: str | None = None
    operation: str | None = None
    burst_seconds: float = 60.0
    """Bucket size in seconds of refill: 60 lets a minute's quota arrive at once, 1 smooths it to a rate."""

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if self.requests_per_minute is None and self.tokens_per_minute is None:
            raise ValueError("a quota needs requests_per_minute and/or tokens_per_minute")
        if not self.burst_seconds > 0:
            raise ValueError(f"burst_seconds must be positive, got {self.burst_seconds!r}")
        if self.operation is not None:
            object.__setattr__(self, "operation", operation_name(self.operation))

    def applies_to(self, operation: str, model_id: str) -> bool:
        if self.operation is not None and self.operation != operation:
            return False
        return self.model is None or catalog.base_model_id(self.model) == catalog.base_model_id(model_id)


class Bucket:
    """A continuously refilling bucket (not thread-safe: `Quotas` holds the lock)."""

    def __init__(self, per_minute: float, burst_seconds: float, clock: Callable[[], float]) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_seconds)
        self.level = self.capacity
        self._clock = clock
        self._last = clock()

    def refill(self) -> float:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._last) * self.rate)
        self._last = now
        return self.level

    def take(self, amount: float) -> bool:
        if self.refill() < amount:
            return False
        self.level -= amount
        return True

    def give_back(self, amount: float) -> None:
        self.level = min(self.capacity, self.refill() + amount)


@dataclass
class QuotaState:
    """One bucket pair as seen at run time: what is left and what was refused."""

    quota: Quota
    model_id: str
    operation: str | None
    requests_remaining: float | None = None
    tokens_remaining: float | None = None
    admitted: int = 0
    throttled_requests: int = 0
    """Requests refused by the request quota."""
    throttled_tokens: int = 0
    """Requests refused by the token quota."""

    @property
    def throttled(self) -> int:
        return self.throttled_requests + self.throttled_tokens


@dataclass
class _Meter:
    state: QuotaState
    requests: Bucket | None
    tokens: Bucket | None


@dataclass
class Charge:
    """Tokens taken for one admitted request; `settle` returns what the answer did not use."""

    _quotas: Quotas
    _held: list[tuple[Bucket, float]] = field(default_factory=list)
    max_tokens: int = 0

    def settle(self, output_tokens: int) -> None:
        unused = max(0, self.max_tokens - output_tokens)
        if unused and self._held:
            self._quotas._give_back([(bucket, min(unused, taken)) for bucket, taken in self._held])
        self._held = []


class Quotas:
    """Thread-safe quota registry; `LocalBedrock.quotas` is one of these."""

    def __init__(self, quotas: Iterable[Quota] = (), *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._quotas: list[Quota] = []
        self._meters: dict[tuple[int, str, str | None], _Meter] = {}
        self._refused = 0
        for quota in quotas:
            self.add(quota)

    def add(self, quota: Quota) -> Quota:
        with self._lock:
            self._quotas.append(quota)
        return quota

    def set(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        model: str | None = None,
        operation: str | None = None,
        burst_seconds: float = 60.0,
    ) -> Quota:
        """Add a quota: `bedrock.quotas.set(requests_per_minute=600, model="mistral.mistral-large-2407-v1:0")`."""
        return self.add(Quota(requests_per_minute, tokens_per_minute, model, operation, burst_seconds))

    def clear(self) -> None:
        with self._lock:
            self._quotas.clear()
            self._meters.clear()
            self._refused = 0

    @property
    def configured(self) -> list[Quota]:
        with self._lock:
            return list(self._quotas)

    def __bool__(self) -> bool:
        return bool(self._quotas)

    # --- admission (called by the app for every runtime request) ---------------------------------

    def _meters_for(self, operation: str, model_id: str) -> list[_Meter]:
        base = catalog.base_model_id(model_id)
        found: list[_Meter] = []
        for index, quota in enumerate(self._quotas):
            if not quota.applies_to(operation, model_id):
                continue
            key = (index, base, quota.operation)
            meter = self._meters.get(key)
            if meter is None:
                meter = _Meter(
                    QuotaState(quota, base, quota.operation),
                    self._bucket(quota.requests_per_minute, quota),
                    self._bucket(quota.tokens_per_minute, quota),
                )
                self._meters[key] = meter
            found.append(meter)
        return found

    def _bucket(self, per_minute: float | None, quota: Quota) -> Bucket | None:
        return None if per_minute is None else Bucket(per_minute, quota.burst_seconds, self._clock)

    def admit_request(self, operation: str, model_id: str) -> None:
        """Take one request from every request quota that applies; raises ThrottlingException if one is empty."""
        if not self._quotas:
            return
        with self._lock:
            meters = [m for m in self._meters_for(operation, model_id) if m.requests is not None]
            if any(m.requests is not None and m.requests.refill() < 1 for m in meters):
                for meter in meters:
                    if meter.requests is not None and meter.requests.level < 1:
                        meter.state.throttled_requests += 1
                self._refused += 1
                raise QuotaExceeded(THROTTLED)
            for meter in meters:
                if meter.requests is not None:
                    meter.requests.take(1)

    def admit_tokens(self, operation: str, model_id: str, input_tokens: int, max_tokens: int) -> Charge:
        """Take input tokens plus `max_tokens` from every token quota that applies (raises when one cannot
        give them); counts the request as admitted."""
        charge = Charge(self, max_tokens=max_tokens)
        if not self._quotas:
            return charge
        wanted = float(input_tokens + max_tokens)
        with self._lock:
            meters = self._meters_for(operation, model_id)
            short = [m for m in meters if m.tokens is not None and m.tokens.refill() < wanted]
            if short:
                for meter in short:
                    meter.state.throttled_tokens += 1
                for meter in meters:  # the request slot it took is not used
                    if meter.requests is not None:
                        meter.requests.give_back(1)
                self._refused += 1
                raise QuotaExceeded(TOO_MANY_TOKENS)
            for meter in meters:
                meter.state.admitted += 1
                if meter.tokens is not None:
                    meter.tokens.take(wanted)
                    charge._held.append((meter.tokens, float(max_tokens)))
        return charge

    def _give_back(self, amounts: list[tuple[Bucket, float]]) -> None:
        with self._lock:
            for bucket, amount in amounts:
                bucket.give_back(amount)

    # --- observation -----------------------------------------------------------------------------

    def status(self) -> list[QuotaState]:
        """Every bucket pair used so far, with what is left now (copies)."""
        with self._lock:
            states = []
            for meter in self._meters.values():
                state = QuotaState(**{**meter.state.__dict__})
                state.requests_remaining = meter.requests.refill() if meter.requests is not None else None
                state.tokens_remaining = meter.tokens.refill() if meter.tokens is not None else None
                states.append(state)
            return states

    def state(self, model: str, operation: str | None = None) -> QuotaState | None:
        """The first bucket pair for `model` (and `operation`, when the quota is per operation)."""
        base = catalog.base_model_id(model)
        wanted = operation_name(operation) if operation is not None else None
        for state in self.status():
            if state.model_id == base and (wanted is None or state.operation in (None, wanted)):
                return state
        return None

    @property
    def throttled(self) -> int:
        """Requests refused by any quota."""
        with self._lock:
            return self._refused
