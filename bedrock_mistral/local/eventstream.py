"""Encoder for the `application/vnd.amazon.eventstream` framing Bedrock streams in.

botocore only decodes event streams, so the emulator writes frames itself: a prelude (total length,
headers length, prelude CRC32), string headers (value type 7), the payload and a message CRC32.
"""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib
from collections.abc import Sequence
from typing import Any

STRING_HEADER = 7
PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def encode_headers(headers: Sequence[tuple[str, str]]) -> bytes:
    """Headers in wire order: name length (u8), name, type 7, value length (u16), value."""
    out = bytearray()
    for name, value in headers:
        raw_name = name.encode("utf-8")
        raw_value = value.encode("utf-8")
        out += struct.pack(">B", len(raw_name)) + raw_name
        out += struct.pack(">BH", STRING_HEADER, len(raw_value)) + raw_value
    return bytes(out)


def encode_message(headers: Sequence[tuple[str, str]], payload: bytes) -> bytes:
    """One complete, CRC-valid event-stream message."""
    raw_headers = encode_headers(headers)
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def padding(length: int | None = None, rng: random.Random | None = None) -> str:
    """Bedrock's `p` field: a prefix of a-zA-Z0-9 of variable length, hiding payload sizes."""
    if length is None:
        length = (rng or random).randint(1, len(PADDING_ALPHABET) - 1)
    return PADDING_ALPHABET[:length]


def dumps(obj: Any, *, sort_keys: bool = False) -> bytes:
    """Compact JSON with UTF-8 kept as is, like Bedrock's serializers."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys).encode("utf-8")


def event_frame(event_type: str, payload: bytes) -> bytes:
    """An event message with the header order Bedrock uses."""
    headers = (
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    )
    return encode_message(headers, payload)


def chunk_frame(model_json: bytes, pad: str | None = None) -> bytes:
    """An InvokeModelWithResponseStream `chunk`: the model JSON base64'd under `bytes`, plus `p`."""
    body: dict[str, str] = {"bytes": base64.b64encode(model_json).decode("ascii")}
    body["p"] = padding() if pad is None else pad
    return event_frame("chunk", dumps(body))


def converse_frame(event_type: str, fields: dict[str, Any], pad: str | None = None) -> bytes:
    """A ConverseStream event: keys sorted, `p` among them, as the recorded frames have them."""
    body = dict(fields)
    body["p"] = padding() if pad is None else pad
    return event_frame(event_type, dumps(body, sort_keys=True))


def exception_frame(exception_type: str, message: str, extra: dict[str, Any] | None = None) -> bytes:
    """An in-stream exception (`:message-type: exception`), which botocore raises as EventStreamError."""
    headers = (
        (":exception-type", exception_type),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    )
    body: dict[str, Any] = {"message": message}
    if extra:
        body.update(extra)
    return encode_message(headers, dumps(body))
