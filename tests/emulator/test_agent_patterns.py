"""Third-party agent patterns, run by the frameworks' own classes against the default (rules) engine.

The tools, schemas and documents here were written for these tests, not tuned to the engine's rules: each
test checks that the framework completes with the right tool calls or a parseable result.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pydantic import BaseModel, Field

from bedrock_mistral.local import LocalBedrock

LARGE_2 = "mistral.mistral-large-2407-v1:0"
SEVEN_B = "mistral.mistral-7b-instruct-v0:2"
PIXTRAL = "mistral.pixtral-large-2502-v1:0"
MIXTRAL = "mistral.mixtral-8x7b-instruct-v0:1"

LIGHTHOUSE = (
    "The Kervalen lighthouse stands on the north cape. It was built in 1881 and its lamp can be seen from "
    "38 kilometres away. Two keepers lived there until 1994."
)
BAKERY = (
    "Maison Trelat is the oldest bakery of the village. It bakes 600 loaves every morning and closes on "
    "Mondays. Its rye bread won a regional prize in 2019."
)
TIDES = (
    "The harbour tide table says high tide is at 06:40 and low tide at 12:55. Spring tides raise the water "
    "by 9 metres."
)


def llama_llm(bedrock: LocalBedrock, model: str = LARGE_2, **kwargs: Any) -> Any:
    from llama_index_bedrock_mistral import BedrockMistral

    return BedrockMistral(model=model, max_retries=0, **kwargs, **bedrock.client_kwargs())


def query_tools(llm: Any) -> list[Any]:
    from llama_index.core import Document, SummaryIndex
    from llama_index.core.tools import QueryEngineTool, ToolMetadata

    def tool(name: str, text: str, description: str) -> Any:
        engine = SummaryIndex.from_documents([Document(text=text)]).as_query_engine(llm=llm)
        return QueryEngineTool(engine, ToolMetadata(name=name, description=description))

    return [
        tool(
            "lighthouse_history", LIGHTHOUSE, "History and facts about the Kervalen lighthouse on the cape."
        ),
        tool("bakery_guide", BAKERY, "Opening days, bread and prizes of the village bakery Maison Trelat."),
        tool("tide_table", TIDES, "High and low tide times in the harbour."),
    ]


# --- LlamaIndex: selectors, sub-questions, ReAct ------------------------------------------------------


def test_router_with_llm_single_selector(local_bedrock: LocalBedrock) -> None:
    from llama_index.core.query_engine import RouterQueryEngine
    from llama_index.core.selectors import LLMSingleSelector

    llm = llama_llm(local_bedrock)
    router = RouterQueryEngine(
        selector=LLMSingleSelector.from_defaults(llm=llm), query_engine_tools=query_tools(llm), llm=llm
    )
    response = router.query("On which day of the week is the bakery closed?")
    selection = response.metadata["selector_result"]
    assert [s.index for s in selection.selections] == [1]
    assert "Mondays" in str(response)


def test_router_with_llm_multi_selector(local_bedrock: LocalBedrock) -> None:
    from llama_index.core.query_engine import RouterQueryEngine
    from llama_index.core.selectors import LLMMultiSelector

    llm = llama_llm(local_bedrock)
    router = RouterQueryEngine(
        selector=LLMMultiSelector.from_defaults(llm=llm), query_engine_tools=query_tools(llm), llm=llm
    )
    response = router.query("When was the lighthouse built, and when is high tide in the harbour?")
    chosen = sorted(s.index for s in response.metadata["selector_result"].selections)
    assert chosen == [0, 2]
    assert "1881" in str(response) and "06:40" in str(response)


def test_sub_question_query_engine_with_llm_question_generator(local_bedrock: LocalBedrock) -> None:
    from llama_index.core.query_engine import SubQuestionQueryEngine
    from llama_index.core.question_gen import LLMQuestionGenerator

    llm = llama_llm(local_bedrock)
    tools = query_tools(llm)
    engine = SubQuestionQueryEngine.from_defaults(
        query_engine_tools=tools,
        question_gen=LLMQuestionGenerator.from_defaults(llm=llm),
        llm=llm,
        use_async=False,
    )
    response = engine.query(
        "How many loaves does the bakery bake, and how far can the lighthouse lamp be seen?"
    )
    nodes = [n.node.get_content() for n in response.source_nodes]
    asked = [n.split("\n", 1)[0] for n in nodes if n.startswith("Sub question:")]
    assert len(asked) == 2 and "loaves" in asked[0] and "lighthouse lamp" in asked[1], asked
    text = str(response)
    assert "600" in text and "38" in text


def parcel_weight(parcel_id: str) -> str:
    """Look up the weight of a parcel by its parcel id."""
    return {"PX-3391": "4.2 kg"}.get(parcel_id, "unknown parcel")


@pytest.mark.parametrize("model", [SEVEN_B, MIXTRAL, LARGE_2])
def test_react_agent(local_bedrock: LocalBedrock, model: str) -> None:
    from llama_index.core.agent.workflow import ReActAgent, ToolCallResult

    llm = llama_llm(local_bedrock, model)
    agent = ReActAgent(tools=[parcel_weight], llm=llm, streaming=False)

    async def run() -> tuple[list[Any], str]:
        handler = agent.run("How heavy is parcel PX-3391?")
        calls = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
        return calls, str(await handler)

    calls, answer = asyncio.run(run())
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("parcel_weight", {"parcel_id": "PX-3391"})]
    assert "4.2 kg" in answer


# --- LangGraph: a ReAct agent whose second tool needs the first tool's output ------------------------


def test_langgraph_agent_with_dependent_tools(local_bedrock: LocalBedrock) -> None:
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    from langchain_bedrock_mistral import ChatBedrockMistral

    @tool
    def find_ticket_owner(ticket: str) -> str:
        """Find the email address of the customer who opened a support ticket."""
        return {"T1002": "ines.moreau@example.org"}.get(ticket, "no such ticket")

    @tool
    def send_email(address: str, body: str) -> str:
        """Send an email with the given body to an email address."""
        return f"sent to {address}"

    llm = ChatBedrockMistral(model=LARGE_2, max_retries=0, **local_bedrock.client_kwargs())
    agent = create_agent(llm, tools=[find_ticket_owner, send_email])
    result = agent.invoke(
        {
            "messages": [
                (
                    "user",
                    "Find the customer who opened ticket T1002, then email them that the refund is done.",
                )
            ]
        }
    )
    turns = [m.tool_calls for m in result["messages"] if getattr(m, "tool_calls", None)]
    assert [[c["name"] for c in calls] for calls in turns] == [["find_ticket_owner"], ["send_email"]]
    assert turns[0][0]["args"] == {"ticket": "T1002"}
    assert turns[1][0]["args"]["address"] == "ines.moreau@example.org"


def test_dependent_tools_with_other_names_and_wording(local_bedrock: LocalBedrock) -> None:
    """The issue's own wording, with tools named differently: the email waits for the lookup's result."""
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    from langchain_bedrock_mistral import ChatBedrockMistral

    @tool
    def customer_for_transaction(transaction_id: str) -> str:
        """The customer record of a payment transaction."""
        return "Customer: Omar Haddad, omar.haddad@example.net"

    @tool
    def email_customer(to: str, message: str) -> str:
        """Email a customer."""
        return "queued"

    llm = ChatBedrockMistral(model=LARGE_2, max_retries=0, **local_bedrock.client_kwargs())
    bound = llm.bind_tools([customer_for_transaction, email_customer])
    question = HumanMessage("Look up the customer of T1002, then email them that their invoice is paid.")
    first = bound.invoke([question])
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [
        ("customer_for_transaction", {"transaction_id": "T1002"})
    ]
    result = ToolMessage(
        customer_for_transaction.invoke(first.tool_calls[0]["args"]), tool_call_id=first.tool_calls[0]["id"]
    )
    second = bound.invoke([question, first, result])
    assert [(c["name"], c["args"]) for c in second.tool_calls] == [
        ("email_customer", {"to": "omar.haddad@example.net", "message": "their invoice is paid"})
    ]


def test_independent_requests_are_called_in_parallel(local_bedrock: LocalBedrock) -> None:
    from langchain_core.tools import tool

    from langchain_bedrock_mistral import ChatBedrockMistral

    @tool
    def ferry_departures(port: str) -> str:
        """Next ferry departures from a port."""
        return "09:15"

    @tool
    def parking_spaces(port: str) -> str:
        """Free parking spaces at a port."""
        return "12"

    llm = ChatBedrockMistral(model=LARGE_2, max_retries=0, **local_bedrock.client_kwargs())
    reply = llm.bind_tools([ferry_departures, parking_spaces]).invoke(
        "When is the next ferry from Roscoff and how many parking spaces are free at Roscoff?"
    )
    assert sorted(c["name"] for c in reply.tool_calls) == ["ferry_departures", "parking_spaces"]
    assert all(c["args"] == {"port": "Roscoff"} for c in reply.tool_calls)


def test_a_selector_prompt_in_other_words(local_bedrock: LocalBedrock) -> None:
    """Not LlamaIndex's template: numbered `1.` items, a labelled request, an object example with other keys."""
    from langchain_bedrock_mistral import ChatBedrockMistral

    llm = ChatBedrockMistral(model=LARGE_2, max_retries=0, **local_bedrock.client_kwargs())
    prompt = (
        "Pick the department that should handle this request.\n"
        "1. Billing - invoices, refunds and payment problems\n"
        "2. Shipping - parcels, delivery dates and tracking\n"
        "3. Accounts - passwords, login and profile settings\n"
        'Request: "My parcel tracking page shows no delivery date"\n'
        'Answer in JSON like {"index": 2, "why": "..."}'
    )
    answer = json.loads(str(llm.invoke(prompt).content))
    assert answer["index"] == 2 and "parcel tracking" in answer["why"]


def test_a_numbered_list_without_a_choice_to_make_is_data(local_bedrock: LocalBedrock) -> None:
    from langchain_bedrock_mistral import ChatBedrockMistral

    llm = ChatBedrockMistral(model=LARGE_2, max_retries=0, **local_bedrock.client_kwargs())
    prompt = (
        'Summarize this order in JSON like {"items": 0, "customer": "..."}:\n'
        "1. 3 pears for Lena Vogt\n2. 5 plums\n3. 1 melon"
    )
    answer = json.loads(str(llm.invoke(prompt).content))
    assert set(answer) == {"items", "customer"}  # the example's keys, not a selection
    assert isinstance(answer["items"], int) and answer["customer"] == "Lena Vogt"


# --- structured output -------------------------------------------------------------------------------


class Shipment(BaseModel):
    """A shipment described in a message."""

    carrier: str = Field(description="Company carrying the shipment")
    weight_kg: float = Field(description="Weight in kilograms")
    destination: str = Field(description="City the shipment goes to")


def test_langchain_aws_structured_output_on_pixtral(local_bedrock: LocalBedrock) -> None:
    from langchain_aws import ChatBedrockConverse

    llm = ChatBedrockConverse(
        model=PIXTRAL, client=local_bedrock.client(), region_name=local_bedrock.region_name
    )
    shipment = llm.with_structured_output(Shipment).invoke(
        "Extract the shipment: Norlys Freight is carrying a 12.5 kg crate of books to Tromso."
    )
    assert isinstance(shipment, Shipment)
    assert (shipment.carrier, shipment.weight_kg, shipment.destination) == ("Norlys Freight", 12.5, "Tromso")
    sent = local_bedrock.requests[-1].body
    assert "toolChoice" not in sent.get("toolConfig", {})  # auto: the engine chose the schema tool itself


class Stock(BaseModel):
    sku: str
    warehouse: int
    quantity: int


def test_llama_index_stream_structured_predict(local_bedrock: LocalBedrock) -> None:
    from llama_index.core.prompts import PromptTemplate

    llm = llama_llm(local_bedrock, api="converse")
    prompt = PromptTemplate("Record the stock count from this note: {note}")
    partials = list(
        llm.stream_structured_predict(Stock, prompt, note="SKU KX-204 in warehouse 7: 35 units left.")
    )
    final = partials[-1]
    stock = final if isinstance(final, Stock) else Stock.model_validate(final)
    assert stock == Stock(sku="KX-204", warehouse=7, quantity=35)


def test_langchain_json_mode_with_keys_named_in_prose(local_bedrock: LocalBedrock) -> None:
    from langchain_bedrock_mistral import ChatBedrockMistral

    llm = ChatBedrockMistral(model=LARGE_2, max_retries=0, **local_bedrock.client_kwargs())
    structured = llm.with_structured_output(None, method="json_mode")
    result = structured.invoke(
        "Return a JSON object with the sku, the warehouse and a shipment object containing the carrier and "
        "the weight. Note: SKU KX-204 in warehouse 7 leaves with Norlys Freight, weight 12.5 kg."
    )
    assert result == {
        "sku": "KX-204",
        "warehouse": 7,
        "shipment": {"carrier": "Norlys Freight", "weight": 12.5},
    }


def test_json_mode_nesting_in_other_words(local_bedrock: LocalBedrock) -> None:
    from langchain_bedrock_mistral import ChatBedrockMistral

    llm = ChatBedrockMistral(model=LARGE_2, max_retries=0, **local_bedrock.client_kwargs())
    result = llm.with_structured_output(None, method="json_mode").invoke(
        "Return JSON with the title, the year and a director object with the name and the nationality. "
        "The film Le Samourai came out in 1967, directed by Jean-Pierre Melville, who was French."
    )
    assert result == {
        "title": "Le Samourai",
        "year": 1967,
        "director": {"name": "Jean-Pierre Melville", "nationality": "French"},
    }


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (
            "Respond in JSON. Include the city, the country and the population. Lyon is a city in France with "
            "522250 inhabitants.",
            {"city": "Lyon", "country": "France", "population": 522250},
        ),
        (
            "Give me a JSON object with the order id, the total price and a customer object with the name and the "
            "email. Order A-5521 by Clara Diaz (clara@example.com) came to 89.90 euros.",
            {
                "order_id": "A-5521",
                "total_price": 89.9,
                "customer": {"name": "Clara Diaz", "email": "clara@example.com"},
            },
        ),
        (
            "Output JSON containing the flight number, the gate and the seat. Your flight AF1234 boards at gate 22, "
            "seat 14C.",
            {"flight_number": "AF1234", "gate": 22, "seat": "14C"},
        ),
    ],
)
def test_json_mode_prompts_written_for_this_test(
    local_bedrock: LocalBedrock, prompt: str, expected: Any
) -> None:
    from langchain_bedrock_mistral import ChatBedrockMistral

    llm = ChatBedrockMistral(model=LARGE_2, max_retries=0, **local_bedrock.client_kwargs())
    assert llm.with_structured_output(None, method="json_mode").invoke(prompt) == expected


def test_numbers_bind_to_the_word_next_to_them(local_bedrock: LocalBedrock) -> None:
    schema = {
        "type": "object",
        "properties": {
            "warehouse": {"type": "integer"},
            "quantity": {"type": "integer"},
            "aisle": {"type": "integer"},
        },
        "required": ["warehouse", "quantity", "aisle"],
    }
    body = {
        "messages": [{"role": "user", "content": "Move 35 units of SKU KX-204 to aisle 12 in warehouse 7."}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "move", "schema": schema}},
    }
    response = local_bedrock.client().invoke_model(modelId=LARGE_2, body=json.dumps(body))
    answer = json.loads(json.loads(response["body"].read())["choices"][0]["message"]["content"])
    assert answer == {"warehouse": 7, "quantity": 35, "aisle": 12}
