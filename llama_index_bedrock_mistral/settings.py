"""Construction options -> transport objects (client, inference parameters, guardrail).

Kept apart from the LLM class so the mapping from LlamaIndex-style options to `bedrock_mistral` is one
readable table, and so the LLM class holds no AWS knowledge. Validation is the transport's job: building
the `BedrockClient` raises its clear `ValueError` subclasses before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bedrock_mistral.catalog import Api
from bedrock_mistral.client import BedrockClient
from bedrock_mistral.errors import ConfigurationError
from bedrock_mistral.types import GuardrailConfig, InferenceParams
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


def guardrail_config(
    identifier: str | None, version: str | None, trace: str | None
) -> GuardrailConfig | None:
    if identifier is None and version is None:
        if trace is not None:
            raise ConfigurationError(
                "guardrail_trace was given without guardrail_identifier/guardrail_version"
            )
        return None
    if not identifier or not version:
        raise ConfigurationError("guardrail_identifier and guardrail_version must be given together")
    return GuardrailConfig(identifier=identifier, version=str(version), trace=trace)


def build_client(
    *,
    model: str,
    api: Api | None,
    params: InferenceParams,
    region_name: str | None,
    endpoint_url: str | None,
    profile_name: str | None,
    aws_access_key_id: Any,
    aws_secret_access_key: Any,
    aws_session_token: Any,
    client: Any,
    botocore_config: Any,
    timeout: float | None,
    max_retries: int,
    deadline: float | None = None,
    guardrail: GuardrailConfig | None,
    additional_model_request_fields: dict[str, Any] | None,
) -> BedrockClient:
    """The transport client; it resolves the model, checks the parameters and holds the credentials."""
    return BedrockClient(
        model,
        api=api,
        params=params,
        region_name=region_name,
        endpoint_url=endpoint_url,
        profile_name=profile_name,
        aws_access_key_id=secret_value(aws_access_key_id),
        aws_secret_access_key=secret_value(aws_secret_access_key),
        aws_session_token=secret_value(aws_session_token),
        client=client,
        config=botocore_config,
        connect_timeout=timeout,
        read_timeout=timeout,
        max_retries=max_retries,
        deadline=deadline,
        guardrail=guardrail,
        additional_model_request_fields=additional_model_request_fields,
    )
