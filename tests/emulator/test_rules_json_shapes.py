"""The rules engine's JSON answers without a request schema: keys named in the prompt, schemas written in it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, Field

from bedrock_mistral.local.conversation import Conversation, ConversationTurn
from bedrock_mistral.local.engines import content, json_keys, schemas
from bedrock_mistral.local.engines.rules import RulesEngine

ENGINE = RulesEngine()
MODEL = "mistral.mistral-large-2407-v1:0"
JOKE = (
    "Tell me a joke about cats. Return the result as a JSON with 'setup' and 'punchline' keys. "
    "Return nothing other than JSON."
)
MEAL = "What is the best French meal? Return the name and the ingredients in short JSON object."


def answer(text: str, system: str = "", **kwargs: Any) -> Any:
    conversation = Conversation(model_id=MODEL, system=system, turns=[ConversationTurn("user", text)], **kwargs)
    return json.loads(ENGINE.reply(conversation).text)


class Person(BaseModel):
    """A person."""

    name: str = Field(description="full name")
    age: int


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        (JOKE, ["setup", "punchline"]),
        (MEAL, ["name", "ingredients"]),
        ('Respond in JSON with keys "title", "year" and "genres".', ["title", "year", "genres"]),
        ("Return JSON including the fields `city` and `country`", ["city", "country"]),
        ("Give me a JSON object with name, age and city for Bob.", ["name", "age", "city"]),
        ("Return the name of the dish and its price as JSON", ["name", "price"]),
        ("Answer with JSON containing is_open and opening_hours", ["is_open", "opening_hours"]),
        (
            "Return the name and the ingredients, with a list of steps, as JSON",
            ["name", "ingredients", "steps"],
        ),
        ("Answer with a single JSON object and nothing else.", []),
        ("Reply with a JSON object about Berlin.", []),
        ("What is the capital of France? Answer in JSON.", []),
        ("Return the result as JSON.", []),
    ],
)
def test_keys_named_in_the_prompt(text: str, keys: list[str]) -> None:
    assert json_keys.named_keys(text) == keys


def test_key_types_read_from_their_names() -> None:
    schema = json_keys.schema_for(["name", "ingredients", "age", "price", "is_open", "status"])
    types = {k: v["type"] for k, v in schema["properties"].items()}
    assert types == {
        "name": "string",
        "ingredients": "array",
        "age": "integer",
        "price": "number",
        "is_open": "boolean",
        "status": "string",
    }
    assert schema["required"] == list(types)


def test_json_mode_uses_the_keys_the_prompt_names() -> None:
    """langchain-tests' test_json_mode: the answer must have exactly 'setup' and 'punchline'."""
    for kwargs in ({"json_mode": True}, {"system": "Answer with a single JSON object and nothing else."}):
        joke = answer(JOKE, **kwargs)
        assert set(joke) == {"setup", "punchline"}
        assert all(isinstance(v, str) and v for v in joke.values())
        assert "cat" in joke["setup"] and joke["setup"] != joke["punchline"]
    assert answer(JOKE) == answer(JOKE)  # deterministic


def test_seed_french_meal_prompt() -> None:
    meal = answer(MEAL, json_mode=True)
    assert set(meal) == {"name", "ingredients"}
    assert isinstance(meal["name"], str) and "French meal" in meal["name"]
    assert meal["ingredients"] and all(isinstance(i, str) for i in meal["ingredients"])


def test_named_keys_take_values_from_the_prompt() -> None:
    person = answer("Give me a JSON object with name, age and city for Bob Dylan, 82, who lives in Malibu.")
    assert person == {"name": "Bob Dylan", "age": 82, "city": "Malibu"}


def test_no_named_keys_keeps_the_answer_key() -> None:
    assert set(answer("Reply with a JSON object about Berlin.")) == {"answer"}


def test_langchain_format_instructions_schema_not_the_foo_example() -> None:
    from langchain_core.output_parsers import PydanticOutputParser

    instructions = PydanticOutputParser(pydantic_object=Person).get_format_instructions()
    assert "foo" in instructions
    assert answer(f"Alice Smith is 31 years old.\n{instructions}") == {"name": "Alice Smith", "age": 31}
    assert answer("Alice Smith is 31 years old.", system=instructions) == {"name": "Alice Smith", "age": 31}


def test_llama_index_format_string_with_doubled_braces() -> None:
    from llama_index.core.output_parsers import PydanticOutputParser

    prompt = PydanticOutputParser(Person).format("Alice Smith is 31 years old.")
    assert "{{" in prompt
    assert answer(prompt) == {"name": "Alice Smith", "age": 31}
    assert answer("Alice Smith is 31 years old.", system=PydanticOutputParser(Person).format_string) == {
        "name": "Alice Smith",
        "age": 31,
    }


def test_structured_output_parser_pseudo_json() -> None:
    system = (
        "The output should be a markdown code snippet formatted in the following schema, including the leading "
        'and trailing "```json" and "```":\n\n```json\n{\n\t"city": string  // the city\n'
        '\t"population": int  // how many people live there\n}\n```'
    )
    assert answer("Lyon has 522250 inhabitants.", system=system) == {"city": "Lyon", "population": 522250}


def test_schema_location_prefers_the_last_schema() -> None:
    text = 'Example: {"properties": {"foo": {"type": "string"}}} Real: {"properties": {"bar": {"type": "integer"}}}'
    assert schemas.find(text) == {"properties": {"bar": {"type": "integer"}}}
    assert schemas.find('The object {"properties": {"foo": ["bar"]}} is not a schema.') is None
    assert schemas.find("no schema here") is None


def test_topic_and_placeholders() -> None:
    assert content.topic("Tell me a joke about cats.") == "cats"
    assert content.topic("What is the best French meal?") == "the best French meal"
    stand_in = content.Content("Write a poem about the sea.")
    assert stand_in("title", "string") == "Sea"
    assert stand_in("tags", "array") == ["tag 1", "tag 2", "tag 3"]
    assert stand_in("count", "integer") is None


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("Reply with a JSON object about Berlin.", True),
        ("Respond in JSON.", True),
        ("Convert this to JSON: Bob is 3.", True),
        ("Answer with a single JSON object and nothing else.", True),
        ("JSON only, please.", True),
        ("What is JSON?", False),
        ("Explain the difference between JSON and YAML", False),
        ("The tool inputs are JSON.", False),
    ],
)
def test_asking_for_json_is_not_naming_it(text: str, wanted: bool) -> None:
    reply = ENGINE.reply(Conversation(model_id=MODEL, turns=[ConversationTurn("user", text)])).text
    assert reply.startswith("{") is wanted
