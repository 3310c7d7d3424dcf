"""What the end of a stream reports, gathered from whichever deltas carried it.

Bedrock puts the stop reason, the token counts and the latency on different events depending on the API
(the last chunk, `messageStop`, `metadata`); adapters read them from here once the stream is over.
"""

from __future__ import annotations

from bedrock_mistral.types import Metrics, StopReason, StreamDelta, Usage


class StreamSummary:
    def __init__(self) -> None:
        self.stop_reason: StopReason | None = None
        self.raw_stop_reason: str | None = None
        self.usage: Usage | None = None
        self.metrics: Metrics | None = None
        self.service_tier: str | None = None

    def observe(self, delta: StreamDelta) -> None:
        if delta.stop_reason is not None:
            self.stop_reason, self.raw_stop_reason = delta.stop_reason, delta.raw_stop_reason
        if delta.usage is not None and self.usage is None:
            self.usage = delta.usage
        if delta.metrics is not None:
            self.metrics = delta.metrics
        if delta.service_tier is not None:
            self.service_tier = delta.service_tier
