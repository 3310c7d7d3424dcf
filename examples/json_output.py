"""JSON output: ask Mistral Large 2 for a JSON object and parse it into a dict.

`ResponseFormat()` turns on Mistral's JSON mode (`response_format: {"type": "json_object"}`), so the answer
is a JSON object rather than prose with JSON inside.

    python examples/json_output.py [--aws]
"""

from __future__ import annotations

import json
from typing import Any

from _common import Connection, run_example

from bedrock_mistral import BedrockClient, ChatRequest, Message, ResponseFormat

MODEL = "mistral.mistral-large-2407-v1:0"
QUESTION = "What is the best French meal? Return the name and the ingredients in short JSON object."


def main(connection: Connection) -> dict[str, Any]:
    client = BedrockClient(MODEL, **connection)
    answer = client.chat(ChatRequest((Message("user", QUESTION),), response_format=ResponseFormat()))
    meal = json.loads(answer.text)
    if not isinstance(meal, dict):
        raise RuntimeError(f"expected a JSON object, got {answer.text!r}")
    print(f"Parsed JSON ({type(meal).__name__}): {json.dumps(meal, ensure_ascii=False)}")
    return meal


if __name__ == "__main__":
    run_example(main, __doc__)
