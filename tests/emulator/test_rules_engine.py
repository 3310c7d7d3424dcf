"""The rules engine without I/O: argument extraction, tool choice, JSON, RAG, ReAct, limits."""

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
from bedrock_mistral.local.engines import extract
from bedrock_mistral.local.engines.rules import RulesEngine
from bedrock_mistral.local.wire.text_completion import parse_prompt

ENGINE = RulesEngine()
MODEL = "mistral.mistral-large-2407-v1:0"


def obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
        **extra,
    }


def ask(text: str, **kwargs: Any) -> Conversation:
    return Conversation(model_id=MODEL, turns=[ConversationTurn("user", text)], **kwargs)


def test_integers_and_numbers_in_order() -> None:
    schema = obj({"a": {"type": "integer"}, "b": {"type": "integer"}, "rate": {"type": "number"}})
    assert extract.arguments(schema, "Multiply 3 by 12 at a rate of 0.25") == {"a": 3, "b": 12, "rate": 0.25}


def test_quoted_strings_keep_unicode() -> None:
    schema = obj({"username": {"type": "string"}})
    assert extract.arguments(schema, "Greet the user named 'José Ñúñez' please") == {"username": "José Ñúñez"}
    assert extract.arguments(obj({"text": {"type": "string"}}), 'Translate "naïve café" to German') == {
        "text": "naïve café"
    }


def test_enum_ids_places_and_names() -> None:
    schema = obj(
        {
            "order_id": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "city": {"type": "string"},
            "customer_name": {"type": "string"},
        }
    )
    args = extract.arguments(schema, "For order T1001, Marie Curie wants the weather in Paris in fahrenheit")
    assert args == {
        "order_id": "T1001",
        "unit": "fahrenheit",
        "city": "Paris",
        "customer_name": "Marie Curie",
    }


def test_placeholders_are_schema_valid() -> None:
    schema = obj(
        {
            "when": {"type": "string", "format": "date"},
            "count": {"type": "integer", "minimum": 5},
            "flag": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "nested": {"$ref": "#/$defs/Inner"},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "number"}]},
            "optional": {"type": "string"},
        },
        required=["when", "count", "flag", "tags", "nested", "maybe"],
        **{"$defs": {"Inner": obj({"x": {"type": "integer"}, "label": {"type": "string"}})}},
    )
    args = extract.arguments(schema, "do it")
    assert args["when"] == "2024-01-01"
    assert args["count"] == 5 and args["flag"] is False
    assert len(args["tags"]) == 2 and all(isinstance(t, str) for t in args["tags"])
    assert isinstance(args["nested"]["x"], int) and isinstance(args["nested"]["label"], str)
    assert isinstance(args["maybe"], (int, float))
    assert "optional" not in args


def test_no_parameters_gives_empty_object() -> None:
    assert extract.arguments({"type": "object", "properties": {}}, "Call it with 3 and 'x'") == {}
    assert extract.arguments(None, "anything") == {}


def test_matching_tool_is_called() -> None:
    tools = [
        OfferedTool(
            "get_weather", "Get the current weather for a location.", obj({"location": {"type": "string"}})
        ),
        OfferedTool("get_stock_price", "Look up a stock price.", obj({"ticker": {"type": "string"}})),
    ]
    reply = ENGINE.reply(ask("What's the weather like in Tokyo?", tools=tools))
    assert reply.stop_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("get_weather", {"location": "Tokyo"})]


def test_parallel_calls_for_several_tools_and_places() -> None:
    tools = [
        OfferedTool("add", "Add two integers.", obj({"a": {"type": "integer"}, "b": {"type": "integer"}})),
        OfferedTool(
            "multiply", "Multiply two integers.", obj({"a": {"type": "integer"}, "b": {"type": "integer"}})
        ),
        OfferedTool("get_weather", "Get the weather.", obj({"location": {"type": "string"}})),
    ]
    reply = ENGINE.reply(ask("What is 3 * 12? Also what is 11 + 49?", tools=tools))
    assert {c.name for c in reply.tool_calls} == {"add", "multiply"}
    reply = ENGINE.reply(ask("What is the weather in Seattle and San Francisco today?", tools=tools))
    assert [c.arguments for c in reply.tool_calls] == [{"location": "Seattle"}, {"location": "San Francisco"}]


def test_tool_choice_none_any_and_unrelated_prompt() -> None:
    tools = [OfferedTool("get_weather", "Get the weather.", obj({"location": {"type": "string"}}))]
    assert not ENGINE.reply(ask("What's the weather in Rome?", tools=tools, tool_choice="none")).tool_calls
    assert not ENGINE.reply(ask("Tell me a poem about the sea.", tools=tools)).tool_calls
    forced = ENGINE.reply(ask("Tell me a poem about the sea.", tools=tools, tool_choice="any"))
    assert forced.tool_calls[0].name == "get_weather"


def test_magic_function_by_name() -> None:
    tools = [
        OfferedTool(
            "magic_function", "Applies a magic function to an input.", obj({"input": {"type": "integer"}})
        )
    ]
    reply = ENGINE.reply(ask("What is the value of magic_function(3)? Use the tool.", tools=tools))
    assert reply.tool_calls[0].arguments == {"input": 3}


def test_tool_results_are_quoted() -> None:
    conversation = Conversation(
        model_id=MODEL,
        turns=[
            ConversationTurn("user", "Status of T1001?"),
            ConversationTurn("assistant", tool_calls=[ToolInvocation("get_payment_status", {"id": "T1001"}, "abc123XYZ")]),
            ConversationTurn("user", tool_results=[ToolResult("abc123XYZ", "Paid")]),
        ],
        tools=[OfferedTool("get_payment_status", "Payment status.", obj({"id": {"type": "string"}}))],
    )
    assert ENGINE.reply(conversation).text == "The result of get_payment_status is: Paid."


def test_json_schema_output_is_valid() -> None:
    schema = obj(
        {"city": {"type": "string"}, "country": {"type": "string"}, "population": {"type": "integer"}}
    )
    reply = ENGINE.reply(ask("What is the capital of France?", response_schema=schema))
    value = json.loads(reply.text)
    assert set(value) == {"city", "country", "population"} and isinstance(value["population"], int)


def test_json_requested_in_prompt_and_system_schema() -> None:
    assert isinstance(json.loads(ENGINE.reply(ask("Reply with a JSON object about Berlin.")).text), dict)
    system = 'Answer in JSON matching this schema: {"properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"]}'
    value = json.loads(ENGINE.reply(ask("Alice Smith is 31 years old.", system=system)).text)
    assert value == {"name": "Alice Smith", "age": 31}


def test_rag_answer_picks_the_best_passage_sentence() -> None:
    prompt = (
        "Context information is below.\n---------------------\nfile_path: notes.txt\n\n"
        "The office is in Lyon. The cafeteria opens at 8 am. Paul Graham wrote essays about startups and Lisp.\n"
        "---------------------\nGiven the context information and not prior knowledge, answer the query.\n"
        "Query: What did Paul Graham write about?\nAnswer: "
    )
    assert ENGINE.reply(ask(prompt)).text == "Paul Graham wrote essays about startups and Lisp."
    langchain = "Answer using the context.\nContext: Cats sleep a lot. Dogs bark at night.\nQuestion: When do dogs bark?"
    assert ENGINE.reply(ask(langchain)).text == "Dogs bark at night."


def test_react_format() -> None:
    from llama_index.core.agent.react.formatter import ReActChatFormatter
    from llama_index.core.tools import FunctionTool

    def multiply(a: int, b: int) -> int:
        """Multiply two integers and return the result."""
        return a * b

    tool = FunctionTool.from_defaults(fn=multiply)
    messages = ReActChatFormatter().format([tool], [])
    system = str(messages[0].content)
    conversation = Conversation(
        model_id=MODEL, system=system, turns=[ConversationTurn("user", "Please multiply 6 by 7.")]
    )
    text = ENGINE.reply(conversation).text
    assert "Action: multiply" in text
    assert json.loads(text.split("Action Input:")[1]) == {"a": 6, "b": 7}
    conversation.turns += [ConversationTurn("assistant", text), ConversationTurn("user", "Observation: 42")]
    final = ENGINE.reply(conversation).text
    assert final.startswith("Thought: I can answer without using any more tools.")
    assert final.endswith("Answer: The result of multiply is: 42.")


def test_default_answers_depend_on_the_prompt() -> None:
    assert "emulated locally" in ENGINE.reply(ask("which llm are you?")).text
    assert ENGINE.reply(ask("What is 6 * 7?")).text == "6 * 7 = 42."
    assert ENGINE.reply(ask("Say this is a test")).text == "This is a test."
    assert ENGINE.reply(ask("Tell me about ducks.")).text != ENGINE.reply(ask("Tell me about geese.")).text


def test_max_tokens_and_stop_sequences() -> None:
    text = ENGINE.reply(ask("Tell me about ducks.")).text
    cut = ENGINE.reply(ask("Tell me about ducks.", max_tokens=2))
    assert cut.stop_reason == "length" and cut.text == " ".join(text.split()[:2])
    stopped = ENGINE.reply(ask("Tell me about ducks.", stop=["ducks"]))
    assert stopped.stop_reason == "stop_sequence" and "ducks" not in stopped.text


def test_text_completion_prompt_parsing() -> None:
    turns = parse_prompt("<s>[INST] q1 [/INST] a1</s>[INST] q2 [/INST]")
    assert [(t.role, t.text) for t in turns] == [("user", "q1"), ("assistant", "a1"), ("user", "q2")]
    assert [(t.role, t.text) for t in parse_prompt("plain prompt")] == [("user", "plain prompt")]
