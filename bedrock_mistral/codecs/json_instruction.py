"""The instruction that asks for JSON where a wire format cannot carry a schema itself."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def schema_instruction(schema: Mapping[str, Any] | None) -> str:
    if schema is None:
        return "Answer with a single JSON object and nothing else."
    return (
        "Answer with a single JSON object and nothing else. It must match this JSON schema:\n"
        + json.dumps(schema, ensure_ascii=False)
    )
