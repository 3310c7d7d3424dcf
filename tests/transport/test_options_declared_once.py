"""Each option is declared once, in `BedrockOptions`: the connection settings add no field of their own, and
the LlamaIndex class names each option once (a field forwarded by name), not again in its constructor."""

from __future__ import annotations

import inspect
from dataclasses import fields
from typing import Any

import pytest

from bedrock_mistral.errors import ConfigurationError
from bedrock_mistral.options import BedrockOptions
from bedrock_mistral.transport.clients import ClientSettings
from llama_index_bedrock_mistral import BedrockMistral

MODEL = "mistral.mistral-large-2407-v1:0"
ENDPOINT = "http://127.0.0.1:1"


def test_client_settings_declare_no_option_of_their_own() -> None:
    assert [f.name for f in fields(ClientSettings)] == [f.name for f in fields(BedrockOptions)]
    options = BedrockOptions(region_name="eu-west-1", max_pool_connections=7)
    settings = ClientSettings.from_options(options)
    assert (settings.region_name, settings.botocore_config().max_pool_connections) == ("eu-west-1", 7)
    assert ClientSettings.from_options(settings) is settings


def test_connection_rules_are_the_options_rules() -> None:
    """What the settings used to check on their own is checked once, by the options, for every caller."""
    with pytest.raises(ConfigurationError, match="non-empty string"):
        BedrockOptions(api_key="  ")
    with pytest.raises(ConfigurationError, match="cannot be combined"):
        ClientSettings(api_key="k", boto3_session=_Session())
    with pytest.raises(ConfigurationError, match="max_pool_connections must be an integer >= 1"):
        ClientSettings(max_pool_connections=0)


class _Session:
    def client(self) -> None:  # enough to pass as a boto3 Session
        return None


def test_the_llama_index_constructor_names_no_option() -> None:
    """Options are fields, forwarded by name: the constructor's own parameters are only the model."""
    parameters = list(inspect.signature(BedrockMistral.__init__).parameters)
    assert parameters == ["self", "model", "model_id", "kwargs"]


SHARED = sorted(BedrockOptions.names() & set(BedrockMistral.model_fields))


@pytest.mark.parametrize("name", SHARED)
def test_llama_index_fields_take_default_and_description_from_the_options(name: str) -> None:
    field = BedrockMistral.model_fields[name]
    assert field.default == BedrockOptions.default(name)
    if name != "client":
        assert field.description == BedrockOptions.doc(name)


NON_DEFAULT: dict[str, Any] = {
    "region_name": "eu-west-3",
    "endpoint_url": ENDPOINT,
    "profile_name": None,
    "deadline": 12.5,
    "max_retries": 1,
    "rate_limit": "off",
    "requests_per_second": 3.0,
    "additional_model_request_fields": {"x": 1},
}


FORWARDED = sorted(set(SHARED) - {"client", "guardrail_identifier", "guardrail_version", "guardrail_trace"})


@pytest.mark.parametrize("name", FORWARDED)
def test_every_option_field_reaches_the_options_by_name(name: str) -> None:
    value = NON_DEFAULT[name]
    given: dict[str, Any] = {"endpoint_url": ENDPOINT, "region_name": "us-east-1", name: value}
    llm = BedrockMistral(MODEL, **given)
    assert getattr(llm.transport.options, name) == value
    assert getattr(llm, name) == value
