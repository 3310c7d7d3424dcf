"""A LangGraph ReAct agent (`create_react_agent`) driving Mistral Large 2 with two tools.

Needs LangGraph: `pip install langgraph`.

    python examples/langgraph_agent.py [--aws]
"""

from __future__ import annotations

import warnings

from _common import Connection, run_example
from langchain_core.tools import tool

try:
    from langgraph.prebuilt import create_react_agent
except ImportError:
    raise SystemExit("This example needs LangGraph: pip install langgraph") from None

from langchain_bedrock_mistral import ChatBedrockMistral

# LangGraph 1.x marks create_react_agent as moved to `langchain.agents.create_agent`; it still works.
warnings.filterwarnings("ignore", message="create_react_agent has been moved")

MODEL = "mistral.mistral-large-2407-v1:0"
STOCK = {"comté": 12, "roquefort": 0, "camembert": 30}


@tool
def cheese_stock(cheese: str) -> str:
    """How many wheels of a cheese are in stock."""
    count = STOCK.get(cheese.lower())
    return f"{count} wheels of {cheese} in stock" if count is not None else f"we do not sell {cheese}"


@tool
def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


def main(connection: Connection) -> str:
    llm = ChatBedrockMistral(model=MODEL, temperature=0.0, **connection)
    agent = create_react_agent(llm, [cheese_stock, multiply])
    result = agent.invoke({"messages": [("user", "How many wheels of Camembert are in stock?")]})
    for message in result["messages"]:
        calls = [f"{c['name']}({c['args']})" for c in getattr(message, "tool_calls", [])]
        print(f"{message.type:>6}: {message.content}{'  -> ' + ', '.join(calls) if calls else ''}")
    answer = str(result["messages"][-1].content)
    if not answer.strip():
        raise RuntimeError("the agent gave no final answer")
    return answer


if __name__ == "__main__":
    run_example(main, __doc__)
