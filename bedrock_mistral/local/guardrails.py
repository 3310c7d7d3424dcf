"""Guardrails registered on the emulator and applied as Bedrock applies them.

A guardrail checks the request's user text before the model runs (blocked words and patterns: the model is not
called and the blocked-input message is the answer) and the model's answer after (blocked words: the
blocked-output message replaces it; PII entities: masked as `{EMAIL}`, `{PHONE}`, ...). Either is an
intervention: Converse answers `stopReason: "guardrail_intervened"`, InvokeModel bodies carry
`amazon-bedrock-guardrailAction: "INTERVENED"`. The trace, when asked for, uses the assessment shapes of
botocore's bedrock-runtime model (`GuardrailAssessment`): Converse's `trace.guardrail` with
`inputAssessment` / `outputAssessments`, InvokeModel's `amazon-bedrock-trace.guardrail` with `input` / `outputs`.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bedrock_mistral.local.conversation import Conversation, Delta, Reply
from bedrock_mistral.local.engines.base import Engine, stream_reply
from bedrock_mistral.local.service_errors import ServiceError

NOT_FOUND = "The guardrail identifier or version provided in the request does not exist."
DEFAULT_BLOCKED_MESSAGE = "Sorry, the model cannot answer this question."
PII_PATTERNS: dict[str, str] = {
    "EMAIL": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "PHONE": r"(?<!\w)(?:\+?\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]\d{3}[ .-]\d{4}(?!\w)",
    "US_SOCIAL_SECURITY_NUMBER": r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)",
    "CREDIT_DEBIT_CARD_NUMBER": r"(?<!\d)(?:\d{4}[ -]?){3}\d{4}(?!\d)",
    "IP_ADDRESS": r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])",
    "URL": r"https?://[^\s]+",
    "AWS_ACCESS_KEY": r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])",
}
"""The PII entity types the emulator detects (a subset of Bedrock's `GuardrailPiiEntityType`), by pattern."""
TRACE_MODES = ("enabled", "disabled", "enabled_full")
_ID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass
class Guardrail:
    """One guardrail version: what it blocks and masks, and what it answers instead."""

    guardrail_id: str
    version: str = "DRAFT"
    blocked_input_words: list[str] = field(default_factory=list)
    blocked_input_patterns: list[str] = field(default_factory=list)
    """Regular expressions searched in the input."""
    blocked_output_words: list[str] = field(default_factory=list)
    blocked_input_messaging: str = DEFAULT_BLOCKED_MESSAGE
    blocked_outputs_messaging: str = DEFAULT_BLOCKED_MESSAGE
    pii_entities: list[str] = field(default_factory=list)
    """PII entity types masked (ANONYMIZED) in the model's answer."""
    arn: str = ""


@dataclass
class Assessment:
    """What one check found, as a `GuardrailAssessment`."""

    words: list[dict[str, Any]] = field(default_factory=list)
    regexes: list[dict[str, Any]] = field(default_factory=list)
    pii: list[dict[str, Any]] = field(default_factory=list)
    characters: int = 0

    @property
    def blocked(self) -> bool:
        return any(w["action"] == "BLOCKED" for w in self.words) or any(
            r["action"] == "BLOCKED" for r in self.regexes
        )

    @property
    def intervened(self) -> bool:
        return self.blocked or bool(self.pii)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.words:
            out["wordPolicy"] = {"customWords": self.words}
        if self.pii or self.regexes:
            policy: dict[str, Any] = {}
            if self.pii:
                policy["piiEntities"] = self.pii
            if self.regexes:
                policy["regexes"] = self.regexes
            out["sensitiveInformationPolicy"] = policy
        out["invocationMetrics"] = {
            "guardrailProcessingLatency": 1,
            "usage": {
                "topicPolicyUnits": 0,
                "contentPolicyUnits": 0,
                "wordPolicyUnits": 1,
                "sensitiveInformationPolicyUnits": 1,
                "sensitiveInformationPolicyFreeUnits": 0,
                "contextualGroundingPolicyUnits": 0,
            },
            "guardrailCoverage": {"textCharacters": {"guarded": self.characters, "total": self.characters}},
        }
        return out


@dataclass
class Outcome:
    """A guardrail's verdict on one request, read by the wire formats when they write the answer."""

    guardrail_id: str
    trace: str
    """enabled, disabled or enabled_full"""
    input: Assessment | None = None
    output: Assessment | None = None
    model_output: str | None = None

    @property
    def action(self) -> str:
        intervened = any(a is not None and a.intervened for a in (self.input, self.output))
        return "INTERVENED" if intervened else "NONE"

    @property
    def traced(self) -> bool:
        return self.trace != "disabled"

    def converse_trace(self) -> dict[str, Any]:
        """`trace.guardrail` of a Converse answer (GuardrailTraceAssessment)."""
        trace: dict[str, Any] = {}
        if self.model_output is not None and (self.trace == "enabled_full" or self.action == "INTERVENED"):
            trace["modelOutput"] = [self.model_output]
        if self.input is not None:
            trace["inputAssessment"] = {self.guardrail_id: self.input.to_json()}
        if self.output is not None:
            trace["outputAssessments"] = {self.guardrail_id: [self.output.to_json()]}
        return {"guardrail": trace}

    def invoke_fields(self) -> dict[str, Any]:
        """The keys an InvokeModel body (or last stream chunk) gains when a guardrail is applied."""
        fields: dict[str, Any] = {"amazon-bedrock-guardrailAction": self.action}
        if self.traced:
            trace: dict[str, Any] = {}
            if self.model_output is not None and (
                self.trace == "enabled_full" or self.action == "INTERVENED"
            ):
                trace["modelOutput"] = [self.model_output]
            if self.input is not None:
                trace["input"] = {self.guardrail_id: self.input.to_json()}
            if self.output is not None:
                trace["outputs"] = [{self.guardrail_id: self.output.to_json()}]
            fields["amazon-bedrock-trace"] = {"guardrail": trace}
        return fields


def _words(text: str, words: Iterable[str]) -> list[dict[str, Any]]:
    found = []
    for word in words:
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.I):
            found.append({"match": word, "action": "BLOCKED", "detected": True})
    return found


def check_input(guardrail: Guardrail, text: str) -> Assessment:
    regexes = []
    for index, pattern in enumerate(guardrail.blocked_input_patterns):
        match = re.search(pattern, text)
        if match:
            regexes.append(
                {
                    "name": f"pattern-{index + 1}",
                    "match": match.group(0),
                    "regex": pattern,
                    "action": "BLOCKED",
                    "detected": True,
                }
            )
    return Assessment(_words(text, guardrail.blocked_input_words), regexes, characters=len(text))


def check_output(guardrail: Guardrail, text: str) -> tuple[Assessment, str]:
    """The output assessment and the text to send (PII masked)."""
    assessment = Assessment(_words(text, guardrail.blocked_output_words), characters=len(text))
    masked = text
    for entity in guardrail.pii_entities:
        for match in re.finditer(PII_PATTERNS[entity], text):
            assessment.pii.append(
                {"match": match.group(0), "type": entity, "action": "ANONYMIZED", "detected": True}
            )
        masked = re.sub(PII_PATTERNS[entity], "{" + entity + "}", masked)
    return assessment, masked


class GuardedEngine:
    """An engine whose answers pass through a guardrail; the verdict goes to `outcome` for the wire format."""

    name = "guarded"

    def __init__(self, engine: Engine, guardrail: Guardrail, outcome: Outcome) -> None:
        self._engine = engine
        self._guardrail = guardrail
        self.outcome = outcome

    def reply(self, conversation: Conversation) -> Reply:
        guardrail, outcome = self._guardrail, self.outcome
        user_text = "\n".join(t.text for t in conversation.turns if t.role == "user" and t.text)
        outcome.input = check_input(guardrail, user_text)
        if outcome.input.blocked:
            return Reply(guardrail.blocked_input_messaging, [], "guardrail_intervened", 0, 0)
        reply = self._engine.reply(conversation)
        if not reply.text:
            outcome.output = Assessment(characters=0)
            return reply
        outcome.output, masked = check_output(guardrail, reply.text)
        outcome.model_output = reply.text
        if outcome.output.blocked:
            return Reply(guardrail.blocked_outputs_messaging, [], "guardrail_intervened", reply.input_tokens)
        if outcome.output.intervened:
            reply.text, reply.stop_reason = masked, "guardrail_intervened"
        return reply

    def stream(self, conversation: Conversation) -> Iterator[Delta]:
        """Guardrails check the whole answer before any of it is sent (Bedrock's synchronous mode)."""
        return stream_reply(self.reply(conversation))


class Guardrails:
    """The guardrails one emulator knows; thread-safe. `LocalBedrock.guardrails` is one of these."""

    def __init__(self, region_name: str, account_id: str) -> None:
        self.region_name = region_name
        self.account_id = account_id
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], Guardrail] = {}

    def add(
        self,
        guardrail_id: str | None = None,
        version: str = "DRAFT",
        *,
        blocked_input_words: Iterable[str] = (),
        blocked_input_patterns: Iterable[str] = (),
        blocked_output_words: Iterable[str] = (),
        blocked_input_messaging: str = DEFAULT_BLOCKED_MESSAGE,
        blocked_outputs_messaging: str = DEFAULT_BLOCKED_MESSAGE,
        pii_entities: Iterable[str] = (),
    ) -> Guardrail:
        """Register a guardrail version; returns it (its id is generated when not given)."""
        gid = guardrail_id or "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        if not re.fullmatch(r"[a-z0-9]+", gid):
            raise ValueError(
                f"guardrail_id must be lowercase letters and digits, as Bedrock's are; got {gid!r}"
            )
        if not re.fullmatch(r"[1-9][0-9]{0,7}|DRAFT", version):
            raise ValueError(f"version must be 'DRAFT' or a number from 1, got {version!r}")
        unknown = sorted(set(pii_entities) - set(PII_PATTERNS))
        if unknown:
            raise ValueError(
                f"PII entities {unknown} are not detected by the emulator; use {sorted(PII_PATTERNS)}"
            )
        patterns = list(blocked_input_patterns)
        for pattern in patterns:
            re.compile(pattern)
        guardrail = Guardrail(
            gid,
            version,
            list(blocked_input_words),
            patterns,
            list(blocked_output_words),
            blocked_input_messaging,
            blocked_outputs_messaging,
            list(pii_entities),
            f"arn:aws:bedrock:{self.region_name}:{self.account_id}:guardrail/{gid}",
        )
        with self._lock:
            self._items[(gid, version)] = guardrail
        return guardrail

    def find(self, identifier: str, version: str) -> Guardrail:
        """The guardrail a request names (id or ARN, and version), or Bedrock's ValidationException."""
        gid = identifier.rsplit("/", 1)[-1] if identifier.startswith("arn:") else identifier
        with self._lock:
            guardrail = self._items.get((gid, version))
        if guardrail is None or (identifier.startswith("arn:") and identifier != guardrail.arn):
            raise ServiceError("ValidationException", NOT_FOUND)
        return guardrail

    def guard(self, engine: Engine, identifier: Any, version: Any, trace: Any) -> GuardedEngine:
        """The engine wrapped in the named guardrail, checking the request's guardrail settings first."""
        if not isinstance(identifier, str) or not identifier or not isinstance(version, str) or not version:
            # Not a recorded message: the emulator's wording when the identifier or version is missing.
            raise ServiceError(
                "ValidationException",
                "A guardrail needs both a guardrail identifier and a guardrail version.",
            )
        mode = str(trace or "disabled").lower()
        if mode not in TRACE_MODES:
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{trace}' at 'trace' failed to satisfy constraint: Member must "
                f"satisfy enum value set: [{', '.join(TRACE_MODES)}]",
            )
        guardrail = self.find(identifier, version)
        return GuardedEngine(engine, guardrail, Outcome(guardrail.guardrail_id, mode))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
