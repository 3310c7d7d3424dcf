"""Scripted replies: your test says exactly what the model answers, for a LangChain app and a LlamaIndex app.

`local_bedrock.script.reply(...)` queues an answer; `local_bedrock.script.when(contains=..., tool=...,
tool_results=...).reply(...)` answers only the requests that match. Answers can be text, tool calls, JSON,
a stop reason and token counts; each arrives in the wire format the app used (InvokeModel or Converse,
streamed or not). A scripted reply the app never asked for fails the test at teardown.

    pytest examples/test_scripted_replies.py
    python examples/test_scripted_replies.py      # the same
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from llama_index.core.llms import ChatMessage

from bedrock_mistral.errors import ValidationError
from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import ChatBedrockMistral
from llama_index_bedrock_mistral import BedrockMistral

MODEL = "mistral.mistral-large-2407-v1:0"

# --- a LangChain app: answer a support question, looking the customer up with a tool -------------------

CUSTOMERS = {"T1002": "Ada Lovelace <ada@example.com>"}


@tool
def customer_of(ticket: str) -> str:
    """The customer who opened a support ticket."""
    return CUSTOMERS.get(ticket, "unknown")


def answer_ticket_question(question: str, **connection: Any) -> str:
    llm = ChatBedrockMistral(model=MODEL, max_retries=0, **connection).bind_tools([customer_of])
    messages: list[Any] = [HumanMessage(question)]
    reply = llm.invoke(messages)
    while reply.tool_calls:
        messages.append(reply)
        for call in reply.tool_calls:
            messages.append(ToolMessage(customer_of.invoke(call["args"]), tool_call_id=call["id"]))
        reply = llm.invoke(messages)
    return str(reply.content)


# --- a LlamaIndex app: classify a ticket's urgency, streamed ------------------------------------------


def urgency(ticket: str, **connection: Any) -> str:
    llm = BedrockMistral(model=MODEL, api="converse", max_retries=0, **connection)
    prompt = f"Answer LOW, MEDIUM or HIGH: how urgent is this ticket?\n{ticket}"
    return "".join(chunk.delta or "" for chunk in llm.stream_chat([ChatMessage(role="user", content=prompt)]))


# --- the tests ----------------------------------------------------------------------------------------


def test_the_app_calls_the_tool_then_answers(local_bedrock: LocalBedrock) -> None:
    script = local_bedrock.script
    lookup = script.when(tool="customer_of", tool_results=False).reply(
        tool_calls=[("customer_of", {"ticket": "T1002"})]
    )
    final = script.when(tool_results=True).reply("Ticket T1002 was opened by Ada Lovelace.")

    answer = answer_ticket_question("Who opened ticket T1002?", **local_bedrock.client_kwargs())

    assert answer == "Ticket T1002 was opened by Ada Lovelace."
    # What each scripted reply answered: the second request carried the tool's result.
    assert lookup.matched[0].last_user_text == "Who opened ticket T1002?"
    (result,) = final.matched[0].conversation.turns[-1].tool_results
    assert result.content == "Ada Lovelace <ada@example.com>"


def test_streamed_answer_with_given_usage(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.when(contains="Checkout crashes").reply("HIGH", input_tokens=40, output_tokens=1)
    assert urgency("Checkout crashes for every customer.", **local_bedrock.client_kwargs()) == "HIGH"
    assert local_bedrock.requests[-1].operation == "ConverseStream"


def test_strict_mode_catches_a_prompt_change(local_bedrock: LocalBedrock) -> None:
    """In strict mode, a request no script expects fails loudly instead of getting an engine answer."""
    local_bedrock.script.strict = True
    local_bedrock.script.when(contains="Checkout crashes").reply("HIGH")
    assert urgency("Checkout crashes for every customer.", **local_bedrock.client_kwargs()) == "HIGH"
    with pytest.raises(ValidationError, match="No scripted reply matches this request"):
        urgency("The logo is blurry.", **local_bedrock.client_kwargs())


if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", __file__, "-v", *sys.argv[1:]]))
