"""Third-party agent code, unmodified, driving ChatBedrockMistral against the emulator."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import ChatBedrockMistral
from tests.langchain.conftest import LARGE

# The seed's payment example: a small in-memory table and two tools over it.
PAYMENTS = {
    "T1001": {"status": "Paid", "date": "2021-10-05"},
    "T1002": {"status": "Unpaid", "date": "2021-10-06"},
    "T1003": {"status": "Paid", "date": "2021-10-07"},
}
QUESTION = "What's the status of my transaction T1001?"


@tool
def retrieve_payment_status(transaction_id: str) -> str:
    """Get the payment status of a transaction."""
    record = PAYMENTS.get(transaction_id)
    return record["status"] if record else "error: transaction id not found"


@tool
def retrieve_payment_date(transaction_id: str) -> str:
    """Get the payment date of a transaction."""
    record = PAYMENTS.get(transaction_id)
    return record["date"] if record else "error: transaction id not found"


TOOLS = [retrieve_payment_status, retrieve_payment_date]
BY_NAME = {t.name: t for t in TOOLS}


def model(conn: dict, api: str) -> ChatBedrockMistral:
    return ChatBedrockMistral(model=LARGE, api=api, temperature=0, **conn)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_payment_status_tool_loop(bedrock: LocalBedrock, conn: dict, api: str) -> None:
    llm = model(conn, api).bind_tools(TOOLS)
    messages: list[BaseMessage] = [HumanMessage(QUESTION)]
    for _ in range(5):
        reply = llm.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            messages.append(BY_NAME[call["name"]].invoke(call))
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert "Paid" in final.text
    calls = [m for m in messages if isinstance(m, ToolMessage)]
    assert calls and calls[0].name == "retrieve_payment_status" and calls[0].content == "Paid"


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_langgraph_react_agent_invoke_and_stream(bedrock: LocalBedrock, conn: dict, api: str) -> None:
    from langgraph.prebuilt import create_react_agent

    agent = create_react_agent(model(conn, api), TOOLS)
    state = agent.invoke({"messages": [HumanMessage(QUESTION)]})
    assert "Paid" in state["messages"][-1].text
    assert any(isinstance(m, ToolMessage) and m.content == "Paid" for m in state["messages"])

    tokens = []
    for chunk, metadata in agent.stream({"messages": [HumanMessage(QUESTION)]}, stream_mode="messages"):
        if isinstance(chunk, AIMessageChunk) and metadata["langgraph_node"] == "agent":
            tokens.append(chunk.text)
    assert "Paid" in "".join(tokens)


@pytest.mark.parametrize("api", ["invoke", "converse"])
async def test_langgraph_react_agent_ainvoke(bedrock: LocalBedrock, conn: dict, api: str) -> None:
    from langgraph.prebuilt import create_react_agent

    llm = model(conn, api)
    agent = create_react_agent(llm, TOOLS)
    state = await agent.ainvoke({"messages": [HumanMessage(QUESTION)]})
    assert "Paid" in state["messages"][-1].text
    await llm.transport.aclose()


class PaymentReport(BaseModel):
    """Final report to return to the user."""

    transaction_id: str = Field(description="the transaction id, like T1001")
    status: str = Field(description="the payment status")


LARGE_3 = "mistral.mistral-large-3-675b-instruct"
STRATEGIES = [
    pytest.param(LARGE, "invoke", id="tool-strategy-invoke"),
    pytest.param(LARGE, "converse", id="tool-strategy-converse"),
    pytest.param(LARGE_3, None, id="provider-strategy"),  # profile: native structured output
]


@pytest.mark.parametrize(("model_id", "api"), STRATEGIES)
def test_langchain_create_agent_returns_the_structured_response(
    bedrock: LocalBedrock, conn: dict, model_id: str, api: str | None
) -> None:
    from langchain.agents import create_agent

    llm = ChatBedrockMistral(model=model_id, api=api, **conn)
    agent = create_agent(llm, tools=[], response_format=PaymentReport)
    state = agent.invoke({"messages": [HumanMessage("Transaction T1001 has the status 'Paid'. Report it.")]})
    assert state["structured_response"] == PaymentReport(transaction_id="T1001", status="Paid")
    body = bedrock.requests[-1].body
    if model_id == LARGE_3:
        assert "outputConfig" in body  # create_agent chose the provider strategy from the profile
    else:
        assert "toolConfig" in body or "tools" in body


@pytest.mark.parametrize(("model_id", "api"), STRATEGIES)
def test_langchain_create_agent_with_tools_and_response_format(
    bedrock: LocalBedrock, conn: dict, model_id: str, api: str | None
) -> None:
    from langchain.agents import create_agent

    agent = create_agent(
        ChatBedrockMistral(model=model_id, api=api, **conn), tools=TOOLS, response_format=PaymentReport
    )
    state = agent.invoke({"messages": [HumanMessage(QUESTION)]})
    assert state["structured_response"] == PaymentReport(transaction_id="T1001", status="Paid")
