"""JSON schemas written into prompts: format instructions of LangChain, LlamaIndex and hand-written ones.

Prompts carry schemas as plain JSON, with doubled braces (a template escaped but never formatted, as
LlamaIndex's `PydanticOutputParser.format_string` leaves them), or as LangChain's `StructuredOutputParser`
pseudo-JSON (`"name": string  // description`). The schema the answer must follow is the last one; earlier
ones are examples (LangChain's instructions show a `foo` schema first).
"""

from __future__ import annotations

import json
import re
from typing import Any

_MAX_OPENINGS = 400
_PSEUDO_FIELD = re.compile(
    r"^\s*\"(?P<key>[\w$ -]{1,60})\"\s*:\s*(?P<type>[A-Za-z][\w\[\]]*)\s*,?\s*(?://\s*(?P<desc>.*))?$", re.M
)
_PSEUDO_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    "boolean": {"type": "boolean"},
    "list": {"type": "array", "items": {"type": "string"}},
    "array": {"type": "array", "items": {"type": "string"}},
    "object": {"type": "object", "properties": {}},
    "dict": {"type": "object", "properties": {}},
}


def looks_like_schema(value: Any) -> bool:
    """A JSON schema for an object: `properties` maps names to schemas, or `type` is object."""
    if not isinstance(value, dict):
        return False
    properties = value.get("properties")
    if isinstance(properties, dict):
        return bool(properties) and all(isinstance(v, dict) for v in properties.values())
    return value.get("type") == "object" or "$defs" in value and "$ref" in value


def _objects(text: str) -> list[tuple[int, int, Any]]:
    """Top-level JSON objects in `text` (start, end, value), left to right, never overlapping."""
    decoder = json.JSONDecoder()
    found: list[tuple[int, int, Any]] = []
    position = 0
    for count, match in enumerate(re.finditer(r"\{", text)):
        if count > _MAX_OPENINGS:
            break
        if match.start() < position:
            continue
        try:
            value, end = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        found.append((match.start(), end, value))
        position = end
    return found


def _unescape(text: str) -> str:
    return text.replace("{{", "{").replace("}}", "}")


def _pseudo_schema(text: str) -> tuple[dict[str, Any], list[tuple[int, int]]] | None:
    """LangChain's StructuredOutputParser block: one `"key": type  // description` per line."""
    properties: dict[str, Any] = {}
    spans: list[tuple[int, int]] = []
    for match in _PSEUDO_FIELD.finditer(text):
        kind = match.group("type").lower()
        base = _PSEUDO_TYPES.get(kind) or (
            {"type": "array", "items": {"type": "string"}} if kind.startswith("list[") else None
        )
        if base is None:
            continue
        prop: dict[str, Any] = dict(base)
        if match.group("desc"):
            prop["description"] = match.group("desc").strip()
        properties[match.group("key")] = prop
        spans.append(match.span())
    if not properties:
        return None
    return {"type": "object", "properties": properties, "required": list(properties)}, spans


def find(text: str) -> dict[str, Any] | None:
    """The schema the answer must follow: the last schema-looking object in `text`, braces doubled or not."""
    found = locate(text)
    return found[0] if found else None


def locate(text: str) -> tuple[dict[str, Any], list[tuple[int, int]]] | None:
    """The schema and the spans of `text` it was read from (so they can be left out of the evidence)."""
    for candidate in (text, _unescape(text)) if "{{" in text else (text,):
        schemas = [(s, e, v) for s, e, v in _objects(candidate) if looks_like_schema(v)]
        if schemas:
            start, end, value = schemas[-1]
            if candidate is not text:  # positions in the unescaped text: blank the schema out by content
                return value, _spans_of(text, candidate[start:end])
            return value, [(start, end)]
    return _pseudo_schema(text)


def _spans_of(text: str, unescaped: str) -> list[tuple[int, int]]:
    escaped = unescaped.replace("{", "{{").replace("}", "}}")
    at = text.find(escaped)
    return [(at, at + len(escaped))] if at >= 0 else []


def without(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the spans blanked out."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def strip_schemas(text: str) -> str:
    """`text` without any JSON object that looks like a schema (they are instructions, not evidence)."""
    spans = [(s, e) for s, e, v in _objects(text) if looks_like_schema(v)]
    return without(text, spans)


_EXAMPLE_CUE = re.compile(r"\bjson\b[^{}]{0,60}\b(?:like|e\.g\.|for example|such as|as in|example|shaped)\b[^{}]{0,20}$", re.I)


def _schema_of(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, list):
        return {"type": "array", "items": _schema_of(value[0]) if value else {"type": "string"}}
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: _schema_of(v) for k, v in value.items()}, "required": list(value)}
    return {"type": "string"}


def example(text: str) -> tuple[dict[str, Any], list[tuple[int, int]]] | None:
    """The schema of a JSON example the prompt shows ('answer in JSON like {"count": 0}') and its span."""
    for start, end, value in reversed(_objects(text)):
        if isinstance(value, dict) and value and not looks_like_schema(value) and _EXAMPLE_CUE.search(text[:start]):
            return _schema_of(value), [(start, end)]
    return None
