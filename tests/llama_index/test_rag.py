"""Retrieval-augmented generation with LlamaIndex's own engines over an offline embedding."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex

from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral
from tests.llama_index.conftest import LARGE_2407, MISTRAL_7B, HashEmbedding

Make = Callable[..., BedrockMistral]

EIFFEL = "The Eiffel Tower is in Paris. It was completed in 1889 and is 330 metres tall."
FUJI = "Mount Fuji is the highest mountain in Japan. It is an active volcano near Tokyo."
AMAZON = "The Amazon river flows through Brazil. It carries more water than any other river."

MODELS = [
    pytest.param(MISTRAL_7B, None, id="7b-text-completion"),
    pytest.param(LARGE_2407, None, id="large-2407-invoke"),
    pytest.param(LARGE_2407, "converse", id="large-2407-converse"),
]


@pytest.fixture(scope="module")
def index() -> VectorStoreIndex:
    documents = [Document(text=t) for t in (EIFFEL, FUJI, AMAZON)]
    return VectorStoreIndex.from_documents(documents, embed_model=HashEmbedding())


def sentences_of(text: str) -> set[str]:
    return {s.strip().rstrip(".") + "." for s in text.split(". ") if s.strip()}


@pytest.mark.parametrize(("model", "api"), MODELS)
def test_query_engine(
    bedrock: LocalBedrock, make_llm: Make, index: VectorStoreIndex, model: str, api: Any
) -> None:
    engine = index.as_query_engine(llm=make_llm(model, api=api), similarity_top_k=2)
    response = engine.query("How tall is the Eiffel Tower?")
    assert response.source_nodes[0].node.get_content() == EIFFEL
    assert str(response) in sentences_of(EIFFEL)
    assert "330 metres" in str(bedrock.requests[-1].body)  # the retrieved passage reached the model


@pytest.mark.parametrize(("model", "api"), MODELS)
def test_streaming_query_engine(
    bedrock: LocalBedrock, make_llm: Make, index: VectorStoreIndex, model: str, api: Any
) -> None:
    engine = index.as_query_engine(llm=make_llm(model, api=api), similarity_top_k=2, streaming=True)
    response = engine.query("Which mountain is the highest in Japan?")
    text = "".join(response.response_gen)
    assert response.source_nodes[0].node.get_content() == FUJI
    assert text in sentences_of(FUJI)
    assert bedrock.requests[-1].operation in ("InvokeModelWithResponseStream", "ConverseStream")


@pytest.mark.parametrize(("model", "api"), MODELS[1:])
def test_chat_engine_answers_from_the_context(
    bedrock: LocalBedrock, make_llm: Make, index: VectorStoreIndex, model: str, api: Any
) -> None:
    engine = index.as_chat_engine(llm=make_llm(model, api=api), similarity_top_k=2)
    first = engine.chat("Which mountain is the highest in Japan?")
    assert first.source_nodes and first.source_nodes[0].node.get_content() == FUJI
    assert str(first) == "Mount Fuji is the highest mountain in Japan."
    second = engine.chat("Is Mount Fuji a volcano?")
    assert second.source_nodes
    assert str(second) in sentences_of(FUJI)
    engine.reset()
    stream = engine.stream_chat("Where is the Eiffel Tower?")
    assert "".join(stream.response_gen) == "The Eiffel Tower is in Paris."
    assert stream.source_nodes[0].node.get_content() == EIFFEL


def test_chat_engine_on_a_text_completion_model(
    bedrock: LocalBedrock, make_llm: Make, index: VectorStoreIndex
) -> None:
    engine = index.as_chat_engine(llm=make_llm(MISTRAL_7B), similarity_top_k=2)
    response = engine.chat("Which mountain is the highest in Japan?")
    assert response.source_nodes[0].node.get_content() == FUJI
    prompt = bedrock.requests[-1].body["prompt"]
    # The context system prompt is folded into the first [INST] block, as Mistral 7B expects.
    assert prompt.startswith("<s>[INST] ") and FUJI in prompt and prompt.endswith("Japan? [/INST]")


async def test_async_query_engine(bedrock: LocalBedrock, make_llm: Make, index: VectorStoreIndex) -> None:
    llm = make_llm(LARGE_2407)
    try:
        response = await index.as_query_engine(llm=llm, similarity_top_k=2).aquery(
            "How tall is the Eiffel Tower?"
        )
        assert response.source_nodes[0].node.get_content() == EIFFEL
        assert str(response) in sentences_of(EIFFEL)
    finally:
        await llm.aclose()
