"""One HTTP/2 client connection without I/O: h2, and everything h2 leaves to us.

``HTTP2Protocol`` owns the h2 connection and answers what the I/O layer (``_async/http2.py``)
asks: what to send, what each stream got, what failed and how. It reads no socket, takes
no lock and never waits; the I/O layer calls it under one lock and moves the bytes.

- GOAWAY: h2 treats its connection as closed on receiving one and then refuses the frames
  of the streams the server still answers. ``FrameSplitter`` keeps GOAWAY from h2: no new
  stream starts, streams at or below its last stream id finish, and those above fail with
  ``StreamRefused``, which the pool retries elsewhere.
- DATA: plain DATA frames of a started response are taken without h2 (``_take_data``),
  whose cost per frame would bound a download; what one read brings for a stream becomes
  one chunk. Every other frame, and every frame h2 must refuse, goes to h2.
- Fields: h2's checks are off; ``_http2_fields`` applies the same rules to what arrives,
  and a malformed response is a stream error: that stream is reset, its request fails.
- Flow control: our windows are large and what a request reads is acknowledged in
  batches (a WINDOW_UPDATE per 16 KiB frame would cost more than the frame).
- A stream's failure resets that stream only. A failure of the connection (EOF, a protocol
  error) fails every stream on it; after a failed write no new stream starts.
"""

from __future__ import annotations

import contextlib
from collections import deque
from typing import Any, NamedTuple

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import h2.stream

from httpcore_interfaces import (
    Headers,
    LocalProtocolError,
    Origin,
    RemoteProtocolError,
    WriteError,
)

from ._exceptions import describe
from ._hpack_cache import CachingDecoder
from ._http2_fields import content_length_problem, response_fields_problem
from ._http2_frames import END_STREAM, PADDED, DataRun, FrameSplitter, GoAway
from ._models import Request
from ._retry import StreamLost, StreamRefused
from ._stream_limits import StreamLimits

__all__ = [
    "CONNECTION_WINDOW",
    "BodyChunk",
    "BodyEnded",
    "HTTP2Protocol",
    "ResponseStarted",
]

#: Our receive window per stream: large, so a fast download is not throttled by
#: WINDOW_UPDATEs, and the most an unread response holds.
STREAM_WINDOW = 4 * 1024 * 1024
#: Our receive window for the connection: room for many streams' windows at once, so
#: responses left unread do not stall the others. It bounds the memory they hold.
CONNECTION_WINDOW = 1024 * 1024 * 1024
#: Received bytes acknowledged at once (WINDOW_UPDATE), well below STREAM_WINDOW.
ACK_BATCH = 1024 * 1024
#: Requests we put on one connection at most, whatever the server allows.
MAX_STREAMS = 1000
#: Request headers HTTP/2 forbids (RFC 9113 §8.2.2); Host becomes :authority.
_CONNECTION_SPECIFIC = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade", b"host"}
)
#: The opaque data of our PING after a GOAWAY (see ``_take_goaway``).
_AFTER_GOAWAY_PING = b"goaway\x00\x00"
#: The states of a stream in which DATA may arrive.
_RECEIVING_STATES = (h2.stream.StreamState.OPEN, h2.stream.StreamState.HALF_CLOSED_LOCAL)
#: Events whose fields we check (h2's own checks are off, see _http2_fields).
_FIELD_EVENTS = (
    h2.events.ResponseReceived,
    h2.events.InformationalResponseReceived,
    h2.events.TrailersReceived,
)


class ResponseStarted(NamedTuple):
    """The response's status and headers arrived."""

    status: int
    headers: Headers


class BodyChunk(NamedTuple):
    """A piece of the body (maybe empty: padding only). ``must_write``: acknowledgements
    are due, write what the protocol has queued."""

    data: bytes
    must_write: bool


class BodyEnded(NamedTuple):
    """The body is complete; ``must_write`` as for ``BodyChunk``."""

    must_write: bool


class _Data(NamedTuple):
    data: bytes
    flow_controlled_length: int


_ENDED = object()  # filed when the server ends a stream


class _Stream:
    """What one request's stream got, and what of it is not yet acknowledged."""

    __slots__ = ("answered", "answered_whole", "events", "head", "started", "unacked")

    def __init__(self, head: bool) -> None:
        #: ResponseStarted, _Data, _ENDED, or the exception its request fails with.
        self.events: deque[Any] = deque()
        self.head = head  # a HEAD request: the Content-Length describes no body
        self.answered = False  # anything of the response arrived
        self.started = False  # its (final) response head arrived
        self.answered_whole = False  # the server ended or reset it: stop uploading
        self.unacked = 0  # bytes read by the request, not yet acknowledged


class _Intake:
    """What one ``receive_data`` did: the streams that got events (``everyone``: any
    stream may be concerned), whether something must be sent, and the DATA taken
    directly, gathered per stream into one chunk."""

    __slots__ = ("everyone", "gathered", "must_write", "streams")

    def __init__(self) -> None:
        self.streams: set[int] = set()
        self.everyone = False
        self.must_write = False
        self.gathered: dict[int, list[memoryview]] = {}

    def gather(self, stream_id: int, payloads: list[memoryview]) -> None:
        pieces = self.gathered.get(stream_id)
        if pieces is None:
            self.gathered[stream_id] = payloads
        else:
            pieces += payloads

    def file_gathered(self, streams: dict[int, _Stream]) -> None:
        """File what was gathered (before anything h2 gives after it)."""
        for stream_id, pieces in self.gathered.items():
            data = b"".join(pieces)
            streams[stream_id].events.append(_Data(data, len(data)))
            self.streams.add(stream_id)
        self.gathered.clear()


class HTTP2Protocol:
    """The state of one HTTP/2 client connection; see the module docstring."""

    def __init__(self, origin: Origin, stream_limits: StreamLimits) -> None:
        """``stream_limits`` is shared by a pool's connections: how many streams a server
        served on a connection it closed without a GOAWAY, so that the next connection
        opens no stream the server would cut off."""
        self.origin = origin
        self._stream_limits = stream_limits
        # Fields are checked here instead of by h2 (see _http2_fields): the same rules
        # in less time. What we send is built from checked parts.
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_outbound_headers=False,
            validate_inbound_headers=False,
            normalize_inbound_headers=False,
        )
        self._h2 = h2.connection.H2Connection(config=config)
        self._h2.decoder = CachingDecoder(self._h2.decoder.max_header_list_size)
        self._frames = FrameSplitter()
        self._streams: dict[int, _Stream] = {}
        self._unacked_total = 0  # over all streams
        self._streams_opened = 0
        self._responses = 0  # responses received on this connection
        self._opened_at_response = 0  # streams opened when the last response came
        #: HEADERS queued so far: the I/O layer counts which of them a write carried.
        self.queued_headers = 0
        self.settings_received = False
        #: The server's MAX_CONCURRENT_STREAMS, read from h2 when its SETTINGS change:
        #: the pool asks for the capacity several times per request.
        self._max_streams = min(self._h2.remote_settings.max_concurrent_streams, MAX_STREAMS)
        # Why streams stop: each is set once, and nothing clears it.
        self._error: Exception | None = None  # the connection failed: every stream fails
        self._write_failed = False  # a write failed: nothing new goes out
        self._closed = False  # closed by us
        self._goaway_last_stream_id: int | None = None
        self._goaway_graceful = False  # the first GOAWAY received said NO_ERROR

    # -- the connection ------------------------------------------------------------------

    def initiate(self) -> None:
        """Queue our preface: SETTINGS, and the connection window we allow."""
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

    @property
    def stream_count(self) -> int:
        return len(self._streams)

    def capacity(self) -> int:
        """How many requests it may carry now: 0 once it is closed or going away."""
        if not self._accepts_streams():
            return 0
        capacity = self._max_streams
        limit = self._stream_limits.get(self.origin)
        if limit is not None:
            # Requests assigned but not started count against what is left of the limit.
            capacity = min(capacity, limit - self._streams_opened + len(self._streams))
        return max(capacity, 0)

    def check_failed(self) -> None:
        """Raise the connection's failure, if it failed (for a wait on the preface)."""
        if self._error is not None:
            raise self._error

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def write_failed(self) -> bool:
        return self._write_failed

    def may_close_politely(self) -> bool:
        """Whether a GOAWAY of ours could still go out whole."""
        return self._error is None and not self._write_failed

    def close(self, goaway: bool) -> None:
        """We close: no stream starts; queue a polite GOAWAY if ``goaway`` and one can
        go out whole."""
        if goaway and not self._closed and self.may_close_politely():
            self._h2.close_connection()
        self._closed = True

    def going_away(self) -> bool:
        """No stream left, and none may start: time to close."""
        return not self._streams and (
            self._goaway_last_stream_id is not None or self._error is not None or self._write_failed
        )

    def fail(self, exc: Exception) -> None:
        """The connection is broken: every stream on it fails with ``exc``'s kind."""
        if self._error is None:
            self._error = exc

    def mark_write_failed(self) -> None:
        """A write failed, perhaps within a frame: no request or body goes out any more."""
        self._write_failed = True

    def _accepts_streams(self) -> bool:
        return (
            self._error is None
            and not self._write_failed
            and not self._closed
            and self._goaway_last_stream_id is None
        )

    def _refusal(self) -> Exception | None:
        """Why no new stream may start now, or None if one may."""
        if self._error is not None:
            return _copy(self._error)
        if self._write_failed:
            return StreamRefused("The connection failed; the request was not sent")
        if self._closed or self._goaway_last_stream_id is not None:
            return StreamRefused(
                "The connection is closing; the request was not sent", recycled=self._recycled()
            )
        return None

    def _recycled(self) -> bool:
        """Whether the server is closing this connection gracefully after serving
        streams on it (an error, ENHANCE_YOUR_CALM say, is no recycling)."""
        last = self._goaway_last_stream_id
        return last is not None and last > 0 and self._goaway_graceful

    # -- sending -------------------------------------------------------------------------

    def open_stream(self, request: Request) -> int:
        """Open a stream for ``request`` and queue its HEADERS; raises if no new stream
        may start."""
        refusal = self._refusal()
        if refusal is not None:
            raise refusal
        stream_id = self._h2.get_next_available_stream_id()
        try:
            self._h2.send_headers(
                stream_id, _request_headers(request), end_stream=request.stream is None
            )
        except h2.exceptions.ProtocolError as exc:
            raise LocalProtocolError(describe(exc)) from exc
        self._streams[stream_id] = _Stream(head=request.method == b"HEAD")
        self._streams_opened += 1
        self.queued_headers += 1
        return stream_id

    def send_window(self, stream_id: int) -> int | None:
        """Bytes of a body we may send on ``stream_id`` now (0: wait for the server to
        open the window); None once the server has answered whole (stop uploading).
        Raises if the connection failed or the stream was refused."""
        if self._streams[stream_id].answered_whole:
            return None
        self._check_writable(stream_id)
        return min(self._h2.local_flow_control_window(stream_id), self._h2.max_outbound_frame_size)

    def send_data(self, stream_id: int, data: bytes) -> int | None:
        """Queue as much of ``data`` as the windows allow; how much that was, or None if
        the server answered or closed the stream meanwhile (stop uploading)."""
        size = self.send_window(stream_id)
        if size:
            try:
                self._h2.send_data(stream_id, data[:size])
            except h2.exceptions.StreamClosedError:
                return None  # it may answer early, then reset (RFC 9113 §8.1)
        return size

    def end_stream(self, stream_id: int) -> None:
        """The body is complete. If the server closed the stream meanwhile, its events
        say how the request ends."""
        self._check_writable(stream_id)
        with contextlib.suppress(h2.exceptions.StreamClosedError):
            self._h2.end_stream(stream_id)

    def abandon_body(self, stream_id: int) -> None:
        """The server answered before the whole body went out (RFC 9113 §8.1): reset our
        half of the stream, unless the server reset it, so that it does not stay open."""
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.reset_stream(stream_id, h2.errors.ErrorCodes.NO_ERROR)

    def data_to_send(self) -> bytes:
        return self._h2.data_to_send()

    def _check_writable(self, stream_id: int) -> None:
        """Before more of a body goes to h2: the connection's failure, as an httpcore
        exception, rather than h2's refusal to send on a closed connection."""
        if self._error is not None:
            raise _copy(self._error)
        if self._closed:
            raise WriteError("The connection was closed (the pool was closed) during the write.")
        self._check_refused(stream_id)

    def _check_refused(self, stream_id: int) -> None:
        last = self._goaway_last_stream_id
        if last is not None and stream_id > last:
            raise StreamRefused(
                f"Stream {stream_id} was refused by a GOAWAY (last {last})",
                recycled=self._recycled(),
            )

    # -- receiving -----------------------------------------------------------------------

    def receive_data(self, data: bytes) -> tuple[set[int] | None, bool]:
        """Take in what arrived and file each stream's events. Returns the streams that
        got events (None: every stream may be concerned), and whether an acknowledgement
        (of SETTINGS or PING) or a reset is queued to be sent. ``b""`` is the server's
        end of the connection. Raises ``RemoteProtocolError`` if the connection failed."""
        if not data:
            if self._goaway_last_stream_id is None and self._opened_at_response > self._responses:
                # Closed without a GOAWAY after answering some streams while others it
                # had were waiting: take the streams it answered as the server's limit,
                # so the next connection opens none that would be dropped. (A connection
                # closed while idle, or by us, teaches nothing.)
                self._stream_limits.learn(self.origin, self._responses)
            self.fail(RemoteProtocolError("Server disconnected"))
            return None, False
        intake = _Intake()
        for_h2: list[bytes] = []  # in order; given to h2 before anything after it is taken
        for piece in self._frames.feed(data):
            if isinstance(piece, DataRun):
                if for_h2:
                    self._feed_h2(b"".join(for_h2), intake)
                    for_h2.clear()
                if not self._take_data(piece, intake):
                    for_h2.append(bytes(piece.frames))
            elif isinstance(piece, GoAway):
                if for_h2:  # what came before it first: which streams it leaves waiting
                    self._feed_h2(b"".join(for_h2), intake)
                    for_h2.clear()
                intake.must_write |= self._take_goaway(piece)
            else:
                for_h2.append(piece)
        if for_h2:
            self._feed_h2(b"".join(for_h2), intake)
        intake.file_gathered(self._streams)
        if self._goaway_last_stream_id is not None:
            intake.everyone = True
        return (None if intake.everyone else intake.streams), intake.must_write

    def _take_data(self, run: DataRun, intake: _Intake) -> bool:
        """Take a run of DATA frames as h2 would, without h2's cost per frame, if they are
        plain (no padding, no END_STREAM) and on a stream whose response has started;
        False leaves them to h2, which then also gives every verdict on a frame it must
        refuse. What h2 does with each such frame, we do here: count it against the
        connection's and the stream's windows and the response's Content-Length; the
        stream's state does not change. (A property test holds the two to one outcome.)
        The windows and what is left of the Content-Length only shrink, so each frame
        of a run passes h2's checks if their sum does."""
        if run.flags & (END_STREAM | PADDED):
            return False
        stream = self._streams.get(run.stream_id)
        if stream is None or not stream.started:
            return False
        connection = self._h2
        h2_stream = connection.streams.get(run.stream_id)
        if (
            h2_stream is None
            or h2_stream.state_machine.state not in _RECEIVING_STATES
            or connection.state_machine.state is not h2.connection.ConnectionState.CLIENT_OPEN
        ):
            return False
        length = run.length
        connection_window = connection._inbound_flow_control_window_manager
        stream_window = h2_stream._inbound_window_manager
        expected = h2_stream._expected_content_length
        if (
            length > connection_window.current_window_size
            or length > stream_window.current_window_size
            or (expected is not None and h2_stream._actual_content_length + length > expected)
        ):
            return False  # h2 refuses one of them, in its own words
        connection_window.window_consumed(length)
        stream_window.window_consumed(length)
        h2_stream._actual_content_length += length
        intake.gather(run.stream_id, run.payloads)
        return True

    def _feed_h2(self, data: bytes, intake: _Intake) -> None:
        """Feed h2 and file the events it gives."""
        intake.file_gathered(self._streams)  # what came before, first
        try:
            events = self._h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            error = RemoteProtocolError(describe(exc))
            self.fail(error)
            raise error from exc
        self._check_content_lengths(events)
        for event in events:
            stream_id = getattr(event, "stream_id", 0)
            if isinstance(event, _FIELD_EVENTS):
                trailers = isinstance(event, h2.events.TrailersReceived)
                problem = response_fields_problem(event.headers, trailers)
                if problem is not None:
                    what = "trailers" if trailers else "response"
                    message = f"Malformed {what} on stream {stream_id}: {problem}"
                    intake.must_write |= self._reject_malformed(stream_id, message)
                    intake.streams.add(stream_id)
                    continue
                if not isinstance(event, h2.events.ResponseReceived):
                    continue  # 1xx and trailers: nothing for the caller
                self._responses += 1
                self._opened_at_response = self._streams_opened
                stream = self._file(stream_id, _response_started(event.headers), intake)
                if stream is not None:
                    stream.started = True
            elif isinstance(event, h2.events.DataReceived):
                self._file(stream_id, _Data(event.data, event.flow_controlled_length), intake)
            elif isinstance(event, h2.events.StreamEnded):
                self._file(stream_id, _ENDED, intake, whole=True)
            elif isinstance(event, h2.events.StreamReset):
                self._file(stream_id, _reset_error(stream_id, event.error_code), intake, True)
            elif isinstance(event, h2.events.RemoteSettingsChanged):
                self.settings_received = True
                intake.must_write = True
                intake.everyone = True  # windows may have changed
                limit = self._h2.remote_settings.max_concurrent_streams
                self._max_streams = min(limit, MAX_STREAMS)
            elif isinstance(event, h2.events.PingReceived):
                intake.must_write = True
            elif isinstance(event, h2.events.WindowUpdated):
                intake.everyone = True

    def _file(
        self, stream_id: int, item: Any, intake: _Intake, whole: bool = False
    ) -> _Stream | None:
        """File ``item`` under its stream, unless its request is over already."""
        stream = self._streams.get(stream_id)
        if stream is None:
            return None
        stream.events.append(item)
        stream.answered = True
        if whole:
            stream.answered_whole = True
        intake.streams.add(stream_id)
        return stream

    def _take_goaway(self, goaway: GoAway) -> bool:
        """Note a GOAWAY; True if it queued a PING to be sent.

        A server may stop answering with its GOAWAY even the streams it promised to
        finish (hypercorn closes its side of the protocol and the streams at or below
        the last id are never answered): with a PING after the first GOAWAY such a
        server, which takes any frame now for an error, closes the connection, and those
        streams fail at once, free to go again elsewhere; a server that keeps its
        promise acknowledges the PING and carries on."""
        previous = self._goaway_last_stream_id
        last = goaway.last_stream_id
        self._goaway_last_stream_id = last if previous is None else min(previous, last)
        if previous is None:  # what a later GOAWAY says may be its answer to our PING
            self._goaway_graceful = goaway.error_code == h2.errors.ErrorCodes.NO_ERROR
        if previous is None and any(
            stream_id <= last and not stream.answered_whole
            for stream_id, stream in self._streams.items()
        ):
            self._h2.ping(_AFTER_GOAWAY_PING)
            return True
        return False

    def _check_content_lengths(self, events: list[Any]) -> None:
        """Fail the connection, as h2 4.3 and later do whichever h2 is installed, if a
        response's Content-Length is unusable (see ``_http2_fields``); before any event
        is filed, as h2 drops the whole batch. HEAD responses are exempt, as in h2."""
        for event in events:
            if not isinstance(event, _FIELD_EVENTS):
                continue
            stream = self._streams.get(event.stream_id)
            if stream is not None and stream.head:
                continue
            problem = content_length_problem(event.headers)
            if problem is not None:
                error = RemoteProtocolError(problem)
                self.fail(error)
                with contextlib.suppress(h2.exceptions.ProtocolError):
                    self._h2.close_connection(h2.errors.ErrorCodes.PROTOCOL_ERROR)
                raise error

    def _reject_malformed(self, stream_id: int, message: str) -> bool:
        """A malformed response is a stream error (RFC 9113 §8.1.1): reset the stream
        (PROTOCOL_ERROR) and fail its request. True if a reset is queued to be sent."""
        stream = self._streams.get(stream_id)
        if stream is None:
            return False
        stream.events.append(RemoteProtocolError(message))
        stream.answered = stream.answered_whole = True  # any upload stops
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.reset_stream(stream_id, h2.errors.ErrorCodes.PROTOCOL_ERROR)
            return True
        return False

    # -- one stream's response -----------------------------------------------------------

    def has_event(self, stream_id: int) -> bool:
        """Whether an event waits for ``stream_id``; raises if none ever will."""
        if self._streams[stream_id].events:
            return True
        self._check_refused(stream_id)
        if self._error is not None:
            raise _copy(self._error)
        return False

    def next_event(self, stream_id: int) -> ResponseStarted | BodyChunk | BodyEnded:
        """Take the next event of ``stream_id`` (``has_event`` said there is one); a reset
        or a malformed response is raised. Taking a body's data acknowledges it, in
        batches."""
        stream = self._streams[stream_id]
        item = stream.events.popleft()
        if isinstance(item, _Data):
            stream.unacked += item.flow_controlled_length
            self._unacked_total += item.flow_controlled_length
            if stream.unacked >= ACK_BATCH:
                self._acknowledge(stream_id, stream)
                return BodyChunk(item.data, True)
            if self._unacked_total >= CONNECTION_WINDOW // 2:
                # Many streams, each below a batch: together they must not hold the
                # connection window, or no DATA could come any more.
                for other_id, other in self._streams.items():
                    self._acknowledge(other_id, other)
                return BodyChunk(item.data, True)
            return BodyChunk(item.data, False)
        if item is _ENDED:
            # Queued for the next write, unless it reopens the connection window.
            before = self._h2.inbound_flow_control_window
            self._acknowledge(stream_id, stream)
            return BodyEnded(self._h2.inbound_flow_control_window > before)
        if isinstance(item, Exception):
            raise item
        return item  # type: ignore[no-any-return]

    def _acknowledge(self, stream_id: int, stream: _Stream) -> None:
        unacked = stream.unacked
        if unacked:  # the stream may be closed on h2's side: the connection counts
            stream.unacked = 0
            self._unacked_total -= unacked
            self._h2.acknowledge_received_data(unacked, stream_id)

    def answered(self, stream_id: int) -> bool:
        """Whether any event of the response on ``stream_id`` has arrived."""
        stream = self._streams.get(stream_id)
        return stream is not None and stream.answered

    def as_lost(self, exc: BaseException, answered: bool, idempotent: bool) -> StreamLost | None:
        """``StreamLost`` for a request that failed with ``exc`` because the connection
        died before any answer (a server that closes after GOAWAY, say), if it may go
        again elsewhere: idempotent, not refused already. Else None."""
        if (
            (self._error is not None or self._write_failed)
            and not answered
            and idempotent
            and isinstance(exc, Exception)
            and not isinstance(exc, StreamRefused)  # a refusal stays one
        ):
            return StreamLost(
                f"The connection failed before a response: {exc}", recycled=self._recycled()
            )
        return None

    def stream_done(self, stream_id: int, reset: bool) -> bool:
        """The request on ``stream_id`` is over: give what arrived for it back to the
        connection window, and reset the stream if ``reset`` (it may still be open).
        True if that queued something to send."""
        stream = self._streams.pop(stream_id, None)
        if stream is None:
            return False
        # Read or not, what arrived counts against the connection window until given
        # back. Reset before any wait: from then on h2 itself credits what still arrives
        # for the stream, which nobody takes in any more.
        self._unacked_total -= stream.unacked
        unacked = stream.unacked + sum(
            item.flow_controlled_length for item in stream.events if isinstance(item, _Data)
        )
        if not (reset or unacked) or self._error is not None or self._closed:
            return False
        # Either may find the stream closed on h2's side already; the connection window
        # is credited all the same.
        with contextlib.suppress(h2.exceptions.ProtocolError):
            if unacked:
                self._h2.acknowledge_received_data(unacked, stream_id)
            if reset:
                self._h2.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
        return True


def _request_headers(request: Request) -> Headers:
    """The HEADERS of ``request``: pseudo-headers first, no connection-specific field."""
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
    return [
        (b":method", request.method),
        (b":authority", request.host_header() if authority is None else authority),
        (b":scheme", scheme),
        (b":path", request.target),
        *extra,
    ]


def _response_started(fields: list[tuple[bytes, bytes]]) -> ResponseStarted:
    status = 0
    headers: Headers = []
    for name, value in fields:
        if name == b":status":
            status = int(value)
        elif not name.startswith(b":"):
            headers.append((name, value))
    return ResponseStarted(status, headers)


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
