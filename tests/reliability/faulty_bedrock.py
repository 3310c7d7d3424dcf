"""A loopback Bedrock that answers wrongly on purpose: corrupt event-stream frames, malformed 200 bodies,
trickled bytes, `Retry-After` on throttling. The emulator answers correctly by design, so these answers
come from the replay server (tests/transport/replay_server.py), written in Bedrock's own wire formats.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from bedrock_mistral.local import eventstream
from tests.transport.replay_server import Answer, ReplayServer

REGION = "us-east-1"
REQUEST_ID = "0f0e0d0c-fault-4bad-8000-000000000001"
JSON_HEADERS = [("Content-Type", "application/json"), ("x-amzn-RequestId", REQUEST_ID)]
STREAM_HEADERS = [
    ("Content-Type", "application/vnd.amazon.eventstream"),
    ("x-amzn-RequestId", REQUEST_ID),
    ("X-Amzn-Bedrock-Content-Type", "application/json"),
]
PIECES = ("Cheese ", "making ", "began ", "long ", "ago.")
ANSWER = "".join(PIECES)

WIRE = {"langchain-chat": "chat-completion", "langchain-llm": "text-completion", "llama-index": "converse"}
"""The wire format each reliability adapter speaks (see tests/reliability/adapters.py)."""
ANSWER_FIELD = {"chat-completion": "choices", "text-completion": "outputs", "converse": "output"}


@dataclass
class FaultyBedrock:
    """Quacks like LocalBedrock where the adapters' builder looks (endpoint, region, keys)."""

    server: ReplayServer
    region_name: str = REGION
    aws_access_key_id: str = "AKIAFAULTYBEDROCK000"
    aws_secret_access_key: str = "faulty-bedrock-secret"

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    def queue(self, answer: Answer, times: int = 1) -> None:
        self.server.queue(answer, times)

    @property
    def request_count(self) -> int:
        return len(self.server.received)


def faulty_bedrock() -> Iterator[FaultyBedrock]:
    server = ReplayServer()
    try:
        yield FaultyBedrock(server)
    finally:
        server.close()


# --- correct answers ----------------------------------------------------------------------------------


def body(wire: str, text: str = ANSWER) -> bytes:
    """A complete, correct non-streamed answer in the wire format."""
    if wire == "chat-completion":
        value: object = {
            "id": "fault-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "stop_reason": "stop"}],
        }
    elif wire == "text-completion":
        value = {"outputs": [{"text": text, "stop_reason": "stop"}]}
    else:
        value = {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 5, "outputTokens": 5, "totalTokens": 10},
            "metrics": {"latencyMs": 10},
        }
    return json.dumps(value).encode()


def ok(wire: str) -> Answer:
    return Answer(200, JSON_HEADERS, body(wire))


def frames(wire: str) -> list[bytes]:
    """A correct streamed answer, one frame per entry."""
    if wire == "converse":
        out = [eventstream.converse_frame("messageStart", {"role": "assistant"})]
        out += [
            eventstream.converse_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
            for piece in PIECES
        ]
        out.append(eventstream.converse_frame("contentBlockStop", {"contentBlockIndex": 0}))
        out.append(eventstream.converse_frame("messageStop", {"stopReason": "end_turn"}))
        out.append(eventstream.converse_frame("metadata", {
            "usage": {"inputTokens": 5, "outputTokens": 5, "totalTokens": 10}, "metrics": {"latencyMs": 10},
        }))
        return out
    chunks: list[dict[str, object]] = []
    for index, piece in enumerate(PIECES):
        last = index == len(PIECES) - 1
        if wire == "chat-completion":
            message = {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
            chunk: dict[str, object] = {"choices": [{"index": 0, "message": message,
                                                     "stop_reason": "stop" if last else None}]}
        else:
            chunk = {"outputs": [{"text": piece, "stop_reason": "stop" if last else None}]}
        if last:
            chunk["amazon-bedrock-invocationMetrics"] = {"inputTokenCount": 5, "outputTokenCount": 5,
                                                         "invocationLatency": 10, "firstByteLatency": 5}
        chunks.append(chunk)
    return [eventstream.chunk_frame(json.dumps(c).encode()) for c in chunks]


def stream(wire: str) -> Answer:
    return Answer(200, STREAM_HEADERS, b"".join(frames(wire)), chunked=True)


def received_text(wire: str, good_frames: int) -> str:
    """The text carried by the first `good_frames` frames of `frames(wire)`."""
    offset = 1 if wire == "converse" else 0  # messageStart carries no text
    return "".join(PIECES[: max(0, good_frames - offset)])


# --- faults -------------------------------------------------------------------------------------------


def corrupt_stream(wire: str, where: str, good_frames: int) -> Answer:
    """`good_frames` correct frames, then one whose prelude CRC or message CRC is wrong."""
    parts = frames(wire)
    bad = bytearray(parts[good_frames])
    index = 8 if where == "prelude" else len(bad) - 1  # the prelude CRC starts at byte 8
    bad[index] ^= 0xFF
    return Answer(200, STREAM_HEADERS, b"".join([*parts[:good_frames], bytes(bad), *parts[good_frames + 1 :]]),
                  chunked=True)


MALFORMED_BODIES = ("not-json", "empty", "json-array", "too-deep", "no-answer-field")


def malformed(wire: str, kind: str) -> Answer:
    if kind == "not-json":
        data = b"<html><body>502 Bad Gateway</body></html>"
    elif kind == "empty":
        data = b""
    elif kind == "json-array":
        data = json.dumps([json.loads(body(wire))]).encode()
    elif kind == "too-deep":
        data = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    else:
        data = json.dumps({"id": "fault-1", "usage": {"prompt_tokens": 3}}).encode()
    return Answer(200, JSON_HEADERS, data)


def error(status: int, code: str, message: str, retry_after: str | None = None) -> Answer:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", REQUEST_ID), ("x-amzn-ErrorType", code)]
    if retry_after is not None:
        headers.append(("Retry-After", retry_after))
    return Answer(status, headers, json.dumps({"message": message}).encode())


def trickled(wire: str, streamed: bool, after_bytes: int | None = None, every_s: float = 0.1) -> Answer:
    """A correct answer whose bytes arrive one at a time after the first `after_bytes` (default: after
    the first frame of a stream; from the first byte of a body)."""
    if streamed:
        parts = frames(wire)
        data = b"".join(parts)
        head = len(parts[0]) if after_bytes is None else after_bytes
        return Answer(200, STREAM_HEADERS, data, trickle_after=head, trickle_s=every_s)
    return Answer(200, JSON_HEADERS, body(wire), trickle_after=after_bytes or 0, trickle_s=every_s)
