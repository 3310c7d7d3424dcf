"""Neutral request, response, stream-delta, tool and usage types.

Adapters translate framework objects to and from these; codecs translate these to and from Bedrock JSON.
Nothing here knows LangChain, LlamaIndex, botocore or a wire format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from bedrock_mistral.tool_arguments import parse_arguments

Role = Literal["system", "user", "assistant", "tool"]

StopReason = Literal["stop", "length", "tool_calls", "content_filter", "other"]
"""Normalized stop reasons (LangChain's finish_reason vocabulary); the raw value is kept beside it."""


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    """Raw image bytes; `format` is one of png, jpeg, gif, webp."""

    data: bytes
    format: str

    def __repr__(self) -> str:  # keep reprs short: images can be megabytes
        return f"ImagePart(format={self.format!r}, bytes={len(self.data)})"


@dataclass(frozen=True)
class DocumentPart:
    """A document block (Converse only): raw bytes, a format (pdf, txt, md, ...) and a name."""

    data: bytes
    format: str
    name: str

    def __repr__(self) -> str:
        return f"DocumentPart(name={self.name!r}, format={self.format!r}, bytes={len(self.data)})"


@dataclass(frozen=True)
class AudioPart:
    """Raw audio bytes (Converse only, models the catalog marks as taking audio); `format` is one of
    `validation.AUDIO_FORMATS` (mp3, wav, flac, ...)."""

    data: bytes
    format: str

    def __repr__(self) -> str:
        return f"AudioPart(format={self.format!r}, bytes={len(self.data)})"


@dataclass(frozen=True)
class ReasoningPart:
    """A reasoning model's thinking in an assistant turn: its text with the signature the provider sent
    (returned unmodified in later turns), or `redacted` bytes the provider encrypted."""

    text: str = ""
    signature: str | None = None
    redacted: bytes | None = None

    def __repr__(self) -> str:
        signed = ", signed" if self.signature else ""
        redacted = f", redacted={len(self.redacted)} bytes" if self.redacted is not None else ""
        return f"ReasoningPart(chars={len(self.text)}{signed}{redacted})"


ContentPart = TextPart | ImagePart | DocumentPart | AudioPart | ReasoningPart


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call. `arguments` is the parsed JSON object; when the model sent text that is not a
    JSON object, `arguments` is {} and `invalid` says why, with the text kept in `raw_arguments`."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str | None = None
    invalid: str | None = None

    @classmethod
    def from_raw(cls, id: str, name: str, arguments: Any) -> ToolCall:
        """A call from arguments as received (JSON text or an object); bad arguments are kept and flagged."""
        parsed, raw_text, problem = parse_arguments(arguments)
        return cls(id, name, parsed, raw_text, problem)


@dataclass(frozen=True)
class Message:
    """One conversation turn.

    `content` is a string or a list of parts. An assistant message may carry `tool_calls`; a tool message
    carries `tool_call_id` (and `is_error` when the tool failed).
    """

    role: Role
    content: str | list[ContentPart] = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    is_error: bool = False

    @property
    def text(self) -> str:
        """The text of the message, parts joined by newlines."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def parts(self) -> list[ContentPart]:
        if isinstance(self.content, str):
            return [TextPart(self.content)] if self.content else []
        return list(self.content)


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: a name, a description and a JSON schema for its arguments."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


ToolChoice = Literal["auto", "any", "none"] | str
"""auto, any (the model must call some tool), none, or the name of one tool."""


@dataclass(frozen=True)
class ResponseFormat:
    """Ask for JSON: `schema` None means any JSON object; otherwise the answer must match the schema."""

    schema: dict[str, Any] | None = None
    name: str = "response"
    description: str | None = None


@dataclass(frozen=True)
class InferenceParams:
    """Sampling parameters; None means the model's default (nothing is sent)."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: tuple[str, ...] = ()

    def overridden_by(self, overrides: InferenceParams | Mapping[str, Any]) -> InferenceParams:
        """These parameters with every value `overrides` sets; None (and no stop sequences) keeps ours.

        `overrides` is other parameters (a call's over a client's) or keyword arguments by name, where
        `stop` may be one string (one sequence, not its characters) or a sequence of strings.
        """
        if isinstance(overrides, InferenceParams):  # every call merges these: built directly, not by replace()
            merged = InferenceParams(
                _kept(self.max_tokens, overrides.max_tokens),
                _kept(self.temperature, overrides.temperature),
                _kept(self.top_p, overrides.top_p),
                _kept(self.top_k, overrides.top_k),
                _kept(self.stop, overrides.stop),
            )
            return self if merged == self else merged
        elif not overrides:
            return self
        else:
            given = {k: overrides[k] for k in _PARAM_NAMES if overrides.get(k) is not None}
            if "stop" in given:
                stop = given["stop"]
                # Anything but a string or a list stays as given, for validation to refuse by name.
                given["stop"] = (stop,) if isinstance(stop, str) else tuple(stop) if isinstance(stop, list) else stop
        return replace(self, **given) if given else self


_PARAM_NAMES = tuple(f.name for f in fields(InferenceParams))


def _kept(mine: Any, theirs: Any) -> Any:
    """`theirs` when it sets a value (not None, not an empty stop list), else `mine`."""
    return mine if theirs is None or theirs == () else theirs


@dataclass(frozen=True)
class GuardrailConfig:
    identifier: str
    version: str
    trace: str | None = None
    """"enabled", "disabled" or "enabled_full"."""


@dataclass(frozen=True)
class ServiceOptions:
    """Bedrock service settings of a call: the processing tier (priority, default, flex, reserved), metadata
    Bedrock writes to invocation logs, and the latency profile (standard, optimized). None: not sent."""

    tier: str | None = None
    metadata: Mapping[str, str] | None = None
    latency: str | None = None

    def over(self, defaults: ServiceOptions) -> ServiceOptions:
        """These settings, each falling back to `defaults` where unset."""
        if defaults is NO_SERVICE_OPTIONS:
            return self
        if self is NO_SERVICE_OPTIONS:
            return defaults
        return ServiceOptions(
            tier=self.tier if self.tier is not None else defaults.tier,
            metadata=self.metadata if self.metadata is not None else defaults.metadata,
            latency=self.latency if self.latency is not None else defaults.latency,
        )


NO_SERVICE_OPTIONS = ServiceOptions()


@dataclass(frozen=True)
class ChatRequest:
    """A conversation for a chat model."""

    messages: tuple[Message, ...]
    params: InferenceParams = InferenceParams()
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice | None = None
    response_format: ResponseFormat | None = None
    guardrail: GuardrailConfig | None = None
    additional_model_request_fields: dict[str, Any] | None = None
    service: ServiceOptions = NO_SERVICE_OPTIONS
    prompt: str | None = None
    """The conversation as the caller rendered it (its own template, or a prompt it formatted). Where the
    model takes a text-completion prompt and no tools are offered, this goes out instead of the Mistral
    template's rendering (sent as given when it carries [INST], wrapped otherwise); elsewhere `messages` do."""

    @property
    def own_prompt(self) -> str | None:
        """`prompt` where it applies: a conversation offering tools is always rendered from `messages`."""
        return self.prompt if not self.tools else None


@dataclass(frozen=True)
class CompletionRequest:
    """A raw prompt for a text-completion model. The template is applied unless the prompt already has it."""

    prompt: str
    params: InferenceParams = InferenceParams()
    guardrail: GuardrailConfig | None = None
    additional_model_request_fields: dict[str, Any] | None = None
    service: ServiceOptions = NO_SERVICE_OPTIONS


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Metrics:
    """Latencies Bedrock reports, in milliseconds."""

    latency_ms: int | None = None
    first_byte_latency_ms: int | None = None


@dataclass(frozen=True)
class ModelResponse:
    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    stop_reason: StopReason | None = None
    raw_stop_reason: str | None = None
    usage: Usage | None = None
    metrics: Metrics = Metrics()
    model_id: str = ""
    request_id: str | None = None
    api: str = ""
    reasoning: str | None = None
    """The reasoning text, blocks joined (None when the model did not reason)."""
    reasoning_parts: tuple[ReasoningPart, ...] = ()
    """The reasoning blocks as sent, with signatures and redacted content, for sending back."""
    service_tier: str | None = None
    """The tier Bedrock says served the request (Converse `serviceTier`, InvokeModel's header)."""


@dataclass(frozen=True)
class ToolCallDelta:
    """A piece of a tool call in a stream. `index` is stable for one call; `id` and `name` come on its
    first piece; `arguments` is a fragment of the JSON text to append."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True)
class StreamDelta:
    """One step of a stream. The last delta carries `stop_reason`; `usage` arrives exactly once."""

    text: str = ""
    tool_call: ToolCallDelta | None = None
    stop_reason: StopReason | None = None
    raw_stop_reason: str | None = None
    usage: Usage | None = None
    metrics: Metrics | None = None
    role: str | None = None
    reasoning: str = ""
    reasoning_signature: str | None = None
    """Signs the reasoning streamed so far in this block (ConverseStream sends it after the text)."""
    redacted_reasoning: bytes | None = None
    service_tier: str | None = None
