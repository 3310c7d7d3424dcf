"""Measures the emulator (not a test): round-trip latency, requests/s with 16 clients, concurrent streams.

Run: python -m tests.emulator.perf_check   (the server runs in a subprocess so the load generator does not
share its GIL). Prints one line per figure.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import multiprocessing
import statistics
import subprocess
import sys
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bedrock_mistral.local.emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY

BODY = json.dumps({"prompt": "<s>[INST] hi [/INST]", "max_tokens": 5}).encode()
INVOKE = "/model/mistral.mistral-7b-instruct-v0%3A2/invoke"
STREAM = "/model/mistral.mistral-7b-instruct-v0%3A2/invoke-with-response-stream"


def signed_headers(port: int, path: str, body: bytes) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:{port}{path}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY), "bedrock", "us-east-1").add_auth(
        request
    )
    return dict(request.headers.items())


def round_trips(port: int, count: int) -> list[float]:
    headers = signed_headers(port, INVOKE, BODY)
    connection = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        connection.request("POST", INVOKE, body=BODY, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        times.append(time.perf_counter() - start)
    connection.close()
    return times


def _worker(args: tuple[int, float]) -> int:
    port, seconds = args
    headers = signed_headers(port, INVOKE, BODY)
    connection = http.client.HTTPConnection("127.0.0.1", port)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        connection.request("POST", INVOKE, body=BODY, headers=headers)
        response = connection.getresponse()
        response.read()
        done += 1
    return done


def throughput(port: int, clients: int = 16, seconds: float = 3.0) -> float:
    with multiprocessing.Pool(clients) as pool:
        counts = pool.map(_worker, [(port, seconds)] * clients)
    return sum(counts) / seconds


async def _stream(
    port: int, headers: dict[str, str], body: bytes, opened: asyncio.Event, ready: list[int], total: int
) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    head = (
        f"POST {STREAM} HTTP/1.1\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    status = await reader.readline()
    ready.append(1)
    if len(ready) == total:
        opened.set()
    data = await reader.readuntil(b"0\r\n\r\n")
    writer.close()
    return status.startswith(b"HTTP/1.1 200") and data.endswith(b"0\r\n\r\n")


async def concurrent_streams(port: int, count: int) -> tuple[int, float]:
    body = json.dumps(
        {"prompt": "<s>[INST] Tell me about the history of Paris in France. [/INST]", "max_tokens": 20}
    ).encode()
    headers = signed_headers(port, STREAM, body)
    headers.pop("Content-Length", None)
    opened = asyncio.Event()
    ready: list[int] = []
    start = time.perf_counter()
    results = await asyncio.gather(
        *(_stream(port, headers, body, opened, ready, count) for _ in range(count))
    )
    return sum(results), time.perf_counter() - start


def main() -> None:
    port = 18765
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bedrock_mistral.local",
            "serve",
            "--port",
            str(port),
            "--token-latency-ms",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        while "Ctrl-C" not in server.stdout.readline():
            pass
        round_trips(port, 200)
        times = round_trips(port, 2000)
        print(
            f"invoke round trip (http.client, keep-alive): median {statistics.median(times) * 1000:.3f} ms, p99 {sorted(times)[int(len(times) * 0.99)] * 1000:.3f} ms"
        )
        print(f"invoke requests/s with 16 clients: {throughput(port):.0f}")
    finally:
        server.terminate()
        server.wait()
    # Streams held open together: 1 s of per-token latency keeps every stream alive while the rest connect.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bedrock_mistral.local",
            "serve",
            "--port",
            str(port),
            "--token-latency-ms",
            "50",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        while "Ctrl-C" not in server.stdout.readline():
            pass
        ok, elapsed = asyncio.run(concurrent_streams(port, 1000))
        print(f"concurrent streams: {ok}/1000 complete in {elapsed:.2f} s (each stream ~1 s long)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
