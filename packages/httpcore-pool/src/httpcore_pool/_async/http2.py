"""One HTTP/2 connection, driven by h2: many requests at once on one socket.

Design rules:

- h2 is sans-I/O and not thread-safe: every call into it holds ``_h2_lock`` (a real lock
  in the threaded pool, free on an event loop), never across I/O. Writes of the bytes it
  produces happen under ``_send_lock``, so frames of concurrent requests never interleave.
- A request queues its HEADERS, yields once, then writes whatever h2 has queued unless a
  write completed since carried its HEADERS: the requests started in one event-loop turn
  share one write (one TLS record, one system call). If that write failed, the requests
  it carried learn it when they take the lock, and fail at once, safe to retry.
- One task (or thread) reads at a time, for everyone: it feeds what arrives to h2, files
  each stream's events under that stream, and wakes the requests that got some. A request
  whose events have not come sleeps while another reads; when the reader has what it
  needed it hands the reading on to a sleeper. (A lock taken in turn by every waiting
  request would wake them one at a time, one event-loop turn each.)
- On a stream that delivers what arrives (asyncio's, see ``deliver_to``) nobody reads:
  the same filing and waking runs in the delivery callback, every request only sleeps,
  and SETTINGS and PING are acknowledged at once, never behind a blocked upload.
- GOAWAY: h2 treats its connection as closed on receiving one and then refuses the frames
  of the streams the server still answers. ``GoAwayFilter`` therefore keeps GOAWAY from
  h2: no new stream starts, streams at or below its last stream id finish, and those
  above fail with ``StreamRefused``, which the pool retries elsewhere.
- Fields: h2's checks are off; ``_http2_fields`` applies the same rules to what arrives,
  and a malformed response is a stream error: that stream is reset, its request fails.
- A stream's failure or cancellation resets that stream only. A failure of the connection
  (EOF, a protocol error) fails every stream on it; an interrupted write fails the
  streams not yet sent, and no new stream starts there.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from httpcore_interfaces import (
    AsyncByteStream,
    Headers,
    LocalProtocolError,
    Origin,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
    WriteTimeout,
)

from .._backends.base import READ_SIZE, AsyncNetworkStream
from .._exceptions import describe
from .._goaway_filter import GoAwayFilter
from .._http2_fields import content_length_problem, response_fields_problem
from .._models import Request
from .._retry import StreamLost, StreamRefused
from .._stream_limits import StreamLimits
from .._synchronization import (
    AsyncEvent,
    AsyncLock,
    AsyncPoolLock,
    AsyncShieldCancellation,
    checkpoint,
)
from .._trace import BodyTrace, get_logger, traced
from .interfaces import AsyncConnectionInterface
from .request_body import AsyncRequestBody

__all__ = ["AsyncHTTP2Connection"]

logger = get_logger(__name__)

#: Our receive window per stream: large, so a fast download is not throttled by
#: WINDOW_UPDATEs, and the most an unread response holds.
STREAM_WINDOW = 4 * 1024 * 1024
#: Our receive window for the connection: room for many streams' windows at once, so
#: responses left unread do not stall the others. It bounds the memory they hold.
CONNECTION_WINDOW = 1024 * 1024 * 1024
#: Received bytes acknowledged at once (WINDOW_UPDATE), well below STREAM_WINDOW.
ACK_BATCH = 1024 * 1024
#: Seconds a clean-up write (a reset, a window update, our GOAWAY) may take when the
#: request set no write timeout: clean-up is shielded from cancellation, so it must end.
CLEANUP_WRITE_TIMEOUT = 5.0
#: Requests we put on one connection at most, whatever the server allows.
MAX_STREAMS = 1000
#: Request headers HTTP/2 forbids (RFC 9113 §8.2.2); Host becomes :authority.
_CONNECTION_SPECIFIC = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade", b"host"}
)
_STREAM_EVENTS = (
    h2.events.ResponseReceived,
    h2.events.DataReceived,
    h2.events.StreamEnded,
    h2.events.StreamReset,
)
#: Events whose fields we check (h2's own checks are off, see _http2_fields).
_FIELD_EVENTS = (
    h2.events.ResponseReceived,
    h2.events.InformationalResponseReceived,
    h2.events.TrailersReceived,
)


class _Malformed:
    """Filed in a stream's events instead of a malformed response: its request fails
    with ``message``."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class AsyncHTTP2Connection(AsyncConnectionInterface):
    def __init__(
        self,
        origin: Origin,
        stream: AsyncNetworkStream,
        stream_limits: StreamLimits | None = None,
    ) -> None:
        """``stream_limits`` is shared by a pool's connections: how many streams a server
        served on a connection it closed without a GOAWAY, so that the next connection
        opens no stream the server would cut off."""
        self.origin = origin
        self.stream = stream
        stream.share()  # streams are read and written by different tasks or threads
        self._stream_limits = StreamLimits() if stream_limits is None else stream_limits
        self._streams_opened = 0
        self._responses = 0  # responses received on this connection
        self._opened_at_response = 0  # streams opened when the last response came
        self._write_failed = False
        self._unacked: dict[int, int] = {}  # per stream: bytes read, not yet acknowledged
        self._unacked_total = 0  # over all streams
        #: HTTP/2 failures are never a stale keep-alive connection: retries go through
        #: StreamRefused instead.
        self.response_started = True
        # Fields are checked here instead of by h2 (see _http2_fields): the same rules
        # in less time. What we send is built from checked parts; what we receive is
        # checked in _take_in.
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_outbound_headers=False,
            validate_inbound_headers=False,
            normalize_inbound_headers=False,
        )
        self._h2 = h2.connection.H2Connection(config=config)
        self._h2_lock = AsyncPoolLock()
        self._send_lock = AsyncLock()
        # HEADERS queued in h2 so far, and how many of them a completed write carried.
        self._queued_headers = 0
        self._written_headers = 0
        self._reading = False  # a task is reading for everyone
        self._delivered = False  # the stream hands us what arrives: nobody reads
        self._sleepers: dict[int, AsyncEvent] = {}  # per stream: woken by the reader
        self._sleepers_lock = AsyncPoolLock()  # a real lock only in the threaded pool
        self._events: dict[int, deque[Any]] = {}
        self._goaway_last_stream_id: int | None = None
        self._goaway_graceful = False  # every GOAWAY received said NO_ERROR
        self._error: Exception | None = None
        self._closed = False
        self._settings_received = False
        self._answered_streams: set[int] = set()
        #: Streams of HEAD requests, whose Content-Length describes a body never sent.
        self._head_streams: set[int] = set()
        #: Streams whose response the server has ended or reset while we may still send.
        self._answered_whole: set[int] = set()
        self._goaway_filter = GoAwayFilter()
        #: The server's MAX_CONCURRENT_STREAMS (read from h2 when its SETTINGS change):
        #: the pool asks for the capacity several times per request.
        self._max_streams = min(self._h2.remote_settings.max_concurrent_streams, MAX_STREAMS)
        self._flush_due = False  # a deferred write of queued HEADERS is scheduled

    # -- the connection interface ------------------------------------------------------

    def info(self) -> str:
        state = "ACTIVE" if self._events else "IDLE"
        return f"HTTP/2, {state}, {len(self._events)} streams"

    def capacity(self) -> int:
        """How many requests it may carry now: 0 once it is closed or going away."""
        if (
            self._closed
            or self._write_failed
            or self._error is not None
            or self._goaway_last_stream_id is not None
        ):
            return 0
        capacity = self._max_streams
        limit = self._stream_limits.get(self.origin)
        if limit is not None:
            # Requests assigned but not started count against what is left of the limit.
            capacity = min(capacity, limit - self._streams_opened + len(self._events))
        return max(capacity, 0)

    def keeps_alive(self) -> bool:
        return self.capacity() > 0

    async def handle_request(
        self, request: Request
    ) -> tuple[int, Headers, AsyncByteStream, dict[str, Any]]:
        stream_id: int | None = None
        try:
            with traced("http2.send_request_headers", logger, request.trace):
                # Registered and queued with no await in between: from here on every
                # exit, at every await, forgets or resets the stream below.
                stream_id, queued = await self._queue_headers(request)
                await self._flush_headers_of(request, queued)
            with traced("http2.send_request_body", logger, request.trace):
                await self._send_body(request, stream_id)
            with traced("http2.receive_response_headers", logger, request.trace) as trace:
                status, headers = await self._receive_response(request, stream_id)
                trace.info["status_code"] = status
        except BaseException as exc:
            answered = stream_id is not None and self._answered(stream_id)
            if stream_id is not None:
                await self._stream_done(request, stream_id, reset=True)
            failed = self._error is not None or self._write_failed
            if (
                failed
                and not answered
                and request.is_idempotent
                and isinstance(exc, Exception)
                and not isinstance(exc, StreamRefused)  # a refusal stays one
            ):
                # The connection died before this request got any answer (a server that
                # closes after GOAWAY, say): idempotent, so it may go again elsewhere.
                raise StreamLost(
                    f"The connection failed before a response: {exc}",
                    recycled=self._recycled(),
                ) from exc
            raise
        stream = HTTP2ResponseStream(self, request, stream_id)
        return status, headers, stream, {"http_version": "HTTP/2"}

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        with AsyncShieldCancellation():
            # A polite GOAWAY, unless a write is under way: its frames must not be cut
            # into, and closing must not wait for it. The server may already be gone.
            if (
                self._error is None
                and not self._write_failed
                and self._send_lock.acquire_for_cleanup(0.0)
            ):
                try:
                    with self._h2_lock:
                        self._h2.close_connection()
                        data = self._h2.data_to_send()
                    if data:
                        await self.stream.write(data, 1.0)
                except Exception:
                    pass
                finally:
                    self._send_lock.release()
            await self.stream.aclose()

    # -- sending -----------------------------------------------------------------------

    async def initialize(self, request: Request) -> None:
        """Exchange the connection prefaces: send our SETTINGS and wait for the server's,
        so that its limit on concurrent streams is known before the pool shares us."""
        async with self._send_lock:
            with self._h2_lock:
                self._h2.local_settings = h2.settings.Settings(
                    client=True,
                    initial_values={
                        h2.settings.SettingCodes.ENABLE_PUSH: 0,
                        h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100,
                        h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
                    },
                )
                self._h2.initiate_connection()
                self._h2.increment_flow_control_window(CONNECTION_WINDOW - 65535)
            await self._write(request.timeouts.write)

        def settings_received() -> bool:
            if self._error is not None:
                raise self._error
            return self._settings_received

        await self._receive_until(0, settings_received, request.timeouts.read)
        self._delivered = self.stream.deliver_to(self._on_delivery)

    async def _queue_headers(self, request: Request) -> tuple[int, int]:
        """Open a stream for ``request`` and queue its HEADERS in h2. Returns the stream
        id, and how many HEADERS were queued by then (see ``_flush_headers_of``)."""
        scheme, _, _ = request.origin
        authority: bytes | None = None
        extra: Headers = []
        for name, value in request.headers:
            lowered = name.lower()
            if lowered == b"host":
                authority = value
            elif lowered == b"te" and value.lower() != b"trailers":
                continue  # hop-by-hop, and HTTP/2 allows only TE: trailers (RFC 9113 §8.2.2)
            elif lowered not in _CONNECTION_SPECIFIC:
                extra.append((lowered, value))
        headers = [
            (b":method", request.method),
            (b":authority", request.host_header() if authority is None else authority),
            (b":scheme", scheme),
            (b":path", request.target),
            *extra,
        ]
        async with self._send_lock:  # so that nothing is queued after a failed write
            self._check_usable()
            with self._h2_lock:
                stream_id = self._h2.get_next_available_stream_id()
                try:
                    self._h2.send_headers(stream_id, headers, end_stream=request.stream is None)
                except h2.exceptions.ProtocolError as exc:
                    raise LocalProtocolError(describe(exc)) from exc
                self._events[stream_id] = deque()
                if request.method == b"HEAD":
                    self._head_streams.add(stream_id)
                self._streams_opened += 1
                self._queued_headers += 1
                return stream_id, self._queued_headers

    async def _flush_headers_of(self, request: Request, queued: int) -> None:
        """See that the ``queued``-th HEADERS goes out. Let the other requests that are
        ready queue theirs first: one write carries them all (a write per request costs a
        TLS record and a system call each)."""
        if self._delivered:  # written by a callback once the ready tasks have run
            if not self._flush_due:
                self._flush_due = True
                self.stream.call_soon(self._flush_headers)
            return
        await checkpoint()
        if self._written_headers < queued:  # no completed write carried ours yet
            async with self._send_lock:
                # Even if a write carried ours meanwhile: what clean-up queued while the
                # lock was handed to us goes out too (see _write_cleanup).
                await self._write(request.timeouts.write)

    async def _send_body(self, request: Request, stream_id: int) -> None:
        if request.stream is None:
            return
        body = AsyncRequestBody(request.stream)
        try:
            async for chunk in body:
                while chunk:
                    size = await self._wait_for_window(request, stream_id)
                    if size is None:  # answered already: see below
                        await self._abandon_body(request, stream_id)
                        return
                    async with self._send_lock:
                        self._check_stream_writable(stream_id)
                        with self._h2_lock:
                            # Another stream may have spent the connection window since.
                            size = min(size, self._h2.local_flow_control_window(stream_id))
                            if size:
                                self._h2.send_data(stream_id, chunk[:size])
                        if size:
                            await self._write(request.timeouts.write)
                    chunk = chunk[size:]
            async with self._send_lock:
                self._check_stream_writable(stream_id)
                with self._h2_lock:
                    self._h2.end_stream(stream_id)
                await self._write(request.timeouts.write)
        except h2.exceptions.StreamClosedError:
            # The server closed the stream before the whole body went out: it may answer
            # early and then reset with NO_ERROR (RFC 9113 §8.1). Its events decide.
            return
        finally:
            await body.aclose()

    async def _abandon_body(self, request: Request, stream_id: int) -> None:
        """The server answered before the whole body went out (RFC 9113 §8.1): stop
        sending, and reset our half of the stream unless the server reset it already,
        so that it does not stay open. The answer is read as usual."""
        async with self._send_lock:
            with self._h2_lock, contextlib.suppress(h2.exceptions.ProtocolError):
                self._h2.reset_stream(stream_id, h2.errors.ErrorCodes.NO_ERROR)
            await self._write_quietly(_cleanup_timeout(request))

    def _check_stream_writable(self, stream_id: int) -> None:
        """Before more of a body goes to h2: the connection's failure, as an httpcore
        exception, rather than h2's refusal to send on a closed connection."""
        if self._error is not None:
            raise _copy(self._error)
        if self._closed:
            raise WriteError("The connection was closed (the pool was closed) during the write.")
        last = self._goaway_last_stream_id
        if last is not None and stream_id > last:
            raise StreamRefused(
                f"Stream {stream_id} was refused by a GOAWAY (last {last})",
                recycled=self._recycled(),
            )

    async def _wait_for_window(self, request: Request, stream_id: int) -> int | None:
        """Bytes we may send on ``stream_id`` now (more than 0), reading until the server
        opens the window; None once the server has answered whole (ended or reset the
        stream)."""
        window = 0

        def window_open() -> bool:
            nonlocal window
            if stream_id in self._answered_whole:
                return True
            self._check_stream_writable(stream_id)  # whatever events are queued
            with self._h2_lock:
                # Read here, with the check: threads share the connection window, and
                # one may spend it between another's check and a second look.
                window = min(
                    self._h2.local_flow_control_window(stream_id),
                    self._h2.max_outbound_frame_size,
                )
            return window > 0

        await self._receive_until(stream_id, window_open, request.timeouts.read)
        return None if stream_id in self._answered_whole else window

    async def _write(self, timeout: float | None, *, after_failure: bool = False) -> None:
        """Write what h2 has queued, until nothing is: clean-up may queue more meanwhile
        and leave it to us (see ``_write_cleanup``). Call with ``_send_lock`` held.

        After a failed write (which may have left a partial frame) no request or body
        goes out any more; only acknowledgements and resets (``after_failure``) are still
        tried: if the failure left nothing partial, the streams already sent still get
        their windows."""
        if self._write_failed and not after_failure:
            raise WriteError("An earlier write on this connection failed; nothing more is sent")
        while True:
            queued, data = self._outgoing()
            if data:
                try:
                    await self.stream.write(data, timeout)
                except BaseException:
                    # No new stream may start; answered streams keep reading what came.
                    self._write_failed = True
                    raise
            self._written_headers = max(self._written_headers, queued)
            if not data:
                return

    async def _write_cleanup(self, timeout: float) -> None:
        """Write what clean-up queued (a reset, window updates) without waiting for a
        blocked writer: on a delivering stream at once, in order; else, if the send lock
        is busy, its holder's ``_write`` takes ours along. Bounded by ``timeout``:
        clean-up is shielded from cancellation, so it must not hang."""
        if self._delivered:  # in order of data_to_send(), whoever holds the lock
            self._write_now()
        elif self._send_lock.acquire_for_cleanup(timeout):
            try:
                await self._write_quietly(timeout)
            finally:
                self._send_lock.release()

    def _outgoing(self) -> tuple[int, bytes]:
        """What h2 has queued to send, and how many HEADERS were queued by then: once
        written, they are (see ``_written_headers``)."""
        with self._h2_lock:
            return self._queued_headers, self._h2.data_to_send()

    async def _write_quietly(self, timeout: float | None) -> None:
        """Write acknowledgements and resets: their failure must not fail a response that
        has already arrived; the connection is marked failed for new streams instead."""
        with contextlib.suppress(WriteError, WriteTimeout):
            await self._write(timeout, after_failure=True)

    # -- receiving ---------------------------------------------------------------------

    async def _receive_response(self, request: Request, stream_id: int) -> tuple[int, Headers]:
        while True:
            event = await self._next_event(request, stream_id)
            if isinstance(event, h2.events.ResponseReceived):
                status = 0
                headers: Headers = []
                for name, value in event.headers:
                    if name == b":status":
                        status = int(value)
                    elif not name.startswith(b":"):
                        headers.append((name, value))
                return status, headers
            if isinstance(event, h2.events.StreamReset):
                raise _reset_error(stream_id, event.error_code)
            if isinstance(event, _Malformed):
                raise RemoteProtocolError(event.message)

    async def receive_body_chunk(self, request: Request, stream_id: int) -> bytes | None:
        """The next piece of the body, or None at its end."""
        while True:
            event = await self._next_event(request, stream_id)
            if isinstance(event, h2.events.DataReceived):
                # Acknowledge in batches: a lock and a write per 16 KiB frame would cost
                # more than the frame. The windows are large enough to allow it.
                with self._h2_lock:  # threads acknowledge each other's streams too
                    unacked = self._unacked.get(stream_id, 0) + event.flow_controlled_length
                    self._unacked[stream_id] = unacked
                    self._unacked_total += event.flow_controlled_length
                    held = self._unacked_total
                if unacked >= ACK_BATCH:
                    await self._acknowledge(request, [stream_id], write=True)
                elif held >= CONNECTION_WINDOW // 2:
                    # Many streams, each below a batch: together they must not hold
                    # the connection window, or no DATA could come any more.
                    await self._acknowledge(request, list(self._unacked), write=True)
                if event.data:
                    return bytes(event.data)
            elif isinstance(event, h2.events.StreamEnded):
                # Queued for the next write, unless it reopens the connection window.
                await self._acknowledge(request, [stream_id], write=False)
                return None
            elif isinstance(event, h2.events.StreamReset):
                raise _reset_error(stream_id, event.error_code)
            elif isinstance(event, _Malformed):
                raise RemoteProtocolError(event.message)

    async def _acknowledge(self, request: Request, stream_ids: list[int], write: bool) -> None:
        """Give the data read on ``stream_ids`` back to the server's windows; written at
        once if ``write``, or if it reopens the connection window (other streams may be
        waiting for it), else with the next write."""
        with self._h2_lock:
            before = self._h2.inbound_flow_control_window
            for stream_id in stream_ids:
                unacked = self._take_unacked(stream_id)
                if unacked:  # the stream may be closed on h2's side: the connection counts
                    self._h2.acknowledge_received_data(unacked, stream_id)
            reopened = self._h2.inbound_flow_control_window > before
        if write or reopened:
            async with self._send_lock:
                await self._write_quietly(request.timeouts.write)

    def _take_unacked(self, stream_id: int) -> int:
        """The bytes read on ``stream_id`` and not yet acknowledged, now to be; call with
        ``_h2_lock`` held."""
        unacked = self._unacked.pop(stream_id, 0)
        self._unacked_total -= unacked
        return unacked

    async def _next_event(self, request: Request, stream_id: int) -> Any:
        events = self._events[stream_id]
        if not events:

            def arrived() -> bool:
                self._check_stream(stream_id)
                return bool(events)

            await self._receive_until(stream_id, arrived, request.timeouts.read)
        return events.popleft()

    async def _receive_until(
        self, stream_id: int, ready: Callable[[], bool], timeout: float | None
    ) -> None:
        """Until ``ready()`` (which raises if the stream failed): read, or sleep while
        another task reads (or the stream delivers). Whoever stops reading hands the
        reading on to a sleeper.

        ``timeout`` bounds the whole wait: frames for other streams, which wake a sleeper
        or end a read, do not start it again."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                with self._sleepers_lock:  # so that no wake-up falls between check and sleep
                    if ready():
                        return
                    sleeping = self._reading or self._delivered
                    if sleeping:
                        woken = self._sleepers[stream_id] = AsyncEvent()
                    else:
                        self._reading = True
                left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
                if sleeping:
                    try:
                        if not await woken.wait(left):
                            raise ReadTimeout(f"Timed out reading from the server after {timeout}s")
                    finally:
                        with self._sleepers_lock:
                            if self._sleepers.get(stream_id) is woken:
                                del self._sleepers[stream_id]
                    continue
                touched: set[int] | None = None  # None: wake every sleeper
                try:
                    touched = await self._receive(left, timeout)
                except ReadTimeout as exc:
                    raise ReadTimeout(
                        f"Timed out reading from the server after {timeout}s"
                    ) from exc
                finally:
                    with self._sleepers_lock:
                        self._reading = False
                        self._wake(touched)
        finally:
            with self._sleepers_lock:
                if not self._reading and not self._delivered and self._sleepers:
                    # Nobody reads now: the first sleeper takes over (or, if its events
                    # came meanwhile, returns and hands on in turn).
                    self._sleepers.pop(next(iter(self._sleepers))).set()

    def _wake(self, streams: set[int] | None) -> None:
        """Wake the sleepers of ``streams``, or all of them (None); call with
        ``_sleepers_lock`` held."""
        if streams is None:
            sleepers = list(self._sleepers.values())
            self._sleepers.clear()
        else:
            sleepers = [self._sleepers.pop(i) for i in streams if i in self._sleepers]
        for event in sleepers:
            event.set()

    async def _receive(
        self, timeout: float | None, answer_timeout: float | None
    ) -> set[int] | None:
        """Read once (within ``timeout``) and take it in; a SETTINGS or PING is
        acknowledged within ``answer_timeout``. Returns the streams that got events, or
        None when every stream may be concerned (a window update, a failure)."""
        try:
            data = await self.stream.read(READ_SIZE, timeout)
        except ReadTimeout:
            raise  # nothing arrived in time for this request: the connection is fine
        except Exception as exc:
            self._fail(exc)
            raise
        touched, must_answer = self._take_in(data)
        if must_answer:
            async with self._send_lock:
                await self._write_quietly(answer_timeout)
        return touched

    def _on_delivery(self, data: bytes | Exception) -> None:
        """What a delivering stream received (see ``_receive``): taken in, the requests
        concerned woken. Runs in the stream's callback, so it must not raise."""
        touched: set[int] | None = None
        try:
            if isinstance(data, Exception):
                self._fail(data)
            else:
                touched, must_answer = self._take_in(data)
                if must_answer:
                    # Answers must not pile up while the server reads nothing of ours.
                    self._write_now(hold_reading=True)
        except Exception as exc:  # h2's protocol errors failed the connection already
            self._fail(exc)
        with self._sleepers_lock:
            self._wake(touched)

    def _flush_headers(self) -> None:
        """The deferred write of the HEADERS queued in this event-loop turn."""
        self._flush_due = False
        self._write_now()

    def _write_now(self, hold_reading: bool = False) -> None:
        """Write what h2 has queued without waiting (acknowledgements, HEADERS): on a
        delivering stream bytes go out in order of ``data_to_send()``, whoever holds
        ``_send_lock``. If that fails the connection is gone: every stream fails."""
        queued, data = self._outgoing()
        if not data:
            return
        try:
            self.stream.write_now(data, hold_reading=hold_reading)
        except WriteError as exc:
            self._write_failed = True
            self._fail(exc)
            with self._sleepers_lock:
                self._wake(None)
            return
        self._written_headers = max(self._written_headers, queued)

    def _take_in(self, data: bytes) -> tuple[set[int] | None, bool]:
        """Feed h2 and file each stream's events. Returns the streams that got events
        (None: every stream may be concerned), and whether a SETTINGS or PING awaits
        our acknowledgement. ``b""`` is the server's end of the connection."""
        if not data:
            if self._goaway_last_stream_id is None and self._opened_at_response > self._responses:
                # Closed without a GOAWAY after answering some streams while others it
                # had were waiting: take the streams it answered as the server's limit,
                # so the next connection opens none that would be dropped. (A connection
                # closed while idle, or by us, teaches nothing.)
                self._stream_limits.learn(self.origin, self._responses)
            self._fail(RemoteProtocolError("Server disconnected"))
            return None, False
        try:
            with self._h2_lock:
                events = self._h2.receive_data(self._split_frames(data))
        except h2.exceptions.ProtocolError as exc:
            error = RemoteProtocolError(describe(exc))
            self._fail(error)
            raise error from exc
        self._check_content_lengths(events)
        must_answer = False
        touched: set[int] | None = set()
        for event in events:
            if isinstance(event, _FIELD_EVENTS):
                trailers = isinstance(event, h2.events.TrailersReceived)
                problem = response_fields_problem(event.headers, trailers)
                if problem is not None:
                    what = "trailers" if trailers else "response"
                    message = f"Malformed {what} on stream {event.stream_id}: {problem}"
                    must_answer |= self._reject_malformed(event.stream_id, message)
                    if touched is not None:
                        touched.add(event.stream_id)
                    continue
                if not isinstance(event, h2.events.ResponseReceived):
                    continue  # 1xx and trailers: nothing for the caller
            if isinstance(event, _STREAM_EVENTS):
                if isinstance(event, h2.events.ResponseReceived):
                    self._responses += 1
                    self._opened_at_response = self._streams_opened
                queue = self._events.get(event.stream_id)
                if queue is not None:
                    queue.append(event)
                    self._answered_streams.add(event.stream_id)
                    if isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                        self._answered_whole.add(event.stream_id)
                    if touched is not None:
                        touched.add(event.stream_id)
            elif isinstance(event, h2.events.RemoteSettingsChanged):
                self._settings_received = True
                must_answer = True
                touched = None  # windows may have changed
                with self._h2_lock:
                    limit = self._h2.remote_settings.max_concurrent_streams
                self._max_streams = min(limit, MAX_STREAMS)
            elif isinstance(event, h2.events.PingReceived):
                must_answer = True
            elif isinstance(event, h2.events.WindowUpdated):
                touched = None
        if self._goaway_last_stream_id is not None:
            touched = None
        return touched, must_answer

    def _check_content_lengths(self, events: list[Any]) -> None:
        """Fail the connection, as h2 4.3 and later do whichever h2 is installed, if a
        response's Content-Length is unusable (see ``_http2_fields``); before any event
        is filed, as h2 drops the whole batch. HEAD responses are exempt, as in h2."""
        for event in events:
            if isinstance(event, _FIELD_EVENTS) and event.stream_id not in self._head_streams:
                problem = content_length_problem(event.headers)
                if problem is not None:
                    error = RemoteProtocolError(problem)
                    self._fail(error)
                    with self._h2_lock, contextlib.suppress(h2.exceptions.ProtocolError):
                        self._h2.close_connection(h2.errors.ErrorCodes.PROTOCOL_ERROR)
                    raise error

    def _reject_malformed(self, stream_id: int, message: str) -> bool:
        """A malformed response is a stream error (RFC 9113 §8.1.1): reset the stream
        (PROTOCOL_ERROR) and fail its request. True if a reset is queued to be sent."""
        queue = self._events.get(stream_id)
        if queue is None:
            return False
        queue.append(_Malformed(message))
        self._answered_streams.add(stream_id)
        self._answered_whole.add(stream_id)  # any upload stops
        with self._h2_lock, contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.reset_stream(stream_id, h2.errors.ErrorCodes.PROTOCOL_ERROR)
            return True
        return False

    def _split_frames(self, data: bytes) -> bytes:
        """What h2 may have of ``data``: GOAWAY frames are handled here."""
        data, goaways = self._goaway_filter.feed(data)
        for last, error_code in goaways:
            previous = self._goaway_last_stream_id
            self._goaway_last_stream_id = last if previous is None else min(previous, last)
            self._goaway_graceful = error_code == h2.errors.ErrorCodes.NO_ERROR and (
                previous is None or self._goaway_graceful
            )
        return data

    # -- stream and connection state ---------------------------------------------------

    def _answered(self, stream_id: int) -> bool:
        """Whether any event of the response on ``stream_id`` has arrived."""
        return stream_id in self._answered_streams

    def _check_usable(self) -> None:
        if self._error is not None:
            raise _copy(self._error)
        if self._write_failed:
            raise StreamRefused("The connection failed; the request was not sent")
        if self._closed or self._goaway_last_stream_id is not None:
            raise StreamRefused(
                "The connection is closing; the request was not sent", recycled=self._recycled()
            )

    def _check_stream(self, stream_id: int) -> None:
        if self._events.get(stream_id):
            return
        last = self._goaway_last_stream_id
        if last is not None and stream_id > last:
            raise StreamRefused(
                f"Stream {stream_id} was refused by a GOAWAY (last {last})",
                recycled=self._recycled(),
            )
        if self._error is not None:
            raise _copy(self._error)

    def _recycled(self) -> bool:
        """Whether the server is closing this connection gracefully after serving
        streams on it (an error, ENHANCE_YOUR_CALM say, is no recycling)."""
        last = self._goaway_last_stream_id
        return last is not None and last > 0 and self._goaway_graceful

    def _fail(self, exc: Exception) -> None:
        """The connection is broken: every stream on it fails with ``exc``'s kind."""
        if self._error is None:
            self._error = exc

    async def _stream_done(self, request: Request, stream_id: int, reset: bool) -> None:
        """The request on ``stream_id`` is over: give its unacknowledged bytes back to the
        connection window, reset it if it is still open, and close a connection that is
        going away once its last stream is done."""
        events = self._events.pop(stream_id, None)
        if events is None:
            return
        self._head_streams.discard(stream_id)
        self._answered_streams.discard(stream_id)
        self._answered_whole.discard(stream_id)
        must_write = False
        with self._h2_lock:
            # Read or not, what arrived counts against the connection window until given
            # back. Reset before any wait: from then on h2 itself credits what still
            # arrives for the stream, which nobody takes in any more.
            unacked = self._take_unacked(stream_id) + sum(
                event.flow_controlled_length
                for event in events
                if isinstance(event, h2.events.DataReceived)
            )
            if (reset or unacked) and self._error is None and not self._closed:
                must_write = True
                # Either may find the stream closed on h2's side already; the
                # connection window is credited all the same.
                with contextlib.suppress(h2.exceptions.ProtocolError):
                    if unacked:
                        self._h2.acknowledge_received_data(unacked, stream_id)
                    if reset:
                        self._h2.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
        if not must_write and not self._going_away():
            return  # nothing to wait for: no cancellation shield needed either
        with AsyncShieldCancellation():
            if must_write:
                await self._write_cleanup(_cleanup_timeout(request))
            if self._going_away():
                await self.aclose()

    def _going_away(self) -> bool:
        """No stream left, and none may start: time to close."""
        return not self._events and (
            self._goaway_last_stream_id is not None or self._error is not None or self._write_failed
        )


class HTTP2ResponseStream(AsyncByteStream):
    """The body of one response on a shared connection; closing it early resets only
    its own stream."""

    __slots__ = ("_closed", "_connection", "_ended", "_request", "_stream_id", "_trace")

    def __init__(self, connection: AsyncHTTP2Connection, request: Request, stream_id: int):
        self._connection = connection
        self._request = request
        self._stream_id = stream_id
        self._closed = False
        self._ended = False
        self._trace = BodyTrace("http2.receive_response_body", logger, request.trace)

    def __aiter__(self) -> HTTP2ResponseStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed or self._ended:
            raise StopAsyncIteration
        self._trace.reading()
        try:
            chunk = await self._connection.receive_body_chunk(self._request, self._stream_id)
        except BaseException as exc:
            self._trace.ended(exc)
            await self.aclose()
            raise
        if chunk is None:
            self._ended = True
            self._trace.ended()
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._trace.closed()
            with traced("http2.response_closed", logger, self._request.trace):
                await self._connection._stream_done(
                    self._request, self._stream_id, reset=not self._ended
                )


def _cleanup_timeout(request: Request) -> float:
    """The bound on a clean-up write for ``request``: its write timeout, if it has one."""
    timeout = request.timeouts.write
    return CLEANUP_WRITE_TIMEOUT if timeout is None else timeout


def _reset_error(stream_id: int, error_code: Any) -> RemoteProtocolError:
    if error_code == h2.errors.ErrorCodes.REFUSED_STREAM:
        return StreamRefused(f"Stream {stream_id} was refused by the server")
    name = getattr(error_code, "name", str(error_code))
    return RemoteProtocolError(f"Stream {stream_id} was reset by the server: {name}")


def _copy(error: Exception) -> Exception:
    """A fresh exception of the same kind for each stream failed by one cause."""
    copy = type(error)(*error.args)
    copy.__cause__ = error
    return copy
