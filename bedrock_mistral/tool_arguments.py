"""Tool-call arguments as the model sent them (a JSON string or an object) read into a JSON object."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def parse_arguments(raw: Any) -> tuple[dict[str, Any], str | None, str | None]:
    """Tool-call arguments as (object, raw text, problem). Never raises: bad JSON is kept and flagged."""
    if isinstance(raw, Mapping):
        return dict(raw), None, None
    if raw is None or raw == "":
        return {}, None, None
    if not isinstance(raw, str):
        return {}, json.dumps(raw, default=str), f"arguments must be a JSON object, got {type(raw).__name__}"
    try:
        value = json.loads(raw)
    except ValueError as exc:
        return {}, raw, f"arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return {}, raw, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, raw, None
