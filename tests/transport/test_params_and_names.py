"""The client's import paths, and the one operation that lays per-call parameters over configured ones."""

from __future__ import annotations

import pytest

from bedrock_mistral.types import InferenceParams


def test_bedrock_client_is_one_class_under_every_import_path() -> None:
    from bedrock_mistral import BedrockClient as from_package
    from bedrock_mistral.client import BedrockClient
    from bedrock_mistral.transport import BedrockClient as from_transport

    assert from_package is BedrockClient and from_transport is BedrockClient


CONFIGURED = InferenceParams(max_tokens=100, temperature=0.5, top_p=0.9, top_k=None, stop=("END",))


def test_call_params_override_only_what_they_set() -> None:
    call = InferenceParams(temperature=0.1, top_k=20)
    assert CONFIGURED.overridden_by(call) == InferenceParams(100, 0.1, 0.9, 20, ("END",))


def test_empty_call_params_keep_the_configured_ones() -> None:
    assert CONFIGURED.overridden_by(InferenceParams()) is CONFIGURED
    assert CONFIGURED.overridden_by({"temperature": None, "unrelated": 1}) is CONFIGURED


@pytest.mark.parametrize(
    ("stop", "expected"), [("###", ("###",)), (["a", "b"], ("a", "b")), (("x",), ("x",))]
)
def test_keyword_overrides_take_stop_as_a_string_or_a_sequence(stop: object, expected: tuple[str, ...]) -> None:
    params = CONFIGURED.overridden_by({"stop": stop, "max_tokens": 7})
    assert params.stop == expected and params.max_tokens == 7 and params.temperature == 0.5
