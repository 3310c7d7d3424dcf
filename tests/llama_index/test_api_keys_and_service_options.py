"""LlamaIndex BedrockMistral: `api_key` (bearer auth), and `service_tier`, `request_metadata`,
`performance_config` on construction and per call, on the wire for both APIs, with the tier Bedrock reports
in `raw`; bad values refused before any request."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from llama_index.core.base.llms.types import ChatMessage

from bedrock_mistral.errors import AccessDeniedError, ConfigurationError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.app import redacted
from llama_index_bedrock_mistral import BedrockMistral

LARGE = "mistral.mistral-large-2407-v1:0"
KEY = "ABSKTGxhbWFJbmRleC1hcGkta2V5LWV4YW1wbGUtMDAz"
BEARER = "Bearer " + redacted(KEY)
"""How the emulator\'s request log shows the key: fingerprinted, never in clear."""
HI = [ChatMessage(role="user", content="What is 6 x 7?")]


@pytest.fixture
def keyed() -> Iterator[LocalBedrock]:
    with LocalBedrock(auth="strict", api_keys=[KEY]) as bedrock:
        yield bedrock


async def test_api_key_authenticates_sync_and_async(keyed: LocalBedrock) -> None:
    llm = BedrockMistral(LARGE, api_key=KEY, endpoint_url=keyed.endpoint_url, region_name="us-east-1")
    assert llm.chat(HI).message.content == "6 x 7 = 42."
    assert (await llm.acomplete("What is 6 x 7?")).text == "6 x 7 = 42."
    assert {r.headers["authorization"] for r in keyed.requests} == {BEARER}
    for text in (repr(llm), str(llm.to_dict()), llm.to_json(), repr(llm.metadata)):
        assert KEY not in text


def test_a_wrong_api_key_is_rejected(keyed: LocalBedrock) -> None:
    llm = BedrockMistral(
        LARGE, api_key="ABSKwrong", endpoint_url=keyed.endpoint_url, region_name="us-east-1", max_retries=0
    )
    with pytest.raises(AccessDeniedError, match="API Key is valid"):
        llm.chat(HI)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_settings_on_the_wire_and_the_tier_in_raw(
    bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral], api: str
) -> None:
    llm = make_llm(LARGE, api=api, service_tier="flex", request_metadata={"team": "rag"})
    assert llm.chat(HI).raw["service_tier"] == "flex"
    chunks = list(llm.stream_chat(HI, performance_config={"latency": "optimized"}))
    assert chunks[-1].raw["service_tier"] == "flex"
    first, second = bedrock.requests
    if api == "converse":
        assert first.body["serviceTier"] == {"type": "flex"} and first.body["requestMetadata"] == {"team": "rag"}
        assert second.body["performanceConfig"] == {"latency": "optimized"}
    else:
        assert first.headers["x-amzn-bedrock-service-tier"] == "flex"
        assert json.loads(first.headers["x-amzn-bedrock-request-metadata"]) == {"team": "rag"}
        assert second.headers["x-amzn-bedrock-performanceconfig-latency"] == "optimized"


def test_per_call_settings_win(bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral]) -> None:
    llm = make_llm(LARGE, api="converse", service_tier="flex")
    llm.complete("hi", service_tier="priority")
    assert bedrock.requests[-1].body["serviceTier"] == {"type": "priority"}


def test_bad_settings_are_refused_before_any_request(
    bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral]
) -> None:
    with pytest.raises(ConfigurationError, match="priority, default, flex, reserved"):
        make_llm(LARGE, service_tier="platinum")
    with pytest.raises(ConfigurationError, match="1 to 16"):
        make_llm(LARGE).chat(HI, request_metadata={})
    assert bedrock.requests == []
