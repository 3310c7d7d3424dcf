"""Magistral Small thinks before it answers: a three-turn LangChain conversation that shows the reasoning apart
from the answer and sends it back to Bedrock with each later turn.

python examples/reasoning.py [--aws]
"""

from __future__ import annotations

from _common import Connection, run_example
from langchain_core.messages import BaseMessage, HumanMessage

from langchain_bedrock_mistral import ChatBedrockMistral

MODEL = "mistral.magistral-small-2509"
QUESTIONS = ("What is 6 x 7?", "And what is 7 x 8?", "Thanks. Now what is 12 + 30?")


def main(connection: Connection) -> None:
    llm = ChatBedrockMistral(model=MODEL, **connection)
    history: list[BaseMessage] = []
    for turn, question in enumerate(QUESTIONS, start=1):
        history.append(HumanMessage(question))
        reply = None
        for chunk in llm.stream(history):  # reasoning streams as reasoning blocks, the answer as text
            reply = chunk if reply is None else reply + chunk
        assert reply is not None
        thinking = " ".join(b.get("reasoning", "") for b in reply.content_blocks if b["type"] == "reasoning")
        print(f"[turn {turn}] question: {question}")
        print(f"[turn {turn}] reasoning: {thinking.strip()}")
        print(f"[turn {turn}] answer: {reply.text.strip()}")
        if not thinking.strip() or not reply.text.strip():
            raise RuntimeError(f"turn {turn}: expected both reasoning and an answer")
        history.append(reply)  # the next request carries this reasoning back as a Converse reasoningContent block


if __name__ == "__main__":
    run_example(main, __doc__)
