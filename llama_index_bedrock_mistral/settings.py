"""Construction options -> transport objects (client, inference parameters, guardrail).

Kept apart from the LLM class so the mapping from LlamaIndex-style options to `bedrock_mistral` is one
readable table, and so the LLM class holds no AWS knowledge. Validation is the transport's job: building
the `BedrockClient` raises its clear `ValueError` subclasses before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bedrock_mistral.options import BedrockOptions
from bedrock_mistral.service_options import SERVICE_OPTION_NAMES, service_options
from bedrock_mistral.types import InferenceParams
from bedrock_mistral.validation import stop_sequences

PARAM_NAMES = ("max_tokens", "temperature", "top_p", "top_k", "stop")
"""Per-call keyword arguments that override the configured sampling parameters."""


def secret_value(value: Any) -> str | None:
    """Accept plain strings and pydantic `SecretStr` alike for credentials."""
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if callable(getter) else str(value)


def stop_tuple(stop: Any, model: str = "") -> tuple[str, ...]:
    """LlamaIndex users pass `stop` as a list; a lone string is one sequence, not its characters."""
    return stop_sequences(stop, model)


def inference_params(
    *,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop: str | Sequence[str] | None = None,
) -> InferenceParams:
    return InferenceParams(
        max_tokens=max_tokens, temperature=temperature, top_p=top_p, top_k=top_k, stop=stop_tuple(stop)
    )


def bedrock_options(**values: Any) -> BedrockOptions:
    """LlamaIndex's spelling of the options -> `BedrockOptions`: the one place they are mapped. Every value
    named like an option is forwarded as it is (the rest is ignored), so a new option is one field of the
    LLM class."""
    timeout = values.get("timeout")
    return BedrockOptions.from_values(
        values,
        config=values.get("botocore_config"),
        connect_timeout=timeout,
        read_timeout=timeout,
        service=service_options(*(values.get(name) for name in SERVICE_OPTION_NAMES)),
        **{name: secret_value(values.get(name)) for name in _SECRETS},
    )


_SECRETS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "api_key")
