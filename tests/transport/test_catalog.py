"""The model table against DESIGN.md section 2 and the seed documents' parameter tables."""

from __future__ import annotations

import pytest

from bedrock_mistral import catalog
from bedrock_mistral.catalog import BodyFormat
from bedrock_mistral.errors import UnknownModelError

DESIGN_IDS = [
    "mistral.mistral-7b-instruct-v0:2",
    "mistral.mixtral-8x7b-instruct-v0:1",
    "mistral.mistral-small-2402-v1:0",
    "mistral.mistral-large-2402-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "mistral.pixtral-large-2502-v1:0",
    "mistral.mistral-large-3-675b-instruct",
    "mistral.ministral-3-3b-instruct",
    "mistral.ministral-3-8b-instruct",
    "mistral.ministral-3-14b-instruct",
    "mistral.magistral-small-2509",
    "mistral.devstral-2-123b",
    "mistral.voxtral-mini-3b-2507",
    "mistral.voxtral-small-24b-2507",
]


def test_every_design_model_is_in_the_catalog() -> None:
    assert sorted(catalog.BY_ID) == sorted(DESIGN_IDS)


@pytest.mark.parametrize(
    "model_id, default_api, formats, tools, system_converse",
    [
        ("mistral.mistral-7b-instruct-v0:2", "invoke", (BodyFormat.TEXT_COMPLETION,), False, False),
        ("mistral.mixtral-8x7b-instruct-v0:1", "invoke", (BodyFormat.TEXT_COMPLETION,), False, False),
        ("mistral.mistral-small-2402-v1:0", "invoke", (BodyFormat.TEXT_COMPLETION,), True, True),
        (
            "mistral.mistral-large-2402-v1:0",
            "invoke",
            (BodyFormat.TEXT_COMPLETION, BodyFormat.CHAT_COMPLETION),
            True,
            True,
        ),
        ("mistral.mistral-large-2407-v1:0", "invoke", (BodyFormat.CHAT_COMPLETION,), True, True),
        ("mistral.pixtral-large-2502-v1:0", "converse", (), True, True),
    ],
)
def test_design_table(
    model_id: str, default_api: str, formats: tuple, tools: bool, system_converse: bool
) -> None:
    spec = catalog.resolve(model_id)
    assert spec.default_api == default_api
    assert spec.invoke_formats == formats
    assert spec.tools == tools
    assert spec.system_prompt_converse == system_converse
    assert not spec.tool_streaming_converse  # Bedrock: no tool use over ConverseStream for Mistral


def test_small_2402_tools_are_converse_only() -> None:
    spec = catalog.resolve("mistral.mistral-small-2402-v1:0")
    assert spec.supports_tools("converse") and not spec.supports_tools("invoke")


@pytest.mark.parametrize(
    "model_id, max_tokens_default, max_tokens_max, temperature, top_p, top_k",
    [
        ("mistral.mistral-7b-instruct-v0:2", 512, 8192, 0.5, 0.9, 50),
        ("mistral.mixtral-8x7b-instruct-v0:1", 512, 4096, 0.5, 0.9, 50),
        ("mistral.mistral-large-2402-v1:0", 8192, 8192, 0.7, 1.0, None),
        ("mistral.mistral-small-2402-v1:0", 8192, 8192, 0.7, 1.0, None),
    ],
)
def test_seed_parameter_tables(
    model_id: str,
    max_tokens_default: int,
    max_tokens_max: int,
    temperature: float,
    top_p: float,
    top_k: int | None,
) -> None:
    spec = catalog.resolve(model_id)
    assert (spec.max_tokens.default, spec.max_tokens.minimum, spec.max_tokens.maximum) == (
        max_tokens_default,
        1,
        max_tokens_max,
    )
    assert spec.temperature.default == temperature and (
        spec.temperature.minimum,
        spec.temperature.maximum,
    ) == (0, 1)
    assert spec.top_p.default == top_p
    assert spec.top_k is not None and spec.top_k.default == top_k
    assert (spec.top_k.minimum, spec.top_k.maximum) == (1, 200)


def test_large_2_has_a_128k_window() -> None:
    assert catalog.resolve("mistral.mistral-large-2407-v1:0").context_window == 131_072
    assert catalog.resolve("mistral.mistral-7b-instruct-v0:2").context_window == 32_768


@pytest.mark.parametrize("prefix", ["us.", "eu.", "apac.", "global."])
def test_region_prefixes(prefix: str) -> None:
    assert (
        catalog.resolve(prefix + "mistral.mistral-large-2407-v1:0").model_id
        == "mistral.mistral-large-2407-v1:0"
    )


def test_url_encoded_and_arn_ids() -> None:
    assert (
        catalog.find("mistral.mistral-7b-instruct-v0%3A2")
        is catalog.BY_ID["mistral.mistral-7b-instruct-v0:2"]
    )
    arn = "arn:aws:bedrock:eu-west-3:111122223333:inference-profile/eu.mistral.pixtral-large-2502-v1:0"
    assert catalog.find(arn) is catalog.BY_ID["mistral.pixtral-large-2502-v1:0"]


def test_application_profile_arn_needs_api() -> None:
    arn = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123xyz"
    with pytest.raises(UnknownModelError):
        catalog.resolve(arn)
    assert catalog.resolve(arn, "converse").known is False


def test_api_not_supported_by_model() -> None:
    with pytest.raises(UnknownModelError, match="does not support api='invoke'"):
        catalog.resolve("mistral.pixtral-large-2502-v1:0", "invoke")
