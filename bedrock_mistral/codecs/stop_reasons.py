"""Bedrock's and Mistral's stop reasons mapped onto the neutral vocabulary (the raw value is kept too)."""

from __future__ import annotations

from bedrock_mistral.types import StopReason

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


def normalize_stop_reason(raw: str | None) -> StopReason | None:
    if raw is None:
        return None
    return STOP_REASONS.get(str(raw), "other")
