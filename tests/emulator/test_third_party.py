"""Unmodified third-party Bedrock clients against the emulator: langchain-aws, LlamaIndex, LangGraph."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bedrock_mistral.local import LocalBedrock

LARGE = "mistral.mistral-large-2407-v1:0"


def get_weather(location: str) -> str:
    """Get the current weather for a location."""
    return f"It is sunny and 21 degrees in {location}"


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    return a * b


@pytest.fixture
def chat_converse(bedrock: LocalBedrock) -> Any:
    from langchain_aws import ChatBedrockConverse

    return ChatBedrockConverse(model=LARGE, client=bedrock.client(), region_name=bedrock.region_name)


def test_langchain_converse_invoke_and_stream(chat_converse: Any, bedrock: LocalBedrock) -> None:
    message = chat_converse.invoke("which llm are you?")
    assert "emulated locally" in message.content
    assert (
        message.usage_metadata["total_tokens"]
        == message.usage_metadata["input_tokens"] + message.usage_metadata["output_tokens"]
    )
    chunks = list(chat_converse.stream("which llm are you?"))
    text = "".join(
        c.content if isinstance(c.content, str) else "".join(b.get("text", "") for b in c.content)
        for c in chunks
    )
    assert text == message.content
    assert [r.operation for r in bedrock.requests] == ["Converse", "ConverseStream"]


def test_langchain_converse_tool_round_trip(chat_converse: Any) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    llm = chat_converse.bind_tools([get_weather])
    question = HumanMessage("What is the weather in Paris?")
    ai = llm.invoke([question])
    [call] = ai.tool_calls
    assert call["name"] == "get_weather" and call["args"] == {"location": "Paris"}
    result = ToolMessage(get_weather(**call["args"]), tool_call_id=call["id"])
    final = llm.invoke([question, ai, result])
    assert final.content == "The result of get_weather is: It is sunny and 21 degrees in Paris."


def test_langchain_structured_output(chat_converse: Any) -> None:
    from pydantic import BaseModel

    class City(BaseModel):
        name: str
        country: str
        population: int

    city = chat_converse.with_structured_output(City).invoke(
        "Tell me about Paris in France, population 2102650."
    )
    assert isinstance(city, City) and city.population == 2102650


def test_langgraph_react_agent(chat_converse: Any) -> None:
    from langchain.agents import create_agent

    agent = create_agent(chat_converse, tools=[get_weather])
    result = agent.invoke({"messages": [("user", "What is the weather in Lisbon?")]})
    assert (
        result["messages"][-1].content
        == "The result of get_weather is: It is sunny and 21 degrees in Lisbon."
    )


def test_langchain_bedrock_llm_mistral_7b(bedrock: LocalBedrock) -> None:
    from botocore.exceptions import ClientError
    from langchain_aws import BedrockLLM

    llm = BedrockLLM(
        model_id="mistral.mistral-7b-instruct-v0:2", client=bedrock.client(), region_name=bedrock.region_name
    )
    assert "emulated locally" in llm.invoke("<s>[INST] which llm are you? [/INST]")
    assert "".join(llm.stream("<s>[INST] Say hello world [/INST]")) == "Hello world."
    # The streaming path sends `stop_sequences`, which real Bedrock rejects for Mistral models.
    with pytest.raises((ClientError, ValueError)) as error:
        list(llm.stream("<s>[INST] Count to ten [/INST]", stop=["five"]))
    assert "extraneous key [stop_sequences] is not permitted" in str(error.value)
    assert bedrock.requests[-1].body["stop_sequences"] == ["five"]


def test_llama_index_bedrock_converse(bedrock: LocalBedrock) -> None:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.bedrock_converse import BedrockConverse

    llm = BedrockConverse(model=LARGE, client=bedrock.client(), region_name=bedrock.region_name)
    assert (
        "emulated locally"
        in llm.chat([ChatMessage(role="user", content="which llm are you?")]).message.content
    )
    assert llm.complete("Say this is a test").text == "This is a test."
    assert "".join(r.delta or "" for r in llm.stream_complete("Say this is a test")) == "This is a test."


def test_llama_index_function_agent(bedrock: LocalBedrock) -> None:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.llms.bedrock_converse import BedrockConverse

    llm = BedrockConverse(model=LARGE, client=bedrock.client(), region_name=bedrock.region_name)
    agent = FunctionAgent(tools=[multiply], llm=llm, streaming=False)
    response = asyncio.run(_run(agent, "Please multiply 6 by 7."))
    assert "42" in str(response)


def test_llama_index_react_agent(bedrock: LocalBedrock) -> None:
    from llama_index.core.agent.workflow import ReActAgent
    from llama_index.llms.bedrock_converse import BedrockConverse

    llm = BedrockConverse(model=LARGE, client=bedrock.client(), region_name=bedrock.region_name)
    agent = ReActAgent(tools=[multiply], llm=llm, streaming=False)
    response = asyncio.run(_run(agent, "Please multiply 6 by 7."))
    assert "42" in str(response)


def test_llama_index_query_engine(bedrock: LocalBedrock) -> None:
    from llama_index.core import Document, MockEmbedding, VectorStoreIndex
    from llama_index.llms.bedrock_converse import BedrockConverse

    llm = BedrockConverse(model=LARGE, client=bedrock.client(), region_name=bedrock.region_name)
    documents = [
        Document(
            text="The office is in Lyon. Paul Graham wrote essays about startups and Lisp. The cafeteria opens at 8."
        )
    ]
    index = VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=8))
    answer = index.as_query_engine(llm=llm).query("What did Paul Graham write about?")
    assert str(answer) == "Paul Graham wrote essays about startups and Lisp."


async def _run(agent: Any, question: str) -> Any:
    return await agent.run(question)
