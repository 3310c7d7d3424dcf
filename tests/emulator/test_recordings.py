"""Every recorded Bedrock exchange, replayed against the emulator: status, headers, JSON shape, frames."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from botocore.exceptions import ClientError

from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.rejections import MIXED_TOOL_USE, TOOL_STREAMING

from .conftest import load_json
from .helpers import blobs, frames, raw_call, shape

IGNORED_HEADERS = {"set-cookie", "content-length", "transfer-encoding"}


def recorded_meta(path: Path) -> tuple[int, set[str], dict[str, str]]:
    """Status, header names (lower case) and header values of a recorded response, whatever the recorder."""
    meta = load_json(path)
    status = meta["status"]["code"] if isinstance(meta["status"], dict) else meta["status"]
    if "rawHeaders" in meta:
        pairs = [(k, v) for k, v in meta["rawHeaders"]]
    else:
        pairs = [(k, v[0] if isinstance(v, list) else v) for k, v in meta["headers"].items()]
    values = {k.lower(): v for k, v in pairs}
    return status, set(values), values


def model_and_op(uri: str) -> tuple[str, str]:
    _, _, model, op = urlsplit(uri).path.split("/")
    return unquote(model), op


def assert_headers(recorded: set[str], received: dict[str, str], status: int) -> None:
    expected = recorded - IGNORED_HEADERS
    if status == 200:
        expected.discard("x-amzn-errortype")  # oteljs_invoke_mistral7b: hand-edited recording
    assert expected <= set(received), expected - set(received)


def invoke_with_headers(
    client: Any, model_id: str, body: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    response = client.invoke_model(modelId=model_id, body=json.dumps(body))
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


# --- InvokeModel -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "request_file", "response_file", "meta_file"),
    [
        (
            "otelpy_invoke_mistral7b_with_content",
            "interaction0_request_body.json",
            "interaction0_response_body.json",
            "interaction0_response_meta.json",
        ),
        (
            "otelpy_invoke_mistral7b_no_content",
            "interaction0_request_body.json",
            "interaction0_response_body.json",
            "interaction0_response_meta.json",
        ),
        ("newrelic_invoke_mistral7b", "request_body.json", "response_body.json", "response_meta.json"),
        (
            "oteljs_invoke_mistral7b",
            "interaction0_request.json",
            "interaction0_response_body.json",
            "interaction0_response_meta.json",
        ),
    ],
)
def test_invoke_model_recordings(
    recordings: Path, client: Any, folder: str, request_file: str, response_file: str, meta_file: str
) -> None:
    request = load_json(recordings / folder / request_file)
    body = request.get("body", request)
    status, names, _ = recorded_meta(recordings / folder / meta_file)
    answer, headers = invoke_with_headers(client, "mistral.mistral-7b-instruct-v0:2", body)
    assert status == 200
    assert_headers(names, headers, status)
    recorded = load_json(recordings / folder / response_file)
    assert shape(answer) == shape(recorded)
    assert answer["outputs"][0]["stop_reason"] in ("stop", "length")
    if "max_tokens" in body:
        assert int(headers["x-amzn-bedrock-output-token-count"]) <= body["max_tokens"]
    assert {
        "x-amzn-bedrock-input-token-count",
        "x-amzn-bedrock-output-token-count",
        "x-amzn-bedrock-invocation-latency",
    } <= set(headers)


# --- InvokeModelWithResponseStream -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "request_file", "stream_file", "meta_file", "model_id"),
    [
        (
            "newrelic_iwrs_mistral7b_stream",
            "request_body.json",
            "response_body.eventstream.bin",
            "response_meta.json",
            "mistral.mistral-7b-instruct-v0:2",
        ),
        (
            "oteljs_iwrs_mistral_small_2402",
            "interaction1_request.json",
            "interaction1_response_body.eventstream.bin",
            "interaction1_response_meta.json",
            "mistral.mistral-small-2402-v1:0",
        ),
    ],
)
def test_stream_recordings(
    recordings: Path,
    local_bedrock: LocalBedrock,
    folder: str,
    request_file: str,
    stream_file: str,
    meta_file: str,
    model_id: str,
) -> None:
    request = load_json(recordings / folder / request_file)
    body = request.get("body", request)
    path = f"/model/{model_id.replace(':', '%3A')}/invoke-with-response-stream"
    status, headers, raw = raw_call(local_bedrock, path, json.dumps(body).encode())
    recorded_status, names, recorded_headers = recorded_meta(recordings / folder / meta_file)
    assert status == recorded_status == 200
    assert_headers(names, headers, status)
    assert headers["content-type"] == recorded_headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["transfer-encoding"] == "chunked"
    ours = frames(raw)
    theirs = frames((recordings / folder / stream_file).read_bytes())
    assert [h for h, _ in ours] == [theirs[0][0]] * len(ours)
    assert list(ours[0][0]) == list(theirs[0][0])  # header order too
    for payload in (json.loads(p) for _, p in ours):
        assert set(payload) == {"bytes", "p"}
    chunks = [json.loads(base64.b64decode(json.loads(p)["bytes"])) for _, p in ours]
    recorded_chunks = [json.loads(base64.b64decode(json.loads(p)["bytes"])) for _, p in theirs]
    assert all(shape(c) == shape(recorded_chunks[0]) for c in chunks[:-1])
    assert shape(chunks[-1]) == shape(recorded_chunks[-1])
    assert all(c["outputs"][0]["stop_reason"] is None for c in chunks[:-1])
    assert chunks[-1]["outputs"][0]["stop_reason"] in ("stop", "length")
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == len(chunks)


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "folder",
    [
        "otelpy_error_invoke_invalid_model",
        "otelpy_error_iwrs_invalid_model",
        "otelpy_error_converse_invalid_model",
        "otelpy_error_converse_stream_invalid_model",
    ],
)
def test_invalid_model_recordings(recordings: Path, local_bedrock: LocalBedrock, folder: str) -> None:
    meta = load_json(recordings / folder / "interaction0_request_meta.json")
    body_file = recordings / folder / "interaction0_request_body.json"
    body = body_file.read_bytes() if body_file.exists() else b""
    path = urlsplit(meta["uri"]).path
    status, headers, raw = raw_call(local_bedrock, path, body)
    recorded_status, names, recorded_headers = recorded_meta(
        recordings / folder / "interaction0_response_meta.json"
    )
    assert status == recorded_status == 400
    assert_headers(names, headers, status)
    assert headers["x-amzn-errortype"] == recorded_headers["x-amzn-errortype"]
    assert json.loads(raw) == load_json(recordings / folder / "interaction0_response_body.json")


def test_invalid_model_through_boto3(client: Any) -> None:
    with pytest.raises(ClientError) as error:
        client.converse(
            modelId="does-not-exist", messages=[{"role": "user", "content": [{"text": "Say this is a test"}]}]
        )
    assert error.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "The provided model identifier is invalid.",
    }
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_key_recording(recordings: Path) -> None:
    folder = recordings / "newrelic_error_invoke_mistral7b_invalid_token_403"
    status, names, recorded_headers = recorded_meta(folder / "response_meta.json")
    with LocalBedrock(auth="strict") as bedrock:
        code, headers, raw = raw_call(
            bedrock,
            "/model/mistral.mistral-7b-instruct-v0%3A2/invoke",
            b'{"prompt": "<s>[INST] Invalid Token [/INST]", "temperature": 0.7, "max_tokens": 100}',
            access_key="AKIAUNKNOWNKEY000000",
        )
    assert code == status == 403
    assert_headers(names, headers, code)
    assert headers["x-amzn-errortype"] == recorded_headers["x-amzn-errortype"]
    assert json.loads(raw) == load_json(folder / "response_body.json")


def test_expired_signature_recording(recordings: Path) -> None:
    import datetime as dt

    folder = recordings / "oteljs_iwrs_mistral_small_2402"
    status, names, recorded_headers = recorded_meta(folder / "interaction0_response_meta.json")
    recorded_message = load_json(folder / "interaction0_response_body.json")["message"]
    body = json.dumps(load_json(folder / "interaction0_request.json")["body"]).encode()
    with LocalBedrock(auth="strict") as bedrock:
        when = dt.datetime(2025, 5, 21, 7, 53, 4, tzinfo=dt.timezone.utc)
        code, headers, raw = raw_call(
            bedrock, "/model/mistral.mistral-small-2402-v1%3A0/invoke-with-response-stream", body, when=when
        )
    assert code == status == 403
    assert_headers(names, headers, code)
    assert headers["x-amzn-errortype"] == recorded_headers["x-amzn-errortype"]
    message = json.loads(raw)["message"]
    assert message.startswith("Signature expired: 20250521T075304Z is now earlier than ")
    assert message.endswith(" - 5 min.)")
    assert recorded_message.startswith("Signature expired: 20250521T075304Z is now earlier than ")


# --- Converse ----------------------------------------------------------------------------------------


def test_converse_stream_recording_framing(recordings: Path, local_bedrock: LocalBedrock) -> None:
    """The Titan recording's request sent to Mistral 7B: same events, headers and payload keys."""
    folder = recordings / "otelpy_converse_stream_titan_max_tokens"
    body = (folder / "interaction0_request_body.json").read_bytes()
    status, headers, raw = raw_call(
        local_bedrock, "/model/mistral.mistral-7b-instruct-v0%3A2/converse-stream", body
    )
    recorded_status, names, _ = recorded_meta(folder / "interaction0_response_meta.json")
    assert status == recorded_status == 200
    assert_headers(names, headers, status)
    ours, theirs = frames(raw), frames((folder / "interaction0_response_body.eventstream.bin").read_bytes())
    kinds = [h[":event-type"] for h, _ in ours]
    assert kinds[0] == "messageStart" and kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    recorded_by_kind = {h[":event-type"]: (h, json.loads(p)) for h, p in theirs}
    for frame_headers, payload in ours:
        recorded_headers, recorded_payload = recorded_by_kind[frame_headers[":event-type"]]
        assert (
            list(frame_headers.items()) == list(recorded_headers.items())
            or frame_headers.keys() == recorded_headers.keys()
        )
        assert shape(json.loads(payload)).keys() == shape(recorded_payload).keys()
        assert list(json.loads(payload)) == sorted(json.loads(payload))  # keys sorted, as Bedrock sends them
    usage = json.loads(ours[-1][1])["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]


def test_converse_stream_tool_recording_is_rejected_on_mistral(recordings: Path, client: Any) -> None:
    body = load_json(recordings / "otelpy_converse_stream_nova_tool_call/interaction0_request_body.json")
    with pytest.raises(ClientError) as error:
        client.converse_stream(modelId="mistral.mistral-large-2407-v1:0", **body)
    assert error.value.response["Error"] == {"Code": "ValidationException", "Message": TOOL_STREAMING}


def test_converse_stream_tool_frames_match_recorded_shape(recordings: Path) -> None:
    """Tool-use stream frames (used by the upstream engine path) have the recorded Nova shape."""
    from bedrock_mistral import catalog
    from bedrock_mistral.local.conversation import Conversation, Delta, ToolInvocation
    from bedrock_mistral.local.wire import converse
    from bedrock_mistral.local.wire.common import Exchange

    recorded = frames(
        (
            recordings / "otelpy_converse_stream_nova_tool_call/interaction0_response_body.eventstream.bin"
        ).read_bytes()
    )
    spec = catalog.find("mistral.mistral-large-2407-v1:0")
    assert spec is not None
    exchange = Exchange("rid", spec.model_id, spec, Conversation(spec.model_id))
    deltas = [
        Delta(text="Calling"),
        Delta(
            tool_calls=[ToolInvocation("get_current_weather", {"location": "Seattle"})], stop_reason="tool_calls"
        ),
    ]
    ours = [(h, json.loads(p)) for h, p in frames(b"".join(converse.stream(iter(deltas), exchange)))]
    recorded_kinds = [h[":event-type"] for h, _ in recorded]
    our_kinds = [h[":event-type"] for h, _ in ours]
    assert our_kinds == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockStop",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert set(our_kinds) == set(recorded_kinds)
    start = next(p for h, p in ours if h[":event-type"] == "contentBlockStart")
    recorded_start = next(json.loads(p) for h, p in recorded if h[":event-type"] == "contentBlockStart")
    assert shape(start) == shape(recorded_start)
    assert (
        start["start"]["toolUse"]["toolUseId"].startswith("tooluse_")
        and len(start["start"]["toolUse"]["toolUseId"]) == 30
    )
    assert ours[-2][1]["stopReason"] == "tool_use"


def test_converse_tool_call_recording(recordings: Path, client: Any) -> None:
    folder = recordings / "otelpy_converse_nova_tool_call"
    body = load_json(folder / "interaction0_request_body.json")
    response = client.converse(modelId="mistral.mistral-large-2407-v1:0", **body)
    recorded = load_json(folder / "interaction0_response_body.json")
    status, names, _ = recorded_meta(folder / "interaction0_response_meta.json")
    assert_headers(names, response["ResponseMetadata"]["HTTPHeaders"], status)
    assert response["stopReason"] == recorded["stopReason"] == "tool_use"
    uses = [b["toolUse"] for b in response["output"]["message"]["content"]]
    recorded_uses = [b["toolUse"] for b in recorded["output"]["message"]["content"] if "toolUse" in b]
    assert [u["input"] for u in uses] == [u["input"] for u in recorded_uses]  # Seattle, San Francisco
    assert all(shape(u) == shape(recorded_uses[0]) for u in uses)
    assert all(u["toolUseId"].startswith("tooluse_") and len(u["toolUseId"]) == 30 for u in uses)
    assert shape(response["usage"]).keys() >= shape(recorded["usage"]).keys()


def test_converse_tool_result_recording(recordings: Path, client: Any) -> None:
    """The recorded follow-up mixes text and toolUse in one assistant turn: Mistral rejects that."""
    folder = recordings / "otelpy_converse_nova_tool_call"
    body = load_json(folder / "interaction1_request_body.json")
    with pytest.raises(ClientError) as error:
        client.converse(modelId="mistral.mistral-large-2407-v1:0", **body)
    assert error.value.response["Error"] == {"Code": "ValidationException", "Message": MIXED_TOOL_USE}
    assistant = body["messages"][1]
    assistant["content"] = [b for b in assistant["content"] if "toolUse" in b]
    response = client.converse(modelId="mistral.mistral-large-2407-v1:0", **body)
    recorded = load_json(folder / "interaction1_response_body.json")
    assert response["stopReason"] == recorded["stopReason"] == "end_turn"
    text = response["output"]["message"]["content"][0]["text"]
    assert "50 degrees and raining" in text and "70 degrees and sunny" in text


@pytest.mark.parametrize(
    ("folder", "interaction"),
    [
        ("pydanticai_converse_mistral_large3_output_config", 0),
        ("pydanticai_converse_pixtral_tool_return_image", 0),
        ("pydanticai_converse_pixtral_two_tool_returns_images", 0),
        ("pydanticai_converse_pixtral_tool_use_then_document", 0),
        ("pydanticai_converse_pixtral_tool_use_then_document", 1),
    ],
)
def test_pydantic_ai_converse_recordings(
    recordings: Path, client: Any, folder: str, interaction: int
) -> None:
    base = recordings / folder / f"interaction{interaction}"
    meta = load_json(Path(f"{base}_request_meta.json"))
    model_id, op = model_and_op(meta["uri"])
    assert op == "converse"
    body = blobs(load_json(Path(f"{base}_request_body.json")))
    response = client.converse(modelId=model_id, **body)
    recorded = load_json(Path(f"{base}_response_body.json"))
    status, names, _ = recorded_meta(Path(f"{base}_response_meta.json"))
    assert_headers(names, response["ResponseMetadata"]["HTTPHeaders"], status)
    assert response["stopReason"] == recorded["stopReason"]
    ours = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    recorded["usage"].pop("serverToolUsage")  # on the wire (see below) but not in botocore's model
    assert shape(ours) == shape(recorded)
    if "outputConfig" in body:
        answer = json.loads(response["output"]["message"]["content"][0]["text"])
        assert isinstance(answer["city"], str) and isinstance(answer["country"], str)
        assert isinstance(answer["population"], int)
        assert answer["country"] == "France"


def test_converse_wire_body_matches_recording_keys(recordings: Path, local_bedrock: LocalBedrock) -> None:
    folder = recordings / "pydanticai_converse_mistral_large3_output_config"
    body = (folder / "interaction0_request_body.json").read_bytes()
    status, headers, raw = raw_call(
        local_bedrock, "/model/mistral.mistral-large-3-675b-instruct/converse", body
    )
    assert status == 200 and headers["content-type"] == "application/json"
    ours, recorded = json.loads(raw), load_json(folder / "interaction0_response_body.json")
    assert shape(ours) == shape(recorded)
    assert list(ours) == sorted(ours)
