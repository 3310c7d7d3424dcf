"""Each model family through the wire: what the emulator received, and what LlamaIndex got back.

7B / Mixtral are text-completion models (the system prompt is folded into the instruct template), Large
2407 speaks the native chat format on InvokeModel, and every model can go through Converse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from bedrock_mistral.errors import ModelStreamError, ThrottlingError
from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral
from tests.llama_index.conftest import LARGE_2402, LARGE_2407, MISTRAL_7B, MIXTRAL

Make = Callable[..., BedrockMistral]


def user(text: str) -> ChatMessage:
    return ChatMessage(role="user", content=text)


def sent(bedrock: LocalBedrock) -> Any:
    return bedrock.requests[-1]


# --- text-completion models --------------------------------------------------------------------------


@pytest.mark.parametrize("model", [MISTRAL_7B, MIXTRAL])
def test_text_completion_folds_the_system_prompt(bedrock: LocalBedrock, make_llm: Make, model: str) -> None:
    llm = make_llm(model, system_prompt="You are terse.")
    response = llm.chat([user("What is 2 + 3?")])
    request = sent(bedrock)
    assert request.operation == "InvokeModel"
    assert request.body == {"prompt": "<s>[INST] You are terse.\n\nWhat is 2 + 3? [/INST]"}
    assert response.message.content == "2 + 3 = 5."
    assert response.raw is not None and response.raw["stop_reason"] == "stop"


def test_text_completion_multi_turn_template(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(MIXTRAL)
    llm.chat(
        [
            ChatMessage(role="system", content="Be brief."),
            user("q1"),
            ChatMessage(role="assistant", content="a1"),
            user("q2"),
        ]
    )
    assert sent(bedrock).body["prompt"] == "<s>[INST] Be brief.\n\nq1 [/INST] a1</s> [INST] q2 [/INST]"


def test_system_prompt_is_not_repeated_when_already_present(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(MISTRAL_7B, system_prompt="You are terse.")
    llm.chat([ChatMessage(role="system", content="You are terse."), user("Hi")])
    assert sent(bedrock).body["prompt"] == "<s>[INST] You are terse.\n\nHi [/INST]"


def test_parameters_reach_the_body_and_calls_override_them(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(MISTRAL_7B, temperature=0.3, top_p=0.8, top_k=20, max_tokens=64, stop=["###"])
    llm.chat([user("Hi")])
    body = sent(bedrock).body
    assert {k: body[k] for k in ("temperature", "top_p", "top_k", "max_tokens", "stop")} == {
        "temperature": 0.3,
        "top_p": 0.8,
        "top_k": 20,
        "max_tokens": 64,
        "stop": ["###"],
    }
    llm.chat([user("Hi")], temperature=0.9, max_tokens=8)
    body = sent(bedrock).body
    assert (body["temperature"], body["max_tokens"], body["top_k"]) == (0.9, 8, 20)


def test_complete_uses_the_template_and_system_prompt(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(MISTRAL_7B, system_prompt="You are terse.")
    response = llm.complete("What is 2 + 3?")
    assert sent(bedrock).body["prompt"] == "<s>[INST] You are terse.\n\nWhat is 2 + 3? [/INST]"
    assert response.text == "2 + 3 = 5."
    assert response.raw is not None and response.raw["usage"]["completion_tokens"] > 0


def test_formatted_prompt_is_sent_verbatim(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(MISTRAL_7B, system_prompt="ignored for a formatted prompt")
    prompt = "<s>[INST] What is 2 + 3? [/INST]"
    llm.complete(prompt, formatted=True)
    assert sent(bedrock).body["prompt"] == prompt


def test_default_templates_are_the_shared_mistral_template(make_llm: Make) -> None:
    llm = make_llm(MISTRAL_7B)
    assert llm.completion_to_prompt is not None and llm.messages_to_prompt is not None
    assert llm.completion_to_prompt("Hi") == "<s>[INST] Hi [/INST]"
    assert (
        llm.messages_to_prompt([ChatMessage(role="system", content="S"), user("Hi")])
        == "<s>[INST] S\n\nHi [/INST]"
    )


def test_custom_templates_are_honoured(bedrock: LocalBedrock, make_llm: Make) -> None:
    def my_messages(messages: Sequence[ChatMessage]) -> str:
        return "[INST] " + " | ".join(m.content or "" for m in messages) + " [/INST]"

    def my_completion(prompt: str) -> str:
        return f"[INST] custom: {prompt} [/INST]"

    llm = make_llm(MISTRAL_7B, messages_to_prompt=my_messages, completion_to_prompt=my_completion)
    llm.chat([user("a"), ChatMessage(role="assistant", content="b"), user("c")])
    assert sent(bedrock).body["prompt"] == "[INST] a | b | c [/INST]"
    llm.complete("x")
    assert sent(bedrock).body["prompt"] == "[INST] custom: x [/INST]"


def test_stream_chat_on_text_completion(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(MIXTRAL, system_prompt="You are terse.")
    chunks = list(llm.stream_chat([user("What is 2 + 3?")]))
    assert sent(bedrock).operation == "InvokeModelWithResponseStream"
    assert "".join(c.delta or "" for c in chunks) == "2 + 3 = 5."
    assert chunks[-1].message.content == "2 + 3 = 5."
    assert [c.raw is not None and "usage" in c.raw for c in chunks].count(True) >= 1
    assert chunks[-1].raw is not None and chunks[-1].raw["usage"]["prompt_tokens"] > 0


def test_stream_complete(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(MISTRAL_7B)
    chunks = list(llm.stream_complete("Say hello"))
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].text == "Hello."
    assert chunks[-1].raw is not None and chunks[-1].raw["stop_reason"] == "stop"


def test_stop_sequences_on_the_wire(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(MISTRAL_7B, stop=["+"])
    assert llm.complete("What is 2 + 3?").text.strip() == "2"


# --- chat-format and Converse models -----------------------------------------------------------------


def test_large_2407_native_chat_format(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(LARGE_2407, system_prompt="You are terse.", temperature=0.1)
    response = llm.chat([user("Say hello")])
    request = sent(bedrock)
    assert request.operation == "InvokeModel"
    assert request.body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Say hello"},
    ]
    assert request.body["temperature"] == 0.1
    assert response.message.content == "Hello."


def test_large_2407_region_prefixed_id_goes_out_as_given(bedrock: LocalBedrock, make_llm: Make) -> None:
    make_llm("eu." + LARGE_2407).chat([user("Hi")])
    request = sent(bedrock)
    assert request.model_id == "eu." + LARGE_2407
    assert request.base_model_id == LARGE_2407


def test_large_2407_through_converse(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(LARGE_2407, api="converse", system_prompt="You are terse.", stop=["###"])
    response = llm.chat([user("Say hello")])
    request = sent(bedrock)
    assert request.operation == "Converse"
    assert request.body["system"] == [{"text": "You are terse."}]
    assert request.body["inferenceConfig"]["stopSequences"] == ["###"]
    assert response.message.content == "Hello."
    assert response.raw is not None and response.raw["api"] == "converse"
    chunks = list(llm.stream_chat([user("Say hello")]))
    assert sent(bedrock).operation == "ConverseStream"
    assert chunks[-1].message.content == "Hello."
    assert chunks[-1].raw is not None and chunks[-1].raw["usage"]["total_tokens"] > 0


def test_7b_through_converse_folds_the_system_prompt(bedrock: LocalBedrock, make_llm: Make) -> None:
    make_llm(MISTRAL_7B, api="converse", system_prompt="You are terse.").chat([user("Say hello")])
    request = sent(bedrock)
    assert request.operation == "Converse"
    assert "system" not in request.body  # Bedrock rejects a system prompt for 7B on Converse
    assert request.body["messages"][0]["content"][0]["text"] == "You are terse.\n\nSay hello"


def test_large_2402_formatted_prompt_uses_text_completion_and_chat_uses_chat_format(
    bedrock: LocalBedrock, make_llm: Make
) -> None:
    llm = make_llm(LARGE_2402)
    llm.complete("Say hello", formatted=True)
    assert sent(bedrock).body["prompt"] == "<s>[INST] Say hello[/INST]"  # v2 template
    llm.chat([user("Say hello")])
    assert "messages" in sent(bedrock).body


# --- async -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "api"), [(MISTRAL_7B, None), (LARGE_2407, None), (LARGE_2407, "converse")])
async def test_async_methods(bedrock: LocalBedrock, make_llm: Make, model: str, api: Any) -> None:
    llm = make_llm(model, api=api)
    try:
        assert (await llm.achat([user("Say hello")])).message.content == "Hello."
        assert (await llm.acomplete("Say hello")).text == "Hello."
        chat_chunks = [c async for c in await llm.astream_chat([user("Say hello")])]
        assert chat_chunks[-1].message.content == "Hello."
        assert chat_chunks[-1].raw is not None and "usage" in chat_chunks[-1].raw
        text_chunks = [c async for c in await llm.astream_complete("Say hello")]
        assert "".join(c.delta or "" for c in text_chunks) == "Hello."
        assert len(bedrock.requests) == 4
    finally:
        await llm.aclose()


# --- errors ------------------------------------------------------------------------------------------


def test_bedrock_errors_surface_as_typed_errors(bedrock: LocalBedrock, make_llm: Make) -> None:
    bedrock.faults.throttle(count=1)
    with pytest.raises(ThrottlingError):
        make_llm(LARGE_2407).chat([user("Hi")])


def test_retries_recover_from_throttling(bedrock: LocalBedrock, make_llm: Make) -> None:
    bedrock.faults.throttle(count=1)
    llm = make_llm(LARGE_2407, max_retries=2)
    # Keep the test fast; the backoff policy itself is the transport's and tested there.
    llm.transport.retry = replace(llm.transport.retry, base_delay=0.0, max_delay=0.0)
    assert llm.chat([user("Say hello")]).message.content == "Hello."
    assert len(bedrock.requests) == 2


def test_stream_errors_keep_the_partial_text(bedrock: LocalBedrock, make_llm: Make) -> None:
    bedrock.faults.stream_error(after_chunks=2)
    received = []
    with pytest.raises(ModelStreamError) as info:
        for chunk in make_llm(MISTRAL_7B).stream_complete("What is 2 + 3?"):
            received.append(chunk.delta)
    assert info.value.partial_text == "".join(d or "" for d in received)
    assert received


def test_invalid_call_fails_before_sending(bedrock: LocalBedrock, make_llm: Make) -> None:
    with pytest.raises(ValueError, match="temperature"):
        make_llm(MISTRAL_7B).chat([user("Hi")], temperature=3.0)
    assert bedrock.requests == []


async def test_async_calls_run_on_the_event_loop_without_threads(
    bedrock: LocalBedrock, make_llm: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = make_llm(LARGE_2407)
    loop = asyncio.get_running_loop()
    try:
        await llm.achat([user("Hi")])  # aiobotocore builds its SSL contexts in a thread once, on first use
        offloaded: list[Any] = []
        original = loop.run_in_executor

        def spy(executor: Any, func: Any, *args: Any) -> Any:
            offloaded.append(func)
            return original(executor, func, *args)

        monkeypatch.setattr(loop, "run_in_executor", spy)
        answers = await asyncio.gather(*(llm.achat([user(f"What is {i} + 1?")]) for i in range(8)))
        assert [a.message.content for a in answers] == [f"{i} + 1 = {i + 1}." for i in range(8)]
        streamed = await asyncio.gather(*(_collect(llm, f"What is {i} + 2?") for i in range(4)))
        assert streamed == [f"{i} + 2 = {i + 2}." for i in range(4)]
        assert offloaded == []  # no request went through run_in_executor / asyncio.to_thread
    finally:
        await llm.aclose()
    assert llm.transport._sync_client is None  # the blocking boto3 client was never built


async def _collect(llm: BedrockMistral, question: str) -> str:
    return "".join([c.delta or "" async for c in await llm.astream_chat([user(question)])])
