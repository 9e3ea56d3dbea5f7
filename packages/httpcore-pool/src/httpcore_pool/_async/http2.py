"""One HTTP/2 connection: many requests at once on one socket.

What HTTP/2 means (frames, windows, GOAWAY, malformed responses, what failed and how) is
decided by ``HTTP2Protocol``, which does no I/O; this module moves its bytes and makes
requests wait. The rules of that:

- The protocol is not thread-safe: every call into it holds ``_lock`` (a real lock in the
  threaded pool, free on an event loop), never across I/O. Writes happen under
  ``_send_lock``, so frames of concurrent requests never interleave.
- A request queues its HEADERS, yields once, then writes whatever is queued unless a
  write completed since carried its HEADERS: the requests started in one event-loop turn
  share one write (one TLS record, one system call).
- One task (or thread) reads at a time, for everyone: it feeds what arrives to the
  protocol and wakes the requests whose streams got something. A request whose events
  have not come sleeps while another reads; when the reader has what it needed it hands
  the reading on to a sleeper. (A lock taken in turn by every waiting request would wake
  them one at a time, one event-loop turn each.)
- On a stream that delivers what arrives (asyncio's can, see ``_backends/base.py``) nobody
  reads: the delivery callback does the reader's work, and SETTINGS and PING are
  acknowledged at once, never behind a blocked upload. The sync code has no such stream.
- Clean-up (a reset, window updates, our GOAWAY) is shielded from cancellation and
  bounded in time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from httpcore_interfaces import (
    AsyncByteStream,
    Headers,
    Origin,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
    WriteTimeout,
)

from .._backends.base import READ_SIZE, AsyncNetworkStream
from .._http2_protocol import BodyChunk, BodyEnded, HTTP2Protocol, ResponseStarted
from .._models import Request
from .._stream_limits import StreamLimits
from .._synchronization import (
    AsyncEvent,
    AsyncLock,
    AsyncPoolLock,
    AsyncShieldCancellation,
    checkpoint,
)
from .._trace import get_logger, traced
from .interfaces import AsyncConnectionInterface
from .request_body import AsyncRequestBody
from .response_stream import AsyncResponseStream

# unasync: async only
# isort: split
from .._backends.base import AsyncDeliveringStream

# unasync: end

__all__ = ["AsyncHTTP2Connection"]

logger = get_logger(__name__)

#: Seconds a clean-up write (a reset, a window update, our GOAWAY) may take when the
#: request set no write timeout: clean-up is shielded from cancellation, so it must end.
CLEANUP_WRITE_TIMEOUT = 5.0


class AsyncHTTP2Connection(AsyncConnectionInterface):
    def __init__(
        self,
        origin: Origin,
        stream: AsyncNetworkStream,
        stream_limits: StreamLimits | None = None,
    ) -> None:
        """``stream_limits`` is shared by a pool's connections (see ``HTTP2Protocol``)."""
        self.origin = origin
        self.stream = stream
        stream.share()  # streams are read and written by different tasks or threads
        limits = StreamLimits() if stream_limits is None else stream_limits
        self._protocol = HTTP2Protocol(origin, limits)
        #: HTTP/2 failures are never a stale keep-alive connection: retries go through
        #: StreamRefused instead.
        self.response_started = True
        self._lock = AsyncPoolLock()  # the protocol, and the sleepers below
        self._send_lock = AsyncLock()
        self._written_headers = 0  # HEADERS a completed write carried (queued_headers)
        self._reading = False  # someone reads for everyone
        self._sleepers: dict[int, AsyncEvent] = {}  # per stream: woken by the reader
        # unasync: async only
        self._delivering: AsyncDeliveringStream | None = None  # see initialize()
        self._flush_due = False  # a deferred write of queued HEADERS is scheduled
        # unasync: end

    # -- the connection interface ------------------------------------------------------

    def info(self) -> str:
        with self._lock:
            count = self._protocol.stream_count
        return f"HTTP/2, {'ACTIVE' if count else 'IDLE'}, {count} streams"

    def capacity(self) -> int:
        """How many requests it may carry now: 0 once it is closed or going away."""
        with self._lock:
            return self._protocol.capacity()

    def keeps_alive(self) -> bool:
        return self.capacity() > 0

    async def handle_request(
        self, request: Request
    ) -> tuple[int, Headers, AsyncByteStream, dict[str, Any]]:
        stream_id: int | None = None
        try:
            with traced("http2.send_request_headers", logger, request.trace):
                # Opened and queued with no await in between: from here on every exit,
                # at every await, forgets or resets the stream below.
                stream_id, queued = await self._open_stream(request)
                await self._flush_headers_of(request, queued)
            with traced("http2.send_request_body", logger, request.trace):
                await self._send_body(request, stream_id)
            with traced("http2.receive_response_headers", logger, request.trace) as trace:
                status, headers = await self._receive_response(request, stream_id)
                trace.info["status_code"] = status
        except BaseException as exc:
            answered = False
            if stream_id is not None:
                with self._lock:
                    answered = self._protocol.answered(stream_id)
                await self._stream_done(request, stream_id, reset=True)
            with self._lock:
                lost = self._protocol.as_lost(exc, answered, request.is_idempotent)
            if lost is not None:
                raise lost from exc
            raise
        stream = HTTP2ResponseStream(self, request, stream_id)
        return status, headers, stream, {"http_version": "HTTP/2"}

    async def aclose(self) -> None:
        with self._lock:
            if self._protocol.closed:
                return
            polite = self._protocol.may_close_politely()
        with AsyncShieldCancellation():
            # A polite GOAWAY, unless a write is under way: its frames must not be cut
            # into, and closing must not wait for it. The server may already be gone.
            if polite and self._send_lock.acquire_for_cleanup(0.0):
                try:
                    with self._lock:
                        self._protocol.close(goaway=True)
                        data = self._protocol.data_to_send()
                    if data:
                        await self.stream.write(data, 1.0)
                except Exception:
                    pass
                finally:
                    self._send_lock.release()
            else:
                with self._lock:
                    self._protocol.close(goaway=False)
            await self.stream.aclose()

    # -- sending -----------------------------------------------------------------------

    async def initialize(self, request: Request) -> None:
        """Exchange the connection prefaces: send our SETTINGS and wait for the server's,
        so that its limit on concurrent streams is known before the pool shares us."""
        async with self._send_lock:
            with self._lock:
                self._protocol.initiate()
            await self._write(request.timeouts.write)

        def settings_received() -> bool:
            self._protocol.check_failed()
            return self._protocol.settings_received

        await self._receive_until(0, settings_received, request.timeouts.read)
        # unasync: async only
        if isinstance(self.stream, AsyncDeliveringStream):
            self._delivering = self.stream
            self._reading = True  # the stream reads for everyone from now on
            self.stream.deliver_to(self._on_delivery)
        # unasync: end

    async def _open_stream(self, request: Request) -> tuple[int, int]:
        """Open a stream for ``request`` and queue its HEADERS. Returns the stream id, and
        how many HEADERS were queued by then (see ``_flush_headers_of``)."""
        async with self._send_lock:  # so that nothing is queued after a failed write
            with self._lock:
                stream_id = self._protocol.open_stream(request)
                return stream_id, self._protocol.queued_headers

    async def _flush_headers_of(self, request: Request, queued: int) -> None:
        """See that the ``queued``-th HEADERS goes out. Let the other requests that are
        ready queue theirs first: one write carries them all (a write per request costs a
        TLS record and a system call each)."""
        # unasync: async only
        if self._delivering is not None:  # written once the ready tasks have run
            if not self._flush_due:
                self._flush_due = True
                self._delivering.call_soon(self._flush_headers)
            return
        # unasync: end
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
                    sent: int | None = None
                    if await self._wait_for_window(request, stream_id):
                        async with self._send_lock:
                            with self._lock:  # another stream may have spent the window
                                sent = self._protocol.send_data(stream_id, chunk)
                            if sent:
                                await self._write(request.timeouts.write)
                    if sent is None:  # answered already: see _abandon_body
                        await self._abandon_body(request, stream_id)
                        return
                    chunk = chunk[sent:]
            async with self._send_lock:
                with self._lock:
                    self._protocol.end_stream(stream_id)
                await self._write(request.timeouts.write)
        finally:
            await body.aclose()

    async def _abandon_body(self, request: Request, stream_id: int) -> None:
        """The server answered before the whole body went out (RFC 9113 §8.1): stop
        sending and reset our half of the stream. The answer is read as usual."""
        async with self._send_lock:
            with self._lock:
                self._protocol.abandon_body(stream_id)
            await self._write_quietly(_cleanup_timeout(request))

    async def _wait_for_window(self, request: Request, stream_id: int) -> bool:
        """Read until the server opens the window of ``stream_id``; False once it has
        answered whole (ended or reset the stream) instead."""
        window: int | None = 0

        def window_open() -> bool:
            nonlocal window
            window = self._protocol.send_window(stream_id)  # raises if the stream failed
            return window != 0

        await self._receive_until(stream_id, window_open, request.timeouts.read)
        return window is not None

    async def _write(self, timeout: float | None, *, after_failure: bool = False) -> None:
        """Write what the protocol has queued, until nothing is: clean-up may queue more
        meanwhile and leave it to us (see ``_write_cleanup``). Call with ``_send_lock``.

        After a failed write (which may have left a partial frame) no request or body
        goes out any more; only acknowledgements and resets (``after_failure``) are still
        tried: if the failure left nothing partial, the streams already sent still get
        their windows."""
        if not after_failure:
            with self._lock:
                failed = self._protocol.write_failed
            if failed:
                raise WriteError("An earlier write on this connection failed; nothing more is sent")
        while True:
            queued, data = self._outgoing()
            if data:
                try:
                    await self.stream.write(data, timeout)
                except BaseException:
                    # No new stream may start; answered streams keep reading what came.
                    with self._lock:
                        self._protocol.mark_write_failed()
                    raise
            self._written_headers = max(self._written_headers, queued)
            if not data:
                return

    async def _write_cleanup(self, timeout: float) -> None:
        """Write what clean-up queued (a reset, window updates) without waiting for a
        blocked writer: if the send lock is busy, its holder's ``_write`` takes ours
        along. Bounded by ``timeout``: clean-up is shielded from cancellation."""
        # unasync: async only
        if self._delivering is not None:  # in order of data_to_send(), whoever writes
            self._write_now()
            return
        # unasync: end
        if self._send_lock.acquire_for_cleanup(timeout):
            try:
                await self._write_quietly(timeout)
            finally:
                self._send_lock.release()

    def _outgoing(self) -> tuple[int, bytes]:
        """What the protocol has queued to send, and how many HEADERS were queued by
        then: once written, they are (see ``_written_headers``)."""
        with self._lock:
            return self._protocol.queued_headers, self._protocol.data_to_send()

    async def _write_quietly(self, timeout: float | None) -> None:
        """Write acknowledgements and resets: their failure must not fail a response that
        has already arrived; the connection is marked failed for new streams instead."""
        with contextlib.suppress(WriteError, WriteTimeout):
            await self._write(timeout, after_failure=True)

    # -- receiving ---------------------------------------------------------------------

    async def _receive_response(self, request: Request, stream_id: int) -> tuple[int, Headers]:
        event = await self._next_event(request, stream_id)
        if not isinstance(event, ResponseStarted):  # pragma: no cover - h2 refuses it
            raise RemoteProtocolError(f"Stream {stream_id} got a body before its response")
        return event.status, event.headers

    async def receive_body_chunk(self, request: Request, stream_id: int) -> bytes | None:
        """The next piece of the body, or None at its end."""
        while True:
            event = await self._next_event(request, stream_id)
            if isinstance(event, BodyChunk):
                if event.must_write:  # acknowledgements due
                    async with self._send_lock:
                        await self._write_quietly(request.timeouts.write)
                if event.data:
                    return event.data
            elif isinstance(event, BodyEnded):
                if event.must_write:  # it reopens the connection window
                    async with self._send_lock:
                        await self._write_quietly(request.timeouts.write)
                return None

    async def _next_event(
        self, request: Request, stream_id: int
    ) -> ResponseStarted | BodyChunk | BodyEnded:
        def arrived() -> bool:
            return self._protocol.has_event(stream_id)

        with self._lock:
            ready = arrived()
        if not ready:
            await self._receive_until(stream_id, arrived, request.timeouts.read)
        with self._lock:
            return self._protocol.next_event(stream_id)

    async def _receive_until(
        self, stream_id: int, ready: Callable[[], bool], timeout: float | None
    ) -> None:
        """Until ``ready()`` (called with ``_lock`` held; it raises if the stream failed):
        read, or sleep while another task reads (or the stream delivers). Whoever stops
        reading hands the reading on to a sleeper.

        ``timeout`` bounds the whole wait: frames for other streams, which wake a sleeper
        or end a read, do not start it again."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                with self._lock:  # so that no wake-up falls between check and sleep
                    if ready():
                        return
                    sleeping = self._reading
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
                        with self._lock:
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
                    with self._lock:
                        self._reading = False
                        self._wake(touched)
        finally:
            with self._lock:
                if not self._reading and self._sleepers:
                    # Nobody reads now: the first sleeper takes over (or, if its events
                    # came meanwhile, returns and hands on in turn).
                    self._sleepers.pop(next(iter(self._sleepers))).set()

    def _wake(self, streams: set[int] | None) -> None:
        """Wake the sleepers of ``streams``, or all of them (None); call with ``_lock``."""
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
            with self._lock:
                self._protocol.fail(exc)
            raise
        with self._lock:
            touched, must_write = self._protocol.receive_data(data)
        if must_write:
            async with self._send_lock:
                await self._write_quietly(answer_timeout)
        return touched

    # unasync: async only
    def _on_delivery(self, data: bytes | Exception) -> None:
        """What a delivering stream received (see ``_receive``): taken in, the requests
        concerned woken. Runs in the stream's callback, so it must not raise."""
        touched: set[int] | None = None
        try:
            if isinstance(data, Exception):
                with self._lock:
                    self._protocol.fail(data)
            else:
                with self._lock:
                    touched, must_write = self._protocol.receive_data(data)
                if must_write:
                    # Answers must not pile up while the server reads nothing of ours.
                    self._write_now(hold_reading=True)
        except Exception as exc:  # protocol errors failed the connection already
            with self._lock:
                self._protocol.fail(exc)
        with self._lock:
            self._wake(touched)

    def _flush_headers(self) -> None:
        """The deferred write of the HEADERS queued in this event-loop turn."""
        self._flush_due = False
        self._write_now()

    def _write_now(self, hold_reading: bool = False) -> None:
        """Write what is queued without waiting (acknowledgements, HEADERS): on a
        delivering stream bytes go out in order of ``data_to_send()``, whoever holds
        ``_send_lock``. If that fails the connection is gone: every stream fails."""
        stream = self._delivering
        assert stream is not None, "only a delivering stream writes now"
        queued, data = self._outgoing()
        if not data:
            return
        try:
            stream.write_now(data, hold_reading=hold_reading)
        except WriteError as exc:
            with self._lock:
                self._protocol.mark_write_failed()
                self._protocol.fail(exc)
                self._wake(None)
            return
        self._written_headers = max(self._written_headers, queued)

    # unasync: end

    # -- the end of a stream -----------------------------------------------------------

    async def _stream_done(self, request: Request, stream_id: int, reset: bool) -> None:
        """The request on ``stream_id`` is over: give what arrived for it back to the
        connection window, reset it if it is still open, and close a connection that is
        going away once its last stream is done."""
        with self._lock:
            must_write = self._protocol.stream_done(stream_id, reset)
            going_away = self._protocol.going_away()
        if not must_write and not going_away:
            return  # nothing to wait for: no cancellation shield needed either
        with AsyncShieldCancellation():
            if must_write:
                await self._write_cleanup(_cleanup_timeout(request))
                with self._lock:  # the write may have failed meanwhile
                    going_away = self._protocol.going_away()
            if going_away:
                await self.aclose()


class HTTP2ResponseStream(AsyncResponseStream):
    """The body of one response on a shared connection; closing it early resets only
    its own stream."""

    __slots__ = ("_connection", "_stream_id")

    def __init__(self, connection: AsyncHTTP2Connection, request: Request, stream_id: int):
        super().__init__(
            request,
            "http2.receive_response_body",
            logger,
            connection.receive_body_chunk,
            request,
            stream_id,
        )
        self._connection = connection
        self._stream_id = stream_id

    async def _release(self) -> None:
        with traced("http2.response_closed", logger, self._request.trace):
            await self._connection._stream_done(
                self._request, self._stream_id, reset=not self._ended
            )


def _cleanup_timeout(request: Request) -> float:
    """The bound on a clean-up write for ``request``: its write timeout, if it has one."""
    timeout = request.timeouts.write
    return CLEANUP_WRITE_TIMEOUT if timeout is None else timeout
