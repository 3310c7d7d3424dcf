"""Tool calling with LangChain: the AWS documentation's payment-status example with `ChatBedrockMistral`.

The model picks a tool, we run it, send the result back, and the model answers in words.

    python examples/payment_tools_langchain.py [--aws]
"""

from __future__ import annotations

import json

from _common import Connection, run_example
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_bedrock_mistral import ChatBedrockMistral

MODEL = "mistral.mistral-large-2407-v1:0"

PAYMENTS = {  # transaction id -> (customer, amount, date, status), as in the AWS documentation
    "T1001": ("C001", 125.50, "2021-10-05", "Paid"),
    "T1002": ("C002", 89.99, "2021-10-06", "Unpaid"),
    "T1003": ("C003", 120.00, "2021-10-07", "Paid"),
    "T1004": ("C002", 54.30, "2021-10-05", "Paid"),
    "T1005": ("C001", 210.20, "2021-10-08", "Pending"),
}


@tool
def retrieve_payment_status(transaction_id: str) -> str:
    """Get payment status of a transaction."""
    if transaction_id not in PAYMENTS:
        return json.dumps({"error": "transaction id not found."})
    return json.dumps({"status": PAYMENTS[transaction_id][3]})


@tool
def retrieve_payment_date(transaction_id: str) -> str:
    """Get payment date of a transaction."""
    if transaction_id not in PAYMENTS:
        return json.dumps({"error": "transaction id not found."})
    return json.dumps({"date": PAYMENTS[transaction_id][2]})


TOOLS = {t.name: t for t in (retrieve_payment_status, retrieve_payment_date)}


def main(connection: Connection) -> str:
    llm = ChatBedrockMistral(model=MODEL, **connection).bind_tools(list(TOOLS.values()))
    messages: list[BaseMessage] = [HumanMessage("What's the status of my transaction T1001?")]
    reply = llm.invoke(messages)
    messages.append(reply)
    if not reply.tool_calls:
        raise RuntimeError(f"the model answered without calling a tool: {reply.content!r}")
    for call in reply.tool_calls:
        result = TOOLS[call["name"]].invoke(call["args"])
        print(f"function_name: {call['name']}\nfunction_params: {call['args']}\nfunction_result: {result}")
        messages.append(ToolMessage(result, tool_call_id=call["id"]))
    final = llm.invoke(messages)
    print(f"Answer: {final.content}")
    return str(final.content)


if __name__ == "__main__":
    run_example(main, __doc__)
