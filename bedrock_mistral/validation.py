"""Checks made before any request, so a bad call fails here with a clear message and nothing is sent.

Each rule names the parameter, the model and what is allowed. The limits come from the catalog row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bedrock_mistral.catalog import (
    AUDIO_FORMATS,
    DOCUMENT_FORMATS,
    IMAGE_FORMATS,
    MAX_STOP_SEQUENCES,
    MEDIA_APIS,
    MODELS,
    REASONING_SETTINGS,
    Api,
    BodyFormat,
    MediaKind,
    ModelSpec,
    Range,
)
from bedrock_mistral.errors import (
    ConfigurationError,
    InvalidRequestError,
    ParameterError,
    UnsupportedFeatureError,
)
from bedrock_mistral.types import (
    AudioPart,
    ChatRequest,
    DocumentPart,
    ImagePart,
    InferenceParams,
    Message,
    TextPart,
    ToolSpec,
)

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
VALID_TOOL_CHOICES = ("auto", "any", "none")
JSON_SCHEMA_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}
_SURROGATE = re.compile("[\ud800-\udfff]")

# --- construction options, as the caller gave them -------------------------------------------------------

_INTEGER_PARAMS = ("max_tokens", "top_k")
_NUMBER_PARAMS = ("temperature", "top_p")
_SECONDS = ("timeout", "connect_timeout", "read_timeout", "deadline")


def check_option_types(model_id: str, options: Mapping[str, Any]) -> None:
    """The types of construction options exactly as given, before any framework coerces them (`"0.5"` ->
    0.5, `True` -> 1): both adapters call this first, so both refuse the same values the same way.
    Ranges are the model's and are checked when the transport client is built."""
    for name in _INTEGER_PARAMS:
        value = options.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ParameterError(name, value, model_id, "an integer (not a bool or a string) or None")
    for name in _NUMBER_PARAMS:
        value = options.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
        ):
            raise ParameterError(name, value, model_id, "a finite number (not a bool or a string) or None")
    for name in _SECONDS:
        if name in options:
            check_seconds(name, options[name])
    if "max_retries" in options:
        check_retries(options["max_retries"])
    if "stop" in options:
        stop_sequences(options["stop"], model_id)
    if "client" in options:
        check_client(options["client"])
    for name in ("config", "botocore_config"):
        if name in options:
            check_botocore_config(name, options[name])


def check_seconds(name: str, value: Any) -> None:
    """A timeout or deadline: None, or a finite number of seconds > 0 (inf and nan never expire)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(
            f"{name} must be a finite number of seconds > 0 (not a bool or a string) or None, got {value!r}"
        )


def check_retries(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"max_retries must be an integer >= 0 (not a bool or a string), got {value!r}")


def check_client(client: Any) -> None:
    """`client` must be a boto3 `bedrock-runtime` client: anything else fails later with AttributeError."""
    if client is None:
        return
    service = getattr(getattr(getattr(client, "meta", None), "service_model", None), "service_name", None)
    if service != "bedrock-runtime":
        raise ConfigurationError(
            f"client must be a boto3 bedrock-runtime client (boto3.client('bedrock-runtime')), got "
            f"{type(client).__name__}" + (f" for service {service!r}" if isinstance(service, str) else "")
        )


def check_botocore_config(name: str, config: Any) -> None:
    if config is None:
        return
    from botocore.config import Config

    if not isinstance(config, Config):
        raise ConfigurationError(
            f"{name} must be a botocore.config.Config (or None), got {type(config).__name__}"
        )


def stop_sequences(stop: Any, model_id: str) -> tuple[str, ...]:
    """`stop` as given by a caller: None, one string (one sequence, never its characters) or a list of
    strings. Anything else is refused, naming what is allowed."""
    if stop is None:
        return ()
    if isinstance(stop, str):
        return (stop,)
    if isinstance(stop, (list, tuple)) and all(isinstance(item, str) for item in stop):
        return tuple(stop)
    raise ParameterError("stop", stop, model_id, "a string (one stop sequence) or a list of strings")


def check_text(where: str, text: str) -> None:
    """Text must be valid Unicode: a lone surrogate (from a bad decode) cannot be encoded as UTF-8."""
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found is not None:
            raise InvalidRequestError(
                f"{where} holds a lone surrogate {found.group()!r} at index {found.start()}: text must be valid "
                "Unicode (decode bytes with errors='replace' or fix the source)"
            )


def _number(name: str, value: Any, spec: ModelSpec, allowed: Range) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(name, value, spec.model_id, f"a number from {allowed.describe()}")
    if not allowed.contains(value):
        raise ParameterError(name, value, spec.model_id, allowed.describe())


def _integer(name: str, value: Any, spec: ModelSpec, allowed: Range) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(name, value, spec.model_id, f"an integer from {allowed.describe()}")
    if not allowed.contains(value):
        raise ParameterError(name, value, spec.model_id, allowed.describe())


def validate_params(spec: ModelSpec, params: InferenceParams, api: Api, body: BodyFormat | None = None) -> None:
    """Check sampling parameters against the model's ranges for the API (and InvokeModel body format)."""
    if params.max_tokens is not None:
        _integer("max_tokens", params.max_tokens, spec, spec.max_tokens)
    if params.temperature is not None:
        _number("temperature", params.temperature, spec, spec.temperature)
    if params.top_p is not None:
        _number("top_p", params.top_p, spec, spec.top_p)
    if params.top_k is not None:
        takes_top_k = api == "invoke" and spec.top_k is not None and body in (None, BodyFormat.TEXT_COMPLETION)
        if not takes_top_k:
            where = "the Converse API" if api == "converse" else f"the {(body or 'invoke').__str__()} body"
            raise ParameterError(
                "top_k",
                params.top_k,
                spec.model_id,
                f"none: Bedrock rejects top_k for this model on {where}"
                + ("; use api='invoke' (text completion)" if spec.top_k is not None else ""),
            )
        _integer("top_k", params.top_k, spec, spec.top_k or Range(1, 200))
    validate_stop(spec, params.stop)


def validate_stop(spec: ModelSpec, stop: Sequence[str]) -> None:
    if isinstance(stop, str):
        raise ParameterError("stop", stop, spec.model_id, "a list of strings, not a single string")
    if not isinstance(stop, (list, tuple)):
        raise ParameterError("stop", stop, spec.model_id, "a string (one stop sequence) or a list of strings")
    if len(stop) > MAX_STOP_SEQUENCES:
        raise ParameterError(
            "stop", list(stop), spec.model_id, f"at most {MAX_STOP_SEQUENCES} stop sequences, got {len(stop)}"
        )
    for item in stop:
        if not isinstance(item, str) or not item:
            raise ParameterError("stop", list(stop), spec.model_id, "non-empty strings only")


def validate_tools(spec: ModelSpec, api: Api, tools: Sequence[ToolSpec], tool_choice: str | None) -> None:
    if not tools:
        if tool_choice not in (None, "none", "auto"):
            raise InvalidRequestError(f"tool_choice={tool_choice!r} was given but no tools were offered")
        return
    if not spec.supports_tools(api):
        other: Api = "converse" if api == "invoke" else "invoke"
        hint = f"; it supports tools with api={other!r}" if spec.supports_tools(other) else ""
        raise UnsupportedFeatureError(
            f"tools are not supported by model {spec.model_id!r} with api={api!r}{hint}"
        )
    seen: set[str] = set()
    for tool in tools:
        if not isinstance(tool.name, str) or not TOOL_NAME.match(tool.name):
            raise InvalidRequestError(
                f"tool name {tool.name!r} is not allowed by Bedrock: use 1 to 64 characters from "
                "letters, digits, '_' and '-'"
            )
        if tool.name in seen:
            raise InvalidRequestError(f"tool name {tool.name!r} is offered twice; tool names must be unique")
        seen.add(tool.name)
        validate_json_schema(tool.parameters, f"parameters of tool {tool.name!r}")
    if tool_choice is not None and tool_choice not in VALID_TOOL_CHOICES and tool_choice not in seen:
        raise InvalidRequestError(
            f"tool_choice={tool_choice!r} is neither one of {', '.join(VALID_TOOL_CHOICES)} nor the name of "
            f"an offered tool ({', '.join(sorted(seen))})"
        )


def validate_json_schema(schema: Any, what: str) -> None:
    """A structural check of a tool's JSON schema: an object schema whose types are JSON schema types."""
    if not isinstance(schema, dict):
        raise InvalidRequestError(f"{what} must be a JSON schema object, got {type(schema).__name__}")
    if schema.get("type", "object") != "object":
        raise InvalidRequestError(f"{what} must be a JSON schema of type 'object', got {schema.get('type')!r}")
    _check_schema_node(schema, what)


def _check_schema_node(node: Any, what: str) -> None:
    if isinstance(node, bool):
        return
    if not isinstance(node, dict):
        raise InvalidRequestError(f"{what}: a schema must be an object, got {node!r}")
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for k in kinds:
        if k not in JSON_SCHEMA_TYPES:
            raise InvalidRequestError(
                f"{what}: {k!r} is not a JSON schema type (allowed: {', '.join(sorted(JSON_SCHEMA_TYPES))})"
            )
    props = node.get("properties")
    if props is not None:
        if not isinstance(props, dict):
            raise InvalidRequestError(f"{what}: 'properties' must be an object")
        for name, sub in props.items():
            _check_schema_node(sub, f"{what}.{name}")
    required = node.get("required")
    if required is not None and (
        not isinstance(required, list) or not all(isinstance(r, str) for r in required)
    ):
        raise InvalidRequestError(f"{what}: 'required' must be a list of property names")
    if "items" in node and node["items"] is not None and not isinstance(node["items"], list):
        _check_schema_node(node["items"], f"{what}[]")
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key) or []:
            _check_schema_node(sub, what)
    for sub in (node.get("$defs") or node.get("definitions") or {}).values():
        _check_schema_node(sub, what)


def validate_messages(spec: ModelSpec, api: Api, messages: Sequence[Message]) -> None:
    """Shape rules every API shares, plus content the model cannot take."""
    if not messages:
        raise InvalidRequestError("messages is empty: send at least one user message")
    if all(m.role == "system" for m in messages):
        raise InvalidRequestError("messages holds only system messages: send at least one user message")
    last = messages[-1]
    if last.role == "assistant":
        raise InvalidRequestError(
            f"the conversation ends with an assistant message, which Bedrock's {api} API for "
            f"{spec.model_id!r} does not continue: end with a user or tool message"
        )
    call_ids = {c.id for m in messages for c in m.tool_calls}
    for index, message in enumerate(messages):
        if message.role not in ("system", "user", "assistant", "tool"):
            raise InvalidRequestError(f"messages[{index}].role={message.role!r}: use system, user, assistant or tool")
        if message.role == "tool" and not message.tool_call_id:
            raise InvalidRequestError(f"messages[{index}] is a tool result without tool_call_id")
        if message.role == "tool" and message.tool_call_id not in call_ids:
            raise InvalidRequestError(
                f"messages[{index}] answers tool call {message.tool_call_id!r}, which no assistant message made"
            )
        parts = message.parts
        if message.role == "user" and not any(
            not isinstance(part, TextPart) or part.text.strip() for part in parts
        ):
            raise InvalidRequestError(
                f"messages[{index}] is a user message with empty content: Bedrock rejects blank text; "
                "send text, an image, a document or audio"
            )
        for part in parts:
            if isinstance(part, TextPart):
                check_text(f"messages[{index}]", part.text)
            if isinstance(part, (ImagePart, DocumentPart, AudioPart)):
                validate_media(spec, api, index, part)


_MEDIA: dict[type, tuple[MediaKind, str, str, tuple[str, ...]]] = {
    ImagePart: ("image", "an image", "images", IMAGE_FORMATS),
    DocumentPart: ("document", "a document", "documents", DOCUMENT_FORMATS),
    AudioPart: ("audio", "audio", "audio", AUDIO_FORMATS),
}


def validate_media(spec: ModelSpec, api: Api, index: int, part: ImagePart | DocumentPart | AudioPart) -> None:
    """Images, documents and audio: a model that takes the kind (catalog row), an API that carries it
    (`catalog.MEDIA_APIS`: Converse only) and a format Bedrock names. One rule for the three kinds."""
    kind, noun, plural, formats = _MEDIA[type(part)]
    if not spec.accepts(kind):
        takers = ", ".join(m.model_id for m in MODELS if m.accepts(kind))
        raise UnsupportedFeatureError(
            f"messages[{index}] holds {noun}, but model {spec.model_id!r} does not accept {plural}; "
            f"models that do: {takers}"
        )
    if not spec.takes(kind, api):
        apis = " or ".join(f"api={a!r}" for a in MEDIA_APIS[kind])
        raise UnsupportedFeatureError(f"messages[{index}] holds {noun}: {plural} are sent with {apis} only")
    if kind != "document" and part.format not in formats:
        raise InvalidRequestError(
            f"messages[{index}]: {kind} format {part.format!r} is not one of {', '.join(formats)}"
        )
    if kind == "audio" and not part.data:
        raise InvalidRequestError(f"messages[{index}]: the audio is empty (Bedrock takes at least 1 byte)")


def validate_reasoning_settings(spec: ModelSpec, extra: Any) -> None:
    """Reasoning settings in `additional_model_request_fields` only where the model takes them."""
    if not isinstance(extra, dict) or not spec.known:
        return
    for key in extra:
        if key in REASONING_SETTINGS and key not in spec.reasoning_settings:
            if spec.reasoning:
                why = f"{spec.name} always reasons and takes no reasoning setting"
            else:
                why = f"{spec.name} does not reason"
            allowed = ", ".join(spec.reasoning_settings) or "none"
            raise UnsupportedFeatureError(
                f"additional_model_request_fields[{key!r}] is a reasoning setting, but {why} "
                f"(model {spec.model_id!r}; reasoning settings it takes: {allowed})"
            )


def validate_chat_request(spec: ModelSpec, api: Api, request: ChatRequest) -> None:
    body = spec.chat_body_format(rendered=request.own_prompt is not None) if api == "invoke" else None
    validate_params(spec, request.params, api, body)
    validate_messages(spec, api, request.messages)
    validate_tools(spec, api, request.tools, request.tool_choice)
    validate_reasoning_settings(spec, request.additional_model_request_fields)
    if request.response_format is not None and request.response_format.schema is not None:
        validate_json_schema(request.response_format.schema, "response_format schema")
