"""Token counts and latencies: InvokeModel's response headers and its stream's invocation metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedrock_mistral.codecs.values import header, to_int
from bedrock_mistral.types import Metrics, Usage


def usage_from_headers(headers: Mapping[str, Any]) -> Usage | None:
    """InvokeModel reports token counts only in `X-Amzn-Bedrock-*-Token-Count` headers."""
    inp = to_int(header(headers, "X-Amzn-Bedrock-Input-Token-Count"))
    out = to_int(header(headers, "X-Amzn-Bedrock-Output-Token-Count"))
    if inp is None and out is None:
        return None
    return Usage(inp or 0, out or 0)


def metrics_from_headers(headers: Mapping[str, Any]) -> Metrics:
    return Metrics(latency_ms=to_int(header(headers, "X-Amzn-Bedrock-Invocation-Latency")))


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
