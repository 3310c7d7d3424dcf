"""Issue 12 items 12-15: the emulator's HTTP layer against hostile and sloppy clients, over raw sockets.

Each case used to kill a connection thread with a traceback, hang, buffer a whole body, answer 500, or
hold a thread per connection; now each gets an HTTP answer and the server goes on serving.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import re
import resource
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from bedrock_mistral.local import LocalBedrock
from tests.reliability import registry

MODEL = "mistral.mistral-7b-instruct-v0:2"
INVOKE = "/model/mistral.mistral-7b-instruct-v0%3A2/invoke"
HEAD = f"POST {INVOKE} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
SIGNED_FORM = (  # all that the default auth ("signed") checks: the form of a SigV4 header
    "X-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIALOCALBEDROCK0000/"
    f"20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature={'0' * 64}\r\n"
)


@pytest.fixture(autouse=True)
def no_server_crash(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No unhandled exception in any thread, and none logged by an event loop, during the test."""
    crashes: list[threading.ExceptHookArgs] = []
    previous = threading.excepthook
    threading.excepthook = crashes.append
    caplog.set_level(logging.ERROR, logger="asyncio")
    try:
        yield
    finally:
        threading.excepthook = previous
    assert not crashes, f"unhandled exception in thread {crashes[0].thread}: {crashes[0].exc_value!r}"
    assert not [r for r in caplog.records if r.name == "asyncio"], caplog.text


def exchange(port: int, data: bytes, *, method: str = "POST") -> http.client.HTTPResponse:
    """Send raw bytes, read one response with the standard library's parser (body read)."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(data)
    response = http.client.HTTPResponse(conn, method=method)
    response.begin()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def bedrock_error(response: http.client.HTTPResponse) -> tuple[str, str]:
    code = (response.getheader("x-amzn-ErrorType") or "").split(":")[0]
    return code, json.loads(response.body)["message"]  # type: ignore[attr-defined]


def served(bedrock: LocalBedrock) -> None:
    client = bedrock.client()
    assert client.invoke_model(modelId=MODEL, body=b'{"prompt": "hi"}')["body"].read()
    client.close()


MALFORMED = {
    "bad-chunk-size": (HEAD + "Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400),
    "content-length-abc": (HEAD + "Content-Length: abc\r\n\r\n{}", 400),
    "content-length-1e9": (HEAD + "Content-Length: 1e9\r\n\r\n{}", 400),
    "content-length-negative": (HEAD + "Content-Length: -1\r\n\r\n{}", 400),
    "content-length-conflicting": (HEAD + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x", 400),
    "head": (f"HEAD {INVOKE} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 405),
    "http-2.0": (f"POST {INVOKE} HTTP/2.0\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{{}}", 505),
    "header-line-too-long": (HEAD + "X-Long: " + "a" * 70_000 + "\r\nContent-Length: 2\r\n\r\n{}", 431),
    "too-many-headers": (HEAD + "".join(f"X-H{i}: {i}\r\n" for i in range(250)) + "\r\n", 431),
    "not-http": ("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 a TLS ClientHello\r\n\r\n", 400),
}


@pytest.mark.parametrize("case", registry.MALFORMED_HTTP.params())
def test_malformed_http_is_answered(bedrock: LocalBedrock, case: str) -> None:
    raw, status = MALFORMED[case]
    if case == "head":  # read to the end of the connection: nothing may follow the head
        with socket.create_connection(("127.0.0.1", bedrock.port), timeout=10) as conn:
            conn.sendall(raw.encode())
            received = b""
            while chunk := conn.recv(65536):
                received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 405 "), head
        assert rest == b"", f"HEAD answered with a body: {rest[:100]!r}"
    else:
        response = exchange(bedrock.port, raw.encode("latin-1"))
        assert response.status == status, (response.status, response.body)  # type: ignore[attr-defined]
        assert response.getheader("Connection") == "close"
    served(bedrock)


# --- body limits ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> Iterator[LocalBedrock]:
    with LocalBedrock(max_body_bytes=4096) as bedrock:
        yield bedrock


BODY_HEADS = {
    "content-length-1tib": HEAD + "Content-Length: 1099511627776\r\n\r\n",
    "chunk-1tib": HEAD + "Transfer-Encoding: chunked\r\n\r\n10000000000\r\n",
    "chunk-100mib": HEAD + "Transfer-Encoding: chunked\r\n\r\n6400000\r\n",
}


@pytest.mark.parametrize("case", registry.BODY_LIMIT.params())
def test_body_limit_is_enforced_while_reading(small: LocalBedrock, case: str) -> None:
    """Only 64 KiB of the announced body is ever sent: an answer proves the server did not wait for (or
    buffer) the rest, whatever the framing announced."""
    sent = BODY_HEADS[case].encode() + (b"" if case.startswith("content-length") else b"x" * 65536)
    response = exchange(small.port, sent)
    code, message = bedrock_error(response)
    assert (response.status, code) == (400, "ValidationException")
    assert "above the 4096 bytes" in message
    served(small)


# --- deeply nested JSON ----------------------------------------------------------------------------------

DEEP = b'{"prompt": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize("case", registry.DEEP_JSON.params())
def test_deep_json_is_a_validation_error_after_authentication(bedrock: LocalBedrock, case: str) -> None:
    if case == "signed":
        with pytest.raises(ClientError) as info:
            bedrock.client().invoke_model(modelId=MODEL, body=DEEP)
        error = info.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["Error"]["Code"] == "ValidationException"
        # Our wording (no recording of Bedrock's answer to such a body), in Bedrock's malformed-input form.
        assert error["Error"]["Message"].startswith("Malformed input request: ")
        return
    with LocalBedrock(auth="strict") as strict:
        raw = HEAD + f"Content-Type: application/json\r\nContent-Length: {len(DEEP)}\r\n\r\n"
        response = exchange(strict.port, raw.encode() + DEEP)
        assert response.status == 403
        assert bedrock_error(response)[0] == "MissingAuthenticationTokenException"


# --- connections: idle, timed out, bounded ---------------------------------------------------------------


@pytest.fixture
def file_limit() -> Iterator[None]:
    """Enough descriptors for 500 connections at both ends in this process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def server_threads(bedrock: LocalBedrock) -> list[str]:
    """The emulator's own threads (event loops and app workers are named after its port)."""
    return sorted(t.name for t in threading.enumerate() if f"local-bedrock:{bedrock.port}" in t.name
                  or f"local-bedrock-app:{bedrock.port}" in t.name)


def closed_by_server(conns: list[socket.socket]) -> list[tuple[int, int]]:
    """The connections with something to read: an idle connection the server closed (EOF) or answered."""
    poller = select.poll()  # not select(): descriptors past 1024 are common with 1,000 sockets open
    for conn in conns:
        poller.register(conn, select.POLLIN)
    return [event for event in poller.poll(0)]


def read_until_closed(conn: socket.socket) -> bytes:
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := conn.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("case", registry.IDLE_CONNECTIONS.params())
def test_connections_idle_timed_out_and_bounded(file_limit: None, case: str) -> None:
    if case == "500-idle":
        with LocalBedrock() as bedrock:
            served(bedrock)
            threads = server_threads(bedrock)
            assert threads, "the server's threads are named after its port"
            idle = [socket.create_connection(("127.0.0.1", bedrock.port), timeout=10) for _ in range(500)]
            try:
                client = bedrock.client()
                for _ in range(3):
                    assert client.invoke_model(modelId=MODEL, body=b'{"prompt": "hi"}')["body"].read()
                events = client.invoke_model_with_response_stream(modelId=MODEL, body=b'{"prompt": "hi"}')
                assert len(list(events["body"])) > 1
                assert server_threads(bedrock) == threads, "the server's threads grew with idle connections"
                assert not closed_by_server(idle)
            finally:
                for conn in idle:
                    conn.close()
        return
    if case in ("idle-timeout", "half-sent-request"):
        with LocalBedrock(idle_timeout_s=0.2) as bedrock:
            with socket.create_connection(("127.0.0.1", bedrock.port), timeout=30) as conn:
                if case == "half-sent-request":
                    conn.sendall(HEAD.encode())  # the head never ends
                received = read_until_closed(conn)  # the server closes it; a hang would time out
            if case == "half-sent-request":
                assert received.startswith(b"HTTP/1.1 408 "), received[:100]
            else:
                assert received == b""
            served(bedrock)
        return
    with LocalBedrock(max_connections=8) as bedrock:
        held = [socket.create_connection(("127.0.0.1", bedrock.port), timeout=10) for _ in range(8)]
        client = bedrock.client()
        try:
            with pytest.raises(ClientError) as info:
                client.invoke_model(modelId=MODEL, body=b'{"prompt": "hi"}')
            error = info.value.response
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert error["Error"]["Code"] == "ServiceUnavailableException"
            assert "maximum of 8 connections" in error["Error"]["Message"]
        finally:
            for conn in held:
                conn.close()
        deadline = time.monotonic() + 10
        while True:  # the server notices the closes as they arrive
            try:
                client.invoke_model(modelId=MODEL, body=b'{"prompt": "hi"}')["body"].read()
                break
            except ClientError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def test_pipelined_requests_are_answered_in_order(bedrock: LocalBedrock) -> None:
    """Two requests in one send on a keep-alive connection: two answers, in order (not a registry row:
    the fuzz rows cover framing; this pins the order)."""
    first = HEAD + SIGNED_FORM + "Content-Length: 19\r\n\r\n" + '{"prompt": "first"}'
    second = f"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n{SIGNED_FORM}Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", bedrock.port), timeout=10) as conn:
        conn.sendall((first + second).encode())
        received = read_until_closed(conn)
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", received) == [b"200", b"404"], received[:300]
