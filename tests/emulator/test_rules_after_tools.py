"""The rules engine after tool results: forced tool calls, structured-output tools, JSON filled from results."""

from __future__ import annotations

import json
from typing import Any

from bedrock_mistral.local.conversation import (
    Conversation,
    ConversationTurn,
    OfferedTool,
    ToolInvocation,
    ToolResult,
)
from bedrock_mistral.local.engines import after_tools
from bedrock_mistral.local.engines.rules import RulesEngine

ENGINE = RulesEngine()
MODEL = "mistral.mistral-large-2407-v1:0"
QUESTION = "What's the status of my transaction T1001?"
ID_ONLY = {
    "type": "object",
    "properties": {"transaction_id": {"type": "string"}},
    "required": ["transaction_id"],
}
STATUS = OfferedTool("retrieve_payment_status", "Get the payment status of a transaction.", ID_ONLY)
DATE = OfferedTool("retrieve_payment_date", "Get the payment date of a transaction.", ID_ONLY)
REPORT_SCHEMA = {
    "type": "object",
    "properties": {
        "transaction_id": {"type": "string", "description": "the transaction id, like T1001"},
        "status": {"type": "string", "description": "the payment status"},
    },
    "required": ["transaction_id", "status"],
}
# What LangChain's create_agent offers with a ToolStrategy: the response model as one more tool.
REPORT = OfferedTool("PaymentReport", "Final report to return to the user.", REPORT_SCHEMA)


def after(
    result: str = "Paid",
    tools: list[OfferedTool] | None = None,
    question: str = QUESTION,
    tool: str = "retrieve_payment_status",
    **kwargs: Any,
) -> Conversation:
    """The conversation once `tool` was called for T1001 and answered `result`."""
    return Conversation(
        model_id=MODEL,
        turns=[
            ConversationTurn("user", question),
            ConversationTurn("assistant", tool_calls=[ToolInvocation(tool, {"transaction_id": "T1001"}, "call-1")]),
            ConversationTurn("user", tool_results=[ToolResult("call-1", result)]),
        ],
        tools=[STATUS, DATE, REPORT] if tools is None else tools,
        **kwargs,
    )


def test_auto_tool_choice_still_quotes_the_results() -> None:
    reply = ENGINE.reply(after())
    assert not reply.tool_calls
    assert reply.text == "The result of retrieve_payment_status is: Paid."


def test_forced_choice_calls_the_structured_output_tool_filled_from_the_results() -> None:
    reply = ENGINE.reply(after(tool_choice="any"))
    assert reply.stop_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [
        ("PaymentReport", {"transaction_id": "T1001", "status": "Paid"})
    ]


def test_named_tool_choice_calls_that_tool() -> None:
    reply = ENGINE.reply(after(tool_choice="tool", forced_tool="PaymentReport", tools=[STATUS, REPORT]))
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [
        ("PaymentReport", {"transaction_id": "T1001", "status": "Paid"})
    ]


def test_forced_choice_without_an_output_tool_calls_the_best_match_again() -> None:
    reply = ENGINE.reply(after(tool_choice="any", tools=[STATUS, DATE]))
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [
        ("retrieve_payment_status", {"transaction_id": "T1001"})
    ]


def test_action_tools_are_not_taken_for_output_tools() -> None:
    weather = OfferedTool(
        "get_weather", "Get the weather for a city.", {"properties": {"city": {"type": "string"}}}
    )
    clock = OfferedTool(
        "get_time", "Get the current time in a timezone.", {"properties": {"tz": {"type": "string"}}}
    )
    conversation = after(
        tools=[weather, clock], tool_choice="any", question="Weather in Paris?", tool="get_weather"
    )
    assert after_tools.structured_output_tool(conversation) is None
    assert [c.name for c in ENGINE.reply(conversation).tool_calls] == ["get_weather"]


def test_response_schema_after_tools_is_json_from_the_results() -> None:
    """create_agent's ProviderStrategy: outputConfig json_schema together with tools."""
    reply = ENGINE.reply(after(tools=[STATUS, DATE], response_schema=REPORT_SCHEMA))
    assert not reply.tool_calls
    assert json.loads(reply.text) == {"transaction_id": "T1001", "status": "Paid"}


def test_json_object_results_fill_properties_by_name() -> None:
    schema = {
        "type": "object",
        "properties": {
            "status": {"type": "string"},
            "date": {"type": "string"},
            "amount": {"type": "integer"},
        },
        "required": ["status", "date", "amount"],
    }
    result = json.dumps({"status": "Paid", "date": "2021-10-05", "amount": "125"})
    assert json.loads(ENGINE.reply(after(result, response_schema=schema)).text) == {
        "status": "Paid",
        "date": "2021-10-05",
        "amount": 125,
    }


def test_json_mode_after_tools() -> None:
    assert json.loads(ENGINE.reply(after(json_mode=True)).text) == {
        "answer": "The result of retrieve_payment_status is: Paid."
    }
    question = f"{QUESTION} Answer in JSON with 'transaction_id' and 'status' keys."
    assert json.loads(ENGINE.reply(after(question=question, json_mode=True)).text) == {
        "transaction_id": "T1001",
        "status": "Paid",
    }
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    assert json.loads(ENGINE.reply(after(response_schema=schema)).text) == {
        "answer": "The result of retrieve_payment_status is: Paid."
    }


def test_schema_in_the_system_prompt_after_tools() -> None:
    conversation = after(tools=[STATUS, DATE])
    conversation.system = f"Answer with JSON following this schema: {json.dumps(REPORT_SCHEMA)}"
    assert json.loads(ENGINE.reply(conversation).text) == {"transaction_id": "T1001", "status": "Paid"}


def test_known_values_map_plain_results_to_the_matching_property() -> None:
    known = after_tools.known_values(
        after("2021-10-05", tool="retrieve_payment_date"),
        {
            "type": "object",
            "properties": {
                "transaction_id": {"type": "string"},
                "paid_on": {"type": "string", "description": "date"},
            },
        },
    )
    assert known == {"transaction_id": "T1001", "paid_on": "2021-10-05"}


def test_failed_tool_results_fill_nothing() -> None:
    conversation = after(tool_choice="any")
    conversation.turns[-1].tool_results[0].is_error = True
    call = ENGINE.reply(conversation).tool_calls[0]
    assert call.name == "PaymentReport" and call.arguments["transaction_id"] == "T1001"
    assert call.arguments["status"] != "Paid"


def test_plain_results_go_nowhere_without_a_property_named_like_the_tool() -> None:
    weather = OfferedTool(
        "get_weather", "Get the weather for a city.", {"properties": {"location": {"type": "string"}}}
    )
    conversation = Conversation(
        model_id=MODEL,
        turns=[
            ConversationTurn("user", "Weather in Paris?"),
            ConversationTurn("assistant", tool_calls=[ToolInvocation("get_weather", {"location": "Paris"}, "w1")]),
            ConversationTurn("user", tool_results=[ToolResult("w1", "Sunny, 22 degrees")]),
        ],
        tools=[weather],
    )
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}}}
    assert after_tools.known_values(conversation, schema) == {"location": "Paris"}
    conversation.response_schema = {**schema, "required": ["city", "temperature"]}
    assert json.loads(ENGINE.reply(conversation).text) == {"city": "Paris", "temperature": 22}
