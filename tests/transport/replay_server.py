"""A loopback HTTP server that answers with recorded Bedrock responses, byte for byte.

Tests queue (status, headers, body) answers; every request received is kept so a test can assert what
was sent, or that nothing was.
"""

from __future__ import annotations

import threading
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

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
