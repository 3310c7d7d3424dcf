"""`service_tier`, `request_metadata`, `performance_config`: from the forms users pass to neutral settings,
checked against the limits botocore's service model states, before any request.

The names are langchain-aws's: `service_tier="flex"` (or `{"type": "flex"}`), `request_metadata={"team":
"a"}`, `performance_config={"latency": "optimized"}` (or `"optimized"`). Converse sends them as `serviceTier`,
`requestMetadata`, `performanceConfig`; InvokeModel as the `X-Amzn-Bedrock-Service-Tier`,
`X-Amzn-Bedrock-Request-Metadata` (JSON) and `X-Amzn-Bedrock-PerformanceConfig-Latency` headers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bedrock_mistral.catalog import (
    LATENCY_PROFILES,
    REQUEST_METADATA_ENTRIES,
    REQUEST_METADATA_HEADER_CHARS,
    REQUEST_METADATA_KEY,
    REQUEST_METADATA_VALUE,
    SERVICE_TIERS,
)
from bedrock_mistral.errors import ConfigurationError
from bedrock_mistral.types import NO_SERVICE_OPTIONS, ServiceOptions

_ALLOWED_CHARS = "letters, digits, whitespace and :_@$#=/+,-."


def _tier(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("type")
    if value is None:
        return None
    if not isinstance(value, str) or value not in SERVICE_TIERS:
        raise ConfigurationError(f"service_tier={value!r} is not a Bedrock service tier: use one of {', '.join(SERVICE_TIERS)}")
    return value


def _latency(value: Any) -> str | None:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"latency"})
        if unknown:
            raise ConfigurationError(
                f"performance_config has unknown key(s) {', '.join(map(repr, unknown))}: Bedrock takes only 'latency'"
            )
        value = value.get("latency")
    if value is None:
        return None
    if not isinstance(value, str) or value not in LATENCY_PROFILES:
        raise ConfigurationError(
            f"performance_config latency={value!r} is not allowed: use one of {', '.join(LATENCY_PROFILES)}"
        )
    return value


def _metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"request_metadata must be a dict of strings, got {type(value).__name__}")
    if not REQUEST_METADATA_ENTRIES.contains(len(value)):
        raise ConfigurationError(
            f"request_metadata has {len(value)} entries: Bedrock takes {REQUEST_METADATA_ENTRIES.describe()}"
        )
    for key, item in value.items():
        if not isinstance(key, str) or not REQUEST_METADATA_KEY.fullmatch(key):
            raise ConfigurationError(
                f"request_metadata key {key!r} is not allowed: use 1 to 256 characters from {_ALLOWED_CHARS}"
            )
        if not isinstance(item, str) or not REQUEST_METADATA_VALUE.fullmatch(item):
            raise ConfigurationError(
                f"request_metadata[{key!r}]={item!r} is not allowed: use a string of 0 to 256 characters from "
                f"{_ALLOWED_CHARS}"
            )
    return dict(value)


def service_options(
    service_tier: Any = None, request_metadata: Any = None, performance_config: Any = None
) -> ServiceOptions:
    """Neutral service settings from the user-facing forms; raises ConfigurationError naming what is allowed."""
    if service_tier is None and request_metadata is None and performance_config is None:
        return NO_SERVICE_OPTIONS  # the usual call: nothing to check
    options = ServiceOptions(
        tier=_tier(service_tier), metadata=_metadata(request_metadata), latency=_latency(performance_config)
    )
    return NO_SERVICE_OPTIONS if options == NO_SERVICE_OPTIONS else options


SERVICE_OPTION_NAMES: tuple[str, ...] = ("service_tier", "request_metadata", "performance_config")
"""The keyword arguments both adapters take, on construction and per call."""


def pop_service(kwargs: dict[str, Any]) -> ServiceOptions:
    """Per-call service settings taken out of an adapter call's keyword arguments."""
    return service_options(*(kwargs.pop(name, None) for name in SERVICE_OPTION_NAMES))


def validate_service(options: ServiceOptions) -> None:
    """Settings built elsewhere (a neutral request made by hand) get the same checks."""
    if options is not NO_SERVICE_OPTIONS:
        service_options(options.tier, options.metadata, options.latency)


def converse_fields(options: ServiceOptions) -> dict[str, Any]:
    """Converse / ConverseStream request fields."""
    fields: dict[str, Any] = {}
    if options.tier is not None:
        fields["serviceTier"] = {"type": options.tier}
    if options.metadata is not None:
        fields["requestMetadata"] = dict(options.metadata)
    if options.latency is not None:
        fields["performanceConfig"] = {"latency": options.latency}
    return fields


def invoke_parameters(options: ServiceOptions) -> dict[str, Any]:
    """InvokeModel(WithResponseStream) parameters botocore sends as the X-Amzn-Bedrock-* headers."""
    parameters: dict[str, Any] = {}
    if options.tier is not None:
        parameters["serviceTier"] = options.tier
    if options.metadata is not None:
        text = json.dumps(dict(options.metadata), separators=(",", ":"), ensure_ascii=False)
        if len(text) > REQUEST_METADATA_HEADER_CHARS:
            raise ConfigurationError(
                f"request_metadata is {len(text)} characters as JSON: InvokeModel's header takes at most "
                f"{REQUEST_METADATA_HEADER_CHARS}"
            )
        parameters["requestMetadata"] = text
    if options.latency is not None:
        parameters["performanceConfigLatency"] = options.latency
    return parameters


__all__ = [
    "SERVICE_OPTION_NAMES",
    "converse_fields",
    "invoke_parameters",
    "pop_service",
    "service_options",
    "validate_service",
]
