"""LlamaIndex's own agents, unmodified, driving BedrockMistral through the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.agent.workflow import (
    AgentOutput,
    AgentStream,
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)

from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral
from tests.llama_index.conftest import LARGE_2407

Make = Callable[..., BedrockMistral]


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 22 degrees in {city}"


def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    return a + b


async def run_agent(workflow: Any, question: str) -> tuple[Any, list[Any]]:
    handler = workflow.run(user_msg=question)
    events = [event async for event in handler.stream_events()]
    return await handler, events


@pytest.mark.parametrize("streaming", [True, False], ids=["streaming", "not-streaming"])
@pytest.mark.parametrize("api", [None, "converse"], ids=["invoke", "converse"])
async def test_function_agent_with_two_tools(
    bedrock: LocalBedrock, make_llm: Make, api: Any, streaming: bool
) -> None:
    llm = make_llm(LARGE_2407, api=api)
    agent = FunctionAgent(
        tools=[add, get_weather], llm=llm, streaming=streaming, system_prompt="You are a helpful assistant."
    )
    try:
        result, events = await run_agent(agent, "What is the weather in Paris?")
        assert str(result) == "The result of get_weather is: Sunny and 22 degrees in Paris."
        assert [t.tool_name for t in result.tool_calls] == ["get_weather"]
        calls = [e for e in events if isinstance(e, ToolCallResult)]
        assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("get_weather", {"city": "Paris"})]
        streamed = "".join(e.delta for e in events if isinstance(e, AgentStream))
        assert (streamed == str(result)) is streaming

        result, _ = await run_agent(agent, "What is 2 + 3?")
        assert str(result) == "The result of add is: 5."

        operations = {r.operation for r in bedrock.requests}
        if api is None:
            assert operations == {"InvokeModelWithResponseStream" if streaming else "InvokeModel"}
        else:  # Mistral cannot stream tool use on ConverseStream: one Converse call, delivered as chunks
            assert operations == {"Converse"}
    finally:
        await llm.aclose()


async def test_agent_workflow_hands_off_and_completes(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(LARGE_2407)
    calculator = FunctionAgent(
        name="calculator",
        description="Adds numbers.",
        tools=[add],
        llm=llm,
        system_prompt="You do arithmetic.",
        can_handoff_to=["weather"],
    )
    weather = FunctionAgent(
        name="weather",
        description="Answers questions about the weather in a city.",
        tools=[get_weather],
        llm=llm,
        system_prompt="You report the weather.",
    )
    workflow = AgentWorkflow(agents=[calculator, weather], root_agent="calculator")
    try:
        result, events = await run_agent(
            workflow, 'Hand off to the "weather" agent: what is the weather in Paris?'
        )
        handoffs = [e for e in events if isinstance(e, ToolCallResult) and e.tool_name == "handoff"]
        assert [h.tool_kwargs["to_agent"] for h in handoffs] == ["weather"]
        speakers = [e.current_agent_name for e in events if isinstance(e, AgentOutput)]
        assert speakers[0] == "calculator" and speakers[-1] == "weather"
        assert result.current_agent_name == "weather"
        assert str(result).startswith("The result of handoff is: Agent weather is now handling the request")
        # The weather agent got its own system prompt and the handoff tool result in a native chat body.
        last = bedrock.requests[-1].body["messages"]
        assert last[0] == {"role": "system", "content": "You report the weather."}
        assert last[-1]["role"] == "tool"
    finally:
        await llm.aclose()


@pytest.mark.parametrize("api", [None, "converse"], ids=["invoke", "converse"])
async def test_react_agent_completes_with_a_tool(bedrock: LocalBedrock, make_llm: Make, api: Any) -> None:
    llm = make_llm(LARGE_2407, api=api)
    agent = ReActAgent(tools=[add, get_weather], llm=llm)
    try:
        result, events = await run_agent(agent, "What is the weather in Paris?")
        calls = [e for e in events if isinstance(e, ToolCallResult)]
        assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("get_weather", {"city": "Paris"})]
        assert "Sunny and 22 degrees in Paris" in str(result)
    finally:
        await llm.aclose()
