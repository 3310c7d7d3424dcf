"""The rules Bedrock enforces, with the messages it answers them with (DESIGN.md section 2).

InvokeModel bodies are checked like Bedrock's JSON-schema validator reports them ("#/temperature: 1.5 is
not less or equal to 1"); Converse requests get Bedrock's own sentences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bedrock_mistral.catalog import AUDIO_FORMATS, MAX_STOP_SEQUENCES, BodyFormat, ModelSpec, Range
from bedrock_mistral.local.service_errors import ServiceError, malformed, validation

DEFAULT_MAX_BODY_BYTES = 25_000_000
TOOL_STREAMING = "This model doesn't support tool use in streaming mode."
TOOLS_UNSUPPORTED = "This model doesn't support tool use."
SYSTEM_UNSUPPORTED = (
    "This model doesn't support system messages. Try again without a system message or use a model that "
    "supports system messages."
)
START_WITH_USER = "A conversation must start with a user message. Try again with a conversation that starts with a user message."
ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the conversation alternates "
    "between user and assistant roles and try again."
)
NAMED_TOOL_CHOICE = "This model doesn't support the toolConfig.toolChoice.tool field. Remove toolConfig.toolChoice.tool and try again."
TOOL_CONFIG_MISSING = "The toolConfig field must be defined when using toolUse and toolResult content blocks."
MIXED_TOOL_USE = (
    "This model doesn't support text and toolUse content blocks in the same assistant message. Send the "
    "toolUse blocks in a message without text and try again."
)
IMAGE_UNSUPPORTED = (
    "This model doesn't support the image content block that you provided. Try again with a supported "
    "content block."
)
AUDIO_UNSUPPORTED = (
    "This model doesn't support the audio content block that you provided. Try again with a supported "
    "content block."
)
OUTPUT_CONFIG_UNSUPPORTED = (
    "This model doesn't support the outputConfig field. Remove outputConfig and try again."
)
TOO_LONG = "Input is too long for requested model."
TOOL_RESULT_ALONE = (
    "This model doesn't support text and toolResult content blocks in the same user message. Send the "
    "toolResult blocks in a message without text and try again."
)
"""Not a recorded message: the emulator's wording, after MIXED_TOOL_USE, for DESIGN.md's "a toolResult stands
alone in its user turn"."""


def empty_content(index: int) -> str:
    return (
        f"The content field in the Message object at messages.{index} is empty. Add a ContentBlock object to the "
        "content field and try again."
    )


def body_too_large(size: int, limit: int) -> ServiceError:
    return validation(
        f"The request body is {size} bytes, above the {limit} bytes Bedrock accepts. Reduce the request size and try again."
    )


def java_type(value: Any) -> str:
    """The type name Bedrock's validator reports for a JSON value."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "BigDecimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    return "JSONObject"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and not isinstance(value, float) else repr(value)


def _bound(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


@dataclass(frozen=True)
class Field:
    """One body key: its JSON type and the constraints Bedrock checks."""

    kind: str
    """string, integer, number, array, object, enum"""
    range: Range | None = None
    max_items: int | None = None
    items: str | None = None
    enum: tuple[str, ...] = ()


def violations(
    body: Mapping[str, Any], fields: Mapping[str, Field], required: Sequence[str], at: str = "#"
) -> list[str]:
    """Schema violations in Bedrock's wording, in the order its validator lists them."""
    found: list[str] = []
    for key in required:
        if key not in body:
            found.append(f"{at}: required key [{key}] not found")
    for key, value in body.items():
        field = fields.get(key)
        if field is None:
            found.append(f"{at}: extraneous key [{key}] is not permitted")
            continue
        found.extend(_check(f"{at}/{key}", value, field))
    return found


_EXPECTED = {
    "string": "String",
    "integer": "Integer",
    "number": "Number",
    "array": "JSONArray",
    "object": "JSONObject",
    "enum": "String",
}
_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "enum": str,
    "integer": int,
    "number": (int, float),
    "array": list,
    "object": dict,
}


def _check(at: str, value: Any, field: Field) -> list[str]:
    ok = isinstance(value, _TYPES[field.kind]) and not isinstance(value, bool)  # JSON true is no number
    if field.kind == "integer" and isinstance(value, float) and value.is_integer():
        ok = True
    if not ok:
        return [f"{at}: expected type: {_EXPECTED[field.kind]}, found: {java_type(value)}"]
    if field.kind == "enum" and value not in field.enum:
        return [f"{at}: {value} is not a valid enum value"]
    if field.range is not None:
        if value < field.range.minimum:
            return [f"{at}: {_num(value)} is not greater or equal to {_bound(field.range.minimum)}"]
        if value > field.range.maximum:
            return [f"{at}: {_num(value)} is not less or equal to {_bound(field.range.maximum)}"]
    if field.kind == "array":
        if field.max_items is not None and len(value) > field.max_items:
            return [f"{at}: expected maximum item count: {field.max_items}, found: {len(value)}"]
        if field.items is not None:
            out: list[str] = []
            item_field = Field(field.items)
            for index, item in enumerate(value):
                out.extend(_check(f"{at}/{index}", item, item_field))
            return out
    return []


def _common_fields(spec: ModelSpec) -> dict[str, Field]:
    fields = {
        "max_tokens": Field("integer", spec.max_tokens),
        "temperature": Field("number", spec.temperature),
        "top_p": Field("number", spec.top_p),
    }
    if spec.top_k is not None:
        fields["top_k"] = Field("integer", spec.top_k)
    return fields


def text_fields(spec: ModelSpec) -> dict[str, Field]:
    return {
        "prompt": Field("string"),
        "stop": Field("array", max_items=MAX_STOP_SEQUENCES, items="string"),
        **_common_fields(spec),
    }


def chat_fields(spec: ModelSpec) -> dict[str, Field]:
    fields = {
        "messages": Field("array", items="object"),
        "tools": Field("array", items="object"),
        "tool_choice": Field("enum", enum=("auto", "any", "none")),
        "response_format": Field("object"),
        **_common_fields(spec),
    }
    fields.pop("top_k", None)
    return fields


MESSAGE_FIELDS = {
    "role": Field("enum", enum=("system", "user", "assistant", "tool")),
    "content": Field("string"),
    "tool_calls": Field("array", items="object"),
    "tool_call_id": Field("string"),
    "name": Field("string"),
    "prefix": Field("string"),
}


_LIST_CONTENT_MESSAGE_FIELDS = {**MESSAGE_FIELDS, "content": Field("array", items="object")}


_SCHEMAS: dict[tuple[str, str], tuple[ModelSpec, Mapping[str, Field]]] = {}


def _schema(kind: str, spec: ModelSpec) -> Mapping[str, Field]:
    """`text_fields` or `chat_fields`, built once per model: every InvokeModel request is checked against
    one. Keyed by model id (hashing a whole ModelSpec costs more than building the fields)."""
    cached = _SCHEMAS.get((kind, spec.model_id))
    if cached is None or cached[0] is not spec:
        cached = _SCHEMAS[kind, spec.model_id] = (spec, text_fields(spec) if kind == "text" else chat_fields(spec))
    return cached[1]


def check_text_body(body: Mapping[str, Any], spec: ModelSpec) -> None:
    found = violations(body, _schema("text", spec), ("prompt",))
    if found:
        raise malformed(*found)


def check_chat_body(body: Mapping[str, Any], spec: ModelSpec) -> None:
    found = violations(body, _schema("chat", spec), ("messages",))
    if not found:
        for index, message in enumerate(body["messages"]):
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            fields = _LIST_CONTENT_MESSAGE_FIELDS if isinstance(content, list) else MESSAGE_FIELDS
            checked = message
            if content is None and "content" in message:
                checked = {k: v for k, v in message.items() if k != "content"}
            found.extend(violations(checked, fields, ("role",), at=f"#/messages/{index}"))
        if not body["messages"]:
            found.append("#/messages: expected minimum item count: 1, found: 0")
    if found:
        raise malformed(*found)


# --- Converse -------------------------------------------------------------------------------------


def _fail(message: str) -> ServiceError:
    return validation(message)


def check_converse(body: Mapping[str, Any], spec: ModelSpec, *, streaming: bool) -> None:
    """Raise the ValidationException Bedrock answers this Converse(Stream) request with, if any."""
    if body.get("system") and not spec.supports_system_prompt("converse"):
        raise _fail(SYSTEM_UNSUPPORTED)
    tool_config = body.get("toolConfig")
    if tool_config:
        if not spec.supports_tools("converse"):
            raise _fail(TOOLS_UNSUPPORTED)
        if streaming and not spec.supports_tool_streaming("converse"):
            raise _fail(TOOL_STREAMING)
        if "tool" in (tool_config.get("toolChoice") or {}):
            raise _fail(NAMED_TOOL_CHOICE)
    extra = body.get("additionalModelRequestFields") or {}
    if isinstance(extra, dict):
        _check_additional_fields(extra, spec)
    _check_inference(body.get("inferenceConfig") or {}, spec)
    if body.get("outputConfig") and not spec.structured_output:
        raise _fail(OUTPUT_CONFIG_UNSUPPORTED)
    _check_messages(body.get("messages") or [], spec, has_tool_config=bool(tool_config))


def native_fields(spec: ModelSpec) -> dict[str, Field]:
    """The keys of the model's own InvokeModel body that Converse does not set itself: what
    `additionalModelRequestFields` may add. Converse-only models take the Mistral chat body's keys."""
    fields = (
        text_fields(spec)
        if spec.completion_body_format() == BodyFormat.TEXT_COMPLETION
        and (BodyFormat.CHAT_COMPLETION not in spec.invoke_formats)
        else chat_fields(spec)
    )
    for structural in ("prompt", "messages", "tools", "tool_choice"):
        fields.pop(structural, None)
    fields.pop("top_k", None)  # Bedrock rejects top_k here for every Mistral model (DESIGN.md section 2)
    return fields


def _check_additional_fields(extra: Mapping[str, Any], spec: ModelSpec) -> None:
    """Keys the native body does not take are rejected the way Bedrock rejects `top_k`; values are
    checked like the native body's."""
    found = violations(extra, native_fields(spec), ())
    if found:
        raise malformed(*found)


def _check_inference(config: Mapping[str, Any], spec: ModelSpec) -> None:
    max_tokens = config.get("maxTokens")
    if isinstance(max_tokens, int) and max_tokens > spec.max_tokens.maximum:
        limit = int(spec.max_tokens.maximum)
        raise _fail(
            f"The maximum tokens you requested exceeds the model limit of {limit}. Try again with a maximum "
            f"tokens value that is lower than {limit}."
        )
    for key, name, allowed in (
        ("temperature", "temperature", spec.temperature),
        ("topP", "top_p", spec.top_p),
    ):
        value = config.get(key)
        if isinstance(value, (int, float)) and not allowed.contains(value):
            raise malformed(*_check(f"#/{name}", value, Field("number", allowed)))
    stops = config.get("stopSequences") or []
    if len(stops) > MAX_STOP_SEQUENCES:
        raise malformed(f"#/stop: expected maximum item count: {MAX_STOP_SEQUENCES}, found: {len(stops)}")


def _check_messages(messages: Sequence[Mapping[str, Any]], spec: ModelSpec, *, has_tool_config: bool) -> None:
    if not messages:
        raise _fail(START_WITH_USER)
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise _fail(
                f"1 validation error detected: Value '{role}' at 'messages.{index + 1}.member.role' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [user, assistant]"
            )
    if messages[0].get("role") != "user":
        raise _fail(START_WITH_USER)
    for previous, current in zip(messages, messages[1:], strict=False):
        if previous.get("role") == current.get("role"):
            raise _fail(ALTERNATE)
    for index, message in enumerate(messages):
        blocks = message.get("content") or []
        if not blocks:
            raise _fail(empty_content(index))
        kinds = set()
        for position, block in enumerate(blocks):
            kinds.update(block.keys())
            if "text" in block and not str(block["text"]).strip():
                raise _fail(
                    f"The text field in the ContentBlock object at messages.{index}.content.{position} is blank. "
                    "Add text to the text field, and try again."
                )
            if "image" in block and not spec.vision:
                raise _fail(IMAGE_UNSUPPORTED)
            if "audio" in block:
                _check_audio(block["audio"], spec, f"messages.{index + 1}.member.content.{position + 1}.member")
            for result_block in (block.get("toolResult") or {}).get("content") or []:
                if "image" in result_block and not spec.vision:
                    raise _fail(IMAGE_UNSUPPORTED)
        if ("toolUse" in kinds or "toolResult" in kinds) and not has_tool_config:
            raise _fail(TOOL_CONFIG_MISSING)
        if message.get("role") == "assistant" and "toolUse" in kinds and "text" in kinds:
            raise _fail(MIXED_TOOL_USE)
        if message.get("role") == "user" and "toolResult" in kinds and "text" in kinds:
            raise _fail(TOOL_RESULT_ALONE)


def _check_audio(audio: Any, spec: ModelSpec, at: str) -> None:
    if not spec.audio:
        raise _fail(AUDIO_UNSUPPORTED)
    fmt = audio.get("format") if isinstance(audio, dict) else None
    if fmt not in AUDIO_FORMATS:
        raise _fail(
            f"1 validation error detected: Value '{fmt}' at '{at}.audio.format' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(AUDIO_FORMATS)}]"
        )
    source = audio.get("source") if isinstance(audio, dict) else None
    if not isinstance(source, dict) or not source.get("bytes"):
        raise _fail(
            f"1 validation error detected: Value at '{at}.audio.source.bytes' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )


def check_context(input_tokens: int, spec: ModelSpec) -> None:
    if input_tokens > spec.context_window:
        raise _fail(TOO_LONG)
