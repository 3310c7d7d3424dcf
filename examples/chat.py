"""Chat with Mistral Large 2 (24.07), once through InvokeModel (Mistral's chat format) and once through Converse.

python examples/chat.py [--aws]
"""

from __future__ import annotations

from _common import Connection, run_example

from bedrock_mistral import BedrockClient, ChatRequest, Message

MODEL = "mistral.mistral-large-2407-v1:0"


def main(connection: Connection) -> None:
    request = ChatRequest((Message("user", "which llm are you?"),))
    for api in ("invoke", "converse"):
        client = BedrockClient(MODEL, api=api, **connection)
        answer = client.chat(request)
        print(f"[{api}] {answer.text.strip()}")
        usage = f"{answer.usage.input_tokens} in, {answer.usage.output_tokens} out" if answer.usage else "n/a"
        print(f"[{api}] stop reason: {answer.stop_reason}, tokens: {usage}")
        if not answer.text.strip():
            raise RuntimeError(f"{api}: the model returned no text")


if __name__ == "__main__":
    run_example(main, __doc__)
