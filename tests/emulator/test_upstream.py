"""The openai-compatible engine against a tiny fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bedrock_mistral.local import LocalBedrock

RECEIVED: list[dict[str, Any]] = []


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers "Upstream says: <last user text>", or calls `get_weather` when tools are offered."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        RECEIVED.append(body)
        if self.path != "/v1/chat/completions":
            self._send(404, b'{"error": "not found"}', "application/json")
            return
        last = body["messages"][-1]
        call = None
        if body.get("tools") and last["role"] == "user":
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"location": "Oslo"}'},
            }
        text = "" if call else f"Upstream says: {last['content']}"
        usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
        if not body.get("stream"):
            message = {
                "role": "assistant",
                "content": text or None,
                **({"tool_calls": [call]} if call else {}),
            }
            answer = {
                "choices": [
                    {"index": 0, "message": message, "finish_reason": "tool_calls" if call else "stop"}
                ],
                "usage": usage,
            }
            self._send(200, json.dumps(answer).encode(), "application/json")
            return
        events: list[dict[str, Any]] = []
        if call:
            fn = call["function"]
            events.append(
                {
                    "choices": [
                        {
                            "index": 0,
                            "delta": {
                                "tool_calls": [
                                    {
                                        "index": 0,
                                        "id": "call_1",
                                        "function": {"name": fn["name"], "arguments": ""},
                                    }
                                ]
                            },
                        }
                    ]
                }
            )
            events.append(
                {
                    "choices": [
                        {
                            "index": 0,
                            "delta": {
                                "tool_calls": [{"index": 0, "function": {"arguments": fn["arguments"]}}]
                            },
                        }
                    ]
                }
            )
            events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
        else:
            for word in text.split(" "):
                events.append({"choices": [{"index": 0, "delta": {"content": word + " "}}]})
            events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        events.append({"choices": [], "usage": usage})
        data = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
        self._send(200, data, "text/event-stream")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def proxied(upstream: str) -> Iterator[LocalBedrock]:
    with LocalBedrock(
        engine="openai-compatible", upstream_url=upstream, upstream_model="mistral:7b"
    ) as bedrock:
        yield bedrock


def test_converse_through_upstream(proxied: LocalBedrock) -> None:
    client = proxied.client()
    response = client.converse(
        modelId="mistral.mistral-large-2407-v1:0",
        system=[{"text": "Be brief."}],
        messages=[{"role": "user", "content": [{"text": "hello there"}]}],
        inferenceConfig={"maxTokens": 50, "temperature": 0.2},
    )
    assert response["output"]["message"]["content"][0]["text"] == "Upstream says: hello there"
    assert response["usage"] == {"inputTokens": 11, "outputTokens": 7, "totalTokens": 18}
    sent = RECEIVED[-1]
    assert sent["model"] == "mistral:7b" and sent["max_tokens"] == 50 and sent["temperature"] == 0.2
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}


def test_streaming_through_upstream(proxied: LocalBedrock) -> None:
    client = proxied.client()
    events = list(
        client.converse_stream(
            modelId="mistral.mistral-large-2407-v1:0",
            messages=[{"role": "user", "content": [{"text": "hi"}]}],
        )["stream"]
    )
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == "Upstream says: hi "
    assert events[-1]["metadata"]["usage"]["outputTokens"] == 7
    body = json.dumps({"prompt": "<s>[INST] hey [/INST]"})
    chunks = [
        json.loads(e["chunk"]["bytes"])
        for e in client.invoke_model_with_response_stream(
            modelId="mistral.mistral-7b-instruct-v0:2", body=body
        )["body"]
    ]
    assert "".join(c["outputs"][0]["text"] for c in chunks) == "Upstream says: hey "
    assert RECEIVED[-1]["stream"] is True


def test_tool_calls_through_upstream(proxied: LocalBedrock) -> None:
    client = proxied.client()
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather.",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
        },
    }
    body = {"messages": [{"role": "user", "content": "weather?"}], "tools": [tool], "tool_choice": "any"}
    answer = json.loads(
        client.invoke_model(modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(body))["body"].read()
    )
    [call] = answer["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"location": "Oslo"}'}
    assert answer["choices"][0]["stop_reason"] == "tool_calls"
    assert RECEIVED[-1]["tool_choice"] == "required"
    chunks = [
        json.loads(e["chunk"]["bytes"])
        for e in client.invoke_model_with_response_stream(
            modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(body)
        )["body"]
    ]
    calls = [c for ch in chunks for c in ch["choices"][0]["message"].get("tool_calls", [])]
    assert [c["function"]["name"] for c in calls] == ["get_weather"]
    body["messages"] += [
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny"},
    ]
    answer = json.loads(
        client.invoke_model(modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(body))["body"].read()
    )
    assert answer["choices"][0]["message"]["content"] == "Upstream says: sunny"
    assert RECEIVED[-1]["messages"][-1] == {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}


def test_unreachable_upstream_is_a_model_error() -> None:
    with (
        LocalBedrock(
            engine="openai-compatible", upstream_url="http://127.0.0.1:9", upstream_model="m"
        ) as bedrock,
        pytest.raises(ClientError) as error,
    ):
        bedrock.client().converse(
            modelId="mistral.mistral-large-2407-v1:0",
            messages=[{"role": "user", "content": [{"text": "hi"}]}],
        )
    assert error.value.response["Error"]["Code"] == "ModelErrorException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424


def test_engine_needs_url_and_model() -> None:
    with pytest.raises(ValueError):
        LocalBedrock(engine="openai-compatible")
