"""Bedrock API keys (bearer auth by botocore) and the service settings (tier, request metadata, latency) through
BedrockClient against the emulator: on the wire for both APIs, the tier back in the response, bad values and
bad keys refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_mistral.client import BedrockClient
from bedrock_mistral.errors import AccessDeniedError, ConfigurationError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.app import redacted
from bedrock_mistral.service_options import service_options
from bedrock_mistral.types import ChatRequest, CompletionRequest, Message, ServiceOptions

LARGE_2 = "mistral.mistral-large-2407-v1:0"
SEVEN_B = "mistral.mistral-7b-instruct-v0:2"
KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleS0wMDAx"
BEARER = "Bearer " + redacted(KEY)
"""How the emulator\'s request log shows the key: fingerprinted, never in clear."""
HI = ChatRequest((Message("user", "What is 6 x 7?"),))
SERVICE = ServiceOptions(tier="flex", metadata={"team": "search", "cost-center": "42"}, latency="standard")


@pytest.fixture
def keyed() -> Iterator[LocalBedrock]:
    """An emulator in strict mode that knows one API key."""
    with LocalBedrock(auth="strict", api_keys=[KEY]) as bedrock:
        yield bedrock


def _client(bedrock: LocalBedrock, model: str = LARGE_2, **extra: Any) -> BedrockClient:
    """A client for the emulator: its SigV4 keys, unless an API key is given."""
    if "api_key" in extra:
        where = {"endpoint_url": bedrock.endpoint_url, "region_name": bedrock.region_name}
    else:
        where = bedrock.client_kwargs()
    return BedrockClient(model, max_retries=0, **where, **extra)


# --- API keys ----------------------------------------------------------------------------------------


def test_api_key_is_sent_as_a_bearer_token_and_accepted(keyed: LocalBedrock, hermetic_aws_env: None) -> None:
    client = _client(keyed, api_key=KEY)
    assert client.chat(HI).text == "6 x 7 = 42."
    (request,) = keyed.requests
    assert request.headers["authorization"] == BEARER
    assert "x-amz-date" not in request.headers  # no SigV4 signature alongside

    async def run() -> str:
        text = (await client.achat(HI)).text
        await client.aclose()
        return text

    assert asyncio.run(run()) == "6 x 7 = 42."
    assert keyed.requests[-1].headers["authorization"] == BEARER


def test_a_wrong_api_key_is_rejected_as_bedrock_does(keyed: LocalBedrock, hermetic_aws_env: None) -> None:
    wrong = KEY[:-4] + "9999"
    with pytest.raises(AccessDeniedError) as info:
        _client(keyed, api_key=wrong).chat(HI)
    assert info.value.status_code == 403
    assert "Authentication failed: Please make sure your API Key is valid." in str(info.value)
    assert wrong not in str(info.value)


def test_the_environment_variable_is_used_by_botocore(
    keyed: LocalBedrock, hermetic_aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", KEY)
    client = BedrockClient(LARGE_2, endpoint_url=keyed.endpoint_url, region_name="us-east-1", max_retries=0)
    assert client.chat(HI).text
    assert keyed.requests[-1].headers["authorization"] == BEARER


def test_the_api_key_is_not_in_reprs(hermetic_aws_env: None) -> None:
    client = BedrockClient(LARGE_2, region_name="us-east-1", api_key=KEY)
    assert KEY not in repr(client) and KEY not in repr(client.settings)


@pytest.mark.parametrize("bad", ["", "   ", 42])
def test_a_malformed_api_key_is_refused(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="api_key"):
        BedrockClient(LARGE_2, region_name="us-east-1", api_key=bad)


# --- service tier, request metadata, performance configuration -----------------------------------------


def test_service_settings_on_the_converse_wire_and_the_tier_back(local_bedrock: LocalBedrock) -> None:
    client = _client(local_bedrock, api="converse")
    answer = client.chat(ChatRequest(HI.messages, service=SERVICE))
    body = local_bedrock.requests[-1].body
    assert body["serviceTier"] == {"type": "flex"}
    assert body["requestMetadata"] == {"team": "search", "cost-center": "42"}
    assert body["performanceConfig"] == {"latency": "standard"}
    assert answer.service_tier == "flex"
    streamed = list(client.stream_chat(ChatRequest(HI.messages, service=SERVICE)))
    assert [d.service_tier for d in streamed if d.service_tier] == ["flex"]


@pytest.mark.parametrize("model", [LARGE_2, SEVEN_B])
def test_service_settings_as_invoke_model_headers_and_the_tier_back(local_bedrock: LocalBedrock, model: str) -> None:
    client = _client(local_bedrock, model, service=SERVICE)
    answer = client.complete(CompletionRequest("What is 6 x 7?"))
    headers = local_bedrock.requests[-1].headers
    assert local_bedrock.requests[-1].operation == "InvokeModel"
    assert headers["x-amzn-bedrock-service-tier"] == "flex"
    assert json.loads(headers["x-amzn-bedrock-request-metadata"]) == {"team": "search", "cost-center": "42"}
    assert headers["x-amzn-bedrock-performanceconfig-latency"] == "standard"
    assert answer.service_tier == "flex"
    streamed = list(client.stream_complete(CompletionRequest("What is 6 x 7?")))
    assert local_bedrock.requests[-1].operation == "InvokeModelWithResponseStream"
    assert [d.service_tier for d in streamed if d.service_tier] == ["flex"]


def test_per_call_settings_win_over_the_clients(local_bedrock: LocalBedrock) -> None:
    client = _client(local_bedrock, api="converse", service=SERVICE)
    client.chat(ChatRequest(HI.messages, service=ServiceOptions(tier="priority")))
    body = local_bedrock.requests[-1].body
    assert body["serviceTier"] == {"type": "priority"} and body["requestMetadata"]["team"] == "search"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_tier": "gold"}, "priority, default, flex, reserved"),
        ({"service_tier": {"type": "premium"}}, "not a Bedrock service tier"),
        ({"performance_config": {"latency": "fast"}}, "standard, optimized"),
        ({"performance_config": {"speed": "optimized"}}, "only 'latency'"),
        ({"request_metadata": {}}, "1 to 16"),
        ({"request_metadata": {f"k{i}": "v" for i in range(17)}}, "1 to 16"),
        ({"request_metadata": {"bad key!": "v"}}, "key 'bad key!'"),
        ({"request_metadata": {"k": "x" * 257}}, "0 to 256"),
        ({"request_metadata": {"k": 3}}, "request_metadata['k']=3"),
        ({"request_metadata": ["team"]}, "dict of strings"),
    ],
)
def test_bad_service_settings_are_refused_before_any_request(
    local_bedrock: LocalBedrock, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        options = service_options(**kwargs)
        _client(local_bedrock, api="converse").chat(
            ChatRequest(HI.messages, service=options)
        )
    assert message in str(info.value)
    assert local_bedrock.requests == []


def test_a_hand_made_bad_setting_is_refused_at_construction_and_per_call(local_bedrock: LocalBedrock) -> None:
    with pytest.raises(ConfigurationError, match="service_tier='gold'"):
        _client(local_bedrock, service=ServiceOptions(tier="gold"))
    client = _client(local_bedrock)
    with pytest.raises(ConfigurationError, match="standard, optimized"):
        client.chat(ChatRequest(HI.messages, service=ServiceOptions(latency="turbo")))
    assert local_bedrock.requests == []


def test_the_emulator_rejects_bad_settings_from_raw_boto3(local_bedrock: LocalBedrock) -> None:
    """boto3 itself checks no enum: the emulator answers as Bedrock's validation does."""
    from botocore.exceptions import ClientError

    runtime = local_bedrock.client()
    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=LARGE_2, messages=messages, serviceTier={"type": "gold"})
    assert "Value 'gold' at 'serviceTier.type' failed to satisfy constraint" in str(info.value)
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=LARGE_2, messages=messages, requestMetadata={f"k{i}": "v" for i in range(17)})
    assert "Member must have length less than or equal to 16" in str(info.value)
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=LARGE_2, body=json.dumps({"messages": messages}), serviceTier="gold")
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_the_cli_takes_an_api_key(keyed: LocalBedrock, hermetic_aws_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    from bedrock_mistral.cli import main

    url = keyed.endpoint_url.replace("127.0.0.1", "localhost")
    assert main(["invoke", LARGE_2, "What is 6 x 7?", "--endpoint-url", url, "--api-key", KEY]) == 0
    assert "6 x 7 = 42." in capsys.readouterr().out
    assert keyed.requests[-1].headers["authorization"] == BEARER
    assert main(["invoke", LARGE_2, "hi", "--endpoint-url", url, "--api-key", "ABSKwrong", "--max-retries", "0"]) == 2
    err = capsys.readouterr().err
    assert "API Key is valid" in err and "ABSKwrong" not in err


def test_a_client_holding_an_api_key_refuses_to_be_pickled(hermetic_aws_env: None) -> None:
    import pickle

    with pytest.raises(TypeError, match="API key cannot be pickled") as info:
        pickle.dumps(BedrockClient(LARGE_2, region_name="us-east-1", api_key=KEY))
    assert KEY not in str(info.value)
