"""One options object: both adapters accept every argument README's Configuration table documents, map it
onto `BedrockOptions`, and refuse the same bad values the same way."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from bedrock_mistral.client import BedrockClient
from bedrock_mistral.errors import ConfigurationError
from bedrock_mistral.options import BedrockOptions

README = Path(__file__).resolve().parents[2] / "README.md"
MODEL = "mistral.mistral-large-2407-v1:0"


def documented_arguments() -> tuple[set[str], set[str]]:
    """(LangChain names, LlamaIndex names) from the first column of README's Configuration table."""
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    langchain: set[str] = set()
    llama_index: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        for part in cell.split(","):
            names = re.findall(r"`([a-z_]+)`", part)
            if " / " in part and len(names) == 2:  # "`langchain_name` / `llama_index_name`"
                langchain.add(names[0])
                llama_index.add(names[1])
            else:
                langchain.update(names)
                llama_index.update(names)
    return langchain, llama_index


VALUES: dict[str, Any] = {
    "model": MODEL,
    "model_id": MODEL,
    "api": "converse",
    "region_name": "us-west-2",
    "credentials_profile_name": None,
    "profile_name": None,
    "aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "not-a-real-secret",
    "aws_session_token": "token",
    "client": None,
    "config": Config(max_pool_connections=5),
    "botocore_config": Config(max_pool_connections=5),
    "endpoint_url": "http://127.0.0.1:1",
    "max_retries": 1,
    "timeout": 7,
    "deadline": 30,
    "guardrail_identifier": "gr-1",
    "guardrail_version": "1",
    "guardrail_trace": "enabled",
    "additional_model_request_fields": {"safe_prompt": True},
    "temperature": 0.2,
    "max_tokens": 50,
    "top_p": 0.9,
    "top_k": None,  # Converse takes no top_k: documented, accepted as None
    "stop": ["END"],
    "api_key": "ABSKexample-api-key-0000",
    "service_tier": "flex",
    "request_metadata": {"team": "search"},
    "performance_config": {"latency": "standard"},
}


def _arguments(names: set[str]) -> dict[str, Any]:
    missing = names - set(VALUES)
    assert not missing, f"README documents {sorted(missing)}: give the test a value for each"
    arguments = {name: VALUES[name] for name in names}
    arguments.pop("model_id")  # an alias of model: one of the two
    return arguments


def _check_transport(transport: BedrockClient) -> None:
    options = transport.options
    assert options.region_name == "us-west-2" and options.endpoint_url == "http://127.0.0.1:1"
    assert options.connect_timeout == 7 and options.read_timeout == 7 and options.deadline == 30
    assert options.max_retries == 1 and options.aws_access_key_id == "AKIDEXAMPLE"
    assert transport.guardrail is not None and transport.guardrail.trace == "enabled"
    assert options.additional_model_request_fields == {"safe_prompt": True}
    assert options.config is not None and options.config.max_pool_connections == 5
    assert transport.params.temperature == 0.2 and transport.params.stop == ("END",)
    assert options.service.tier == "flex" and options.service.metadata == {"team": "search"}
    assert options.service.latency == "standard" and options.api_key == "ABSKexample-api-key-0000"


def test_langchain_takes_every_documented_argument() -> None:
    from langchain_bedrock_mistral import BedrockMistralLLM, ChatBedrockMistral

    names, _ = documented_arguments()
    assert {"credentials_profile_name", "config", "timeout", "guardrail_trace"} <= names
    for cls in (ChatBedrockMistral, BedrockMistralLLM):
        _check_transport(cls(**_arguments(names)).transport)


def test_llama_index_takes_every_documented_argument() -> None:
    from llama_index_bedrock_mistral import BedrockMistral

    _, names = documented_arguments()
    assert {"profile_name", "botocore_config", "timeout", "guardrail_trace"} <= names
    _check_transport(BedrockMistral(**_arguments(names)).transport)


def _langchain(**kwargs: Any) -> Any:
    from langchain_bedrock_mistral import ChatBedrockMistral

    return ChatBedrockMistral(model=MODEL, region_name="us-west-2", **kwargs)


def _llama_index(**kwargs: Any) -> Any:
    from llama_index_bedrock_mistral import BedrockMistral

    return BedrockMistral(model=MODEL, region_name="us-west-2", **kwargs)


@pytest.mark.parametrize("build", [_langchain, _llama_index, lambda **kw: BedrockClient(MODEL, **kw)])
def test_a_lone_guardrail_trace_is_refused_everywhere(build: Any) -> None:
    with pytest.raises(ConfigurationError, match="guardrail_trace was given without guardrail_identifier"):
        build(guardrail_trace="enabled")


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("max_retries", True, "integer >= 0"),
        ("deadline", float("inf"), "finite number of seconds"),
        ("read_timeout", "5", "finite number of seconds"),
        ("guardrail_trace", "loud", "one of 'enabled'"),
        ("additional_model_request_fields", ["x"], "a dict"),
        ("check_context_window", 1, "True or False"),
    ],
)
def test_options_are_checked_not_coerced(name: str, value: Any, allowed: str) -> None:
    extra = {"guardrail_identifier": "gr", "guardrail_version": "1"} if name == "guardrail_trace" else {}
    with pytest.raises(ConfigurationError, match=rf"{name} must be .*{allowed}"):
        BedrockOptions(**{name: value}, **extra)


def test_secrets_stay_out_of_reprs_and_errors() -> None:
    options = BedrockOptions(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="s3cr3t-value", api_key="k3y")
    assert "s3cr3t" not in repr(options) and "k3y" not in repr(options)
    with pytest.raises(ConfigurationError) as caught:
        BedrockOptions(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key=12345)
    assert "12345" not in str(caught.value)


def test_the_client_takes_an_options_object_and_keyword_conveniences() -> None:
    options = BedrockOptions(region_name="us-west-2", max_retries=0, deadline=5)
    client = BedrockClient(MODEL, options, read_timeout=3)
    assert client.options == options.replace(read_timeout=3)
    assert client.retry.max_retries == 0 and client.deadline == 5 and client.settings.read_timeout == 3
    with pytest.raises(ConfigurationError, match="unknown option"):
        BedrockClient(MODEL, retries=2)


def test_every_option_has_a_description() -> None:
    assert all(BedrockOptions.doc(name) for name in BedrockOptions.names())
