"""The event-stream encoder, checked byte for byte against recorded Bedrock frames."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import pytest
from botocore.eventstream import EventStreamBuffer

from bedrock_mistral.local import eventstream


def split_frames(raw: bytes) -> list[bytes]:
    frames, offset = [], 0
    while offset < len(raw):
        (total,) = struct.unpack(">I", raw[offset : offset + 4])
        frames.append(raw[offset : offset + total])
        offset += total
    return frames


def decode(raw: bytes) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    return [(dict(message.headers), message.payload) for message in buffer]


def test_encoded_message_decodes_with_botocore() -> None:
    frame = eventstream.event_frame("chunk", b'{"bytes":"e30="}')
    [(headers, payload)] = decode(frame)
    assert headers == {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}
    assert payload == b'{"bytes":"e30="}'


def test_header_order_is_event_content_message() -> None:
    frame = eventstream.event_frame("chunk", b"{}")
    assert frame.index(b":event-type") < frame.index(b":content-type") < frame.index(b":message-type")


def test_exception_frame() -> None:
    [(headers, payload)] = decode(eventstream.exception_frame("modelStreamErrorException", "boom"))
    assert headers[":message-type"] == "exception"
    assert headers[":exception-type"] == "modelStreamErrorException"
    assert json.loads(payload) == {"message": "boom"}


def test_padding_is_alphabet_prefix() -> None:
    for _ in range(50):
        pad = eventstream.padding()
        assert 1 <= len(pad) < 62
        assert eventstream.PADDING_ALPHABET.startswith(pad)


@pytest.mark.parametrize(
    "name",
    ["oteljs_iwrs_mistral_small_2402/interaction1_response_body.eventstream.bin"],
)
def test_chunk_frames_match_recording_byte_for_byte(recordings: Path, name: str) -> None:
    raw = (recordings / name).read_bytes()
    frames = split_frames(raw)
    assert len(frames) == 20
    for frame, (_, payload) in zip(frames, decode(raw), strict=True):
        body = json.loads(payload)
        model_json = base64.b64decode(body["bytes"])
        assert eventstream.chunk_frame(model_json, pad=body["p"]) == frame


def test_unpadded_chunk_frames_match_recording(recordings: Path) -> None:
    raw = (recordings / "newrelic_iwrs_mistral7b_stream/response_body.eventstream.bin").read_bytes()
    frames = split_frames(raw)
    assert len(frames) == 100
    for frame, (_, payload) in zip(frames, decode(raw), strict=True):
        assert eventstream.event_frame("chunk", payload) == frame


@pytest.mark.parametrize(
    "name",
    [
        "otelpy_converse_stream_titan_max_tokens/interaction0_response_body.eventstream.bin",
        "otelpy_converse_stream_nova_tool_call/interaction0_response_body.eventstream.bin",
        "otelpy_converse_stream_nova_tool_call/interaction1_response_body.eventstream.bin",
    ],
)
def test_converse_frames_match_recording_byte_for_byte(recordings: Path, name: str) -> None:
    raw = (recordings / name).read_bytes()
    for frame, (headers, payload) in zip(split_frames(raw), decode(raw), strict=True):
        fields = json.loads(payload)
        pad = fields.pop("p")
        assert eventstream.converse_frame(str(headers[":event-type"]), fields, pad=pad) == frame
