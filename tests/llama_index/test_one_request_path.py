"""One request per call: `chat` and `complete` each build one request, and their sync, async and streamed
variants send the same body for it. Whether a caller's own template applies is the transport's rule."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from bedrock_mistral.catalog import resolve
from bedrock_mistral.codecs import encode_chat
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.types import ChatRequest, Message, ToolSpec
from llama_index_bedrock_mistral import BedrockMistral
from tests.llama_index.conftest import LARGE_2402, LARGE_2407, MISTRAL_7B

Make = Callable[..., BedrockMistral]
LARGE_3 = "mistral.mistral-large-3-675b-instruct"
MODELS = [(MISTRAL_7B, None), (LARGE_2402, None), (LARGE_2407, None), (LARGE_2407, "converse"), (LARGE_3, None)]


def _bodies(bedrock: LocalBedrock, calls: Sequence[Callable[[], Any]]) -> list[tuple[str, Any]]:
    bodies = []
    for call in calls:
        call()
        request = bedrock.requests[-1]
        bodies.append((request.operation.replace("WithResponseStream", "").replace("Stream", ""), request.body))
    return bodies


async def _drain(stream: Any) -> None:
    async for _ in await stream:
        pass


@pytest.mark.parametrize(("model", "api"), MODELS)
@pytest.mark.parametrize("formatted", [False, True])
def test_complete_sends_one_request_sync_async_and_streamed(
    bedrock: LocalBedrock, make_llm: Make, model: str, api: str | None, formatted: bool
) -> None:
    llm = make_llm(model, api=api, system_prompt="You are terse.")
    prompt = "What is 2 + 3?"
    bodies = _bodies(
        bedrock,
        [
            lambda: llm.complete(prompt, formatted=formatted),
            lambda: asyncio.run(llm.acomplete(prompt, formatted=formatted)),
            lambda: list(llm.stream_complete(prompt, formatted=formatted)),
            lambda: asyncio.run(_drain(llm.astream_complete(prompt, formatted=formatted))),
        ],
    )
    assert all(body == bodies[0] for body in bodies)
    operation, body = bodies[0]
    text = str(body)
    assert prompt in text
    assert ("You are terse." in text) is not formatted  # a formatted prompt goes out as given


@pytest.mark.parametrize(("model", "api"), MODELS)
def test_chat_sends_one_request_sync_async_and_streamed(
    bedrock: LocalBedrock, make_llm: Make, model: str, api: str | None
) -> None:
    llm = make_llm(model, api=api, system_prompt="You are terse.")
    messages = [ChatMessage(role="user", content="What is 2 + 3?")]
    bodies = _bodies(
        bedrock,
        [
            lambda: llm.chat(messages),
            lambda: asyncio.run(llm.achat(messages)),
            lambda: list(llm.stream_chat(messages)),
            lambda: asyncio.run(_drain(llm.astream_chat(messages))),
        ],
    )
    assert all(body == bodies[0] for body in bodies)


def _mine(messages: Sequence[ChatMessage]) -> str:
    return "[INST] mine: " + " | ".join(m.content or "" for m in messages) + " [/INST]"


def test_a_users_template_goes_out_where_the_model_takes_a_prompt(bedrock: LocalBedrock, make_llm: Make) -> None:
    """Large 2402 has both InvokeModel bodies: a conversation the user rendered goes out as a prompt."""
    make_llm(LARGE_2402, messages_to_prompt=_mine).chat([ChatMessage(role="user", content="a")])
    assert bedrock.requests[-1].body["prompt"] == "[INST] mine: a [/INST]"


@pytest.mark.parametrize(("model", "api"), [(LARGE_2407, None), (MISTRAL_7B, "converse"), (LARGE_3, None)])
def test_a_users_template_is_not_sent_where_the_model_takes_no_prompt(
    bedrock: LocalBedrock, make_llm: Make, model: str, api: str | None
) -> None:
    make_llm(model, api=api, messages_to_prompt=_mine).chat([ChatMessage(role="user", content="a")])
    assert "mine" not in str(bedrock.requests[-1].body)


def test_tools_keep_the_conversation_out_of_a_callers_rendering() -> None:
    """With tools offered, the conversation is rendered from its messages (the caller's prompt cannot
    carry the tools), so the body is the one the template gives."""
    spec = resolve(MISTRAL_7B)
    plain = ChatRequest((Message("user", "a"),), prompt="[INST] mine [/INST]")
    with_tools = replace(plain, tools=(ToolSpec("add"),))
    assert encode_chat(spec, "invoke", plain).payload["prompt"] == "[INST] mine [/INST]"
    assert with_tools.own_prompt is None
    assert "mine" not in encode_chat(spec, "invoke", with_tools).payload["prompt"]


def test_a_llamaindex_helper_the_user_passes_is_their_template(bedrock: LocalBedrock, make_llm: Make) -> None:
    """Only the generic default LlamaIndex fills in is ignored; its ChatML helpers, given by the user, are
    the user's choice and go out where the model takes a prompt."""
    from llama_index.core.llms import chatml_utils

    llm = make_llm(MISTRAL_7B, completion_to_prompt=chatml_utils.completion_to_prompt)
    llm.complete("hello there")
    assert "<|im_start|>user\nhello there" in bedrock.requests[-1].body["prompt"]
    make_llm(MISTRAL_7B).complete("hello there")
    assert "<|im_start|>" not in bedrock.requests[-1].body["prompt"]
