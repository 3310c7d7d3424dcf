"""The bad-input matrix as data: every out-of-range parameter per catalog row, and malformed requests.

Shared by `registry.py` (which counts them for the doc) and `test_bad_input.py` (which runs them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bedrock_mistral.catalog import MODELS, Api, BodyFormat, ModelSpec
from bedrock_mistral.errors import (
    ConfigurationError,
    ContextWindowExceededError,
    InvalidRequestError,
    UnknownModelError,
    UnsupportedFeatureError,
)
from bedrock_mistral.types import (
    ChatRequest,
    CompletionRequest,
    DocumentPart,
    ImagePart,
    InferenceParams,
    Message,
    ResponseFormat,
    TextPart,
    ToolCall,
    ToolSpec,
)

LARGE2 = "mistral.mistral-large-2407-v1:0"
LARGE2402 = "mistral.mistral-large-2402-v1:0"
SMALL = "mistral.mistral-small-2402-v1:0"
M7B = "mistral.mistral-7b-instruct-v0:2"
PIXTRAL = "mistral.pixtral-large-2502-v1:0"
VOXTRAL_MINI = "mistral.voxtral-mini-3b-2507"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# --- out-of-range parameters, generated from the catalog --------------------------------------------------


def takes_top_k(spec: ModelSpec, api: Api) -> bool:
    """Whether a chat request may carry top_k (text-completion body on InvokeModel only)."""
    body = spec.chat_body_format() if api == "invoke" else None
    return api == "invoke" and spec.top_k is not None and body in (None, BodyFormat.TEXT_COMPLETION)


def bad_values(spec: ModelSpec, api: Api) -> list[tuple[str, Any]]:
    top = int(spec.max_tokens.maximum)
    values: list[tuple[str, Any]] = [
        ("max_tokens", 0),
        ("max_tokens", -1),
        ("max_tokens", top + 1),
        ("max_tokens", 1.5),
        ("max_tokens", "100"),
        ("max_tokens", True),
        ("temperature", -0.01),
        ("temperature", 1.01),
        ("temperature", math.nan),
        ("temperature", math.inf),
        ("temperature", "0.5"),
        ("temperature", True),
        ("top_p", -0.01),
        ("top_p", 1.01),
        ("top_p", math.nan),
        ("stop", tuple(f"stop{i}" for i in range(11))),
        ("stop", "STOP"),
        ("stop", ("",)),
    ]
    if takes_top_k(spec, api):
        values += [("top_k", 0), ("top_k", 201), ("top_k", 2.5)]
    else:
        values += [("top_k", 50)]  # a value in range, but Bedrock rejects top_k here
    return values


PARAM_CASES: tuple[tuple[str, str, str, Any], ...] = tuple(
    (spec.model_id, api, name, value)
    for spec in MODELS
    for api in spec.apis
    for name, value in bad_values(spec, api)
)

# --- malformed requests, per wire format ---------------------------------------------------------------

CHAT_FORMATS: tuple[tuple[str, Api], ...] = ((LARGE2, "invoke"), (M7B, "invoke"), (LARGE2, "converse"))
TOOL_FORMATS: tuple[tuple[str, Api], ...] = (
    (LARGE2, "invoke"),
    (LARGE2402, "invoke"),
    (LARGE2, "converse"),
    (SMALL, "converse"),
)
USER = Message("user", "What is the weather in Paris?")
WEATHER = ToolSpec("get_weather", "weather", {"type": "object", "properties": {"city": {"type": "string"}}})
BAD_SCHEMAS: dict[str, Any] = {
    "schema-not-object": ["city"],
    "schema-type-string": {"type": "string"},
    "schema-unknown-type": {"type": "object", "properties": {"city": {"type": "strng"}}},
    "schema-properties-list": {"type": "object", "properties": ["city"]},
    "schema-required-string": {"type": "object", "properties": {}, "required": "city"},
    "schema-bad-items": {
        "type": "object",
        "properties": {"a": {"type": "array", "items": {"type": "tuple"}}},
    },
    "schema-property-not-schema": {"type": "object", "properties": {"a": 3}},
}
BAD_TOOL_NAMES = ("", "has space", "a" * 65, "dot.name", "naïve", "semi;colon", "slash/name", "emoji🙂")


@dataclass(frozen=True)
class RequestCase:
    """A request the transport must refuse before sending anything."""

    name: str
    model: str
    api: Api
    error: type[Exception]
    request: Callable[[], ChatRequest | CompletionRequest]
    mentions: tuple[str, ...] = field(default=())
    """Words the error message must contain (what is wrong)."""

    @property
    def key(self) -> str:
        return f"{self.name}[{self.model.split('.', 1)[1]}/{self.api}]"


def _tool_cases() -> list[RequestCase]:
    cases: list[RequestCase] = []
    for model, api in TOOL_FORMATS:
        for name, schema in BAD_SCHEMAS.items():
            tool = ToolSpec("get_weather", "weather", schema)
            cases.append(
                RequestCase(
                    name,
                    model,
                    api,
                    InvalidRequestError,
                    lambda t=tool: ChatRequest((USER,), tools=(t,)),
                    ("get_weather",),
                )
            )
        for index, bad in enumerate(BAD_TOOL_NAMES):
            tool = ToolSpec(bad, "bad name", WEATHER.parameters)
            cases.append(
                RequestCase(
                    f"tool-name-{index}",
                    model,
                    api,
                    InvalidRequestError,
                    lambda t=tool: ChatRequest((USER,), tools=(t,)),
                    ("tool name",),
                )
            )
        cases.append(
            RequestCase(
                "duplicate-tool-names",
                model,
                api,
                InvalidRequestError,
                lambda: ChatRequest((USER,), tools=(WEATHER, WEATHER)),
                ("twice",),
            )
        )
        cases.append(
            RequestCase(
                "tool-choice-unknown-tool",
                model,
                api,
                InvalidRequestError,
                lambda: ChatRequest((USER,), tools=(WEATHER,), tool_choice="launch"),
                ("launch",),
            )
        )
        cases.append(
            RequestCase(
                "tool-choice-without-tools",
                model,
                api,
                InvalidRequestError,
                lambda: ChatRequest((USER,), tool_choice="any"),
                ("no tools",),
            )
        )
        cases.append(
            RequestCase(
                "response-format-bad-schema",
                model,
                api,
                InvalidRequestError,
                lambda: ChatRequest((USER,), response_format=ResponseFormat({"type": "list"})),
                ("response_format",),
            )
        )
    return cases


def _conversation_cases() -> list[RequestCase]:
    cases: list[RequestCase] = []
    call = ToolCall("call_1", "get_weather", {"city": "Paris"})
    for model, api in CHAT_FORMATS:
        cases += [
            RequestCase(
                "empty-messages", model, api, InvalidRequestError, lambda: ChatRequest(()), ("empty",)
            ),
            RequestCase(
                "only-system",
                model,
                api,
                InvalidRequestError,
                lambda: ChatRequest((Message("system", "Be brief."),)),
                ("system",),
            ),
            RequestCase(
                "ends-with-assistant",
                model,
                api,
                InvalidRequestError,
                lambda: ChatRequest((USER, Message("assistant", "Sunny."))),
                ("assistant",),
            ),
            RequestCase(
                "tool-result-without-call",
                model,
                api,
                InvalidRequestError,
                lambda: ChatRequest((USER, Message("tool", "20C", tool_call_id="nope"))),
                ("nope",),
            ),
            RequestCase(
                "tool-result-without-id",
                model,
                api,
                InvalidRequestError,
                lambda: ChatRequest((USER, Message("assistant", tool_calls=(call,)), Message("tool", "20C"))),
                ("tool_call_id",),
            ),
            RequestCase(
                "unknown-role",
                model,
                api,
                InvalidRequestError,
                lambda: ChatRequest((Message("robot", "beep"),)),
                ("robot",),
            ),  # type: ignore[arg-type]
        ]
    return cases


def _capability_cases() -> list[RequestCase]:
    image = (Message("user", [TextPart("What is in this picture?"), ImagePart(PNG, "png")]),)
    document = (Message("user", [TextPart("Summarize."), DocumentPart(b"hello", "txt", "notes")]),)
    cases = [
        RequestCase(
            "tools-on-model-without-tools",
            model,
            api,
            UnsupportedFeatureError,
            lambda: ChatRequest((USER,), tools=(WEATHER,)),
            ("tools",),
        )
        for model, api in ((M7B, "invoke"), (M7B, "converse"), (SMALL, "invoke"), (VOXTRAL_MINI, "converse"))
    ]
    cases += [
        RequestCase(
            "image-to-text-only-model",
            model,
            api,
            UnsupportedFeatureError,
            lambda: ChatRequest(image),
            ("image",),
        )
        for model, api in (
            (LARGE2, "invoke"),
            (LARGE2, "converse"),
            (M7B, "invoke"),
            (M7B, "converse"),
            (SMALL, "converse"),
        )
    ]
    cases += [
        RequestCase(
            "image-format-bmp",
            PIXTRAL,
            "converse",
            InvalidRequestError,
            lambda: ChatRequest((Message("user", [ImagePart(PNG, "bmp")]),)),
            ("bmp",),
        ),
        RequestCase(
            "document-on-invoke",
            LARGE2,
            "invoke",
            UnsupportedFeatureError,
            lambda: ChatRequest(document),
            ("document",),
        ),
    ]
    return cases


def _window_cases() -> list[RequestCase]:
    def words(n: int) -> str:
        return "word " * n

    return [
        RequestCase(
            "prompt-over-window",
            M7B,
            "invoke",
            ContextWindowExceededError,
            lambda: ChatRequest((Message("user", words(33_000)),)),
            ("context window",),
        ),
        RequestCase(
            "prompt-plus-max-tokens-over-window",
            M7B,
            "invoke",
            ContextWindowExceededError,
            lambda: CompletionRequest(words(30_000), InferenceParams(max_tokens=4_000)),
            ("max_tokens",),
        ),
        RequestCase(
            "prompt-plus-max-tokens-over-window",
            LARGE2,
            "invoke",
            ContextWindowExceededError,
            lambda: ChatRequest((Message("user", words(128_000)),), InferenceParams(max_tokens=8_000)),
            ("context window",),
        ),
        RequestCase(
            "prompt-over-window",
            LARGE2,
            "converse",
            ContextWindowExceededError,
            lambda: ChatRequest((Message("user", words(132_000)),)),
            ("context window",),
        ),
    ]


REQUEST_CASES: tuple[RequestCase, ...] = tuple(
    _conversation_cases() + _tool_cases() + _capability_cases() + _window_cases()
)

# --- bad client configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigCase:
    name: str
    error: type[Exception]
    model: str
    options: dict[str, Any]
    mentions: str = ""
    """A word the message must contain (what is wrong)."""

    @property
    def key(self) -> str:
        return self.name


CONFIG_CASES: tuple[ConfigCase, ...] = (
    ConfigCase("unknown-model-id", UnknownModelError, "mistral.mistral-huge-2999-v9:0", {}, "api="),
    ConfigCase(
        "non-mistral-model-id",
        UnknownModelError,
        "anthropic.claude-3-sonnet-20240229-v1:0",
        {},
        "unknown model",
    ),
    ConfigCase("empty-model-id", UnknownModelError, "", {}, "non-empty"),
    ConfigCase("blank-model-id", UnknownModelError, "   ", {}, "non-empty"),
    ConfigCase(
        "unknown-profile-arn",
        UnknownModelError,
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.mistral.nope-v1:0",
        {},
        "nope",
    ),
    ConfigCase(
        "unknown-region-prefix", UnknownModelError, "xx.mistral.mistral-large-2407-v1:0", {}, "xx.mistral"
    ),
    ConfigCase("api-the-model-lacks", UnknownModelError, PIXTRAL, {"api": "invoke"}, "converse"),
    ConfigCase("unknown-api-name", UnknownModelError, "my-finetune", {"api": "chat"}, "'chat'"),
    ConfigCase("negative-max-retries", ValueError, LARGE2, {"max_retries": -1}, "max_retries"),
    ConfigCase("zero-read-timeout", ConfigurationError, LARGE2, {"read_timeout": 0}, "read_timeout"),
    ConfigCase(
        "negative-connect-timeout", ConfigurationError, LARGE2, {"connect_timeout": -1}, "connect_timeout"
    ),
    ConfigCase(
        "key-id-without-secret", ConfigurationError, LARGE2, {"aws_secret_access_key": None}, "together"
    ),
)

# --- the same mistakes through the adapters --------------------------------------------------------------

ADAPTER_CASES: dict[str, tuple[str, ...]] = {
    "langchain-chat": (
        "ctor-temperature",
        "ctor-unknown-model",
        "call-temperature",
        "call-max-tokens",
        "empty-messages",
        "ends-with-ai",
        "bad-tool-schema",
        "bad-tool-name",
        "image-to-text-only",
        "context-window",
        "unknown-call-kwarg",
    ),
    "langchain-llm": (
        "ctor-temperature",
        "ctor-unknown-model",
        "call-temperature",
        "call-top-k",
        "call-stop-11",
        "context-window",
        "unknown-call-kwarg",
    ),
    "llama-index": (
        "ctor-temperature",
        "ctor-unknown-model",
        "call-temperature",
        "empty-messages",
        "ends-with-assistant",
        "bad-tool-name",
        "bad-tool-schema",
        "image-to-text-only",
        "context-window",
    ),
}
