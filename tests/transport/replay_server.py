"""A loopback HTTP server that answers with recorded Bedrock responses, byte for byte.

Tests queue (status, headers, body) answers; every request received is kept so a test can assert what
was sent, or that nothing was.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    chunked: bool = False
    truncate: bool = False
    """Close the connection mid-body (no terminating chunk)."""
    trickle_after: int | None = None
    """Send the body's bytes from this offset on one at a time, `trickle_s` apart (a slow server)."""
    trickle_s: float = 0.1


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ReplayServer:
    answers: deque[Answer] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                replay.received.append(Received("POST", self.path, dict(self.headers), body))
                answer = (
                    replay.answers.popleft()
                    if replay.answers
                    else Answer(
                        500, [("Content-Type", "application/json")], b'{"message":"no answer queued"}'
                    )
                )
                self.send_response(answer.status)
                for name, value in answer.headers:
                    if name.lower() not in ("content-length", "transfer-encoding", "date", "connection"):
                        self.send_header(name, value)
                if answer.trickle_after is not None:
                    self._trickle(answer)
                    return
                if answer.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    data = answer.body
                    step = 977
                    for i in range(0, len(data), step):
                        piece = data[i : i + step]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    if answer.truncate:
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)

            def _trickle(self, answer: Answer) -> None:
                """Chunked framing, the head of the body at once, then one byte per `trickle_s`."""
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                head, tail = answer.body[: answer.trickle_after], answer.body[answer.trickle_after :]
                pieces = ([head] if head else []) + [tail[i : i + 1] for i in range(len(tail))]
                self.close_connection = True
                try:
                    for index, piece in enumerate(pieces):
                        if index or not head:
                            time.sleep(answer.trickle_s)
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:  # the client gave up: that is the point of the test
                    return

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                """A client that hangs up mid-answer (on purpose, in fault tests) is not an error."""

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def endpoint_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, answer: Answer, times: int = 1) -> None:
        for _ in range(times):
            self.answers.append(answer)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
