"""Magistral's reasoning through ChatBedrockMistral: three turns against the emulator, sync and async,
streamed and not, in LangChain's v0 and v1 output formats. Reasoning must arrive as reasoning (never as
answer text) and go back to Bedrock in turns two and three as Converse `reasoningContent` blocks."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage

from bedrock_mistral.errors import UnsupportedFeatureError
from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import ChatBedrockMistral

MAGISTRAL = "mistral.magistral-small-2509"
QUESTIONS = ("What is 6 x 7?", "And what is 7 x 8?", "Thanks. What is 2 + 2?")


def _reasoning_of(message: BaseMessage) -> str:
    blocks = [b for b in message.content_blocks if b["type"] == "reasoning"]
    assert len(blocks) == 1, message.content_blocks
    return str(blocks[0].get("reasoning", ""))


async def _turn(llm: ChatBedrockMistral, history: list[BaseMessage], mode: str) -> tuple[AIMessage, list]:
    """One turn: the reply, and the chunks when streamed."""
    if mode == "invoke":
        return llm.invoke(history), []
    if mode == "ainvoke":
        return await llm.ainvoke(history), []
    chunks: list[AIMessageChunk] = (
        list(llm.stream(history)) if mode == "stream" else [c async for c in llm.astream(history)]
    )
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full, chunks


def _streamed_reasoning_is_never_text(chunks: list[AIMessageChunk]) -> None:
    """Reasoning arrives in chunks of its own: reasoning blocks, with no answer text in them."""
    reasoning_chunks = [c for c in chunks if any(b["type"] == "reasoning" for b in c.content_blocks)]
    assert reasoning_chunks, "no chunk carried reasoning"
    for chunk in reasoning_chunks:
        assert all(b["type"] == "reasoning" for b in chunk.content_blocks)
        assert chunk.text == ""


@pytest.mark.parametrize("output_version", ["v0", "v1"])
@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream", "astream"])
async def test_three_turn_magistral_conversation(
    bedrock: LocalBedrock, conn: dict[str, Any], mode: str, output_version: str
) -> None:
    llm = ChatBedrockMistral(model=MAGISTRAL, output_version=output_version, **conn)
    history: list[BaseMessage] = []
    thoughts: list[str] = []
    for question in QUESTIONS:
        history.append(HumanMessage(question))
        reply, chunks = await _turn(llm, history, mode)
        reasoning = _reasoning_of(reply)
        assert question in reasoning  # the engine's deterministic thinking names the question
        assert reasoning not in reply.text and reply.text.strip()
        if output_version == "v0":
            assert isinstance(reply.content, str) and reply.additional_kwargs["reasoning_content"] == reasoning
        else:
            assert [b["type"] for b in reply.content] == ["reasoning", "text"]  # type: ignore[index]
        if chunks:
            _streamed_reasoning_is_never_text(chunks)
        thoughts.append(reasoning)
        history.append(reply)

    requests = bedrock.requests
    assert [r.operation for r in requests] == ["ConverseStream" if "stream" in mode else "Converse"] * 3
    for turn, request in enumerate(requests):
        sent = [m for m in request.body["messages"] if m["role"] == "assistant"]
        assert len(sent) == turn
        for earlier, message in enumerate(sent):
            first, rest = message["content"][0], message["content"][1:]
            assert first == {"reasoningContent": {"reasoningText": {"text": thoughts[earlier]}}}
            assert all("reasoningContent" not in block for block in rest)


def test_reasoning_with_a_signature_goes_back_unmodified(bedrock: LocalBedrock, conn: dict[str, Any]) -> None:
    """A reply from another Bedrock integration (langchain-aws's blocks) or a signed v1 block is sent as
    Converse `reasoningText{text, signature}`."""
    llm = ChatBedrockMistral(model=MAGISTRAL, **conn)
    histories = [
        AIMessage(
            [
                {"type": "reasoning_content", "reasoning_content": {"text": "t1", "signature": "sig-1"}},
                {"type": "text", "text": "a1"},
            ]
        ),
        AIMessage([{"type": "reasoning", "reasoning": "t1", "extras": {"signature": "sig-1"}}, "a1"]),
        AIMessage("a1", additional_kwargs={"reasoning_content": "t1", "reasoning_signature": "sig-1"}),
    ]
    for previous in histories:
        bedrock.clear()
        llm.invoke([HumanMessage("q1"), previous, HumanMessage("q2")])
        (request,) = bedrock.requests
        assert request.body["messages"][1]["content"] == [
            {"reasoningContent": {"reasoningText": {"text": "t1", "signature": "sig-1"}}},
            {"text": "a1"},
        ]


def test_models_that_do_not_reason_show_no_reasoning(bedrock: LocalBedrock, conn: dict[str, Any]) -> None:
    reply = ChatBedrockMistral(model="mistral.mistral-large-3-675b-instruct", **conn).invoke("What is 6 x 7?")
    assert [b["type"] for b in reply.content_blocks] == ["text"]
    assert "reasoning_content" not in reply.additional_kwargs


def test_reasoning_settings_are_refused_before_any_request(bedrock: LocalBedrock, conn: dict[str, Any]) -> None:
    for model in (MAGISTRAL, "mistral.mistral-large-3-675b-instruct"):
        with pytest.raises(UnsupportedFeatureError, match="reasoning_effort"):
            ChatBedrockMistral(model=model, additional_model_request_fields={"reasoning_effort": "high"}, **conn)
    assert bedrock.requests == []


def test_profile_says_magistral_reasons(conn: dict[str, Any]) -> None:
    assert ChatBedrockMistral(model=MAGISTRAL, **conn).profile["reasoning_output"] is True  # type: ignore[index]
