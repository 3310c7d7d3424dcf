"""JSON answers: which shape the request asks for, and values for it from the prompt (and tool results).

The shape comes from, in order: the request's own schema (chat `response_format` json_schema, Converse
`outputConfig`), a schema written into the prompt (format instructions), the keys the prompt names
("a JSON with 'setup' and 'punchline' keys"), else a single `answer` key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bedrock_mistral.local.conversation import Conversation
from bedrock_mistral.local.engines import content, extract, json_keys, schemas
from bedrock_mistral.local.engines.words import sentences

_JSON_WORD = re.compile(r"\bjson\b", re.I)
# "Respond in JSON", "Return a JSON object", "JSON only": the prompt asks for JSON, it does not just name it.
_ASKS_FOR_JSON = re.compile(
    r"\b(?:respond|answer|reply|return|output|format(?:ted)?|give|provide|write|produce|generate|print|emit|"
    r"convert|in|as|to|into|using|only|valid|a|an|single)\b[^.!?\n]{0,40}?\bjson\b|"
    r"\bjson\b\s*(?:object|format|only|output|response|answer|value|instance|schema|mode)\b|```json",
    re.I,
)
_INSTRUCTION = re.compile(
    r"\b(?:json|schema|markdown|backticks?|code (?:fences?|blocks?)|well-formatted|output format)\b", re.I
)
_LISTING_VERB = re.compile(r"\s*(?:include|return|give|list|provide|add|output|extract|with)\b", re.I)
_ATTRIBUTIVE = re.compile(r"^\s+(?P<next>[a-z][a-z-]+)")


@dataclass
class Target:
    """The shape of the answer and the text to take its values from."""

    schema: dict[str, Any] | None
    evidence: str
    named: bool = False  # keys named in the prompt, no schema: content placeholders stand in for values


def wants_json(conversation: Conversation) -> bool:
    """JSON mode, a response schema, or a prompt (system or last user turn) that asks for JSON.

    Naming JSON is not asking for it ("What is JSON?", "tool inputs are JSON"): prose answers those.
    """
    if conversation.json_mode or conversation.response_schema is not None:
        return True
    texts = (conversation.system, conversation.last_user_text)
    if any(_ASKS_FOR_JSON.search(text) for text in texts):
        return True
    return any(_JSON_WORD.search(text) and schemas.locate(text) is not None for text in texts)


def _lists_keys(sentence: str, keys: Sequence[str]) -> bool:
    """'Include the city, the country and the population.': an instruction naming the keys, no values."""
    named = sum(1 for k in keys if re.search(rf"\b{re.escape(k.replace('_', ' '))}\b", sentence, re.I))
    return named >= 2 and _LISTING_VERB.match(sentence) is not None


def evidence_text(text: str, keys: Sequence[str] = ()) -> str:
    """`text` without schemas, without sentences that only instruct about the format, without key names."""
    text = schemas.strip_schemas(text)
    for key in keys:
        text = re.sub(rf"[\"'`“]{re.escape(key)}[\"'`”]", " ", text)
    kept = [s for s in sentences(text) if not _INSTRUCTION.search(s) and not _lists_keys(s, keys)]
    return " ".join(kept) if kept else text


def target(conversation: Conversation) -> Target:
    question = conversation.last_user_text
    if conversation.response_schema is not None:
        return Target(conversation.response_schema, evidence_text(question))
    for text in (question, conversation.system):
        located = schemas.locate(text)
        if located is not None:
            schema, spans = located
            evidence = evidence_text(schemas.without(question, spans) if text is question else question)
            return Target(schema, evidence)
    shown = schemas.example(question)
    if shown is not None:
        schema, spans = shown
        return Target(schema, evidence_text(schemas.without(question, spans)))
    for text in (question, conversation.system):
        keys = json_keys.named_keys(text)
        if keys:
            schema = json_keys.schema_for(keys, question, json_keys.nested_keys(text))
            return Target(schema, evidence_text(question, keys), named=True)
    return Target(None, evidence_text(question))


def _without_attributive_names(evidence: extract.Evidence) -> None:
    """'the best French meal': a capitalised word before a noun describes it, it names nothing."""
    kept = []
    for name in evidence.names:
        at = evidence.text.find(name)
        following = _ATTRIBUTIVE.match(evidence.text[at + len(name) :]) if at >= 0 else None
        if " " in name or following is None or following.group("next") in extract.COMMON_CAPS:
            kept.append(name)
    evidence.names = kept


def fill(target: Target, extra: str = "", known: dict[str, Any] | None = None) -> Any:
    """A value for the target's schema from its evidence (plus `extra`, e.g. tool results) and `known`."""
    assert target.schema is not None
    evidence = extract.Evidence.of(f"{target.evidence}\n{extra}".strip())
    placeholder = None
    if target.named:
        _without_attributive_names(evidence)
        placeholder = content.Content(target.evidence)
    value, _ = extract.Extractor(target.schema, evidence, known, placeholder).value("", target.schema)
    return value


def answer(
    conversation: Conversation, fallback: str, extra: str = "", known: dict[str, Any] | None = None
) -> str:
    """The JSON text: the target's schema filled, or `{"answer": fallback}` when the prompt names no shape."""
    shape = target(conversation)
    if shape.schema is None:
        return json.dumps({"answer": fallback}, ensure_ascii=False)
    return json.dumps(fill(shape, extra, known), ensure_ascii=False)
