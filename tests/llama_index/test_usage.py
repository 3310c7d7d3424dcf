"""Token counts: `TokenCountingHandler` sees what Bedrock reported (headers, stream metrics, Converse usage),
and instrumentation sees every call."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.llms import ChatMessage

from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral
from tests.llama_index.conftest import LARGE_2407, MISTRAL_7B

QUESTION = [
    ChatMessage(role="system", content="You are terse."),
    ChatMessage(role="user", content="What is 2 + 3?"),
]


class ReportedUsage:
    """Token counts as the emulator reported them on the wire, captured by a botocore event hook."""

    def __init__(self) -> None:
        self.counts: list[tuple[int, int]] = []

    def __call__(
        self, http_response: Any = None, parsed: Any = None, model: Any = None, **kwargs: Any
    ) -> None:
        headers = http_response.headers if http_response is not None else {}
        if "X-Amzn-Bedrock-Input-Token-Count" in headers:
            self.counts.append(
                (
                    int(headers["X-Amzn-Bedrock-Input-Token-Count"]),
                    int(headers["X-Amzn-Bedrock-Output-Token-Count"]),
                )
            )
        elif isinstance(parsed, dict) and "usage" in parsed:  # Converse reports usage in the body
            self.counts.append((parsed["usage"]["inputTokens"], parsed["usage"]["outputTokens"]))


@pytest.fixture
def counted(
    bedrock: LocalBedrock,
) -> Iterator[Callable[..., tuple[BedrockMistral, TokenCountingHandler, ReportedUsage]]]:
    def make(model: str, **kwargs: Any) -> tuple[BedrockMistral, TokenCountingHandler, ReportedUsage]:
        client = bedrock.client()
        reported = ReportedUsage()
        client.meta.events.register("after-call.bedrock-runtime.*", reported)
        counter = TokenCountingHandler()
        llm = BedrockMistral(model, client=client, callback_manager=CallbackManager([counter]), **kwargs)
        return llm, counter, reported

    yield make


def counts(counter: TokenCountingHandler) -> list[tuple[int, int]]:
    return [(e.prompt_token_count, e.completion_token_count) for e in counter.llm_token_counts]


@pytest.mark.parametrize(("model", "api"), [(MISTRAL_7B, None), (LARGE_2407, None), (LARGE_2407, "converse")])
def test_token_counting_handler_reports_bedrock_counts(counted: Any, model: str, api: Any) -> None:
    llm, counter, reported = counted(model, api=api)
    llm.chat(QUESTION)
    llm.complete("Say hello")
    assert len(reported.counts) == 2
    assert counts(counter) == reported.counts
    assert counter.total_llm_token_count == sum(a + b for a, b in reported.counts)
    # Not LlamaIndex's tiktoken estimate: that counts the rendered messages differently.
    estimate = counter._token_counter.estimate_tokens_in_messages(QUESTION)
    assert reported.counts[0][0] != estimate


@pytest.mark.parametrize(("model", "api"), [(MISTRAL_7B, None), (LARGE_2407, None), (LARGE_2407, "converse")])
def test_streams_report_the_same_counts_once(counted: Any, model: str, api: Any) -> None:
    llm, counter, reported = counted(model, api=api)
    llm.chat(QUESTION)
    chunks = list(llm.stream_chat(QUESTION))
    assert [c.raw is not None and "usage" in c.raw for c in chunks][-1] is True
    list(llm.stream_complete("Say hello"))
    llm.complete("Say hello")
    # The emulator is deterministic: streamed counts equal the non-streamed ones read from the wire.
    assert counts(counter) == [reported.counts[0], reported.counts[0], reported.counts[1], reported.counts[1]]


def test_rag_query_counts_add_up(counted: Any, embed_model: Any) -> None:
    from llama_index.core import Document, Settings, VectorStoreIndex

    llm, counter, reported = counted(LARGE_2407)
    index = VectorStoreIndex.from_documents(
        [Document(text="The Eiffel Tower is in Paris.")], embed_model=embed_model
    )
    # Query engines give the LLM the global callback manager: LlamaIndex's documented TokenCountingHandler setup.
    saved = Settings._callback_manager
    Settings.callback_manager = llm.callback_manager
    try:
        index.as_query_engine(llm=llm).query("Where is the Eiffel Tower?")
    finally:
        Settings._callback_manager = saved
    assert counter.prompt_llm_token_count == sum(a for a, _ in reported.counts) > 0
    assert counter.completion_llm_token_count == sum(b for _, b in reported.counts) > 0


class _Events(BaseEventHandler):
    events: list[BaseEvent] = []

    @classmethod
    def class_name(cls) -> str:
        return "_Events"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


async def test_instrumentation_sees_every_call(
    bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral]
) -> None:
    handler = _Events(events=[])
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)
    llm = make_llm(LARGE_2407)
    try:
        llm.chat(QUESTION)
        list(llm.stream_chat(QUESTION))
        await llm.achat(QUESTION)
        [c async for c in await llm.astream_chat(QUESTION)]
        llm.complete("Hi")
        list(llm.stream_complete("Hi"))
        await llm.acomplete("Hi")
        [c async for c in await llm.astream_complete("Hi")]
    finally:
        dispatcher.event_handlers.remove(handler)
        await llm.aclose()
    kinds = [type(e) for e in handler.events]
    assert kinds.count(LLMChatStartEvent) == kinds.count(LLMChatEndEvent) == 4
    assert kinds.count(LLMCompletionStartEvent) == kinds.count(LLMCompletionEndEvent) == 4
    ends = [e for e in handler.events if isinstance(e, LLMChatEndEvent)]
    assert all(e.response is not None and e.response.raw and "usage" in e.response.raw for e in ends)
