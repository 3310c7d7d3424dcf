"""Rules both adapters share live once in `bedrock_mistral`; the adapters hold no Bedrock wire knowledge.

Each adapter's own function is checked against the core function it must call, over every spelling, so
a copy that drifts (one adapter accepting what the other refuses) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from bedrock_mistral import media
from bedrock_mistral.catalog import MEDIA_APIS, MODELS
from bedrock_mistral.errors import InvalidRequestError, UnsupportedFeatureError
from bedrock_mistral.response_formats import parse_response_format
from bedrock_mistral.tool_call_forms import tool_call_from_mapping, tool_result_id
from bedrock_mistral.tool_choice import parse_tool_choice
from bedrock_mistral.types import (
    AudioPart,
    ChatRequest,
    DocumentPart,
    ImagePart,
    Message,
    ResponseFormat,
    TextPart,
)
from bedrock_mistral.validation import validate_chat_request
from langchain_bedrock_mistral import tools as lc_tools
from llama_index_bedrock_mistral import messages as li_messages
from llama_index_bedrock_mistral import tools as li_tools

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = ("langchain_bedrock_mistral", "llama_index_bedrock_mistral")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

CHOICES: list[tuple[Any, Any]] = [
    (None, None),
    (False, None),
    (True, "any"),
    ("auto", "auto"),
    ("any", "any"),
    ("required", "any"),
    ("none", "none"),
    ("get_weather", "get_weather"),
    ({"type": "function", "function": {"name": "get_weather"}}, "get_weather"),  # OpenAI
    ({"type": "tool", "name": "get_weather"}, "get_weather"),  # Anthropic
    ({"tool": {"name": "get_weather"}}, "get_weather"),  # Converse
    ({"any": {}}, "any"),  # Converse
    ({"auto": {}}, "auto"),  # Converse
    ({"type": "required"}, "any"),
]


@pytest.mark.parametrize(("given", "expected"), CHOICES)
def test_tool_choice_spellings_are_read_once_for_both_adapters(given: Any, expected: Any) -> None:
    assert parse_tool_choice(given) == expected
    assert lc_tools.tool_choice(given) == expected
    assert li_tools.tool_choice(given) == expected


@pytest.mark.parametrize("given", [3, 2.5, {"weird": 1}, ["auto"]])
def test_bad_tool_choices_are_refused_alike(given: Any) -> None:
    for parse in (parse_tool_choice, lc_tools.tool_choice, li_tools.tool_choice):
        with pytest.raises(InvalidRequestError, match="tool_choice"):
            parse(given)


def test_tool_required_forces_a_call_unless_a_tool_or_none_is_named() -> None:
    assert parse_tool_choice(None, required=True) == "any"
    assert parse_tool_choice("auto", required=True) == "any"
    assert parse_tool_choice("none", required=True) == "none"
    assert li_tools.tool_choice("get_weather", tool_required=True) == "get_weather"


class City(BaseModel):
    """A city."""

    name: str


SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}}
FORMATS: list[tuple[Any, ResponseFormat | None]] = [
    (None, None),
    (True, ResponseFormat()),
    ({"type": "json_object"}, ResponseFormat()),
    (
        {"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA, "description": "d"}},
        ResponseFormat(SCHEMA, "city", "d"),
    ),
    (SCHEMA, ResponseFormat(SCHEMA)),
    (ResponseFormat(SCHEMA, "x"), ResponseFormat(SCHEMA, "x")),
]


@pytest.mark.parametrize(("given", "expected"), FORMATS)
def test_response_format_spellings_are_read_once_for_both_adapters(given: Any, expected: Any) -> None:
    assert parse_response_format(given) == expected
    assert lc_tools.response_format(given) == expected
    assert li_messages.response_format(given) == expected


def test_a_pydantic_class_is_a_schema_named_for_it_in_both_adapters() -> None:
    for parse in (lc_tools.response_format, li_messages.response_format):
        fmt = parse(City)
        assert fmt is not None and (fmt.name, fmt.description) == ("City", "A city.")
        assert fmt.schema is not None and fmt.schema["properties"]["name"]["type"] == "string"


@pytest.mark.parametrize("given", [{"kind": "list"}, "json", 3])
def test_bad_response_formats_are_refused_alike(given: Any) -> None:
    for parse in (parse_response_format, lc_tools.response_format, li_messages.response_format):
        with pytest.raises(InvalidRequestError, match="response_format"):
            parse(given)


WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"


@pytest.mark.parametrize(
    ("mime", "data", "expected"),
    [
        ("image/png", b"", "png"),
        ("image/jpg", b"", "jpeg"),
        ("image/webp; q=1", b"", "webp"),
        (None, PNG, "png"),
        (None, b"\xff\xd8\xff", "jpeg"),
        (None, b"GIF89a", "gif"),
        (None, b"RIFF\x00\x00\x00\x00WEBP", "webp"),
    ],
)
def test_image_formats(mime: str | None, data: bytes, expected: str) -> None:
    assert media.image_format(mime, data) == expected


@pytest.mark.parametrize(
    ("mime", "data", "expected"),
    [
        ("audio/mpeg", b"", "mp3"),
        ("audio/x-wav", b"", "wav"),
        ("wav", b"", "wav"),
        ("audio/x-flac", b"", "flac"),
        (None, WAV, "wav"),
        (None, b"fLaC", "flac"),
        (None, b"OggS", "ogg"),
        (None, b"ID3\x04", "mp3"),
    ],
)
def test_audio_formats(mime: str | None, data: bytes, expected: str) -> None:
    assert media.audio_format(mime, data) == expected


def test_unrecognised_bytes_without_a_type_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="not png, jpeg, gif or webp"):
        media.image_format(None, b"????")
    with pytest.raises(InvalidRequestError, match="not wav, flac, ogg or mp3"):
        media.audio_format(None, b"????")


@pytest.mark.parametrize(
    ("mime", "expected"),
    [
        ("application/pdf", "pdf"),
        ("text/plain", "txt"),
        ("text/markdown", "md"),
        ("text/csv", "csv"),
        ("text/html", "html"),
        ("application/msword", "doc"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
        ("application/vnd.ms-excel", "xls"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        (None, "fallback"),
    ],
)
def test_document_formats(mime: str | None, expected: str) -> None:
    assert media.document_format(mime, "fallback") == expected


def test_document_names_carry_no_extension() -> None:
    assert media.document_name("report.pdf") == "report"
    assert media.document_name(None) == "document"
    assert media.document(b"x", "text/plain", "notes.txt") == DocumentPart(b"x", "txt", "notes")


@pytest.mark.parametrize("kind", ["image", "document", "audio"])
def test_media_go_on_converse_only_for_every_model(kind: Any) -> None:
    assert MEDIA_APIS[kind] == ("converse",)
    for spec in MODELS:
        assert not spec.takes(kind, "invoke")
        assert spec.takes(kind, "converse") == spec.accepts(kind)


PARTS = {"image": ImagePart(PNG, "png"), "document": DocumentPart(b"x", "txt", "d"), "audio": AudioPart(WAV, "wav")}


@pytest.mark.parametrize("kind", ["image", "document", "audio"])
def test_media_on_invoke_are_refused_by_one_rule(kind: str) -> None:
    """One check (`validate_media`, from `catalog.MEDIA_APIS`) for every kind; a model that does not take
    the kind is told so first, naming the models that do."""
    spec = next(m for m in MODELS if m.accepts(kind))  # type: ignore[arg-type]
    request = ChatRequest((Message("user", [TextPart("?"), PARTS[kind]]),))
    with pytest.raises(UnsupportedFeatureError, match="are sent with api='converse' only"):
        validate_chat_request(spec, "invoke", request)
    refusing = next(m for m in MODELS if not m.accepts(kind)) if kind != "document" else None  # type: ignore[arg-type]
    if refusing is not None:
        with pytest.raises(UnsupportedFeatureError, match=f"does not accept {kind}.*models that do"):
            validate_chat_request(refusing, "converse", request)


def test_tool_calls_in_other_providers_shapes() -> None:
    openai = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
    converse = {"toolUseId": "c2", "name": "add", "input": {"a": 2}}
    flat = {"id": "c3", "name": "add", "input": {"a": 3}}
    calls = [tool_call_from_mapping(raw) for raw in (openai, converse, flat)]
    assert [(c.id, c.name, c.arguments) for c in calls if c] == [
        ("c1", "add", {"a": 1}),
        ("c2", "add", {"a": 2}),
        ("c3", "add", {"a": 3}),
    ]
    assert tool_call_from_mapping({"id": "x"}) is None
    assert [tool_result_id(f) for f in ({"tool_call_id": "a"}, {"tool_use_id": "b"}, {"toolUseId": "c"}, {})] == [
        "a",
        "b",
        "c",
        None,
    ]


WIRE_WORDS = re.compile(
    r"toolUseId|toolUse\b|toolResult|toolSpec|toolConfig|toolChoice|inputSchema|additionalModelRequestFields|"
    r"guardrailConfig|inferenceConfig|outputConfig|stopReason|contentBlock|messageStop|reasoningContent|"
    r"BodyFormat|bedrock_mistral\.codecs|from bedrock_mistral import codecs|import botocore|from botocore|"
    r"[{,]\s*[\"']tool[\"']\s*:|[\"']any[\"']\s*:|[\"']auto[\"']\s*:|[\"']prompt[\"']\s*:|"
    r"[\"']outputs[\"']|[\"']stop_reason[\"']\s*:\s*[\"']"
)


@pytest.mark.parametrize("package", ADAPTERS)
def test_adapters_hold_no_wire_keys_body_formats_or_codec_imports(package: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WIRE_WORDS.search(line)
    ]
    assert found == []


def test_native_bodies_spell_sampling_alike() -> None:
    """One rule for Mistral's two InvokeModel bodies: the chat body carries no stop and no top_k."""
    from bedrock_mistral.codecs.native_params import native_params
    from bedrock_mistral.types import InferenceParams

    params = InferenceParams(max_tokens=5, temperature=0.1, top_p=0.9, top_k=7, stop=("##",))
    assert native_params(params, text_completion=True) == {
        "max_tokens": 5,
        "stop": ["##"],
        "temperature": 0.1,
        "top_p": 0.9,
        "top_k": 7,
    }
    assert native_params(params, text_completion=False) == {"max_tokens": 5, "temperature": 0.1, "top_p": 0.9}


def test_copies_share_what_cannot_be_copied() -> None:
    import copy

    from bedrock_mistral.options import share_in_copies

    unique, other = object(), [1]
    memo = share_in_copies(None, unique, None)
    assert copy.deepcopy({"a": unique, "b": other}, memo)["a"] is unique
