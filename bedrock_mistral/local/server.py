"""The emulator's HTTP/1.1 server: asyncio connections parsed by httptools (llhttp), the app inline or on a pool.

Why this shape, measured on this project's 2-core machine: a connection costs a socket and a parser, not
a thread, so idle or slow clients cannot exhaust the server (1,000 paced streams held where the threaded
server it replaced peaked at 798 open under load); llhttp (Node.js's parser) does all of the HTTP parsing,
including the malformed cases (bad lengths, bad chunk sizes, smuggling), in ~8 us for a boto3 request
against ~67 us for h11 (pure Python); on a fixed answer a bare asyncio protocol served 32,700 req/s where
uvicorn's ASGI layer on the same parser served 16,900 and uvicorn on h11 5,100, so uvicorn would have
spent the headroom the 6,000 invokes/s target needs (the Bedrock application itself costs ~70 us a call). The application is synchronous: it runs inline on the event loop when it cannot
block (the rules engine is pure computation), and on a bounded thread pool otherwise (an upstream model,
the control plane). Fault latency arrives as data (`HttpResponse.delay_s`, `Pause` frames) and is waited
for with loop timers, so a thousand slow streams hold no thread.

Limits, each answered the way an HTTP server should: a request head over `MAX_HEAD_BYTES` gets 431, a
version other than 1.0/1.1 gets 505, `HEAD` gets 405 without a body, anything llhttp refuses gets 400, a
body over the limit is refused while it is read (whatever its framing); connections past
`max_connections` get a 503 and are closed; a connection that sends nothing for `idle_timeout_s` is closed
(408 when it stopped halfway through a request).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from typing import Any, NoReturn

import httptools

from bedrock_mistral.local.http_types import DROP, Frame, HttpRequest, HttpResponse, Pause
from bedrock_mistral.local.rejections import body_too_large
from bedrock_mistral.local.service_errors import ServiceError, unknown_operation

Handler = Callable[[HttpRequest], HttpResponse]
REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Payload Too Large",
    424: "Failed Dependency",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}
MAX_HEAD_BYTES = 65536
"""Request line plus headers."""
MAX_HEADERS = 200
MAX_PIPELINED = 16
"""Requests parsed ahead of the one being answered before reading pauses."""
DEFAULT_MAX_CONNECTIONS = 4096
DEFAULT_IDLE_TIMEOUT_S = 60.0
DEFAULT_WORKERS = 32
DEFAULT_LOOPS = 2
"""Event-loop threads sharing the listener: while one is in a socket call (no GIL), another runs Python."""
FD_RESERVE = 64
"""File descriptors kept free for the process (logs, the listener, upstream connections, refusals)."""
REFUSAL_LINGER_S = 1.0
_REQUEST_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^ \r\n]+ HTTP/1\.[01]\r\n")
"""A request line (RFC 9112 token, target, version), to tell an unknown method from bytes that are not HTTP."""
_END = object()


def refusal(status: int, message: str) -> HttpResponse:
    """An answer from the HTTP layer itself (not the application): `{"message"}` as Bedrock words errors."""
    if status == 405:
        return HttpResponse(405, [("Allow", "GET, POST, PUT, DELETE")])  # HEAD: no body, by definition
    payload = json.dumps({"message": message}).encode()
    return HttpResponse(status, [("Content-Type", "application/json")], payload)


class _Stop(Exception):
    """Raised inside a parser callback to stop parsing; the reason is on the connection."""


def fd_limit_bound(requested: int) -> int:
    """`requested`, lowered to what the process's open-file limit can hold with a reserve left over."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return requested
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return requested
    return max(1, min(requested, soft - FD_RESERVE))


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A bound, listening socket for `host` (an IPv4 or IPv6 address or name; `::` also takes IPv4)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    dual = family == socket.AF_INET6 and host in ("::", "") and socket.has_dualstack_ipv6()
    return socket.create_server((host, port), family=family, backlog=backlog, dualstack_ipv6=dual)


class _Clock:
    """The `Date` header value, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def date(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode("latin-1")
        return self._value


class HttpServer:
    """Serves `handler` on host:port from a background event-loop thread until `stop()`."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body_bytes: int,
        error_handler: Callable[[ServiceError], HttpResponse],
        blocking: Callable[[HttpRequest], bool] = lambda _: True,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        workers: int = DEFAULT_WORKERS,
        loops: int = DEFAULT_LOOPS,
        backlog: int = 2048,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        if not idle_timeout_s > 0:
            raise ValueError(f"idle_timeout_s must be a positive number of seconds, got {idle_timeout_s}")
        self.handler = handler
        self.error_handler = error_handler
        self.blocking = blocking
        self.max_body_bytes = max_body_bytes
        self.max_connections = fd_limit_bound(max_connections)
        self.idle_timeout_s = idle_timeout_s
        self._listener = listening_socket(host, port, backlog)
        self.host, self.port = self._listener.getsockname()[:2]
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=f"local-bedrock-app:{self.port}")
        self._loops = [asyncio.new_event_loop() for _ in range(loops)]
        self._threads: list[threading.Thread] = []
        self._connections: set[_Connection] = set()
        self._lock = threading.Lock()
        self._clock = _Clock()

    @property
    def connection_count(self) -> int:
        """Connections open now (refused ones excluded)."""
        return len(self._connections)

    def start(self) -> None:
        for index, loop in enumerate(self._loops):
            ready = threading.Event()
            listener = self._listener if index == 0 else self._listener.dup()
            thread = threading.Thread(
                target=self._run, args=(loop, listener, ready), name=f"local-bedrock:{self.port}:{index}",
                daemon=True,
            )
            thread.start()
            ready.wait()
            self._threads.append(thread)

    def _run(self, loop: asyncio.AbstractEventLoop, listener: socket.socket, ready: threading.Event) -> None:
        """One event loop serving the shared listener: whichever loop is free first accepts a connection."""
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(loop.create_server(lambda: _Connection(self, loop), sock=listener))
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            pending = asyncio.all_tasks(loop)  # answers cut short by stop(): end them before the loop
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        if not self._threads:
            self._listener.close()
            return
        for loop in self._loops:
            with contextlib.suppress(RuntimeError):  # that loop already stopped
                loop.call_soon_threadsafe(self._shutdown, loop)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _shutdown(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            mine = [c for c in self._connections if c.loop is loop]
        for connection in mine:
            connection.abort()
        loop.stop()

    # --- used by connections --------------------------------------------------------------------------

    def admit(self, connection: _Connection) -> bool:
        with self._lock:
            if len(self._connections) >= self.max_connections:
                return False
            self._connections.add(connection)
            return True

    def release(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def call(self, request: HttpRequest) -> HttpResponse:
        """The application's answer; never raises (an application bug is still an HTTP answer)."""
        try:
            return self.handler(request)
        except ServiceError as error:
            return self.error_handler(error)
        except Exception as exc:  # noqa: BLE001 - whatever it was, the client gets a 500, not a hang-up
            message = f"The emulator failed to handle the request: {type(exc).__name__}: {exc}"
            return self.error_handler(ServiceError("InternalServerException", message, 500))

    def head(self, response: HttpResponse, keep_alive: bool, length: int | None) -> bytes:
        status = response.status
        lines = [
            b"HTTP/1.1 %d %s" % (status, REASONS.get(status, "Unknown").encode()),
            b"Date: " + self._clock.date(),
        ]
        lines += [f"{name}: {value}".encode("latin-1") for name, value in response.headers]
        lines.append(b"Content-Length: %d" % length if length is not None else b"Transfer-Encoding: chunked")
        lines.append(b"Connection: keep-alive" if keep_alive else b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def in_pool(self, loop: asyncio.AbstractEventLoop, function: Callable[..., Any], *args: Any) -> Any:
        return loop.run_in_executor(self._pool, function, *args)


class _Connection(asyncio.Protocol):
    """One client connection: parses requests as bytes arrive and answers them in order."""

    def __init__(self, server: HttpServer, loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.loop = loop
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.queue: deque[tuple[HttpRequest, bool] | HttpResponse] = deque()
        """Parsed requests (with keep-alive) to answer in order; a bare response is a final refusal."""
        self.busy = False
        self.closed = False
        self.refused = False
        self.stopped = False
        """A refusal is queued: further input is discarded."""
        self.reading = True
        self.eof = False
        self.task: asyncio.Task[None] | None = None
        self.writable = asyncio.Event()
        self.writable.set()
        self.last_active = self.loop.time()
        self.timer: asyncio.TimerHandle | None = None
        # the request being parsed
        self.in_head = True
        self.mid_request = False
        self.head_bytes = 0
        self.head_size = 0
        self.url = b""
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.body_size = 0

    # --- asyncio callbacks ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport (uvloop's is no subclass)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.server.admit(self):
            self._refuse()
            return
        self.timer = self.loop.call_later(self.server.idle_timeout_s, self._check_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.writable.set()
        self.server.release(self)
        if self.timer is not None:
            self.timer.cancel()
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def data_received(self, data: bytes) -> None:
        self.last_active = self.loop.time()
        if self.refused or self.stopped:
            return
        starts_request = not self.mid_request
        if self.in_head:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            if starts_request and _REQUEST_LINE.match(data):  # HTTP, with a method no operation has
                self._reject(self.server.error_handler(unknown_operation()))
            self._reject(refusal(400, "Bad request: not an HTTP/1.1 request line."))
        except httptools.HttpParserUpgrade:
            self._reject(refusal(400, "Protocol upgrades (and CONNECT) are not supported."))
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            if cause is not None and not isinstance(cause, _Stop):
                self._reject(refusal(500, f"The emulator failed to parse the request: {cause!r}"))
            self._reject(refusal(400, f"Bad request: {exc}."))
        if self.in_head and self.head_bytes > MAX_HEAD_BYTES:
            self._reject(refusal(431, f"The request head is over {MAX_HEAD_BYTES} bytes."))
        if len(self.queue) >= MAX_PIPELINED and self.reading and self.transport is not None:
            self.reading = False
            self.transport.pause_reading()
        self._answer_queued()

    def eof_received(self) -> bool | None:
        self.eof = True  # the client is done sending: close once what it sent is answered
        if self.stopped and not self.queue:
            self._close()  # refused and lingering: nothing more to read
        else:
            self._answer_queued()
        return True

    # --- parser callbacks -------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.mid_request = True
        self.url = b""
        self.head_size = 0
        self.raw_headers = []
        self.body = []
        self.body_size = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self.raw_headers.append((name, value))
        if len(self.raw_headers) > MAX_HEADERS:
            self._stop(refusal(431, f"The request has more than {MAX_HEADERS} header fields."))
        self._count_head(len(name) + len(value) + 4)

    def _count_head(self, size: int) -> None:
        """The head's size as parsed (the bytes counted in `data_received` bound a head still arriving)."""
        self.head_size += size
        if self.head_size > MAX_HEAD_BYTES:
            self._stop(refusal(431, f"The request head is over {MAX_HEAD_BYTES} bytes."))

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_bytes = 0
        headers: dict[str, str] = {}
        self.headers = headers
        for name, value in self.raw_headers:  # repeated fields are joined with commas (RFC 9110 5.3)
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]},{text}" if key in headers else text
        version = self.parser.get_http_version()
        if version not in ("1.1", "1.0"):
            self._stop(refusal(505, f"HTTP/{version} is not supported; send HTTP/1.1."))
        if self.parser.get_method() == b"HEAD":
            self._stop(refusal(405, "HEAD is not supported."))
        length = self.headers.get("content-length")
        if length is not None and int(length) > self.server.max_body_bytes:
            self._too_large(int(length))

    def on_body(self, body: bytes) -> None:
        self.body_size += len(body)
        if self.body_size > self.server.max_body_bytes:
            self._too_large(self.body_size)
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.mid_request = False
        self.in_head = True
        request = HttpRequest(
            self.parser.get_method().decode("latin-1"),
            self.url.decode("latin-1"),
            self.headers,
            b"".join(self.body),
        )
        self.body = []
        self.queue.append((request, self.parser.should_keep_alive()))

    def _too_large(self, size: int) -> NoReturn:
        """Refused as soon as the declared or received size passes the limit: nothing more is buffered."""
        self._stop(self.server.error_handler(body_too_large(size, self.server.max_body_bytes)))

    def _stop(self, response: HttpResponse) -> NoReturn:
        self._reject(response)
        raise _Stop

    def _reject(self, response: HttpResponse) -> None:
        if not self.stopped:
            self.stopped = True
            self.queue.append(response)

    # --- answering --------------------------------------------------------------------------------------

    def _answer_queued(self) -> None:
        """Answers what is queued, in order: inline while the app cannot block, else in a task."""
        server = self.server
        while self.queue and not self.busy and not self.closed:
            item = self.queue.popleft()
            if isinstance(item, HttpResponse):
                self._refuse_and_linger(item)
                return
            request, keep_alive = item
            if server.blocking(request):
                self._spawn(self._answer_later(request, keep_alive))
                return
            response = server.call(request)
            if response.stream is None and not response.delay_s and not response.drop:
                self._write(server.head(response, keep_alive, len(response.body)) + response.body)
                if not keep_alive:
                    self._close()
                    return
                continue
            self._spawn(self._deliver(response, keep_alive))
            return
        if self.busy or self.closed or self.transport is None:
            return
        if self.eof:
            self._close()
        elif not self.reading:
            self.reading = True
            self.transport.resume_reading()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self.busy = True
        self.task = self.loop.create_task(coroutine)

    async def _answer_later(self, request: HttpRequest, keep_alive: bool) -> None:
        response = await self.server.in_pool(self.loop, self.server.call, request)
        await self._deliver(response, keep_alive, pooled=True)

    async def _deliver(self, response: HttpResponse, keep_alive: bool, *, pooled: bool = False) -> None:
        try:
            if response.delay_s:
                await asyncio.sleep(response.delay_s)
            if response.drop:
                self._close()
                return
            if response.stream is None:
                self._write(self.server.head(response, keep_alive, len(response.body)) + response.body)
            elif not await self._stream(response.stream, self.server.head(response, keep_alive, None), pooled):
                return
        finally:
            self.busy = False
            self.task = None
        if not keep_alive:
            self._close()
        else:
            self._answer_queued()

    async def _stream(self, frames: Iterator[Frame], head: bytes, pooled: bool) -> bool:
        """Writes the frames chunked, the head with the first; False when the connection closed."""
        pending = head
        try:
            while not self.closed:
                frame: object = await self.server.in_pool(self.loop, next, frames, _END) if pooled else next(frames, _END)
                if isinstance(frame, Pause):
                    await asyncio.sleep(frame.seconds)
                    continue
                if not isinstance(frame, bytes):  # the end
                    self._write(pending + b"0\r\n\r\n")
                    return True
                if frame == DROP:
                    self._write(pending)
                    self._close()
                    return False
                self._write(pending + b"%x\r\n" % len(frame) + frame + b"\r\n")
                pending = b""
                if not self.writable.is_set():
                    await self.writable.wait()
            return False
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                with contextlib.suppress(ValueError):  # still running in a pool thread: it ends with it
                    close()

    def _write(self, data: bytes) -> None:
        if data and self.transport is not None and not self.closed:
            self.transport.write(data)

    def _close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # --- limits -----------------------------------------------------------------------------------------

    def _refuse(self) -> None:
        """Past the connection bound: a 503 at once (Bedrock's ServiceUnavailableException)."""
        self.refused = True
        error = ServiceError(
            "ServiceUnavailableException",
            f"The emulator is serving its maximum of {self.server.max_connections} connections; close "
            f"idle connections or start it with a higher max_connections.",
            503,
        )
        self._refuse_and_linger(self.server.error_handler(error))

    def _refuse_and_linger(self, response: HttpResponse) -> None:
        """A final answer, then a lingering close: the rest of what the client sends is read and dropped
        for a moment, so closing with unread input (a TCP reset) cannot destroy the answer before the
        client reads it."""
        self.stopped = True
        if self.transport is None or self.closed:
            return
        self.transport.write(self.server.head(response, False, len(response.body)) + response.body)
        if not self.transport.can_write_eof() or self.eof:
            self._close()
            return
        self.transport.write_eof()
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.loop.call_later(REFUSAL_LINGER_S, self._close)

    def _check_idle(self) -> None:
        """Closes a connection that has sent nothing for the idle timeout (408 when halfway through a request)."""
        if self.closed:
            return
        timeout = self.server.idle_timeout_s
        idle = self.loop.time() - self.last_active
        if self.busy or idle < timeout:
            self.timer = self.loop.call_later(timeout if self.busy else timeout - idle, self._check_idle)
            return
        if self.mid_request and not self.stopped:
            self._reject(refusal(408, f"No data received for {timeout:g} s."))
            self._answer_queued()
        else:
            self._close()
