"""Values for a JSON schema taken from a prompt: numbers, quoted strings, ids, places, names, enums.

Used for tool-call arguments and structured output. Every required property gets a value of the right
type; when the prompt has nothing that fits, a schema-valid placeholder stands in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bedrock_mistral.local.engines.words import STOPWORDS, words

_NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?![\w])|(?<=\s)-\d+(?:\.\d+)?(?![\w])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "quantity": ("units", "unit", "pieces", "items", "pcs", "qty"),
    "count": ("units", "items", "pieces", "times"),
    "weight": ("kg", "kilograms", "kilos", "g", "grams", "lb", "lbs", "pounds", "tonnes"),
    "price": ("euros", "eur", "dollars", "usd", "€", "$"),
    "cost": ("euros", "eur", "dollars", "usd", "€", "$"),
    "age": ("years old", "year old"),
    "distance": ("km", "kilometres", "kilometers", "miles", "m", "metres", "meters"),
    "duration": ("minutes", "hours", "days", "seconds"),
}
"""Words a number stands next to that say which property it is ("35 units" is a quantity)."""
_NUMBER_TEXT = r"-?\d+(?:\.\d+)?"
_QUOTED = re.compile(r"\"([^\"\n]+)\"|“([^”\n]+)”|«([^»\n]+)»|(?<!\w)'([^'\n]+)'(?!\w)")
_ID = re.compile(r"\b[A-Z]{1,5}[-_]?\d{2,}\b")
_ID_WITH_LABEL = re.compile(r"(?:\b(?:[A-Z]{2,5}|[A-Z][a-z]{1,12})\s+)?\b[A-Z]{1,5}[-_]?\d{2,}\b")
_CAP_WORD = r"[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]+)*\.?"
_CONNECTOR = re.compile(r"^\s*(?:,\s*)?(?:and|&|or|,)\s+")
COMMON_CAPS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "please",
        "call",
        "use",
        "tell",
        "give",
        "show",
        "find",
        "get",
        "list",
        "is",
        "are",
        "can",
        "could",
        "would",
        "should",
        "will",
        "do",
        "does",
        "did",
        "i",
        "hi",
        "hello",
        "hey",
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "my",
        "our",
        "your",
        "it",
        "if",
        "and",
        "or",
        "but",
        "then",
        "now",
        "today",
        "yes",
        "no",
        "ok",
        "okay",
        "thanks",
        "thank",
        "return",
        "search",
        "look",
        "compute",
        "calculate",
        "extract",
        "record",
        "note",
        "parse",
        "summarize",
        "summarise",
        "classify",
        "move",
        "send",
        "create",
        "add",
        "update",
        "describe",
        "identify",
        "book",
        "check",
        "email",
    ]
)
LOCATION_HINTS = (
    "location",
    "city",
    "place",
    "country",
    "region",
    "destination",
    "origin",
    "address",
    "state",
    "town",
    "where",
    "area",
    "loc",
)
NAME_HINTS = ("name", "person", "user", "author", "customer", "who", "recipient", "owner")
QUERY_HINTS = (
    "query",
    "question",
    "input",
    "text",
    "prompt",
    "message",
    "search",
    "topic",
    "content",
    "request",
    "instruction",
    "q",
    "task",
    "description",
)
FORMAT_PLACEHOLDERS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _cap_runs(text: str) -> list[tuple[int, int, str]]:
    """Runs of capitalised words (start, end, text), common sentence starters dropped from the front."""
    runs: list[tuple[int, int, str]] = []
    current: list[re.Match[str]] = []

    def flush() -> None:
        while current and current[0].group().lower().strip(".") in COMMON_CAPS | STOPWORDS:
            current.pop(0)
        if current:
            runs.append((current[0].start(), current[-1].end(), text[current[0].start() : current[-1].end()]))
        current.clear()

    for match in re.finditer(_CAP_WORD, text):
        word = match.group()
        if match.end() < len(text) and (text[match.end()].isdigit() or text[match.end()] == "_"):
            flush()
            continue
        if _is_capitalised(word) and (not current or text[current[-1].end() : match.start()] == " "):
            current.append(match)
        else:
            flush()
            if _is_capitalised(word):
                current.append(match)
    flush()
    return [(s, e, t.rstrip(".")) for s, e, t in runs]


def _places(text: str, runs: list[tuple[int, int, str]]) -> list[str]:
    """Capitalised runs after in/at/near/from/to/for, plus those chained to them with `and` or commas."""
    places: list[str] = []
    by_start = {start: (end, value) for start, end, value in runs}
    for match in re.finditer(r"\b(?:in|at|near|from|to|for)\s+", text):
        start = match.end()
        while start in by_start:
            end, value = by_start[start]
            state = re.match(r",\s*([A-Z]{2})\b", text[end:])
            if state:
                value, end = f"{value}, {state.group(1)}", end + state.end()
            if value not in places:
                places.append(value)
            connector = _CONNECTOR.match(text[end:])
            if connector is None:
                break
            start = end + connector.end()
    return places


@dataclass
class Evidence:
    """Candidate values found in a prompt, consumed as properties take them."""

    text: str
    numbers: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, text: str) -> Evidence:
        emails = _EMAIL.findall(text)
        bare = _EMAIL.sub(lambda m: " " * len(m.group()), text)
        quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(bare)]
        ids = _ID.findall(bare)
        bare = _ID_WITH_LABEL.sub(lambda m: " " * len(m.group()), bare)  # "SKU KX-204": no part is a name
        runs = _cap_runs(bare)
        places = _places(bare, runs)
        names = [value for _, _, value in runs if value not in ids]
        return cls(text, _NUMBER.findall(bare), quoted, ids, places, names, emails)

    def token_next_to(self, name: str) -> str | None:
        """A code written right after the property's own word ("seat 14C", "gate B12"), not yet taken."""
        for label in (w for w in words(name) if len(w) > 1 and w not in STOPWORDS):
            pattern = rf"(?<![\w-]){re.escape(label)}s?(?:\s*(?:#|no\.|number|:))?\s+([A-Za-z]{{0,4}}\d[\w-]*)"
            for match in re.finditer(pattern, self.text, re.I):
                if match.group(1) not in self.used:
                    return match.group(1)
        return None

    def name_for(self, name: str) -> str | None:
        """A capitalised name the text says is one ("Lyon is a city", "the city of Lyon"), not yet taken."""
        run = r"([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)"
        for label in (w for w in words(name) if len(w) > 2 and w not in STOPWORDS):
            patterns = (
                rf"{run}\s+(?:is|was)\s+(?:a|an|the)\s+(?:\w+\s+)?{re.escape(label)}\b",
                rf"\b{re.escape(label)}\s+(?:of|named|called)\s+{run}",
            )
            for pattern in patterns:
                for match in re.finditer(pattern, self.text):
                    value = match.group(1)
                    if value not in self.used and value.lower() not in COMMON_CAPS:
                        return value
        return None

    def number_next_to(self, name: str, description: str = "") -> str | None:
        """The number written next to the property's own word ("warehouse 7", "aisle 12", "35 units",
        "12.5 kg"), not yet taken by another property."""
        labels = [w for w in words(name) if len(w) > 1 and w not in STOPWORDS]
        units = [u for w in labels for u in _UNIT_WORDS.get(w, ())]
        units += [u for w in words(description) for u in _UNIT_WORDS.get(w, ())]
        found: list[tuple[int, str]] = []
        for label in labels:
            after = rf"(?<![\w-]){re.escape(label)}s?(?:\s*(?:#|no\.|number|n°|:|=|of|is|was))?\s*({_NUMBER_TEXT})(?![\w.-])"
            found += [(m.start(1), m.group(1)) for m in re.finditer(after, self.text, re.I)]
        for unit in [*labels, *units]:
            before = rf"(?<![\w.-])({_NUMBER_TEXT})\s*{re.escape(unit)}(?!\w)"
            found += [(m.start(1), m.group(1)) for m in re.finditer(before, self.text, re.I)]
        for _, value in sorted(found):
            if value not in self.used:
                return value
        return None

    def take(self, candidates: list[str]) -> str | None:
        for value in candidates:
            if value not in self.used:
                self.used.add(value)
                return value
        return None

    def question(self) -> str:
        return self.text.strip() or "example"


Placeholder = Callable[[str, str], Any]
"""`placeholder(property name, "string" | "array")`: a value when the evidence has none, or None."""

_MISSING = object()


def normalise(name: str) -> str:
    """`transaction_id`, `transactionId` and `Transaction ID` are one property name."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


class Extractor:
    """Fills a JSON schema from evidence; `$ref`s are resolved against the root schema.

    `known` maps property names to values found elsewhere (earlier tool-call arguments, tool results):
    they win over the evidence. `placeholder` stands in for strings and lists the evidence has no value for.
    """

    def __init__(
        self,
        schema: dict[str, Any],
        evidence: Evidence,
        known: dict[str, Any] | None = None,
        placeholder: Placeholder | None = None,
    ) -> None:
        self.root = schema
        self.evidence = evidence
        self.known = {normalise(k): v for k, v in (known or {}).items() if normalise(k)}
        self.placeholder = placeholder
        self._bound: dict[int, str] = {}
        """Numbers bound to a property schema (by id) by the word next to them."""

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < 20:
            path = schema["$ref"].lstrip("#/").split("/")
            target: Any = self.root
            for part in path:
                target = target.get(part, {}) if isinstance(target, dict) else {}
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            seen += 1
        for key in ("anyOf", "oneOf"):
            options = [o for o in schema.get(key, []) if isinstance(o, dict) and o.get("type") != "null"]
            if options:
                merged = {k: v for k, v in schema.items() if k != key}
                return self.resolve({**merged, **options[0]})
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged.update(self.resolve(part))
            return merged
        return schema

    @staticmethod
    def type_of(schema: dict[str, Any]) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            if "properties" in schema:
                return "object"
            if "items" in schema:
                return "array"
            if "enum" in schema and schema["enum"]:
                first = schema["enum"][0]
                return {bool: "boolean", int: "integer", float: "number"}.get(type(first), "string")
            return "string"
        return str(kind)

    def value(self, name: str, schema: dict[str, Any]) -> tuple[Any, bool]:
        """A value for one property and whether the prompt supplied it (False: placeholder)."""
        bound = self._bound.pop(id(schema), None)
        schema = self.resolve(schema)
        if bound is not None:
            number = float(bound)
            return (int(number) if number.is_integer() else number), True
        if "const" in schema:
            return schema["const"], True
        if name and normalise(name) in self.known:
            coerced = self.coerce(self.known[normalise(name)], schema)
            if coerced is not _MISSING:
                if isinstance(coerced, (str, int, float)):
                    self.evidence.used.add(str(coerced))  # not a candidate for another property
                return coerced, True
        if schema.get("enum"):
            return self._enum(schema["enum"])
        kind = self.type_of(schema)
        if kind == "object":
            return self.object(schema)
        if kind == "array":
            return self._array(name, schema)
        if kind in ("integer", "number"):
            return self._number(schema, integer=kind == "integer")
        if kind == "boolean":
            return self._boolean(schema)
        if kind == "null":
            return None, False
        return self._string(name, schema)

    def object(self, schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        schema = self.resolve(schema)
        properties: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        found_any = False
        self._bind_numbers(properties)
        for prop, prop_schema in properties.items():
            value, found = self.value(prop, prop_schema if isinstance(prop_schema, dict) else {})
            if prop in required or found:
                out[prop] = value
                found_any = found_any or found
        return out, found_any

    def _bind_numbers(self, properties: dict[str, Any]) -> None:
        """Numbers written next to a property's word go to that property, before any property takes
        numbers in order: in "SKU KX-204 in warehouse 7: 35 units", warehouse is 7 and quantity 35."""
        for prop, prop_schema in properties.items():
            if not isinstance(prop_schema, dict) or normalise(prop) in self.known:
                continue
            resolved = self.resolve(prop_schema)
            if self.type_of(resolved) not in ("integer", "number") or resolved.get("enum"):
                continue
            raw = self.evidence.number_next_to(prop, str(resolved.get("description", "")))
            if raw is not None and (self.type_of(resolved) == "number" or "." not in raw):
                self.evidence.used.add(raw)
                self._bound[id(prop_schema)] = raw

    def coerce(self, value: Any, schema: dict[str, Any]) -> Any:
        """`value` as the type `schema` asks for, or _MISSING when it cannot be."""
        schema = self.resolve(schema)
        if schema.get("enum"):
            for option in schema["enum"]:
                if option == value or str(option).lower() == str(value).strip().lower():
                    return option
            return _MISSING
        kind = self.type_of(schema)
        if kind == "array":
            items = value if isinstance(value, list) else [value]
            coerced = [self.coerce(item, schema.get("items") or {}) for item in items]
            return _MISSING if any(c is _MISSING for c in coerced) else coerced
        if isinstance(value, list):
            return _MISSING if len(value) != 1 else self.coerce(value[0], schema)
        if kind == "object":
            return value if isinstance(value, dict) else _MISSING
        if kind in ("integer", "number"):
            if isinstance(value, bool):
                return _MISSING
            if isinstance(value, (int, float)):
                number: float = value
            else:
                match = _NUMBER.search(str(value))
                if match is None:
                    return _MISSING
                number = float(match.group())
            if kind == "integer":
                return int(number) if float(number).is_integer() else _MISSING
            return int(number) if float(number).is_integer() else number
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            return {"true": True, "yes": True, "false": False, "no": False}.get(lowered, _MISSING)
        if kind == "null":
            return None if value is None else _MISSING
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return value if isinstance(value, str) else json.dumps(value)

    def _enum(self, options: list[Any]) -> tuple[Any, bool]:
        lowered = self.evidence.text.lower()
        for option in options:
            if isinstance(option, str) and re.search(rf"(?<!\w){re.escape(option.lower())}(?!\w)", lowered):
                return option, True
        return options[0], False

    def _number(self, schema: dict[str, Any], *, integer: bool) -> tuple[Any, bool]:
        found = True
        candidates = [n for n in self.evidence.numbers if not integer or "." not in n]
        raw = self.evidence.take(candidates)
        value: float
        if raw is None:
            found = False
            default = schema.get("default")
            value = default if isinstance(default, (int, float)) and not isinstance(default, bool) else 0
        else:
            value = float(raw)
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if isinstance(low, (int, float)) and value < low:
            value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
        if isinstance(high, (int, float)) and value > high:
            value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
        if integer or float(value).is_integer():
            return int(value), found
        return value, found

    def _boolean(self, schema: dict[str, Any]) -> tuple[bool, bool]:
        lowered = f" {self.evidence.text.lower()} "
        if re.search(r"\b(false|no|not|don't|disable|disabled|off)\b", lowered):
            return False, True
        if re.search(r"\b(true|yes|enable|enabled|on)\b", lowered):
            return True, True
        default = schema.get("default")
        return (default if isinstance(default, bool) else False), False

    def _string_candidates(self, name: str) -> list[list[str]]:
        ev = self.evidence
        lowered = name.lower()
        if ev.emails and any(h in lowered for h in ("email", "mail", "address", "recipient", "to")):
            return [ev.emails, ev.quoted, ev.names]
        if any(h in lowered for h in LOCATION_HINTS):
            return [ev.places, ev.quoted, ev.names]
        if lowered == "id" or lowered.endswith("id") or lowered.endswith("ids") or "code" in lowered:
            return [ev.ids, ev.quoted, ev.numbers]
        if any(h in lowered for h in NAME_HINTS):
            return [ev.quoted, ev.names, ev.places]
        if any(lowered == h or lowered.endswith("_" + h) for h in QUERY_HINTS):
            return [ev.quoted]
        others = [n for n in ev.names if n not in ev.places]
        return [ev.quoted, ev.ids, others, ev.places, ev.names]

    def _string(self, name: str, schema: dict[str, Any]) -> tuple[str, bool]:
        if name and not schema.get("format"):
            code = self.evidence.token_next_to(name) or self.evidence.name_for(name)
            if code is not None:
                self.evidence.used.add(code)
                return code, True
        groups = self._string_candidates(name)
        for candidates in groups:
            value = self.evidence.take(candidates)
            if value is not None:
                return value, True
        if groups[0] is self.evidence.places and (self.evidence.places or self.evidence.names):
            return (self.evidence.places or self.evidence.names)[
                0
            ], True  # reuse a place before inventing one
        default = schema.get("default")
        if isinstance(default, str):
            return default, False
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in FORMAT_PLACEHOLDERS:
            return FORMAT_PLACEHOLDERS[fmt], False
        stand_in = self.placeholder(name, "string") if self.placeholder else None
        value = stand_in if isinstance(stand_in, str) else self.evidence.question()
        max_length = schema.get("maxLength")
        if isinstance(max_length, int):
            value = value[:max_length]
        min_length = schema.get("minLength")
        if isinstance(min_length, int) and len(value) < min_length:
            value = value.ljust(min_length, "x")
        return value, False

    def _array(self, name: str, schema: dict[str, Any]) -> tuple[list[Any], bool]:
        items = self.resolve(schema.get("items") or {})
        kind = self.type_of(items)
        values: list[Any] = []
        found = False
        if kind == "string" and not items.get("enum"):
            for candidates in self._string_candidates(name.rstrip("s")):
                fresh = [c for c in candidates if c not in self.evidence.used]
                if fresh:
                    self.evidence.used.update(fresh)
                    values, found = list(fresh), True
                    break
        elif kind in ("integer", "number"):
            numbers = [n for n in self.evidence.numbers if n not in self.evidence.used]
            if kind == "integer":
                numbers = [n for n in numbers if "." not in n]
            if numbers:
                self.evidence.used.update(numbers)
                values = [int(n) if kind == "integer" else float(n) for n in numbers]
                found = True
        if not values and self.placeholder and kind == "string" and not items.get("enum"):
            stand_in = self.placeholder(name, "array")
            if isinstance(stand_in, list) and stand_in:
                values = [str(v) for v in stand_in]
        if not values:
            value, found = self.value(name, items)
            values = [value]
        min_items = schema.get("minItems")
        while isinstance(min_items, int) and len(values) < min_items:
            values.append(values[-1])
        max_items = schema.get("maxItems")
        if isinstance(max_items, int):
            values = values[:max_items]
        return values, found


def fill(
    schema: dict[str, Any],
    text: str,
    known: dict[str, Any] | None = None,
    placeholder: Placeholder | None = None,
) -> Any:
    """A schema-valid value for `schema`, taking what it can from `known`, then from `text`."""
    extractor = Extractor(schema, Evidence.of(text), known, placeholder)
    value, _ = extractor.value("", schema)
    return value


def arguments(schema: dict[str, Any] | None, text: str) -> dict[str, Any]:
    """Tool-call arguments: an object for the tool's parameter schema ({} for a tool without parameters)."""
    if not schema or not (schema.get("properties") or schema.get("$ref") or schema.get("anyOf")):
        return {}
    value = fill(schema, text)
    return value if isinstance(value, dict) else {}


def place_candidates(text: str) -> list[str]:
    return Evidence.of(text).places
