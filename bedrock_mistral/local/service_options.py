"""Converse's `serviceTier`, `requestMetadata` and `performanceConfig`, and InvokeModel's header forms of them
(`X-Amzn-Bedrock-Service-Tier`, `X-Amzn-Bedrock-Request-Metadata`, `X-Amzn-Bedrock-PerformanceConfig-Latency`):
checked as botocore's service model constrains them, with Bedrock's validation wording; the tier asked for is
the tier the answer reports."""

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
from bedrock_mistral.local.service_errors import ServiceError, validation

TIER_HEADER = "x-amzn-bedrock-service-tier"
METADATA_HEADER = "x-amzn-bedrock-request-metadata"
LATENCY_HEADER = "x-amzn-bedrock-performanceconfig-latency"


def _enum(value: Any, at: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise validation(
            f"1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: Member must "
            f"satisfy enum value set: [{', '.join(allowed)}]"
        )
    return value


def _metadata(value: Any, at: str) -> None:
    if not isinstance(value, Mapping):
        raise validation(f"1 validation error detected: Value at '{at}' failed to satisfy constraint: Member must be a map")
    if not REQUEST_METADATA_ENTRIES.contains(len(value)):
        bound = "greater than or equal to 1" if not value else "less than or equal to 16"
        raise validation(
            f"1 validation error detected: Value at '{at}' failed to satisfy constraint: Member must have length "
            f"{bound}"
        )
    for key, item in value.items():
        if not REQUEST_METADATA_KEY.fullmatch(str(key)) or not (
            isinstance(item, str) and REQUEST_METADATA_VALUE.fullmatch(item)
        ):
            raise validation(
                f"1 validation error detected: Value at '{at}' failed to satisfy constraint: Map keys and values "
                "must satisfy constraint: [Member must have length less than or equal to 256, Member must satisfy "
                "regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{0,256}]"
            )


def converse_tier(body: Mapping[str, Any]) -> str | None:
    """Check a Converse body's service fields; the tier it asks for."""
    tier = None
    if "serviceTier" in body:
        requested = body["serviceTier"]
        tier = _enum(requested.get("type") if isinstance(requested, dict) else None, "serviceTier.type", SERVICE_TIERS)
    if "requestMetadata" in body:
        _metadata(body["requestMetadata"], "requestMetadata")
    if "performanceConfig" in body:
        config = body["performanceConfig"]
        latency = config.get("latency") if isinstance(config, dict) else None
        _enum(latency, "performanceConfig.latency", LATENCY_PROFILES)
    return tier


def invoke_tier(headers: Mapping[str, str]) -> str | None:
    """Check an InvokeModel request's service headers (lower-cased names); the tier they ask for."""
    tier = headers.get(TIER_HEADER)
    if tier is not None:
        _enum(tier, "serviceTier", SERVICE_TIERS)
    latency = headers.get(LATENCY_HEADER)
    if latency is not None:
        _enum(latency, "performanceConfigLatency", LATENCY_PROFILES)
    metadata = headers.get(METADATA_HEADER)
    if metadata is not None:
        if len(metadata) > REQUEST_METADATA_HEADER_CHARS:
            raise validation(
                "1 validation error detected: Value at 'requestMetadata' failed to satisfy constraint: Member must "
                f"have length less than or equal to {REQUEST_METADATA_HEADER_CHARS}"
            )
        try:
            parsed = json.loads(metadata)
        except ValueError:
            raise ServiceError("ValidationException", "The request metadata header is not valid JSON.") from None
        _metadata(parsed, "requestMetadata")
    return tier
