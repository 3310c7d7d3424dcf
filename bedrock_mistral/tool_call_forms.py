"""Tool calls and tool results that callers hand back in another provider's shape.

Frameworks keep earlier turns as plain dicts: OpenAI / Mistral `{"id", "function": {"name", "arguments"}}`,
flat `{"id", "name", "input"}`, or Bedrock Converse `{"toolUseId", "name", "input"}` (what a Converse
answer looked like). Recognising those shapes is wire knowledge, so it is done here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedrock_mistral.types import ToolCall

_CALL_IDS = ("id", "tool_call_id", "tool_id", "toolUseId")
_ARGUMENTS = ("arguments", "input", "tool_kwargs", "args")
_RESULT_IDS = ("tool_call_id", "tool_use_id", "toolUseId")


def tool_call_from_mapping(raw: Mapping[str, Any]) -> ToolCall | None:
    """A tool call from a dict in any of the shapes above; None when it names no tool."""
    function = raw.get("function")
    source: Mapping[str, Any] = function if isinstance(function, Mapping) else raw
    name = source.get("name") or raw.get("tool_name")
    if not name:
        return None
    call_id = next((raw[k] for k in _CALL_IDS if raw.get(k)), "")
    value = next((source[k] for k in _ARGUMENTS if k in source), raw.get("tool_kwargs", raw.get("input")))
    return ToolCall.from_raw(str(call_id), str(name), value)


def tool_result_id(fields: Mapping[str, Any]) -> str | None:
    """The id of the call a tool result answers: `tool_call_id`, `tool_use_id` or Converse's `toolUseId`."""
    return next((str(fields[k]) for k in _RESULT_IDS if fields.get(k)), None)


__all__ = ["tool_call_from_mapping", "tool_result_id"]
