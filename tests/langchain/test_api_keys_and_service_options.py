"""ChatBedrockMistral / BedrockMistralLLM: `api_key` (bearer auth), and `service_tier`, `request_metadata`,
`performance_config` on construction, in `bind(...)` and per call, on the wire for both APIs, with the tier
Bedrock reports in `response_metadata`; bad values refused before any request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps

from bedrock_mistral.errors import AccessDeniedError, ConfigurationError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.app import redacted
from langchain_bedrock_mistral import BedrockMistralLLM, ChatBedrockMistral

LARGE = "mistral.mistral-large-2407-v1:0"
SEVEN_B = "mistral.mistral-7b-instruct-v0:2"
KEY = "ABSKTGFuZ0NoYWluLWFwaS1rZXktZXhhbXBsZS0wMDAy"
BEARER = "Bearer " + redacted(KEY)
"""How the emulator\'s request log shows the key: fingerprinted, never in clear."""


@pytest.fixture
def keyed() -> Iterator[LocalBedrock]:
    with LocalBedrock(auth="strict", api_keys=[KEY]) as bedrock:
        yield bedrock


def test_api_key_authenticates_chat_and_llm(keyed: LocalBedrock) -> None:
    where = {"endpoint_url": keyed.endpoint_url, "region_name": keyed.region_name}
    chat = ChatBedrockMistral(model=LARGE, api_key=KEY, **where)
    assert chat.invoke("What is 6 x 7?").text == "6 x 7 = 42."
    assert "".join(c.text for c in chat.stream("What is 6 x 7?")) == "6 x 7 = 42."
    llm = BedrockMistralLLM(model=SEVEN_B, api_key=KEY, **where)
    assert llm.invoke("What is 6 x 7?")
    assert {r.headers["authorization"] for r in keyed.requests} == {BEARER}


async def test_api_key_async(keyed: LocalBedrock) -> None:
    chat = ChatBedrockMistral(model=LARGE, api_key=KEY, endpoint_url=keyed.endpoint_url, region_name="us-east-1")
    assert (await chat.ainvoke("What is 6 x 7?")).text == "6 x 7 = 42."
    assert keyed.requests[-1].headers["authorization"] == BEARER


def test_a_wrong_api_key_is_rejected_and_never_shown(keyed: LocalBedrock) -> None:
    wrong = KEY[:-6] + "ZZZZZZ"
    chat = ChatBedrockMistral(
        model=LARGE, api_key=wrong, endpoint_url=keyed.endpoint_url, region_name="us-east-1", max_retries=0
    )
    with pytest.raises(AccessDeniedError, match="Please make sure your API Key is valid") as info:
        chat.invoke("hi")
    assert wrong not in str(info.value)
    for text in (repr(chat), str(chat), chat.model_dump_json(), dumps(chat), repr(dumpd(chat))):
        assert wrong not in text
    assert dumpd(chat)["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["AWS_BEARER_TOKEN_BEDROCK"]}


SETTINGS = {"service_tier": "flex", "request_metadata": {"team": "search"}, "performance_config": {"latency": "standard"}}


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_settings_on_the_wire_and_the_tier_in_response_metadata(
    bedrock: LocalBedrock, conn: dict[str, Any], api: str
) -> None:
    chat = ChatBedrockMistral(model=LARGE, api=api, **SETTINGS, **conn)
    reply = chat.invoke("What is 6 x 7?")
    assert reply.response_metadata["service_tier"] == "flex"
    streamed = None
    for chunk in chat.stream("What is 6 x 7?"):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None and streamed.response_metadata["service_tier"] == "flex"
    for request in bedrock.requests:
        if api == "converse":
            assert request.body["serviceTier"] == {"type": "flex"}
            assert request.body["requestMetadata"] == {"team": "search"}
            assert request.body["performanceConfig"] == {"latency": "standard"}
        else:
            assert request.headers["x-amzn-bedrock-service-tier"] == "flex"
            assert json.loads(request.headers["x-amzn-bedrock-request-metadata"]) == {"team": "search"}
            assert request.headers["x-amzn-bedrock-performanceconfig-latency"] == "standard"


def test_bind_and_per_call_settings(bedrock: LocalBedrock, conn: dict[str, Any]) -> None:
    chat = ChatBedrockMistral(model=LARGE, api="converse", service_tier="default", **conn)
    chat.bind(service_tier="priority", request_metadata={"run": "42"}).invoke("hi")
    chat.invoke("hi", performance_config="optimized")
    first, second = (r.body for r in bedrock.requests)
    assert first["serviceTier"] == {"type": "priority"} and first["requestMetadata"] == {"run": "42"}
    assert second["serviceTier"] == {"type": "default"} and second["performanceConfig"] == {"latency": "optimized"}


def test_the_llm_reports_the_tier(bedrock: LocalBedrock, conn: dict[str, Any]) -> None:
    llm = BedrockMistralLLM(model=SEVEN_B, **conn)
    result = llm.generate(["What is 6 x 7?"], service_tier="flex")
    assert result.generations[0][0].generation_info["service_tier"] == "flex"  # type: ignore[index]
    assert bedrock.requests[-1].headers["x-amzn-bedrock-service-tier"] == "flex"


@pytest.mark.parametrize(
    "bad",
    [
        {"service_tier": "gold"},
        {"request_metadata": {"a b!": "c"}},
        {"request_metadata": {f"k{i}": "v" for i in range(17)}},
        {"performance_config": {"latency": "warp"}},
    ],
)
def test_bad_settings_are_refused_before_any_request(
    bedrock: LocalBedrock, conn: dict[str, Any], bad: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError):
        ChatBedrockMistral(model=LARGE, **bad, **conn)
    chat = ChatBedrockMistral(model=LARGE, **conn)
    with pytest.raises(ConfigurationError):
        chat.invoke("hi", **bad)
    with pytest.raises(ConfigurationError):
        list(chat.stream("hi", **bad))
    assert bedrock.requests == []
