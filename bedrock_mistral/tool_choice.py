"""A caller's `tool_choice`, in any common spelling, as the neutral choice: auto | any | none | a tool name.

Frameworks pass OpenAI's, Anthropic's, Converse's and their own spellings; one table reads them all, so
both adapters accept and refuse the same values the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedrock_mistral.errors import InvalidRequestError
from bedrock_mistral.types import ToolChoice

CHOICE_WORDS: dict[str, ToolChoice] = {"auto": "auto", "any": "any", "none": "none", "required": "any"}
"""Mode words and what they mean ("required" is OpenAI's "any")."""

_ALLOWED = "'auto', 'any', 'required', 'none', True, a tool name, or a dict naming one"


def _from_mapping(choice: Mapping[str, Any]) -> ToolChoice:
    """OpenAI `{"type": "function", "function": {"name"}}`, Anthropic `{"type": "tool", "name"}`, Converse
    `{"tool": {"name"}}` / `{"any": {}}` / `{"auto": {}}`, a flat `{"name"}` or `{"type": "auto"}`."""
    for key in ("function", "tool"):
        inner = choice.get(key)
        if isinstance(inner, Mapping) and inner.get("name"):
            return str(inner["name"])
    if choice.get("name"):
        return str(choice["name"])
    kind = choice.get("type")
    if isinstance(kind, str) and kind in CHOICE_WORDS:
        return CHOICE_WORDS[kind]
    for word, value in CHOICE_WORDS.items():
        if word in choice:
            return value
    raise InvalidRequestError(f"tool_choice {dict(choice)!r} names no tool and no mode: allowed {_ALLOWED}")


def parse_tool_choice(choice: Any, required: bool = False) -> ToolChoice | None:
    """`choice` as auto | any | none | a tool name (None: not given). `required` (LlamaIndex's
    `tool_required`) turns an unset or "auto" choice into "any"."""
    resolved: ToolChoice | None
    if choice is None or choice is False:
        resolved = None
    elif choice is True:
        resolved = "any"
    elif isinstance(choice, str):
        resolved = CHOICE_WORDS.get(choice, choice)
    elif isinstance(choice, Mapping):
        resolved = _from_mapping(choice)
    else:
        raise InvalidRequestError(
            f"tool_choice={choice!r} ({type(choice).__name__}) is not allowed: use {_ALLOWED}"
        )
    if required and resolved in (None, "auto"):
        return "any"
    return resolved


__all__ = ["CHOICE_WORDS", "parse_tool_choice"]
