"""A raw-socket HTTP/1.x server of our own, for the misbehaviours real servers won't show.

:class:`RawServer` accepts connections on loopback in a background thread and runs
``handler(conn, index)`` for each in its own thread (``index`` counts connections from 0),
closing the socket afterwards. The ready-made handlers below read the whole request
(head and body) before answering, so clients never see a reset caused by unread data.

Every wait is bounded: sockets carry a timeout, stalls end when the client closes, the
handler is released, the server stops (it shuts connections down) or ``max_seconds`` pass.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from .threaded import ThreadedServer

__all__ = [
    "EARLY_HINTS",
    "OK_BODY",
    "OK_RESPONSE",
    "CloseMidBody",
    "ConflictingContentLength",
    "GarbageStatusLine",
    "HTTP10CloseDelimited",
    "Handler",
    "Informational",
    "KeepAlive",
    "OneThenIdleClose",
    "OversizedHeaders",
    "RawServer",
    "RawServerFactory",
    "Request",
    "RequestReader",
    "StallAfterRequest",
    "StallMidBody",
    "SwitchingProtocols",
    "answer_in_part",
    "close_after_request",
    "close_connection",
    "response",
    "wait_for_client_close",
]

Handler = Callable[[socket.socket, int], None]


class RawServerFactory(Protocol):
    """The ``raw_server`` fixture: starts a :class:`RawServer`, stopped at teardown."""

    def __call__(
        self, handler: Handler, *, host: str = ..., conn_timeout: float = ...
    ) -> RawServer: ...


OK_BODY = b"Hello, world!"


def response(
    status: int = 200,
    body: bytes = OK_BODY,
    headers: Iterable[tuple[str, str]] = (("Content-Type", "text/plain"),),
    *,
    reason: str = "OK",
    version: str = "HTTP/1.1",
    content_length: bool = True,
) -> bytes:
    """Raw response bytes; ``content_length=False`` leaves framing to the caller."""
    lines = [f"{version} {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


OK_RESPONSE = response()
EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"


@dataclass
class Request:
    """A parsed request; header names keep their casing, :meth:`header` ignores it."""

    method: bytes
    target: bytes
    version: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    body_length: int = 0

    def header(self, name: str) -> bytes | None:
        wanted = name.lower().encode("latin-1")
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def keep_alive(self) -> bool:
        connection = (self.header("connection") or b"").lower()
        if self.version == b"HTTP/1.0":
            return b"keep-alive" in connection
        return b"close" not in connection


class RequestReader:
    """Buffered, bounded reading of HTTP/1.x requests from one connection (pipelined
    bytes stay in the buffer for the next request)."""

    def __init__(
        self, conn: socket.socket, *, max_head: int = 64 * 1024, keep_body: int = 1 << 20
    ) -> None:
        self.conn = conn
        self.max_head = max_head
        self.keep_body = keep_body  # bodies beyond this are counted and discarded
        self.buffer = b""

    def _fill(self) -> bool:
        data = self.conn.recv(65536)
        self.buffer += data
        return bool(data)

    def _read_until(self, delimiter: bytes, limit: int) -> bytes | None:
        while True:
            index = self.buffer.find(delimiter)
            if index >= 0:
                line = self.buffer[: index + len(delimiter)]
                self.buffer = self.buffer[index + len(delimiter) :]
                return line
            if len(self.buffer) > limit:
                raise ValueError(f"no {delimiter!r} within {limit} bytes")
            if not self._fill():
                return None

    def _read_exact(self, size: int, sink: bytearray) -> None:
        while size > 0:
            if not self.buffer and not self._fill():
                raise ConnectionError("client closed inside a request body")
            piece = self.buffer[:size]
            self.buffer = self.buffer[len(piece) :]
            size -= len(piece)
            if len(sink) < self.keep_body:
                sink += piece[: self.keep_body - len(sink)]

    def read_head(self) -> Request | None:
        """The next request head, or None if the client closed between requests."""
        while self.buffer.startswith(b"\r\n"):  # tolerated before a request line
            self.buffer = self.buffer[2:]
        head = self._read_until(b"\r\n\r\n", self.max_head)
        if head is None:
            if self.buffer.strip():
                raise ConnectionError("client closed inside a request head")
            return None
        request_line, *header_lines = head[:-4].split(b"\r\n")
        method, target, version = request_line.split(b" ", 2)
        headers = []
        for line in header_lines:
            name, _, value = line.partition(b":")
            headers.append((name.strip(), value.strip()))
        return Request(method, target, version, headers)

    def read_body(self, request: Request) -> Request:
        """Read the body announced by Content-Length or chunked encoding (in place)."""
        sink = bytearray()
        total = 0
        if b"chunked" in (request.header("transfer-encoding") or b"").lower():
            while True:
                size_line = self._read_until(b"\r\n", 1024)
                if size_line is None:
                    raise ConnectionError("client closed inside a chunked body")
                size = int(size_line.split(b";")[0].strip(), 16)
                total += size
                if size == 0:
                    while self._read_until(b"\r\n", self.max_head) not in (b"\r\n", None):
                        pass  # trailers
                    break
                self._read_exact(size, sink)
                self._read_until(b"\r\n", 2)
        else:
            total = int(request.header("content-length") or b"0")
            self._read_exact(total, sink)
        request.body = bytes(sink)
        request.body_length = total
        return request

    def read_request(self, *, auto_continue: bool = True) -> Request | None:
        """Head and body; answers ``Expect: 100-continue`` first, as a server must."""
        request = self.read_head()
        if request is None:
            return None
        expect = (request.header("expect") or b"").lower()
        if auto_continue and expect == b"100-continue":
            self.conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        return self.read_body(request)


def recorded_requests(
    conn: socket.socket, requests: list[Request], lock: threading.Lock
) -> Iterator[Request]:
    """Each request read on ``conn``, kept in ``requests`` first (under ``lock``: a
    server's threads serve connections at once) for the test to check afterwards."""
    reader = RequestReader(conn)
    while (request := reader.read_request()) is not None:
        with lock:
            requests.append(request)
        yield request


def close_connection(conn: socket.socket, *, drain_limit: int = 4 << 20) -> None:
    """Close after discarding bytes already received (up to ``drain_limit``): closing a
    socket with unread data sends a reset instead of a clean end of stream."""
    if conn.fileno() == -1:
        return
    try:
        conn.setblocking(False)
        drained = 0
        while drained < drain_limit:
            data = conn.recv(65536)
            if not data:
                break
            drained += len(data)
    except OSError:  # BlockingIOError: nothing more is waiting
        pass
    finally:
        conn.close()


def wait_for_client_close(
    conn: socket.socket, *, max_seconds: float = 30.0, release: threading.Event | None = None
) -> None:
    """Read and discard until the client closes, ``release`` is set or time runs out."""
    deadline = time.monotonic() + max_seconds
    conn.settimeout(0.1)
    while time.monotonic() < deadline and not (release is not None and release.is_set()):
        try:
            if not conn.recv(65536):
                return
        except TimeoutError:
            continue
        except OSError:
            return


class RawServer(ThreadedServer):
    """Accepts connections on ``host`` (an ephemeral port) and hands each to ``handler``
    in a thread of its own; :meth:`stop` shuts remaining connections down and joins."""

    name = "raw"

    def __init__(
        self, handler: Handler, *, host: str = "127.0.0.1", conn_timeout: float = 30.0
    ) -> None:
        super().__init__(host)
        self.handler = handler
        self.conn_timeout = conn_timeout

    def accepting(self, sock: socket.socket) -> None:
        sock.settimeout(self.conn_timeout)

    def handle(self, sock: socket.socket, index: int) -> None:
        self.handler(sock, index)

    def close(self, sock: socket.socket) -> None:
        close_connection(sock)

    def wait_for_accepted(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` connections were accepted."""
        deadline = time.monotonic() + timeout
        while self.accepted < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.accepted} connections accepted, wanted {count}")
            time.sleep(0.01)


# Ready-made handlers -------------------------------------------------------------------


@dataclass
class KeepAlive:
    """A correct keep-alive server: answers every request with ``response`` until the
    client closes. Counts connections and requests; with ``drop_every=k`` it closes every
    k-th connection right after its first response, without warning (a load test's
    stand-in for servers that drop idle connections). Connection ``index`` counts from 0,
    so with k=2 the second, fourth, … accepted connections are dropped."""

    response: bytes = OK_RESPONSE
    drop_every: int | None = None
    connections: int = 0
    requests: int = 0
    dropped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, conn: socket.socket, index: int) -> None:
        with self._lock:
            self.connections += 1
        # By accept order (index), not thread start order, so tests can tell which.
        drop = self.drop_every is not None and (index + 1) % self.drop_every == 0
        reader = RequestReader(conn)
        while (request := reader.read_request()) is not None:
            with self._lock:
                self.requests += 1
            if request.method == b"HEAD":
                conn.sendall(self.response.partition(b"\r\n\r\n")[0] + b"\r\n\r\n")
            else:
                conn.sendall(self.response)
            if drop:
                with self._lock:
                    self.dropped += 1
                return
            if not request.keep_alive:
                return


def close_after_request(conn: socket.socket, index: int) -> None:
    """Read the request, then close without sending a byte."""
    RequestReader(conn).read_request()


def answer_in_part(conn: socket.socket, declared: int, sent: int) -> bool:
    """Read the request, then send a head announcing ``declared`` body bytes and ``sent``
    of them; False when the client sent no request."""
    if RequestReader(conn).read_request() is None:
        return False
    head = response(body=b"", content_length=False)
    conn.sendall(head[:-2] + f"Content-Length: {declared}\r\n\r\n".encode())
    conn.sendall(b"x" * sent)
    return True


@dataclass
class CloseMidBody:
    """Announce ``declared`` body bytes, send ``sent`` of them, close."""

    declared: int = 1000
    sent: int = 100

    def __call__(self, conn: socket.socket, index: int) -> None:
        answer_in_part(conn, self.declared, self.sent)


@dataclass
class StallAfterRequest:
    """Read the request and never answer; ``stalled`` is set once it is waiting, and the
    stall ends when the client closes, :meth:`release` is called, the server stops or
    ``max_seconds`` pass."""

    max_seconds: float = 30.0
    stalled: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()

    def _stall(self, conn: socket.socket) -> None:
        self.stalled.set()
        wait_for_client_close(conn, max_seconds=self.max_seconds, release=self.released)

    def __call__(self, conn: socket.socket, index: int) -> None:
        if RequestReader(conn).read_request() is not None:
            self._stall(conn)


@dataclass
class StallMidBody(StallAfterRequest):
    """Send the head announcing ``declared`` bytes and ``sent`` of them, then stall."""

    declared: int = 1000
    sent: int = 100

    def __call__(self, conn: socket.socket, index: int) -> None:
        if answer_in_part(conn, self.declared, self.sent):
            self._stall(conn)


@dataclass
class _SendThenWait:
    """Send fixed bytes after the request, then wait (bounded) for the client to close,
    so the client meets the bad bytes themselves rather than an end of stream."""

    payload: bytes = b""
    max_seconds: float = 10.0

    def __call__(self, conn: socket.socket, index: int) -> None:
        if RequestReader(conn).read_request() is None:
            return
        conn.sendall(self.payload)
        wait_for_client_close(conn, max_seconds=self.max_seconds)


@dataclass
class GarbageStatusLine(_SendThenWait):
    """A response whose status line is not HTTP."""

    payload: bytes = b"NOT AN HTTP STATUS LINE\r\nContent-Length: 0\r\n\r\n"


@dataclass
class OversizedHeaders(_SendThenWait):
    """A response head of ``size`` bytes of headers (default 200 KB, far above the pool's
    64 KiB limit)."""

    size: int = 200_000

    def __post_init__(self) -> None:
        big = "a" * self.size
        self.payload = response(body=b"", headers=[("X-Big", big)])


@dataclass
class ConflictingContentLength(_SendThenWait):
    """A response with two different Content-Length headers."""

    payload: bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"


@dataclass
class SwitchingProtocols(_SendThenWait):
    """A 101 answer, whether the request asked for an upgrade or not."""

    payload: bytes = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"


@dataclass
class HTTP10CloseDelimited:
    """An HTTP/1.0 response without Content-Length: the body ends when the server
    closes."""

    body: bytes = OK_BODY

    def __call__(self, conn: socket.socket, index: int) -> None:
        if RequestReader(conn).read_request() is None:
            return
        conn.sendall(response(body=self.body, version="HTTP/1.0", content_length=False))


@dataclass
class Informational:
    """Answers each request with informational responses (``statuses``, e.g. 100 and
    103) before a final 200; keeps the connection alive. A client's ``Expect:
    100-continue`` gets its 100 before the body is read."""

    statuses: tuple[int, ...] = (100, 103)
    final: bytes = OK_RESPONSE

    def __call__(self, conn: socket.socket, index: int) -> None:
        reader = RequestReader(conn)
        while (request := reader.read_head()) is not None:
            sent_continue = False
            if (request.header("expect") or b"").lower() == b"100-continue":
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                sent_continue = True
            reader.read_body(request)
            for status in self.statuses:
                if status == 100 and sent_continue:
                    continue
                if status == 100:
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                elif status == 103:
                    conn.sendall(EARLY_HINTS)
                else:
                    conn.sendall(f"HTTP/1.1 {status} Informational\r\n\r\n".encode())
            conn.sendall(self.final)
            if not request.keep_alive:
                return


@dataclass
class OneThenIdleClose:
    """Answer one request as a keep-alive server would, then close the idle connection
    after ``delay`` seconds (or once ``trigger`` is set, if given); ``closed`` is set after
    the close, so a test can send its next request knowing the server has gone."""

    delay: float = 0.0
    trigger: threading.Event | None = None
    max_seconds: float = 30.0
    closed: threading.Event = field(default_factory=threading.Event)

    def __call__(self, conn: socket.socket, index: int) -> None:
        try:
            if RequestReader(conn).read_request() is None:
                return
            conn.sendall(OK_RESPONSE)
            if self.trigger is not None:
                self.trigger.wait(self.max_seconds)
            else:
                time.sleep(self.delay)
            close_connection(conn)
        finally:
            self.closed.set()
