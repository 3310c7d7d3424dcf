"""A minimal asyncio HTTP/1.1 client for load: botocore signs a request once, the client replays its bytes.

Replaying is legitimate against the emulator (its default `signed` auth checks the form of the signature,
and a SigV4 signature stays valid for minutes), and it keeps the client far cheaper than the server under
test, so the numbers are the emulator's, not the client's.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from benchmarks.emulator import Endpoint

EVENT_FRAME = b":message-type\x07\x00\x05event"
"""The header every event-stream frame carries when it is an event (and not an exception)."""
_SKIP_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding"})


@dataclass(frozen=True)
class RawRequest:
    host: str
    port: int
    data: bytes


def signed_request(endpoint: Endpoint, model: str, body: dict[str, Any], *, stream: bool) -> RawRequest:
    """The exact bytes boto3 sends for InvokeModel (or InvokeModelWithResponseStream), captured once."""
    import boto3
    from botocore.config import Config

    captured: list[Any] = []
    client = boto3.client(
        "bedrock-runtime", config=Config(retries={"total_max_attempts": 1}), **endpoint.client_kwargs()
    )
    client.meta.events.register(
        "before-send.bedrock-runtime.*", lambda request, **_: captured.append(request)
    )
    payload = json.dumps(body).encode()
    if stream:
        for _ in client.invoke_model_with_response_stream(modelId=model, body=payload)["body"]:
            pass
    else:
        client.invoke_model(modelId=model, body=payload)["body"].read()
    client.close()
    request = captured[-1]
    url = urlsplit(request.url)
    host, port = endpoint.host_port
    target = url.path + (f"?{url.query}" if url.query else "")
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {url.netloc}"]
    for name, value in request.headers.items():
        if name.lower() not in _SKIP_HEADERS:
            lines.append(f"{name}: {value.decode() if isinstance(value, bytes) else value}")
    raw_body = request.body if isinstance(request.body, bytes) else (request.body or b"")
    if not isinstance(raw_body, bytes):
        raw_body = raw_body.read()
    lines.append(f"Content-Length: {len(raw_body)}")
    return RawRequest(host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + raw_body)


@dataclass
class Response:
    status: int
    body: bytes = b""
    frames: int = 0
    bad_frames: int = 0
    complete: bool = True


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_response(reader: asyncio.StreamReader, on_first_frame: Any = None) -> Response:
    """One response; chunked bodies are counted frame by frame (the emulator writes one frame per chunk)."""
    status, headers = await read_head(reader)
    if "chunked" not in headers.get("transfer-encoding", ""):
        length = int(headers.get("content-length", "0"))
        return Response(status, await reader.readexactly(length) if length else b"")
    response = Response(status)
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return response
        chunk = await reader.readexactly(size + 2)
        if not response.frames and on_first_frame is not None:
            on_first_frame()
        response.frames += 1
        if EVENT_FRAME not in chunk[:120]:
            response.bad_frames += 1
