"""Retry policy: exponential backoff with jitter on transient failures only."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bedrock_mistral.errors import BedrockMistralError, BedrockTimeoutError, ConfigurationError


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 20.0
    retry_timeouts: bool = False
    """A read timeout usually means a slow model, and a retry doubles the wait: off unless asked."""

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be an integer >= 0, got {self.max_retries!r}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ConfigurationError(
                f"retry delays must be >= 0, got base {self.base_delay!r} and max {self.max_delay!r}"
            )

    def should_retry(self, error: BedrockMistralError, attempt: int) -> bool:
        """`attempt` counts from 0 for the first try."""
        if attempt >= self.max_retries or not error.retryable:
            return False
        return self.retry_timeouts or not isinstance(error, BedrockTimeoutError)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Equal jitter: half the exponential step fixed, half random, so clients spread out. A wait the
        service asked for (`Retry-After` on a 429/503) is honoured instead, up to `max_delay`."""
        if retry_after is not None:
            return min(self.max_delay, max(0.0, retry_after))
        step = min(self.max_delay, self.base_delay * (2**attempt))
        return step / 2 + random.uniform(0, step / 2)
