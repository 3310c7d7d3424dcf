"""BedrockMistralLLM (text completion) through the wire, alone and in an LCEL chain."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate

from bedrock_mistral.errors import ParameterError
from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import BedrockMistralLLM
from tests.langchain.conftest import SEVEN_B

PROMPT = PromptTemplate.from_template("Tell me one fact about {topic}.")


def llm(conn: dict[str, Any], **kwargs: Any) -> BedrockMistralLLM:
    return BedrockMistralLLM(model=SEVEN_B, **conn, **kwargs)


def test_lcel_chain_invoke_stream_batch(bedrock: LocalBedrock, conn: dict) -> None:
    chain = PROMPT | llm(conn, stop=["\n\n"], max_tokens=64, top_k=20) | StrOutputParser()
    answer = chain.invoke({"topic": "the sea"})
    pieces = list(chain.stream({"topic": "the sea"}))
    batch = chain.batch([{"topic": "cats"}, {"topic": "dogs"}])
    assert answer and len(pieces) > 1 and "".join(pieces) == answer
    assert len(batch) == 2 and all(batch)
    operations = [r.operation for r in bedrock.requests]
    assert operations.count("InvokeModel") == 3 and operations.count("InvokeModelWithResponseStream") == 1
    for request in bedrock.requests:
        assert request.body["stop"] == ["\n\n"] and "stop_sequences" not in request.body
        assert (request.body["max_tokens"], request.body["top_k"]) == (64, 20)
    assert bedrock.requests[0].body["prompt"] == "<s>[INST] Tell me one fact about the sea. [/INST]"


async def test_lcel_chain_ainvoke_is_natively_async(
    bedrock: LocalBedrock, conn: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import langchain_core.language_models.llms as lc_llms

    def no_threads(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("LangChain's thread-pool fallback was used")

    monkeypatch.setattr(lc_llms, "run_in_executor", no_threads)
    model = llm(conn)
    chain = PROMPT | model.bind(stop=["\n\n"]) | StrOutputParser()
    answer = await chain.ainvoke({"topic": "the sea"})
    pieces = [p async for p in chain.astream({"topic": "the sea"})]
    assert answer and "".join(pieces) == answer
    assert bedrock.requests[0].body["stop"] == ["\n\n"]
    await model.transport.aclose()


def test_prompt_already_in_template_is_sent_as_given(bedrock: LocalBedrock, conn: dict) -> None:
    prompt = "<s>[INST] What is your favourite condiment? [/INST] Lemon.</s> [INST] Any mayonnaise recipes? [/INST]"
    llm(conn).invoke(prompt)
    assert bedrock.requests[-1].body["prompt"] == prompt


def test_generation_info_has_usage_and_stop_reason(conn: dict) -> None:
    result = llm(conn).generate(["Hello"])
    info = result.generations[0][0].generation_info
    assert info is not None
    assert info["finish_reason"] == "stop" and info["stop_reason"] == "stop"
    assert info["usage"]["output_tokens"] > 0 and info["usage"]["input_tokens"] > 0
    assert result.llm_output is not None and result.llm_output["token_usage"]["total_tokens"] > 0


def test_length_stop_reason(conn: dict) -> None:
    info = (
        llm(conn, max_tokens=2)
        .generate(["Write a long story about the sea."])
        .generations[0][0]
        .generation_info
    )
    assert info is not None and info["finish_reason"] == "length"


@pytest.mark.parametrize("streaming", [False, True])
def test_streaming_tokens_reach_callbacks(bedrock: LocalBedrock, conn: dict, streaming: bool) -> None:
    tokens: list[str] = []

    class Collect(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    model = llm(conn, streaming=streaming)
    if streaming:
        result = model.generate(["Hello"], callbacks=[Collect()])
        text = result.generations[0][0].text
        info = result.generations[0][0].generation_info
        assert info is not None and info["usage"]["output_tokens"] > 0
    else:
        text = "".join(model.stream("Hello", config={"callbacks": [Collect()]}))
    assert len(tokens) > 1 and "".join(tokens) == text
    assert bedrock.requests[-1].operation == "InvokeModelWithResponseStream"


def test_chat_format_model_takes_a_raw_prompt(bedrock: LocalBedrock, conn: dict) -> None:
    answer = BedrockMistralLLM(model="mistral.mistral-large-2407-v1:0", **conn).invoke("Hello")
    assert answer
    assert bedrock.requests[-1].body["messages"] == [{"role": "user", "content": "Hello"}]


def test_construction_errors_and_ls_params() -> None:
    with pytest.raises(ParameterError, match="max_tokens=9000"):
        BedrockMistralLLM(model=SEVEN_B, max_tokens=9000, region_name="us-east-1")
    params = BedrockMistralLLM(model=SEVEN_B, region_name="us-east-1", temperature=0.2)._get_ls_params()
    assert params["ls_model_type"] == "llm" and params["ls_provider"] == "amazon_bedrock"
    assert params["ls_temperature"] == 0.2
