"""An HTTP/2 server of our own, on the ``h2`` state machine, for the misbehaviours real
servers won't show on demand: small flow-control windows, MAX_CONCURRENT_STREAMS, streams
reset on arrival, a graceful GOAWAY after N streams, garbage instead of a frame.

:class:`H2Server` accepts TLS connections (ALPN ``h2`` only) on 127.0.0.1 in a background
thread. Each connection gets a thread of its own that is the only one touching the socket
(non-blocking, ``select`` with a short timeout): it feeds received bytes to h2, handles the
events and writes out whatever h2 (or a misbehaviour) queued, so a client that uploads
while it downloads never deadlocks against a blocked ``sendall``. Every answered stream
gets a worker thread, so a ``/slow`` stream never holds the others up; workers change the
h2 state under the connection's lock and wake the socket thread.

Paths, answered with ``:status 200`` and ``content-type: text/plain`` once the request
(headers and body) is complete: ``/`` gives ``Hello, world!``, ``/echo`` the request body,
``/bytes?size=N`` N bytes of :func:`.app.pattern` (sent as the client's flow-control
windows allow), ``/slow?delay=S`` ``Hello, world!`` after S seconds; other paths get 404.

Every wait is bounded: the handshake and idle connections by ``conn_timeout``, flow-control
stalls by ``stall_timeout``, and :meth:`H2Server.stop` ends every connection and joins
every thread within its timeout.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import h2.events
import h2.exceptions
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from hyperframe.frame import GoAwayFrame

from .app import HELLO, pattern
from .threaded import ThreadedServer
from .tls import TLSMaterial

__all__ = [
    "GARBAGE",
    "HTTP1_GARBAGE",
    "H2Behaviour",
    "H2Request",
    "H2Server",
    "H2ServerFactory",
    "H2Stats",
    "bytes_body",
]

# A DATA frame on stream 0: an h2 client fails with a PROTOCOL_ERROR on its 9-byte header.
GARBAGE = b"\x00\x00\x05\x00\x00\x00\x00\x00\x00junk!"
# An HTTP/1.1 response instead: read as a frame header, "HTT" is a length of 4.7 MB, so
# h2 (which waits for a whole frame before checking its length) waits for more bytes.
HTTP1_GARBAGE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
# The connection-level receive window a default server opens (RFC 9113 starts it at 65535).
CONNECTION_WINDOW = 16 * 1024 * 1024
_DEFAULT_WINDOW = 65535
_SEND_CHUNK = 64 * 1024  # never more per DATA frame, whatever the client allows
_PATTERN_PERIOD = 16
_PATTERN_BLOCK = pattern(_SEND_CHUNK + _PATTERN_PERIOD)


def bytes_body(offset: int, size: int) -> bytes:
    """``pattern(offset + size)[offset:]`` without building the prefix."""
    if size > _SEND_CHUNK:
        return pattern(offset + size)[offset:]
    start = offset % _PATTERN_PERIOD
    return _PATTERN_BLOCK[start : start + size]


class H2ServerFactory(Protocol):
    """The ``h2_server`` fixture: starts an :class:`H2Server`, stopped at teardown."""

    def __call__(self, behaviour: H2Behaviour | None = None) -> H2Server: ...


@dataclass(frozen=True)
class H2Behaviour:
    """What the server does differently from a correct one; everything off by default.

    - ``max_concurrent_streams``, ``initial_window_size``: sent in the server's SETTINGS
      (a second SETTINGS frame right after the first, so h2 enforces them once the client
      acknowledges, as RFC 9113 asks of streams opened before the client saw them).
    - ``connection_window_stays_small``: leave the connection receive window at 65535
      instead of opening it to :data:`CONNECTION_WINDOW` at the start, so big uploads need
      many connection-level WINDOW_UPDATEs.
    - ``acknowledge_data=False``: never give received DATA back to the flow-control
      windows; an upload then stalls once the client's windows are spent.
    - ``reset_paths``: streams for these paths (query ignored) get RST_STREAM with
      ``reset_code`` as soon as their headers arrive.
    - ``goaway_after=N``: once N streams arrived on a connection, send GOAWAY (NO_ERROR)
      with last_stream_id = the N-th stream's id, answer streams up to it, ignore later
      ones, and close the connection when the answered ones are done. The GOAWAY goes
      out as the N-th stream arrives (so responses follow it, which h2 itself cannot take
      as a client: its state machine refuses frames after a GOAWAY), or with
      ``goaway_after_responses`` only once the answered streams are done.
      ``goaway_connections``: the connections (by index) that do so; None, every one.
      ``goaway_code``: the GOAWAY's error code (NO_ERROR: a graceful one).
    - ``abandon_on_goaway``: with ``goaway_after``, as hypercorn does when it recycles a
      connection: after the GOAWAY nothing more is sent, not even for the streams at or
      below its last id, and the connection is closed.
    - ``refuse_once_paths``: the first stream for each of these paths is refused
      (RST_STREAM REFUSED_STREAM) once its whole request arrived; later ones are answered.
    - ``garbage_after_headers``: after a request's headers, send ``garbage`` (not a valid
      frame) and answer nothing more on that connection.
    - ``tolerate_protocol_errors``: a client's protocol violation (h2 raising
      ``ProtocolError``) is recorded in ``H2Server.protocol_errors``; unless tolerated,
      :meth:`H2Server.stop` then fails, since it is a bug in the client under test.
    - ``validate_inbound_headers``: h2's checks of request headers (e.g. uppercase names
      are a protocol error); switch off to record whatever the client sent.
    - ``keep_body``: request body bytes kept per stream (and echoed); the rest is counted.
    - ``answer_early_paths``: streams for these paths get ``200 early`` as soon as their
      headers arrive, then RST_STREAM(NO_ERROR) while the client may still send its body
      (what nginx does for a static file, allowed by RFC 9113 §8.1).
    - ``ping_paths``: as these streams' headers arrive the server sends a PING, and
      answers them only once the client acknowledged it (else, after ``stall_timeout``,
      it resets them): a client must acknowledge a PING that comes mid-connection.
    - ``abort_paths``: as these streams' headers arrive the server resets the TCP
      connection (RST, not FIN): the client sees a connection error, not an end of file.
    - ``malformed_paths``: these streams are answered with a field name in uppercase,
      which RFC 9113 §8.2.1 makes a malformed response.
    - ``conflicting_length_paths``: these streams are answered with two different
      content-length fields, which h2 4.3 takes as an error of the whole connection.
    - ``signed_length_paths``: these streams are answered with content-length ``+N``,
      which Python's ``int`` reads and RFC 9110's ``1*DIGIT`` does not allow.
    """

    max_concurrent_streams: int | None = None
    initial_window_size: int | None = None
    connection_window_stays_small: bool = False
    acknowledge_data: bool = True
    reset_paths: Set[str] = frozenset()
    reset_code: ErrorCodes = ErrorCodes.REFUSED_STREAM
    goaway_after: int | None = None
    goaway_after_responses: bool = False
    goaway_connections: Set[int] | None = None
    goaway_code: ErrorCodes = ErrorCodes.NO_ERROR
    abandon_on_goaway: bool = False
    refuse_once_paths: Set[str] = frozenset()
    garbage_after_headers: bool = False
    garbage: bytes = GARBAGE
    tolerate_protocol_errors: bool = False
    validate_inbound_headers: bool = True
    keep_body: int = 16 * 1024 * 1024
    answer_early_paths: Set[str] = frozenset()
    ping_paths: Set[str] = frozenset()
    abort_paths: Set[str] = frozenset()
    malformed_paths: Set[str] = frozenset()
    conflicting_length_paths: Set[str] = frozenset()
    signed_length_paths: Set[str] = frozenset()


@dataclass
class H2Stats:
    """Counts over the server's lifetime (all connections)."""

    connections: int = 0  # accepted TCP connections
    streams_received: int = 0  # request HEADERS that opened a stream, ignored ones included
    max_concurrent_streams_seen: int = 0  # most streams open at once on one connection
    request_body_bytes: int = 0  # DATA payload received, kept or not
    resets_sent: int = 0  # RST_STREAM for reset_paths
    resets_received: int = 0  # streams the client reset
    goaways_sent: int = 0  # goaway_after GOAWAYs
    garbage_sent: int = 0
    pings_sent: int = 0
    ping_acks_received: int = 0


@dataclass
class H2Request:
    """One stream as received: headers as sent (after HPACK), body up to ``keep_body``."""

    connection: int  # index of the connection, from 0 in accept order
    stream_id: int
    headers: list[tuple[bytes, bytes]]
    body: bytearray = field(default_factory=bytearray)
    body_length: int = 0
    complete: bool = False  # END_STREAM received
    reset_by_client: int | None = None  # the client's RST_STREAM error code
    ignored: bool = False  # after our GOAWAY: above last_stream_id

    def header(self, name: bytes) -> bytes | None:
        """The first value for ``name`` (compared lowercase)."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def method(self) -> bytes | None:
        return self.header(b":method")

    @property
    def path(self) -> bytes | None:
        return self.header(b":path")

    @property
    def authority(self) -> bytes | None:
        return self.header(b":authority")


@dataclass
class _Stream:
    request: H2Request
    reset: bool = False  # by either side: nothing more may be sent
    done: bool = False  # our side finished (answered, reset or gave up)


class _Connection:
    """One accepted connection: the socket thread's loop and the stream workers."""

    def __init__(self, server: H2Server, sock: socket.socket, index: int) -> None:
        self.server = server
        self.behaviour = server.behaviour
        self.raw = sock
        self.sock: ssl.SSLSocket | None = None  # once wrapped (the raw socket is detached)
        self.index = index
        self.cond = threading.Condition()
        self.closed = threading.Event()  # set when the loop ends: workers give up
        self.h2 = H2Connection(
            config=H2Configuration(
                client_side=False,
                header_encoding=None,
                validate_inbound_headers=self.behaviour.validate_inbound_headers,
                # h2 would lowercase, or refuse, what these paths are answered with.
                normalize_outbound_headers=not self.behaviour.malformed_paths,
                validate_outbound_headers=not (
                    self.behaviour.malformed_paths
                    or self.behaviour.conflicting_length_paths
                    or self.behaviour.signed_length_paths
                ),
            )
        )
        self.streams: dict[int, _Stream] = {}
        self.outbox = bytearray()  # bytes queued besides h2's (garbage, our GOAWAY)
        self.backlog = 0  # bytes taken from h2 but not yet written: workers wait above a cap
        self.received = 0
        self.goaway_last: int | None = None
        self.garbage_sent = False
        self.h2_closed = False  # the client's GOAWAY or a protocol error: h2 sends no more
        self.abort = False  # reset the TCP connection (abort_paths)
        self.abandoned = False  # abandon_on_goaway: nothing more is sent
        self.finishing = False  # after our GOAWAY, every answered stream is done
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)

    # Called by workers and the loop, always with self.cond held -----------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # BlockingIOError: a wake-up is already pending
            self.wake_w.send(b"x")

    def _can_send(self, stream: _Stream) -> bool:
        return not (
            self.closed.is_set()
            or stream.reset
            or self.h2_closed
            or self.garbage_sent
            or self.abandoned
        )

    def _finish_stream(self, stream: _Stream) -> None:
        stream.done = True
        self._check_finishing()
        self.cond.notify_all()

    def _check_finishing(self) -> None:
        if self.goaway_last is None or self.finishing:
            return
        if all(s.done for sid, s in self.streams.items() if sid <= self.goaway_last):
            if self.behaviour.goaway_after_responses:
                self._queue_goaway(self.goaway_last)
            self.finishing = True
            self._wake()

    def _queue_goaway(self, last_stream_id: int) -> None:
        goaway = GoAwayFrame(0)
        goaway.last_stream_id = last_stream_id
        goaway.error_code = self.behaviour.goaway_code
        # Not through h2: its GOAWAY closes the connection for sending at once.
        self.outbox += self.h2.data_to_send() + goaway.serialize()
        with self.server.lock:
            self.server.stats.goaways_sent += 1

    # The socket thread --------------------------------------------------------------

    def run(self) -> None:
        try:
            self._run()
        finally:
            with self.cond:
                self.closed.set()
                self.cond.notify_all()
            self.wake_r.close()
            self.wake_w.close()

    def _run(self) -> None:
        context = self.server.tls.server_context(alpn=("h2",))
        # Small frames (WINDOW_UPDATE, SETTINGS ACK) must not wait for Nagle's algorithm.
        self.raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.sock = context.wrap_socket(
            self.raw, server_side=True, do_handshake_on_connect=False
        )
        self.server.track(sock)  # the raw socket object is detached now
        sock.settimeout(self.server.conn_timeout)
        sock.do_handshake()
        if sock.selected_alpn_protocol() != "h2":
            return  # the client did not offer h2: nothing to talk about
        sock.setblocking(False)
        behaviour = self.behaviour
        with self.cond:
            self.h2.initiate_connection()
            settings: dict[SettingCodes | int, int] = {}
            if behaviour.max_concurrent_streams is not None:
                settings[SettingCodes.MAX_CONCURRENT_STREAMS] = behaviour.max_concurrent_streams
            if behaviour.initial_window_size is not None:
                settings[SettingCodes.INITIAL_WINDOW_SIZE] = behaviour.initial_window_size
            if settings:
                self.h2.update_settings(settings)
            if not behaviour.connection_window_stays_small:
                self.h2.increment_flow_control_window(CONNECTION_WINDOW - _DEFAULT_WINDOW)
        out = bytearray()
        idle_deadline = time.monotonic() + self.server.conn_timeout
        over = False  # the client closed, or broke the protocol
        while not self.server.stopping.is_set():
            with self.cond:
                out += self.h2.data_to_send()
                out += self.outbox
                self.outbox.clear()
                self.backlog = len(out)
                finishing = self.finishing
            if out:
                try:
                    sent = sock.send(out[:_SEND_CHUNK])
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    sent = 0
                if sent:
                    del out[:sent]
                    with self.cond:
                        self.backlog = len(out)
                        self.cond.notify_all()
            if (finishing and not out) or over:
                break
            if time.monotonic() > idle_deadline:
                return
            if not sock.pending():
                readable, _, _ = select.select([sock, self.wake_r], [sock] if out else [], [], 0.05)
                if self.wake_r in readable:
                    with contextlib.suppress(OSError):
                        self.wake_r.recv(4096)
                if sock not in readable:
                    continue
            for _ in range(16):  # then write again
                try:
                    data = sock.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    break
                if not data or not self._receive(data):
                    over = True  # after a protocol error h2 queued its GOAWAY: send it
                    break
                if self.abort:  # SO_LINGER 0: close() sends RST
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    socket.socket.close(sock)
                    return
                idle_deadline = time.monotonic() + self.server.conn_timeout
        if self.server.stopping.is_set():
            return
        if over:
            with self.cond:
                out += self.h2.data_to_send()
                out += self.outbox
            with contextlib.suppress(OSError):
                sock.settimeout(1.0)
                sock.sendall(out)
        else:
            self._close_gracefully(sock)

    def _close_gracefully(self, sock: ssl.SSLSocket) -> None:
        """After our GOAWAY: stop writing, read until the client closes (bounded), so
        closing does not reset the connection under the client's feet. Works below TLS:
        what the client still sends is discarded unread."""
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_WR)
        deadline = time.monotonic() + 2.0
        sock.settimeout(0.1)
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            try:
                if not socket.socket.recv(sock, 65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def _receive(self, data: bytes) -> bool:
        """Feed h2; False after a protocol error (the connection is over)."""
        with self.cond:
            try:
                events = self.h2.receive_data(data)
            except h2.exceptions.ProtocolError as exc:
                if not (self.garbage_sent or self.h2_closed):
                    self.server.record_protocol_error(exc)
                self.h2_closed = True  # h2 queued its GOAWAY and refuses to send more
                return False
            for event in events:
                self._handle(event)
            self.cond.notify_all()
            return True

    def _handle(self, event: h2.events.Event) -> None:
        stats = self.server.stats
        if isinstance(event, h2.events.RequestReceived):
            self._request_received(event.stream_id, event.headers)
        elif isinstance(event, h2.events.DataReceived):
            data = event.data
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                request = stream.request
                room = self.behaviour.keep_body - len(request.body)
                if room > 0:
                    request.body += data[:room]
                request.body_length += len(data)
            with self.server.lock:
                stats.request_body_bytes += len(data)
            if self.behaviour.acknowledge_data and event.flow_controlled_length:
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):  # also after HEADERS with END_STREAM
            self._request_complete(event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream.reset = True
                if event.remote_reset:
                    stream.request.reset_by_client = int(event.error_code)
                    with self.server.lock:
                        stats.resets_received += 1
                if not stream.request.complete or stream.request.ignored:
                    self._finish_stream(stream)  # no worker was started for it
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.h2_closed = True
        elif isinstance(event, h2.events.PingAckReceived):
            with self.server.lock:
                stats.ping_acks_received += 1

    def _request_received(self, stream_id: int, headers: Sequence[tuple[bytes, bytes]]) -> None:
        stats = self.server.stats
        request = H2Request(
            self.index, stream_id, [(bytes(name), bytes(value)) for name, value in headers]
        )
        stream = self.streams[stream_id] = _Stream(request)
        self.received += 1
        open_now = self.h2.open_inbound_streams
        with self.server.lock:
            self.server.requests.append(request)
            stats.streams_received += 1
            stats.max_concurrent_streams_seen = max(stats.max_concurrent_streams_seen, open_now)
        behaviour = self.behaviour
        if self.goaway_last is not None or self.garbage_sent:
            request.ignored = True
            return
        if behaviour.garbage_after_headers:
            self.outbox += self.h2.data_to_send() + behaviour.garbage
            self.garbage_sent = True
            with self.server.lock:
                stats.garbage_sent += 1
            return
        if (
            behaviour.goaway_after is not None
            and self.received >= behaviour.goaway_after
            and (behaviour.goaway_connections is None or self.index in behaviour.goaway_connections)
        ):
            self.goaway_last = stream_id
            if behaviour.abandon_on_goaway:
                self._queue_goaway(stream_id)
                self.abandoned = True
                for abandoned in self.streams.values():
                    abandoned.done = True
                self._check_finishing()
                self.cond.notify_all()
                return
            if not behaviour.goaway_after_responses:
                self._queue_goaway(stream_id)
        target = request.path or b"/"
        path = urlsplit(target.decode("latin-1")).path
        if path in behaviour.abort_paths:
            self.abort = True
            return
        if path in behaviour.ping_paths:
            self.h2.ping(b"ping%04d" % (stats.pings_sent % 10000))
            with self.server.lock:
                stats.pings_sent += 1
        if path in behaviour.answer_early_paths:
            self.h2.send_headers(stream_id, [(b":status", b"200"), (b"content-length", b"5")])
            self.h2.send_data(stream_id, b"early", end_stream=True)
            self.h2.reset_stream(stream_id, ErrorCodes.NO_ERROR)
            stream.reset = True
            self._finish_stream(stream)
        elif path in behaviour.reset_paths:
            self.h2.reset_stream(stream_id, behaviour.reset_code)
            stream.reset = True
            with self.server.lock:
                stats.resets_sent += 1
            self._finish_stream(stream)

    def _request_complete(self, stream_id: int) -> None:
        stream = self.streams.get(stream_id)
        if stream is None or stream.request.complete:
            return
        stream.request.complete = True
        if stream.request.ignored or stream.done:
            return
        path = urlsplit((stream.request.path or b"/").decode("latin-1")).path
        if path in self.behaviour.refuse_once_paths and path not in self.server.refused_once:
            self.server.refused_once.add(path)
            self.h2.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
            stream.reset = True
            with self.server.lock:
                self.server.stats.resets_sent += 1
            self._finish_stream(stream)
            return
        self.server.start_thread(f"h2 conn {self.index} stream {stream_id}", self._respond, stream)

    # Stream workers -----------------------------------------------------------------

    def _respond(self, stream: _Stream) -> None:
        try:
            self._answer(stream)
        except h2.exceptions.StreamClosedError:
            pass  # the client reset the stream meanwhile
        finally:
            with self.cond:
                self._finish_stream(stream)

    def _answer(self, stream: _Stream) -> None:
        target = urlsplit((stream.request.path or b"/").decode("latin-1"))
        query = parse_qs(target.query)
        if target.path in self.behaviour.ping_paths:
            stats = self.server.stats
            with self.cond:  # answered only once every PING sent so far is acknowledged
                acked = self.cond.wait_for(
                    lambda: stats.ping_acks_received >= stats.pings_sent or self.closed.is_set(),
                    self.server.stall_timeout,
                )
                if not acked and self._can_send(stream):
                    self.h2.reset_stream(stream.request.stream_id, ErrorCodes.PROTOCOL_ERROR)
                    self._wake()
                    return
            target = target._replace(path="/")
        status = b"200"
        body = b""
        size: int | None = None
        if target.path == "/":
            body = HELLO
        elif target.path == "/echo":
            body = bytes(stream.request.body)
        elif target.path == "/bytes":
            size = int(query.get("size", ["0"])[0])
        elif target.path == "/slow":
            if self.closed.wait(float(query.get("delay", ["0"])[0])):
                return
            body = HELLO
        else:
            status, body = b"404", b"Not Found"
        length = len(body) if size is None else size
        sid = stream.request.stream_id
        with self.cond:
            if not self._can_send(stream):
                return
            headers = [
                (b":status", status),
                (b"content-type", b"text/plain"),
                (b"content-length", str(length).encode("ascii")),
            ]
            if target.path in self.behaviour.malformed_paths:
                headers.append((b"X-Uppercase", b"1"))
            if target.path in self.behaviour.conflicting_length_paths:
                headers.append((b"content-length", str(length + 1).encode("ascii")))
            if target.path in self.behaviour.signed_length_paths:
                headers[2] = (b"content-length", f"+{length}".encode("ascii"))
            self.h2.send_headers(sid, headers, end_stream=length == 0)
            self._wake()
        if length:
            self._send_body(stream, body if size is None else None, length)

    def _send_body(self, stream: _Stream, body: bytes | None, length: int) -> None:
        """Send ``body`` (or ``length`` pattern bytes) within the client's windows,
        waiting for WINDOW_UPDATEs, for at most ``stall_timeout`` without progress."""
        sid = stream.request.stream_id
        offset = 0
        deadline = time.monotonic() + self.server.stall_timeout
        with self.cond:
            while offset < length:
                if not self._can_send(stream):
                    return
                size = min(
                    length - offset,
                    self.h2.local_flow_control_window(sid),
                    self.h2.max_outbound_frame_size,
                    _SEND_CHUNK,
                )
                if size <= 0:
                    if time.monotonic() > deadline:
                        return  # the client never opened its window: give up quietly
                    self.cond.wait(0.1)
                    continue
                chunk = bytes_body(offset, size) if body is None else body[offset : offset + size]
                offset += size
                self.h2.send_data(sid, chunk, end_stream=offset == length)
                self._wake()
                deadline = time.monotonic() + self.server.stall_timeout
                self.backlog += size
                while self.backlog > 4 * _SEND_CHUNK and self._can_send(stream):
                    if time.monotonic() > deadline:
                        return  # the client stopped reading
                    self.cond.wait(0.1)  # the socket thread notifies as it writes


class H2Server(ThreadedServer):
    """An HTTP/2-over-TLS server on 127.0.0.1 (ephemeral port) behaving as ``behaviour``
    says; :meth:`stop` closes every connection and joins every thread."""

    name = "h2"
    scheme = "https"

    def __init__(
        self,
        tls: TLSMaterial,
        behaviour: H2Behaviour | None = None,
        *,
        conn_timeout: float = 30.0,
        stall_timeout: float = 30.0,
    ) -> None:
        super().__init__()
        self.tls = tls
        self.behaviour = behaviour if behaviour is not None else H2Behaviour()
        self.conn_timeout = conn_timeout
        self.stall_timeout = stall_timeout
        self.stats = H2Stats()
        self.requests: list[H2Request] = []  # every stream received, in arrival order
        self.protocol_errors: list[h2.exceptions.ProtocolError] = []  # the client's fault
        self.refused_once: set[str] = set()  # refuse_once_paths refused so far

    def record_protocol_error(self, exc: h2.exceptions.ProtocolError) -> None:
        with self.lock:
            self.protocol_errors.append(exc)

    def accepting(self, sock: socket.socket) -> None:
        self.stats.connections += 1

    def handle(self, sock: socket.socket, index: int) -> None:
        connection = _Connection(self, sock, index)
        try:
            connection.run()
        finally:
            if connection.sock is not None:
                self.forget(connection.sock)
                connection.sock.close()

    def wait_for(self, predicate: _Predicate, timeout: float = 5.0) -> None:
        """Wait until ``predicate(self)`` holds, e.g. ``lambda s: s.stats.connections``."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s: {self.stats}")
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, end every connection, join every thread within ``timeout``;
        re-raise a server error, or a client protocol error unless tolerated."""
        super().stop(timeout)
        if self.protocol_errors and not self.behaviour.tolerate_protocol_errors:
            error = self.protocol_errors[0]
            raise RuntimeError(f"a client broke HTTP/2: {error!r}") from error


class _Predicate(Protocol):
    def __call__(self, server: H2Server, /) -> object: ...
