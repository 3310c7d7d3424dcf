"""Sampling parameters in Mistral's native InvokeModel bodies, which both spell them alike (`max_tokens`,
`temperature`, `top_p`); the text-completion body also carries `stop` and `top_k`, the chat body neither."""

from __future__ import annotations

from typing import Any

from bedrock_mistral.types import InferenceParams


def native_params(params: InferenceParams, *, text_completion: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if params.max_tokens is not None:
        body["max_tokens"] = params.max_tokens
    if text_completion and params.stop:
        body["stop"] = list(params.stop)
    if params.temperature is not None:
        body["temperature"] = params.temperature
    if params.top_p is not None:
        body["top_p"] = params.top_p
    if text_completion and params.top_k is not None:
        body["top_k"] = params.top_k
    return body
