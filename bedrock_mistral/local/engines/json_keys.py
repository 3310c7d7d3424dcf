"""Keys a prompt names for a JSON answer when no schema comes with it, and a schema built from them.

"Return the result as a JSON with 'setup' and 'punchline' keys", "fields: name, age", "Return the name and
the ingredients in short JSON object": the names become the properties, typed from how they read
(plural nouns are lists, `age` and `count` are integers, `price` a number, `is_open` a boolean).
"""

from __future__ import annotations

import re
from typing import Any

from bedrock_mistral.local.engines.words import STOPWORDS, word_set

_QUOTE = r"(?:\"([^\"\n]{1,40})\"|'([^'\n]{1,40})'|`([^`\n]{1,40})`|“([^”\n]{1,40})”)"


_QUOTED_ITEM = re.compile(_QUOTE)


_QUOTED_LIST = rf"{_QUOTE}(?:\s*(?:,|;|/|\band\b|\bor\b|&)+\s*(?:and\s+)?{_QUOTE})*"


_TRIGGER = (
    r"(?:with|keys?|fields?|properties|attributes|including|include|includes|containing|contains|named)"
)
# 'with "a" and "b"', 'keys: "a", "b"', 'including `a`'


_AFTER_TRIGGER = re.compile(
    rf"\b{_TRIGGER}\b(?:\s+(?:the\s+)?(?:keys?|fields?|properties|attributes))?\s*[:=]?\s*(?P<list>{_QUOTED_LIST})",
    re.I,
)
# '"a" and "b" keys'


_BEFORE_NOUN = re.compile(
    rf"(?P<list>{_QUOTED_LIST})\s+(?:as\s+)?(?:keys?|fields?|properties|attributes)\b", re.I
)
# 'Return the name and the ingredients in short JSON object', 'a JSON object with name, age and city'


_VERB_LIST = re.compile(
    r"\b(?:return|give|provide|output|include|list|extract|with|containing|including|keys?|fields?|properties)\b"
    r"(?=\s*:?\s*(?:me\s+|us\s+|only\s+)?(?P<list>[^.;:!?\n]{1,160}))",
    re.I,
)


_END_OF_LIST = re.compile(
    r"\s(?:in|as|into|inside|using|formatted|within|to|from|for|json|object|field|key|keys|fields|"
    r"properties|attributes|please|that|which|so)\b",
    re.I,
)


_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bplus\b)\s*", re.I)


_DETERMINERS = word_set(
    "the a an its their his her our your each every both some short full main single valid simple plain proper "
    "compact small nice raw strict one new well"
)


_NOT_KEYS = word_set(
    "result results output response json object data it them this that everything "
    "nothing information info details following format reply text me us only"
)


_KEY_WORDS = word_set("question answer value values")


_NOT_PLURAL = ("ss", "us", "is", "news", "series", "species", "status", "address", "class")


_INTEGER = word_set(
    "age count number year years quantity population total rank page pages minutes seconds hours days "
    "calories servings stars votes floor"
)


_NUMBER = word_set(
    "price cost amount rating score temperature percentage percent weight height width length distance "
    "latitude longitude lat lon lng speed probability confidence ratio"
)


_ASKS_FOR_JSON = re.compile(r"\bjson\b", re.I)
# 'a shipment object containing the carrier and the weight': `shipment` nests `carrier` and `weight`


_NESTED = re.compile(
    r"\b(?:an?|the|one)\s+(?P<name>(?!json\b)[A-Za-z_][\w-]*)\s+(?:object|record|section|entry)\s+"
    r"(?:containing|with|that (?:has|holds|contains)|holding|including|made of)\s+(?P<list>[^.;:!?\n]{1,160})",
    re.I,
)


def _key(phrase: str) -> str | None:
    """A property name from a short noun phrase ('the main ingredients' -> 'ingredients'), or None."""
    phrase = re.sub(r"^\s*(?:(?:a|an|the)\s+)?(?:list|array|set)\s+of\s+", "", phrase.strip(), flags=re.I)
    phrase = re.split(r"\s+(?:of|for|from|about|in|on|at|by)\s+", phrase, maxsplit=1)[0]
    words = re.findall(r"[A-Za-z_][\w-]*", phrase)
    while words and words[0].lower() in _DETERMINERS:
        words.pop(0)
    if not words or len(words) > 2 or any(w.lower() in STOPWORDS - _KEY_WORDS for w in words):
        return None
    key = "_".join(w.lower() for w in words)
    return None if key in _NOT_KEYS else key


def _quoted(text: str) -> list[str]:
    keys: list[str] = []
    for pattern in (_AFTER_TRIGGER, _BEFORE_NOUN):
        for match in pattern.finditer(text):
            for item in _QUOTED_ITEM.finditer(match.group("list")):
                value = next(g for g in item.groups() if g).strip()
                if re.fullmatch(r"[\w$@.-]+(?: [\w-]+){0,2}", value) and value not in keys:
                    keys.append(value)
    return keys


def _listed(text: str) -> list[str]:
    """Unquoted names after a verb, in a sentence that asks for JSON (or the one right after it: "Respond
    in JSON. Include the city and the country.")."""
    keys: list[str] = []
    previous_asked = False
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        asks = bool(_ASKS_FOR_JSON.search(sentence))
        follows, previous_asked = previous_asked and not keys, asks
        if not asks and not follows:
            continue
        for match in _VERB_LIST.finditer(sentence):
            clause = " " + match.group("list")
            end = _END_OF_LIST.search(clause)
            for part in _SPLIT.split(clause[: end.start()] if end else clause):
                if not part.strip():
                    continue
                name = _key(part)
                if name is None:
                    break
                if name not in keys:
                    keys.append(name)
    return keys


def named_keys(text: str) -> list[str]:
    """The keys `text` names for its JSON answer: quoted ones first, else a listed 'the x and the y'."""
    return _quoted(text) or _listed(text)


def nested_keys(text: str) -> dict[str, list[str]]:
    """Keys the prose puts inside another ('a shipment object containing the carrier and the weight')."""
    nested: dict[str, list[str]] = {}
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        if not _ASKS_FOR_JSON.search(sentence):
            continue
        for match in _NESTED.finditer(sentence):
            parent = _key(match.group("name"))
            clause = " " + match.group("list")
            end = _END_OF_LIST.search(clause)
            children = [_key(p) for p in _SPLIT.split(clause[: end.start()] if end else clause) if p.strip()]
            kept = [c for c in children if c]
            if parent and kept:
                nested[parent] = kept
    return nested


def property_schema(key: str, text: str = "") -> dict[str, Any]:
    """A schema for a key from how it reads, or from the number written after it in `text` ("warehouse 7")."""
    lowered = key.lower().replace("-", "_")
    head = re.escape(lowered.split("_")[0])
    if lowered.split("_")[-1] in ("number", "id", "code", "no") and re.search(
        rf"(?<![\w-]){head}s?\s+(?:number\s+|no\.?\s*|#\s*)?[A-Z]{{1,5}}[-_]?\d", text, re.I
    ):
        return {"type": "string"}  # "flight AF1234": the flight number is an id, not a count
    written = re.search(rf"(?<![\w-]){re.escape(key.replace('_', ' '))}s?\s*(?:#|:|=)?\s*-?\d+(?P<dec>\.\d+)?\b", text, re.I)
    if written:
        return {"type": "number" if written.group("dec") else "integer"}
    last = lowered.split("_")[-1]
    if re.match(r"^(is|has|can|should|was|are)_", lowered) or last in ("valid", "available", "enabled"):
        return {"type": "boolean"}
    if last in _INTEGER or lowered.startswith(("num_", "number_of")) or lowered.endswith("_count"):
        return {"type": "integer"}
    if last in _NUMBER:
        return {"type": "number"}
    if len(last) > 3 and last.endswith("s") and not last.endswith(_NOT_PLURAL):
        return {"type": "array", "items": {"type": "string"}}
    return {"type": "string"}


def schema_for(keys: list[str], text: str = "", nested: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """An object schema for `keys`; a key `nested` lists children for becomes an object of them."""
    nested = nested or {}
    inner = {child for children in nested.values() for child in children}
    top = [k for k in keys if k not in inner or k in nested]
    for parent in nested:
        if parent not in top:
            top.append(parent)
    properties = {
        k: schema_for(nested[k], text) if k in nested else property_schema(k, text) for k in top
    }
    return {"type": "object", "properties": properties, "required": list(top)}
