"""A LlamaIndex `FunctionAgent` with Mistral Large 2 calling Python functions as tools.

python examples/llama_index_function_agent.py [--aws]
"""

from __future__ import annotations

import asyncio

from _common import Connection, run_example
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

from llama_index_bedrock_mistral import BedrockMistral

MODEL = "mistral.mistral-large-2407-v1:0"
CHEESE_REGIONS = {"comté": "Jura", "roquefort": "Occitanie", "camembert": "Normandy", "reblochon": "Savoie"}


def cheese_region(cheese: str) -> str:
    """The French region a cheese comes from."""
    return CHEESE_REGIONS.get(cheese.lower(), "unknown")


async def ask(connection: Connection, question: str) -> str:
    llm = BedrockMistral(model=MODEL, temperature=0.0, **connection)
    agent = FunctionAgent(tools=[cheese_region], llm=llm, system_prompt="Answer with the tools you have.")
    handler = agent.run(question)
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"tool: {event.tool_name}({event.tool_kwargs}) -> {event.tool_output}")
    answer = str(await handler)
    await llm.aclose()  # close the async HTTP session before the event loop ends
    return answer


def main(connection: Connection) -> str:
    answer = asyncio.run(ask(connection, "Which region does Reblochon come from?"))
    print(f"Answer: {answer}")
    if not answer.strip():
        raise RuntimeError("the agent gave no answer")
    return answer


if __name__ == "__main__":
    run_example(main, __doc__)
