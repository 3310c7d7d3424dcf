"""Structured output with LangChain: `with_structured_output` returns a validated pydantic object.

python examples/structured_output.py [--aws]
"""

from __future__ import annotations

from _common import Connection, run_example
from pydantic import BaseModel, Field

from langchain_bedrock_mistral import ChatBedrockMistral

MODEL = "mistral.mistral-large-2407-v1:0"


class Meal(BaseModel):
    """A French meal."""

    name: str = Field(description="name of the dish")
    region: str = Field(description="French region it comes from")
    ingredients: list[str] = Field(description="main ingredients")


def main(connection: Connection) -> Meal:
    llm = ChatBedrockMistral(model=MODEL, temperature=0.0, **connection)
    prompt = 'Describe "Tartiflette", a dish from Savoie made with "potatoes", "Reblochon", "lardons" and "onions".'
    meal = llm.with_structured_output(Meal).invoke(prompt)
    if not isinstance(meal, Meal):
        raise RuntimeError(f"expected a Meal, got {meal!r}")
    print(f"{type(meal).__name__}: {meal.model_dump_json()}")
    return meal


if __name__ == "__main__":
    run_example(main, __doc__)
