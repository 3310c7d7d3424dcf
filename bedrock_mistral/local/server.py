"""A small threaded HTTP/1.1 server tuned for loopback speed: keep-alive, chunked streams, TCP_NODELAY.

One daemon thread per connection. Each response's head and body go out in one send (Nagle disabled), so
a request costs no delayed-ACK stall; streams are written frame by frame with chunked encoding.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from email.utils import formatdate

from bedrock_mistral.local.app import DROP, HttpRequest, HttpResponse
from bedrock_mistral.local.service_errors import ServiceError
from bedrock_mistral.local.validation import body_too_large

Handler = Callable[[HttpRequest], HttpResponse]
REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    413: "Payload Too Large",
    424: "Failed Dependency",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
MAX_HEADER_LINE = 65536
MAX_HEADERS = 200


class _BadRequest(Exception):
    pass


class HttpServer:
    """Serves `handler` on host:port until `stop()`."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body_bytes: int,
        error_handler: Callable[[ServiceError], HttpResponse],
        backlog: int = 2048,
    ) -> None:
        self.handler = handler
        self.error_handler = error_handler
        self.max_body_bytes = max_body_bytes
        self._listener = socket.create_server((host, port), backlog=backlog, reuse_port=False)
        self.host, self.port = self._listener.getsockname()[:2]
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"local-bedrock:{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                if self._stopped.is_set():
                    return
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    # --- one connection ---------------------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb", buffering=65536)
        try:
            while not self._stopped.is_set():
                try:
                    request, keep_alive = self._read_request(reader)
                except _BadRequest:
                    conn.sendall(
                        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    return
                except ServiceError as error:
                    self._send(conn, self.error_handler(error), keep_alive=False)
                    return
                if request is None:
                    return
                response = self.handler(request)
                if response.drop or not self._send(conn, response, keep_alive=keep_alive) or not keep_alive:
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.discard(conn)
            with contextlib.suppress(OSError):
                reader.close()
                conn.close()

    def _read_request(self, reader: object) -> tuple[HttpRequest | None, bool]:
        readline = reader.readline  # type: ignore[attr-defined]
        line = readline(MAX_HEADER_LINE)
        while line in (b"\r\n", b"\n"):
            line = readline(MAX_HEADER_LINE)
        if not line:
            return None, False
        try:
            method, target, version = line.decode("latin-1").split()
        except ValueError:
            raise _BadRequest from None
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            raw = readline(MAX_HEADER_LINE)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]},{value.strip()}" if key in headers else value.strip()
        else:
            raise _BadRequest
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked(reader)
        else:
            length = int(headers.get("content-length", "0") or 0)
            if length > self.max_body_bytes:
                raise body_too_large(length, self.max_body_bytes)
            body = reader.read(length) if length else b""  # type: ignore[attr-defined]
            if len(body) < length:
                return None, False
        return HttpRequest(method, target, headers, body), keep_alive

    def _read_chunked(self, reader: object) -> bytes:
        out = bytearray()
        while True:
            size_line = reader.readline(MAX_HEADER_LINE)  # type: ignore[attr-defined]
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while reader.readline(MAX_HEADER_LINE) not in (b"\r\n", b"\n", b""):  # type: ignore[attr-defined]
                    pass
                return bytes(out)
            out += reader.read(size)  # type: ignore[attr-defined]
            reader.readline(MAX_HEADER_LINE)  # type: ignore[attr-defined]
            if len(out) > self.max_body_bytes:
                raise body_too_large(len(out), self.max_body_bytes)

    @staticmethod
    def _head(response: HttpResponse, keep_alive: bool, length: int | None) -> bytes:
        lines = [
            f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Unknown')}",
            f"Date: {formatdate(usegmt=True)}",
        ]
        for name, value in response.headers:
            lines.append(f"{name}: {value}")
            if name == "Content-Type":
                lines.append(
                    f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
                )
                lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, conn: socket.socket, response: HttpResponse, *, keep_alive: bool) -> bool:
        """Write a response; False when the connection must close (dropped on purpose)."""
        if response.stream is None:
            conn.sendall(self._head(response, keep_alive, len(response.body)) + response.body)
            return True
        pending = self._head(response, keep_alive, None)
        for frame in response.stream:
            if frame is DROP or frame == DROP:
                if pending:
                    conn.sendall(pending)
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                return False
            conn.sendall(pending + b"%x\r\n" % len(frame) + frame + b"\r\n")
            pending = b""
        conn.sendall(pending + b"0\r\n\r\n")
        return True
