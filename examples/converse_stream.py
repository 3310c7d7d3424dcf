"""Streaming with ConverseStream: tokens as they arrive, then role, stop reason, token usage and latency.

python examples/converse_stream.py [--aws]
"""

from __future__ import annotations

from _common import Connection, run_example

from bedrock_mistral import BedrockClient, ChatRequest, Message

MODEL = "mistral.mistral-large-2407-v1:0"


def main(connection: Connection) -> None:
    client = BedrockClient(MODEL, api="converse", **connection)
    request = ChatRequest((Message("user", "What is the best French cheese?"),))
    text = ""
    for delta in client.stream_chat(request):
        if delta.role:
            print(f"Role: {delta.role}")
        if delta.text:
            text += delta.text
            print(delta.text, end="", flush=True)
        if delta.stop_reason:
            print(f"\nStop reason: {delta.raw_stop_reason or delta.stop_reason}")
        if delta.usage:
            print("Token usage ...")
            print(f"Input tokens: {delta.usage.input_tokens}")
            print(f"Output tokens: {delta.usage.output_tokens}")
            print(f"Total tokens: {delta.usage.total_tokens}")
        if delta.metrics and delta.metrics.latency_ms is not None:
            print(f"Latency: {delta.metrics.latency_ms} milliseconds")
    if not text.strip():
        raise RuntimeError("the stream carried no text")


if __name__ == "__main__":
    run_example(main, __doc__)
