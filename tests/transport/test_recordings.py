"""Every Mistral recording parsed by the codecs, and the streams replayed over HTTP through boto3."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer

from bedrock_mistral import BedrockClient, CompletionRequest, InferenceParams
from bedrock_mistral.codecs import converse, text_completion
from bedrock_mistral.codecs.text_completion import TextStreamDecoder
from bedrock_mistral.errors import AuthenticationError, StreamIncompleteError, ValidationError
from tests.transport.conftest import load_json, recording
from tests.transport.replay_server import Answer, ReplayServer


def _flat_headers(meta: dict[str, Any]) -> dict[str, str]:
    """Recording metas come as {name: [value]}, {name: value} or rawHeaders pairs."""
    if "rawHeaders" in meta:
        return {k: v for k, v in meta["rawHeaders"]}
    return {k: (v[0] if isinstance(v, list) else v) for k, v in meta.get("headers", {}).items()}


def _status(meta: dict[str, Any]) -> int:
    status = meta["status"]
    return int(status["code"] if isinstance(status, dict) else status)


def _frames(path: Path) -> list[dict[str, Any]]:
    buffer = EventStreamBuffer()
    buffer.add_data(path.read_bytes())
    return [{"headers": message.headers, "payload": json.loads(message.payload)} for message in buffer]


def _chunk_json(frame: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(frame["payload"]["bytes"]))


@pytest.mark.parametrize(
    "name, prefix",
    [
        ("otelpy_invoke_mistral7b_with_content", "interaction0_"),
        ("otelpy_invoke_mistral7b_no_content", "interaction0_"),
        ("newrelic_invoke_mistral7b", ""),
        ("oteljs_invoke_mistral7b", "interaction0_"),
    ],
)
def test_invoke_recordings_decode(name: str, prefix: str) -> None:
    folder = recording(name)
    body = load_json(folder / f"{prefix}response_body.json")
    headers = _flat_headers(load_json(folder / f"{prefix}response_meta.json"))
    response = text_completion.decode(body, headers, "mistral.mistral-7b-instruct-v0:2")
    output = body["outputs"][0]
    assert response.text == output["text"]
    assert response.raw_stop_reason == output["stop_reason"]
    assert (
        response.stop_reason
        == {"length": "length", "stop": "stop", "max_tokens": "length"}[output["stop_reason"]]
    )
    if "X-Amzn-Bedrock-Input-Token-Count" in headers:
        assert response.usage is not None
        assert response.usage.input_tokens == int(headers["X-Amzn-Bedrock-Input-Token-Count"])
        assert response.usage.output_tokens == int(headers["X-Amzn-Bedrock-Output-Token-Count"])
        assert response.metrics.latency_ms == int(headers["X-Amzn-Bedrock-Invocation-Latency"])
    else:
        assert response.usage is None


@pytest.mark.parametrize(
    "name, binary",
    [
        ("newrelic_iwrs_mistral7b_stream", "response_body.eventstream.bin"),
        ("oteljs_iwrs_mistral_small_2402", "interaction1_response_body.eventstream.bin"),
    ],
)
def test_stream_recordings_decode(name: str, binary: str) -> None:
    frames = _frames(recording(name) / binary)
    decoder = TextStreamDecoder()
    deltas = [d for f in frames for d in decoder.feed(_chunk_json(f))]
    decoder.finish()
    chunks = [_chunk_json(f) for f in frames]
    expected_text = "".join(c["outputs"][0]["text"] for c in chunks)
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert "".join(d.text for d in deltas) == expected_text
    usages = [d.usage for d in deltas if d.usage is not None]
    assert len(usages) == 1
    assert usages[0].input_tokens == metrics["inputTokenCount"]
    assert usages[0].output_tokens == metrics["outputTokenCount"]
    final = deltas[-1]
    assert final.raw_stop_reason == chunks[-1]["outputs"][0]["stop_reason"]
    assert final.metrics is not None and final.metrics.first_byte_latency_ms == metrics["firstByteLatency"]


def _client(replay: ReplayServer, model: str, **kwargs: Any) -> BedrockClient:
    return BedrockClient(
        model,
        region_name="us-east-1",
        endpoint_url=replay.endpoint_url,
        aws_access_key_id="AKIDREPLAY",
        aws_secret_access_key="replay-secret",
        max_retries=0,
        **kwargs,
    )


def _queue_stream(
    replay: ReplayServer, folder: Path, binary: str, meta: str, truncate_to: int | None = None
) -> bytes:
    data = (folder / binary).read_bytes()
    if truncate_to is not None:
        data = _first_frames(data, truncate_to)
    headers = list(_flat_headers(load_json(folder / meta)).items())
    replay.queue(Answer(200, headers, data, chunked=True))
    return data


def _first_frames(data: bytes, count: int) -> bytes:
    """The first `count` frames' bytes, cut on frame boundaries (total length is the first u32)."""
    offset = 0
    for _ in range(count):
        offset += int.from_bytes(data[offset : offset + 4], "big")
    return data[:offset]


STREAMS = [
    (
        "newrelic_iwrs_mistral7b_stream",
        "response_body.eventstream.bin",
        "response_meta.json",
        "mistral.mistral-7b-instruct-v0:2",
    ),
    (
        "oteljs_iwrs_mistral_small_2402",
        "interaction1_response_body.eventstream.bin",
        "interaction1_response_meta.json",
        "mistral.mistral-small-2402-v1:0",
    ),
]


@pytest.mark.parametrize("name, binary, meta, model", STREAMS)
def test_stream_recordings_replayed_through_boto3(
    replay: ReplayServer, name: str, binary: str, meta: str, model: str
) -> None:
    folder = recording(name)
    _queue_stream(replay, folder, binary, meta)
    chunks = [_chunk_json(f) for f in _frames(folder / binary)]
    client = _client(replay, model)
    deltas = list(client.stream_complete(CompletionRequest("What is 212 degrees Fahrenheit in Celsius?")))
    assert "".join(d.text for d in deltas) == "".join(c["outputs"][0]["text"] for c in chunks)
    assert [d.usage for d in deltas if d.usage][0].output_tokens == chunks[-1][
        "amazon-bedrock-invocationMetrics"
    ]["outputTokenCount"]
    sent = json.loads(replay.received[0].body)
    assert sent["prompt"].startswith("<s>[INST]") and "stop_sequences" not in sent
    assert replay.received[0].path.endswith("/invoke-with-response-stream")
    assert "%3A" in replay.received[0].path


@pytest.mark.parametrize("name, binary, meta, model", STREAMS)
def test_stream_recordings_replayed_async(
    replay: ReplayServer, name: str, binary: str, meta: str, model: str
) -> None:
    folder = recording(name)
    _queue_stream(replay, folder, binary, meta)
    chunks = [_chunk_json(f) for f in _frames(folder / binary)]
    client = _client(replay, model)

    async def run() -> str:
        try:
            return "".join([d.text async for d in client.astream_complete(CompletionRequest("hi"))])
        finally:
            await client.aclose()

    assert asyncio.run(run()) == "".join(c["outputs"][0]["text"] for c in chunks)


@pytest.mark.parametrize("name, binary, meta, model", STREAMS)
def test_truncated_stream_raises_with_partial_text(
    replay: ReplayServer, name: str, binary: str, meta: str, model: str
) -> None:
    folder = recording(name)
    _queue_stream(replay, folder, binary, meta, truncate_to=5)
    chunks = [_chunk_json(f) for f in _frames(folder / binary)][:5]
    client = _client(replay, model)
    received = []
    with pytest.raises(StreamIncompleteError) as info:
        for delta in client.stream_complete(CompletionRequest("hi")):
            received.append(delta.text)
    expected = "".join(c["outputs"][0]["text"] for c in chunks)
    assert "".join(received) == expected
    assert info.value.partial_text == expected


def test_invoke_recording_replayed_through_boto3(replay: ReplayServer) -> None:
    folder = recording("otelpy_invoke_mistral7b_with_content")
    meta = load_json(folder / "interaction0_response_meta.json")
    body = (folder / "interaction0_response_body.json").read_bytes()
    replay.queue(Answer(_status(meta), list(_flat_headers(meta).items()), body))
    response = _client(replay, "mistral.mistral-7b-instruct-v0:2").complete(
        CompletionRequest(
            "Say this is a test", InferenceParams(max_tokens=10, temperature=0.8, top_p=1, stop=("|",))
        )
    )
    assert response.text == "\n\nA man stands before a crowd of people"
    assert response.stop_reason == "length"
    assert response.usage is not None and (response.usage.input_tokens, response.usage.output_tokens) == (
        6,
        10,
    )
    sent = json.loads(replay.received[0].body)
    assert sent["stop"] == ["|"] and sent["max_tokens"] == 10


@pytest.mark.parametrize(
    "name, prefix, error, code",
    [
        (
            "newrelic_error_invoke_mistral7b_invalid_token_403",
            "",
            AuthenticationError,
            "UnrecognizedClientException",
        ),
        ("otelpy_error_invoke_invalid_model", "interaction0_", ValidationError, "ValidationException"),
        ("oteljs_iwrs_mistral_small_2402", "interaction0_", AuthenticationError, "InvalidSignatureException"),
    ],
)
def test_error_recordings_map_to_typed_errors(
    replay: ReplayServer, name: str, prefix: str, error: type[Exception], code: str
) -> None:
    folder = recording(name)
    meta = load_json(folder / f"{prefix}response_meta.json")
    body = (folder / f"{prefix}response_body.json").read_bytes()
    replay.queue(Answer(_status(meta), list(_flat_headers(meta).items()), body))
    with pytest.raises(error) as info:
        _client(replay, "mistral.mistral-7b-instruct-v0:2").complete(CompletionRequest("hi"))
    assert info.value.code == code  # type: ignore[attr-defined]
    assert json.loads(body)["message"] in str(info.value)
    assert len(replay.received) == 1  # auth and validation errors are not retried


@pytest.mark.parametrize(
    "name, operation",
    [
        ("otelpy_error_converse_invalid_model", "converse"),
        ("otelpy_error_converse_stream_invalid_model", "converse_stream"),
        ("otelpy_error_iwrs_invalid_model", "iwrs"),
    ],
)
def test_invalid_model_recordings(replay: ReplayServer, name: str, operation: str) -> None:
    folder = recording(name)
    meta = load_json(folder / "interaction0_response_meta.json")
    body = (folder / "interaction0_response_body.json").read_bytes()
    replay.queue(Answer(_status(meta), list(_flat_headers(meta).items()), body))
    from bedrock_mistral import ChatRequest, Message

    client = _client(replay, "does-not-exist", api="converse" if "converse" in operation else "invoke")
    request = ChatRequest((Message("user", "hi"),))
    with pytest.raises(ValidationError) as info:
        if operation == "converse":
            client.chat(request)
        else:
            list(client.stream_chat(request))
    assert info.value.bedrock_message == json.loads(body)["message"]
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    "name",
    [
        "pydanticai_converse_mistral_large3_output_config",
        "pydanticai_converse_pixtral_tool_use_then_document",
        "pydanticai_converse_pixtral_tool_return_image",
        "pydanticai_converse_pixtral_two_tool_returns_images",
    ],
)
def test_converse_recordings_decode(name: str) -> None:
    folder = recording(name)
    for body_path in sorted(folder.glob("interaction*_response_body.json")):
        body = load_json(body_path)
        response = converse.decode(body, "mistral.pixtral-large-2502-v1:0")
        blocks = body["output"]["message"]["content"]
        assert response.text == "".join(b["text"] for b in blocks if "text" in b)
        uses = [b["toolUse"] for b in blocks if "toolUse" in b]
        assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
            (u["toolUseId"], u["name"], u["input"]) for u in uses
        ]
        assert response.raw_stop_reason == body["stopReason"]
        assert response.usage is not None
        assert response.usage.input_tokens == body["usage"]["inputTokens"]
        assert response.usage.total_tokens == body["usage"]["totalTokens"]


def test_converse_stream_recording_decodes_tool_use() -> None:
    """Nova framing, but the same ConverseStream events Mistral sends: toolUse input as partial JSON."""
    folder = recording("otelpy_converse_stream_nova_tool_call")
    decoder = converse.ConverseStreamDecoder()
    deltas = []
    for frame in _frames(folder / "interaction0_response_body.eventstream.bin"):
        event_type = frame["headers"][":event-type"]
        payload = {k: v for k, v in frame["payload"].items() if k != "p"}
        deltas.extend(decoder.feed({event_type: payload}))
    decoder.finish()
    calls = [d.tool_call for d in deltas if d.tool_call is not None]
    assert calls and calls[0].id and calls[0].name
    arguments = "".join(c.arguments for c in calls if c.index == calls[0].index)
    assert isinstance(json.loads(arguments), dict)
    assert deltas[-1].usage is not None
    assert [d.stop_reason for d in deltas if d.stop_reason] == ["tool_calls"]
