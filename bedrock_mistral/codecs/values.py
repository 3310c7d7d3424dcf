"""Reading what came from the network: values of the wrong type read as absent, headers by any case,
and a 200 body that lacks its answer is an error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedrock_mistral.errors import MalformedResponseError


def as_mapping(value: Any) -> Mapping[str, Any]:
    """Bodies come from the network: anything that is not an object reads as an empty one."""
    return value if isinstance(value, Mapping) else {}


def to_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def header(headers: Mapping[str, Any], name: str) -> Any:
    lowered = name.lower()
    value = headers.get(lowered)  # botocore's HTTP headers come lower-cased: no scan needed
    if value is not None:
        return value
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def require_answer(body: Any, field: str, headers: Mapping[str, Any]) -> None:
    """A 200 body must hold the field its format puts the answer in (`choices`, `outputs`, `output`):
    without it the answer was lost, which is an error, not an empty answer."""
    value = body.get(field) if isinstance(body, Mapping) else None
    if isinstance(value, list):
        present = bool(value) and isinstance(value[0], Mapping)
    else:
        present = isinstance(value, Mapping)
    if not present:
        request_id = header(headers, "x-amzn-requestid")
        raise MalformedResponseError(
            f"the answer has no {field!r} (got keys {sorted(body)[:10] if isinstance(body, Mapping) else []})",
            missing=field,
            request_id=str(request_id) if request_id else None,
        )
