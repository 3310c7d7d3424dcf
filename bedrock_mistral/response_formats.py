"""A caller's `response_format`, in the common spellings, as the neutral `ResponseFormat`.

OpenAI's `{"type": "json_object"}` and `{"type": "json_schema", "json_schema": {...}}`, a bare JSON schema,
True (any JSON object) and `ResponseFormat` itself are read here once; an adapter first turns its
framework's classes (pydantic models, TypedDicts) into a JSON schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedrock_mistral.errors import InvalidRequestError
from bedrock_mistral.types import ResponseFormat

_SCHEMA_KEYS = frozenset({"properties", "$defs", "definitions", "anyOf", "oneOf", "allOf", "$schema"})


def schema_format(schema: Mapping[str, Any]) -> ResponseFormat:
    """A JSON schema as a response format named by its `title` (described by its `description`)."""
    return ResponseFormat(
        schema=dict(schema),
        name=str(schema.get("title") or "response"),
        description=schema.get("description") or None,
    )


def parse_response_format(value: Any) -> ResponseFormat | None:
    """None / False: no format; True or `{"type": "json_object"}`: any JSON object; OpenAI's
    `json_schema` form or a bare JSON schema (`{"type": "object", ...}`): that schema."""
    if value is None or value is False:
        return None
    if isinstance(value, ResponseFormat):
        return value
    if value is True:
        return ResponseFormat()
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "json_object":
            return ResponseFormat()
        spec = value.get("json_schema")
        if kind == "json_schema" and isinstance(spec, Mapping):
            return ResponseFormat(
                schema=dict(spec.get("schema") or {}),
                name=str(spec.get("name") or "response"),
                description=spec.get("description"),
            )
        if kind == "object" or (kind is None and _SCHEMA_KEYS & set(value)):
            return ResponseFormat(schema=dict(value), name="response")
    raise InvalidRequestError(
        f"response_format={value!r} is not understood: use {{'type': 'json_object'}}, "
        "{'type': 'json_schema', 'json_schema': {'name': ..., 'schema': {...}}}, a JSON schema or a "
        "pydantic class"
    )


__all__ = ["parse_response_format", "schema_format"]
