"""Magistral's reasoning through LlamaIndex's BedrockMistral: three turns against the emulator, sync and
async, streamed and not. Reasoning arrives as ThinkingBlocks (and `thinking_delta`s while streaming), never
as answer text, and goes back to Bedrock in turns two and three as Converse `reasoningContent` blocks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole, TextBlock, ThinkingBlock

from bedrock_mistral.errors import UnsupportedFeatureError
from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral

MAGISTRAL = "mistral.magistral-small-2509"
QUESTIONS = ("What is 6 x 7?", "And what is 7 x 8?", "Thanks. What is 2 + 2?")


async def _turn(llm: BedrockMistral, history: list[ChatMessage], mode: str) -> tuple[ChatResponse, list]:
    if mode == "chat":
        return llm.chat(history), []
    if mode == "achat":
        return await llm.achat(history), []
    if mode == "stream_chat":
        chunks = list(llm.stream_chat(history))
    else:
        chunks = [c async for c in await llm.astream_chat(history)]
    return chunks[-1], chunks


@pytest.mark.parametrize("mode", ["chat", "achat", "stream_chat", "astream_chat"])
async def test_three_turn_magistral_conversation(
    bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral], mode: str
) -> None:
    llm = make_llm(MAGISTRAL)
    history: list[ChatMessage] = []
    thoughts: list[str] = []
    for question in QUESTIONS:
        history.append(ChatMessage(role=MessageRole.USER, content=question))
        response, chunks = await _turn(llm, history, mode)
        blocks = response.message.blocks
        thinking = [b for b in blocks if isinstance(b, ThinkingBlock)]
        assert len(thinking) == 1 and isinstance(blocks[0], ThinkingBlock)
        reasoning = thinking[0].content or ""
        assert question in reasoning
        answer = response.message.content or ""
        assert answer.strip() and reasoning not in answer
        assert all(reasoning not in b.text for b in blocks if isinstance(b, TextBlock))
        if chunks:
            streamed = "".join(c.additional_kwargs.get("thinking_delta", "") for c in chunks)
            assert streamed == reasoning  # reasoning streamed as thinking deltas...
            assert reasoning not in "".join(c.delta or "" for c in chunks)  # ...never as text deltas
        thoughts.append(reasoning)
        history.append(response.message)

    requests = bedrock.requests
    assert [r.operation for r in requests] == ["ConverseStream" if "stream" in mode else "Converse"] * 3
    for turn, request in enumerate(requests):
        sent = [m for m in request.body["messages"] if m["role"] == "assistant"]
        assert len(sent) == turn
        for earlier, message in enumerate(sent):
            assert message["content"][0] == {"reasoningContent": {"reasoningText": {"text": thoughts[earlier]}}}
            assert all("reasoningContent" not in block for block in message["content"][1:])


def test_signed_thinking_blocks_go_back_unmodified(
    bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral]
) -> None:
    previous = ChatMessage(
        role=MessageRole.ASSISTANT,
        blocks=[ThinkingBlock(content="t1", additional_information={"signature": "sig-1"}), TextBlock(text="a1")],
    )
    make_llm(MAGISTRAL).chat([ChatMessage(role="user", content="q1"), previous, ChatMessage(role="user", content="q2")])
    (request,) = bedrock.requests
    assert request.body["messages"][1]["content"] == [
        {"reasoningContent": {"reasoningText": {"text": "t1", "signature": "sig-1"}}},
        {"text": "a1"},
    ]


def test_reasoning_settings_are_refused_before_any_request(
    bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral]
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="does not reason"):
        make_llm("mistral.mistral-large-3-675b-instruct", additional_model_request_fields={"thinking": {}})
    llm = make_llm(MAGISTRAL)
    with pytest.raises(UnsupportedFeatureError, match="always reasons"):
        llm.chat([ChatMessage(role="user", content="q")], additional_model_request_fields={"reasoning_effort": "low"})
    assert bedrock.requests == []
