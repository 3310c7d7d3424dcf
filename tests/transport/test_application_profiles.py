"""Application inference profile ARNs, resolved to their base model through the emulator's control plane
(GetInferenceProfile), so the catalog's row applies without `api=`: once per process, from many threads
and tasks, off the event loop; a denied or failed lookup says so and names `api=`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bedrock_mistral.client import BedrockClient, profiles
from bedrock_mistral.errors import ContextWindowExceededError, InferenceProfileError, ParameterError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.types import ChatRequest, InferenceParams, Message

LARGE_2 = "mistral.mistral-large-2407-v1:0"
SEVEN_B = "mistral.mistral-7b-instruct-v0:2"
HI = ChatRequest((Message("user", "What is 6 x 7?"),))


@pytest.fixture
def profile_arn(local_bedrock: LocalBedrock) -> Iterator[str]:
    """An application inference profile copying Mistral Large 2 (24.07), created on the control plane."""
    source = f"arn:aws:bedrock:{local_bedrock.region_name}::foundation-model/{LARGE_2}"
    yield local_bedrock.inference_profiles.create("large-2-team-a", source)
    profiles.forget()


def _kwargs(bedrock: LocalBedrock, **extra: Any) -> dict[str, Any]:
    return {**bedrock.client_kwargs(), "max_retries": 0, **extra}


def lookups(bedrock: LocalBedrock) -> int:
    return sum(1 for r in bedrock.requests if r.operation == "GetInferenceProfile")


def test_profile_arn_gets_the_base_models_row_without_api(local_bedrock: LocalBedrock, profile_arn: str) -> None:
    client = BedrockClient(profile_arn, **_kwargs(local_bedrock))
    assert client.spec.model_id == LARGE_2 and client.spec.context_window == 131_072
    assert client.api == "invoke"  # the catalog's default API for Large 2: Mistral's chat body on InvokeModel
    answer = client.chat(HI)
    assert answer.text == "6 x 7 = 42."
    runtime = [r for r in local_bedrock.requests if r.operation != "GetInferenceProfile"]
    assert [(r.operation, r.model_id) for r in runtime] == [("InvokeModel", profile_arn)]  # sent as the ARN
    assert "messages" in runtime[0].body  # the chat-completion body the catalog names for Large 2


def test_the_catalogs_limits_apply_before_any_request(local_bedrock: LocalBedrock, profile_arn: str) -> None:
    with pytest.raises(ParameterError, match="8192"):
        BedrockClient(profile_arn, params=InferenceParams(max_tokens=10_000), **_kwargs(local_bedrock))
    client = BedrockClient(profile_arn, **_kwargs(local_bedrock))
    too_long = ChatRequest((Message("user", "word " * 124_000),), InferenceParams(max_tokens=8_192))
    with pytest.raises(ContextWindowExceededError, match="131,072|131072"):
        client.chat(too_long)
    assert all(r.operation == "GetInferenceProfile" for r in local_bedrock.requests)


def test_one_lookup_per_process_from_many_threads(local_bedrock: LocalBedrock, profile_arn: str) -> None:
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda _: BedrockClient(profile_arn, **_kwargs(local_bedrock)), range(16)))
    assert {c.spec.model_id for c in clients} == {LARGE_2}
    assert lookups(local_bedrock) == 1
    BedrockClient(profile_arn, **_kwargs(local_bedrock)).chat(HI)
    assert lookups(local_bedrock) == 1


def test_async_lookup_runs_off_the_event_loop_once(
    local_bedrock: LocalBedrock, profile_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    real_lookup = profiles._lookup

    def recording_lookup(arn: str, settings: Any) -> str:
        threads.append(threading.get_ident())
        return real_lookup(arn, settings)

    monkeypatch.setattr(profiles, "_lookup", recording_lookup)

    async def run() -> tuple[list[str], int]:
        client = BedrockClient(profile_arn, **_kwargs(local_bedrock))  # inside the loop: not looked up yet
        assert not client.resolved
        answers = await asyncio.gather(*(client.achat(HI) for _ in range(6)))
        streamed = [d.text async for d in BedrockClient(profile_arn, **_kwargs(local_bedrock)).astream_chat(HI)]
        await client.aclose()
        return [a.text for a in answers] + ["".join(streamed)], threading.get_ident()

    texts, loop_thread = asyncio.run(run())
    assert set(texts) == {"6 x 7 = 42."}
    assert len(threads) == 1 and threads[0] != loop_thread
    assert lookups(local_bedrock) == 1


def test_naming_the_api_skips_the_lookup(local_bedrock: LocalBedrock, profile_arn: str) -> None:
    client = BedrockClient(profile_arn, api="converse", **_kwargs(local_bedrock))
    assert not client.spec.known
    assert client.chat(HI).text
    assert lookups(local_bedrock) == 0


def test_an_unknown_profile_says_the_lookup_failed_and_names_api(local_bedrock: LocalBedrock) -> None:
    arn = f"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/{'x' * 12}"
    with pytest.raises(InferenceProfileError) as info:
        BedrockClient(arn, **_kwargs(local_bedrock))
    message = str(info.value)
    assert "GetInferenceProfile failed" in message and "ResourceNotFoundException" in message
    assert "api='converse'" in message
    assert lookups(local_bedrock) == 1


def test_a_denied_lookup_says_so_and_names_api(profile_arn: str) -> None:
    with LocalBedrock(auth="strict") as strict:
        secret = "s3cr3t-never-shown-0123456789"
        kwargs = {**_kwargs(strict), "aws_access_key_id": "AKIAUNKNOWN000000000", "aws_secret_access_key": secret}
        with pytest.raises(InferenceProfileError) as info:
            BedrockClient(profile_arn, **kwargs)
    message = str(info.value)
    assert "GetInferenceProfile was denied" in message and "api='converse'" in message
    assert "bedrock:GetInferenceProfile" in message
    assert secret not in message


def test_langchain_reads_the_base_models_row(local_bedrock: LocalBedrock, profile_arn: str) -> None:
    from langchain_bedrock_mistral import ChatBedrockMistral

    llm = ChatBedrockMistral(model=profile_arn, **_kwargs(local_bedrock))
    assert llm.profile is not None and llm.profile["max_input_tokens"] == 131_072
    assert llm.profile["tool_calling"] is True
    assert llm.invoke("What is 6 x 7?").text == "6 x 7 = 42."
    assert lookups(local_bedrock) == 1


def test_llama_index_reads_the_base_models_row(local_bedrock: LocalBedrock, profile_arn: str) -> None:
    from llama_index_bedrock_mistral import BedrockMistral

    llm = BedrockMistral(profile_arn, **_kwargs(local_bedrock))
    assert llm.metadata.context_window == 131_072 and llm.metadata.num_output == 8_192
    assert llm.metadata.is_function_calling_model
    assert llm.complete("What is 6 x 7?").text == "6 x 7 = 42."
    assert lookups(local_bedrock) == 1
