"""The model table: every Mistral model on Bedrock, as data.

Everything model-specific (API format, limits, defaults, capabilities) is read from here, so no other
module branches on model-id substrings. Cross-region inference profiles and ARNs resolve to a base row.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Literal

from bedrock_mistral.errors import UnknownModelError

Api = Literal["invoke", "converse"]
API_NAMES: tuple[str, ...] = ("invoke", "converse")


class BodyFormat(str, Enum):
    """InvokeModel body formats Mistral models accept."""

    TEXT_COMPLETION = "text_completion"
    CHAT_COMPLETION = "chat_completion"


@dataclass(frozen=True)
class Range:
    """An inclusive numeric range and the default Bedrock applies when the parameter is absent."""

    minimum: float
    maximum: float
    default: float | None = None

    def contains(self, value: float) -> bool:
        return self.minimum <= value <= self.maximum

    def describe(self) -> str:
        lo = int(self.minimum) if float(self.minimum).is_integer() else self.minimum
        hi = int(self.maximum) if float(self.maximum).is_integer() else self.maximum
        return f"{lo} to {hi}"


REASONING_SETTINGS: tuple[str, ...] = (
    "reasoning_effort",
    "reasoning",
    "reasoning_config",
    "reasoningConfig",
    "thinking",
)
"""`additionalModelRequestFields` keys that configure reasoning on Bedrock (OpenAI, Anthropic, Nova forms).
Bedrock's Converse has no reasoning field of its own (botocore's service model); a model takes only the
keys its row lists in `reasoning_settings`."""

AUDIO_FORMATS: tuple[str, ...] = (
    "mp3", "opus", "wav", "aac", "flac", "mp4", "ogg", "mkv", "mka", "x-aac", "m4a", "mpeg", "mpga", "pcm", "webm"
)  # fmt: skip
"""Converse `AudioFormat` (botocore's bedrock-runtime service model); the bytes must not be empty."""

IMAGE_FORMATS: tuple[str, ...] = ("png", "jpeg", "gif", "webp")
"""Converse `ImageFormat`."""
DOCUMENT_FORMATS: tuple[str, ...] = ("pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md")
"""Converse `DocumentFormat`."""
MediaKind = Literal["image", "document", "audio"]
MEDIA_APIS: dict[str, tuple[Api, ...]] = {"image": ("converse",), "document": ("converse",), "audio": ("converse",)}
"""The APIs that carry each kind of media: Mistral's InvokeModel bodies are text only, so only Converse."""

SERVICE_TIERS: tuple[str, ...] = ("priority", "default", "flex", "reserved")
"""`ServiceTierType` (botocore's bedrock-runtime service model): Converse `serviceTier.type`, InvokeModel's
`X-Amzn-Bedrock-Service-Tier` header."""
LATENCY_PROFILES: tuple[str, ...] = ("standard", "optimized")
"""`PerformanceConfigLatency`: Converse `performanceConfig.latency`, `X-Amzn-Bedrock-PerformanceConfig-Latency`."""
REQUEST_METADATA_ENTRIES = Range(1, 16)
REQUEST_METADATA_KEY = re.compile(r"^[a-zA-Z0-9\s:_@$#=/+,\-.]{1,256}$")
REQUEST_METADATA_VALUE = re.compile(r"^[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}$")
REQUEST_METADATA_HEADER_CHARS = 8500
"""`RequestMetadata` limits: 1-16 entries, keys 1-256 and values 0-256 characters from letters, digits,
whitespace and `:_@$#=/+,-.`; InvokeModel's `X-Amzn-Bedrock-Request-Metadata` JSON is at most 8,500 characters."""

UNIT = Range(0.0, 1.0)
TOP_K = Range(1, 200)
MAX_STOP_SEQUENCES = 10


@dataclass(frozen=True)
class BatchLimits:
    """Bedrock Batch Inference quotas for one model (AWS defaults; accounts can raise some of them)."""

    min_records: int = 100
    """Minimum number of records per batch inference job."""
    max_records: int = 50_000
    """Records per batch inference job (and per input file)."""
    max_file_bytes: int = 1024**3
    """Batch inference input file size: 1 GB."""
    max_job_bytes: int = 5 * 1024**3
    """Batch inference job size: 5 GB over all its input files."""
    timeout_hours: Range = Range(24, 168, 168)
    """`timeoutDurationInHours`: 24 to 168 hours, 168 when not given."""


BATCH = BatchLimits()


@dataclass(frozen=True)
class ModelSpec:
    """One row of the catalog."""

    model_id: str
    name: str
    invoke_formats: tuple[BodyFormat, ...]
    """InvokeModel body formats, preferred first; empty means Converse only."""
    default_api: Api
    context_window: int
    max_output_tokens: int
    max_tokens: Range
    temperature: Range
    top_p: Range
    top_k: Range | None
    """None: the model takes no top_k at all; a Range with default None: accepted, off by default."""
    tools_invoke: bool
    tools_converse: bool
    tool_streaming_invoke: bool
    """Whether InvokeModelWithResponseStream carries tool calls (Mistral chat format does, whole per chunk)."""
    tool_streaming_converse: bool
    system_prompt_converse: bool
    vision: bool
    structured_output: bool
    """Converse `outputConfig` JSON schema support."""
    json_mode: bool
    """Chat-format `response_format: {"type": "json_object"}` support."""
    tokenizer: str | None
    """mistral-common tokenizer version (v1, v2, v3, tekken) for counting and prompt rendering."""
    reasoning: bool = False
    """The model thinks before answering (Converse `reasoningContent` blocks)."""
    reasoning_settings: tuple[str, ...] = ()
    """Which of REASONING_SETTINGS it takes; Magistral always reasons and takes none."""
    audio: bool = False
    """The model takes Converse `audio` content blocks."""
    known: bool = True
    aliases: tuple[str, ...] = field(default=())
    batch: BatchLimits | None = None
    """Batch Inference quotas; None: AWS's batch-inference table does not list the model."""

    @property
    def apis(self) -> tuple[Api, ...]:
        return ("invoke", "converse") if self.invoke_formats else ("converse",)

    @property
    def tools(self) -> bool:
        return self.tools_invoke or self.tools_converse

    def supports_tools(self, api: Api) -> bool:
        return self.tools_invoke if api == "invoke" else self.tools_converse

    def supports_tool_streaming(self, api: Api) -> bool:
        return self.tool_streaming_invoke if api == "invoke" else self.tool_streaming_converse

    def accepts(self, kind: MediaKind) -> bool:
        """Whether the model takes this kind of media: images with `vision`, audio with `audio` (a model
        the catalog does not know is given the benefit of the doubt), documents every model."""
        return {"image": self.vision, "audio": self.audio or not self.known, "document": True}[kind]

    def takes(self, kind: MediaKind, api: Api) -> bool:
        """Whether a message may carry this kind of media for this model on this API (`MEDIA_APIS`)."""
        return self.accepts(kind) and api in MEDIA_APIS[kind]

    def supports_structured_output(self, api: Api) -> bool:
        """A JSON schema enforced by Bedrock (Converse `outputConfig`); elsewhere it becomes an instruction."""
        return self.structured_output and api == "converse"

    def supports_system_prompt(self, api: Api) -> bool:
        """Text completion folds the system prompt into the template, so invoke always supports it."""
        return True if api == "invoke" else self.system_prompt_converse

    def chat_body_format(self, rendered: bool = False) -> BodyFormat | None:
        """The InvokeModel format used for a conversation: the chat format when the model has one, unless
        the caller `rendered` the conversation itself and the model takes a text-completion prompt."""
        if rendered and BodyFormat.TEXT_COMPLETION in self.invoke_formats:
            return BodyFormat.TEXT_COMPLETION
        if BodyFormat.CHAT_COMPLETION in self.invoke_formats:
            return BodyFormat.CHAT_COMPLETION
        return self.invoke_formats[0] if self.invoke_formats else None

    def completion_body_format(self) -> BodyFormat | None:
        """The InvokeModel format used for a raw prompt: text completion when the model has it."""
        if BodyFormat.TEXT_COMPLETION in self.invoke_formats:
            return BodyFormat.TEXT_COMPLETION
        return self.invoke_formats[0] if self.invoke_formats else None


_T, _C = BodyFormat.TEXT_COMPLETION, BodyFormat.CHAT_COMPLETION


def _converse_model(
    model_id: str,
    name: str,
    *,
    context_window: int,
    max_output_tokens: int,
    tools: bool = True,
    vision: bool = False,
    reasoning: bool = False,
    audio: bool = False,
    tokenizer: str | None = "tekken",
) -> ModelSpec:
    """Newer models whose InvokeModel body is undocumented: Converse only, Converse ranges."""
    return ModelSpec(
        model_id=model_id,
        name=name,
        invoke_formats=(),
        default_api="converse",
        context_window=context_window,
        max_output_tokens=max_output_tokens,
        max_tokens=Range(1, max_output_tokens, None),
        temperature=Range(0.0, 1.0, None),
        top_p=Range(0.0, 1.0, None),
        top_k=None,
        tools_invoke=False,
        tools_converse=tools,
        tool_streaming_invoke=False,
        tool_streaming_converse=False,
        system_prompt_converse=True,
        vision=vision,
        structured_output=True,
        json_mode=False,
        tokenizer=tokenizer,
        reasoning=reasoning,
        audio=audio,
    )


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        model_id="mistral.mistral-7b-instruct-v0:2",
        name="Mistral 7B Instruct",
        invoke_formats=(_T,),
        default_api="invoke",
        context_window=32_768,
        max_output_tokens=8_192,
        max_tokens=Range(1, 8_192, 512),
        temperature=Range(0.0, 1.0, 0.5),
        top_p=Range(0.0, 1.0, 0.9),
        top_k=Range(1, 200, 50),
        tools_invoke=False,
        tools_converse=False,
        tool_streaming_invoke=False,
        tool_streaming_converse=False,
        system_prompt_converse=False,
        vision=False,
        structured_output=False,
        json_mode=False,
        tokenizer="v1",
        batch=BATCH,
    ),
    ModelSpec(
        model_id="mistral.mixtral-8x7b-instruct-v0:1",
        name="Mixtral 8x7B Instruct",
        invoke_formats=(_T,),
        default_api="invoke",
        context_window=32_768,
        max_output_tokens=4_096,
        max_tokens=Range(1, 4_096, 512),
        temperature=Range(0.0, 1.0, 0.5),
        top_p=Range(0.0, 1.0, 0.9),
        top_k=Range(1, 200, 50),
        tools_invoke=False,
        tools_converse=False,
        tool_streaming_invoke=False,
        tool_streaming_converse=False,
        system_prompt_converse=False,
        vision=False,
        structured_output=False,
        json_mode=False,
        tokenizer="v1",
        batch=BATCH,
    ),
    ModelSpec(
        model_id="mistral.mistral-small-2402-v1:0",
        name="Mistral Small (24.02)",
        invoke_formats=(_T,),
        default_api="invoke",
        context_window=32_768,
        max_output_tokens=8_192,
        max_tokens=Range(1, 8_192, 8_192),
        temperature=Range(0.0, 1.0, 0.7),
        top_p=Range(0.0, 1.0, 1.0),
        top_k=Range(1, 200, None),
        tools_invoke=False,
        tools_converse=True,
        tool_streaming_invoke=False,
        tool_streaming_converse=False,
        system_prompt_converse=True,
        vision=False,
        structured_output=False,
        json_mode=False,
        tokenizer="v2",
        batch=BATCH,
    ),
    ModelSpec(
        model_id="mistral.mistral-large-2402-v1:0",
        name="Mistral Large (24.02)",
        invoke_formats=(_T, _C),
        default_api="invoke",
        context_window=32_768,
        max_output_tokens=8_192,
        max_tokens=Range(1, 8_192, 8_192),
        temperature=Range(0.0, 1.0, 0.7),
        top_p=Range(0.0, 1.0, 1.0),
        top_k=Range(1, 200, None),
        tools_invoke=True,
        tools_converse=True,
        tool_streaming_invoke=True,
        tool_streaming_converse=False,
        system_prompt_converse=True,
        vision=False,
        structured_output=False,
        json_mode=True,
        tokenizer="v2",
        batch=BATCH,
    ),
    ModelSpec(
        model_id="mistral.mistral-large-2407-v1:0",
        name="Mistral Large 2 (24.07)",
        invoke_formats=(_C,),
        default_api="invoke",
        context_window=131_072,
        max_output_tokens=8_192,
        max_tokens=Range(1, 8_192, 8_192),
        temperature=Range(0.0, 1.0, 0.7),
        top_p=Range(0.0, 1.0, 1.0),
        top_k=None,
        tools_invoke=True,
        tools_converse=True,
        tool_streaming_invoke=True,
        tool_streaming_converse=False,
        system_prompt_converse=True,
        vision=False,
        structured_output=False,
        json_mode=True,
        tokenizer="v3",
        batch=BATCH,
    ),
    replace(
        _converse_model(
            "mistral.pixtral-large-2502-v1:0",
            "Pixtral Large (25.02)",
            context_window=131_072,
            max_output_tokens=8_192,
            vision=True,
        ),
        structured_output=False,
    ),
    _converse_model(
        "mistral.mistral-large-3-675b-instruct",
        "Mistral Large 3",
        context_window=262_144,
        max_output_tokens=16_384,
        vision=True,
    ),
    _converse_model(
        "mistral.ministral-3-3b-instruct",
        "Ministral 3 3B",
        context_window=131_072,
        max_output_tokens=8_192,
        vision=True,
    ),
    _converse_model(
        "mistral.ministral-3-8b-instruct",
        "Ministral 3 8B",
        context_window=131_072,
        max_output_tokens=8_192,
        vision=True,
    ),
    _converse_model(
        "mistral.ministral-3-14b-instruct",
        "Ministral 3 14B",
        context_window=131_072,
        max_output_tokens=8_192,
        vision=True,
    ),
    _converse_model(
        "mistral.magistral-small-2509",
        "Magistral Small (25.09)",
        context_window=131_072,
        max_output_tokens=32_768,
        vision=True,
        reasoning=True,
    ),
    _converse_model(
        "mistral.devstral-2-123b",
        "Devstral 2 123B",
        context_window=262_144,
        max_output_tokens=16_384,
    ),
    _converse_model(
        "mistral.voxtral-mini-3b-2507",
        "Voxtral Mini 3B (25.07)",
        context_window=32_768,
        max_output_tokens=8_192,
        tools=False,
        audio=True,
    ),
    _converse_model(
        "mistral.voxtral-small-24b-2507",
        "Voxtral Small 24B (25.07)",
        context_window=32_768,
        max_output_tokens=8_192,
        audio=True,
    ),
)

BY_ID: dict[str, ModelSpec] = {m.model_id: m for m in MODELS}
REGION_PREFIXES: tuple[str, ...] = ("us", "eu", "apac", "global", "us-gov", "ca", "jp", "au")
_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:(?:foundation-model|inference-profile|"
    r"system-defined-inference-profile)/(?P<id>.+)$"
)


@functools.lru_cache(maxsize=4096)
def base_model_id(model_id: str) -> str:
    """Strip an ARN and a cross-region prefix: `arn:...:inference-profile/eu.mistral.x` -> `mistral.x`.
    Cached: every request asks it of the same few ids, several times."""
    from urllib.parse import unquote

    model_id = unquote(model_id.strip())
    match = _ARN.match(model_id)
    if match:
        model_id = match.group("id")
    head, _, rest = model_id.partition(".")
    if rest and head in REGION_PREFIXES:
        model_id = rest
    return model_id


def find(model_id: str) -> ModelSpec | None:
    """The catalog row for any spelling of a known model, or None."""
    return BY_ID.get(base_model_id(model_id))


def resolve(model_id: str, api: Api | None = None) -> ModelSpec:
    """The row for `model_id`; an unknown id is accepted only when the caller names the API."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise UnknownModelError(f"model id must be a non-empty string, got {model_id!r}")
    spec = find(model_id)
    if spec is not None:
        if api is not None and api not in spec.apis:
            raise UnknownModelError(
                f"model {spec.model_id!r} does not support api={api!r}; supported: {', '.join(spec.apis)}"
            )
        return spec
    if api is None:
        raise UnknownModelError(
            f"unknown model id {model_id!r}: name the API (api='invoke' or api='converse') to use a model "
            f"outside the catalog, or use one of: {', '.join(BY_ID)}"
        )
    if api not in API_NAMES:
        raise UnknownModelError(f"api must be one of {', '.join(API_NAMES)}, got {api!r}")
    return generic(model_id, api)


def generic(model_id: str, api: Api) -> ModelSpec:
    """A permissive row for a model outside the catalog, used only when the caller named the API."""
    return ModelSpec(
        model_id=model_id,
        name=model_id,
        invoke_formats=(_C, _T) if api == "invoke" else (),
        default_api=api,
        context_window=131_072,
        max_output_tokens=32_768,
        max_tokens=Range(1, 32_768, None),
        temperature=Range(0.0, 1.0, None),
        top_p=Range(0.0, 1.0, None),
        top_k=Range(1, 200, None) if api == "invoke" else None,
        tools_invoke=api == "invoke",
        tools_converse=api == "converse",
        tool_streaming_invoke=api == "invoke",
        tool_streaming_converse=False,
        system_prompt_converse=True,
        vision=True,
        structured_output=True,
        json_mode=True,
        tokenizer=None,
        known=False,
        batch=BATCH,
    )
