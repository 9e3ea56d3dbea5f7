"""The HTTP/2 protocol without I/O, against a real h2 server in memory.

Each test passes bytes between ``HTTP2Protocol`` and a server-side h2 connection by hand:
no socket, no task, no lock. What the connection module adds on top (waiting, reading
in turn, writing) is tested in test_http2_handoff.py and the suites against real servers.
"""

from __future__ import annotations

import re
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from httpcore_interfaces import LocalProtocolError, RemoteProtocolError, WriteError
from httpcore_pool import _http2_protocol
from httpcore_pool._http2_protocol import BodyChunk, BodyEnded, HTTP2Protocol, ResponseStarted
from httpcore_pool._retry import StreamLost, StreamRefused
from httpcore_pool._stream_limits import StreamLimits
from tests.helpers.h2_memory import ORIGIN, make_request


class Exchange:
    """A client protocol and a server h2 connection, prefaces exchanged."""

    def __init__(self, limits: StreamLimits | None = None) -> None:
        self.limits = StreamLimits() if limits is None else limits
        self.client = HTTP2Protocol(ORIGIN, self.limits)
        config = h2.config.H2Configuration(
            client_side=False,
            header_encoding=None,
            validate_outbound_headers=False,  # so that it can send malformed responses
            normalize_outbound_headers=False,
        )
        self.server = h2.connection.H2Connection(config)
        self.server.initiate_connection()
        self.client.initiate()
        self.to_server()
        self.to_client()
        self.to_server()  # our SETTINGS acknowledgement
        assert self.client.settings_received

    def to_server(self) -> list[Any]:
        self.server_received = self.client.data_to_send()
        return self.server.receive_data(self.server_received)

    def to_client(self, data: bytes | None = None) -> tuple[set[int] | None, bool]:
        """What the server sent; nothing if it sent nothing (``b""`` would be its EOF)."""
        data = self.server.data_to_send() if data is None else data
        return self.client.receive_data(data) if data else (set(), False)

    def respond(self, stream_id: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.server.send_headers(stream_id, headers)
        self.server.send_data(stream_id, body, end_stream=True)

    def events(self, stream_id: int) -> list[Any]:
        taken = []
        while self.client.has_event(stream_id):
            taken.append(self.client.next_event(stream_id))
        return taken


def kinds(frames: bytes) -> list[int]:
    """The types of the frames in ``frames``, in order."""
    found, at = [], 0
    while at < len(frames):
        found.append(frames[at + 3])
        at += 9 + int.from_bytes(frames[at : at + 3], "big")
    return found


def test_request_headers_go_out_in_http2_form() -> None:
    exchange = Exchange()
    request = make_request(b"/search?q=1")
    request.headers = [
        (b"Host", b"example.org:8443"),
        (b"Connection", b"keep-alive"),
        (b"TE", b"gzip"),
        (b"Accept", b"*/*"),
    ]
    assert exchange.client.open_stream(request) == 1
    received, ended = exchange.to_server()
    assert isinstance(received, h2.events.RequestReceived)
    assert isinstance(ended, h2.events.StreamEnded)
    assert received.headers == [
        (b":method", b"GET"),
        (b":authority", b"example.org:8443"),
        (b":scheme", b"https"),
        (b":path", b"/search?q=1"),
        (b"accept", b"*/*"),
    ]


def test_a_response_arrives_as_events_of_its_stream() -> None:
    exchange = Exchange()
    first = exchange.client.open_stream(make_request(b"/a"))
    second = exchange.client.open_stream(make_request(b"/b"))
    exchange.to_server()
    exchange.respond(second, [(b":status", b"404"), (b"content-type", b"text/plain")], b"no")
    touched, must_write = exchange.to_client()
    assert touched == {second}
    assert not must_write
    assert not exchange.client.has_event(first)
    assert exchange.events(second) == [
        ResponseStarted(404, [(b"content-type", b"text/plain")]),
        BodyChunk(b"no", False),
        BodyEnded(False),
    ]


def test_a_malformed_response_fails_its_stream_only() -> None:
    exchange = Exchange()
    bad = exchange.client.open_stream(make_request(b"/bad"))
    good = exchange.client.open_stream(make_request(b"/good"))
    exchange.to_server()
    exchange.server.send_headers(bad, [(b":status", b"200"), (b"Upper", b"x")])  # still open
    exchange.respond(good, [(b":status", b"200")], b"ok")
    _, must_write = exchange.to_client()
    assert must_write  # the reset
    with pytest.raises(RemoteProtocolError, match="Malformed response on stream 1"):
        exchange.client.next_event(bad)
    assert [type(event) for event in exchange.events(good)] == [
        ResponseStarted,
        BodyChunk,
        BodyEnded,
    ]
    [reset] = [e for e in exchange.to_server() if isinstance(e, h2.events.StreamReset)]
    assert (reset.stream_id, reset.error_code) == (bad, h2.errors.ErrorCodes.PROTOCOL_ERROR)


def test_goaway_finishes_the_streams_below_it_and_refuses_the_rest() -> None:
    exchange = Exchange()
    kept = exchange.client.open_stream(make_request(b"/1"))
    refused = exchange.client.open_stream(make_request(b"/2"))
    exchange.to_server()
    exchange.respond(kept, [(b":status", b"200")], b"ok")
    exchange.server.close_connection(last_stream_id=kept)
    touched, _ = exchange.to_client(exchange.server.data_to_send())
    assert touched is None  # every stream may be concerned
    assert exchange.client.capacity() == 0
    with pytest.raises(StreamRefused, match="refused by a GOAWAY") as caught:
        exchange.client.has_event(refused)
    assert caught.value.recycled  # graceful, after serving a stream
    assert [type(event) for event in exchange.events(kept)][-1] is BodyEnded
    with pytest.raises(StreamRefused, match="closing"):
        exchange.client.open_stream(make_request(b"/3"))
    exchange.client.stream_done(kept, reset=False)
    assert not exchange.client.going_away()  # the refused stream's request is not over
    exchange.client.stream_done(refused, reset=True)
    assert exchange.client.going_away()


def test_a_refused_stream_is_safe_to_send_again() -> None:
    exchange = Exchange()
    stream_id = exchange.client.open_stream(make_request(b"/"))
    exchange.to_server()
    exchange.server.reset_stream(stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
    exchange.to_client()
    with pytest.raises(StreamRefused, match="refused by the server"):
        exchange.client.next_event(stream_id)


def test_a_lost_connection_fails_every_stream_and_says_which_may_go_again() -> None:
    limits = StreamLimits()
    exchange = Exchange(limits)
    answered = exchange.client.open_stream(make_request(b"/1"))
    waiting = exchange.client.open_stream(make_request(b"/2"))
    exchange.to_server()
    exchange.server.send_headers(answered, [(b":status", b"200")])
    exchange.to_client()
    assert exchange.client.receive_data(b"") == (None, False)
    with pytest.raises(RemoteProtocolError, match="Server disconnected"):
        exchange.client.has_event(waiting)
    error = RemoteProtocolError("Server disconnected")
    lost = exchange.client.as_lost(error, answered=False, idempotent=True)
    assert isinstance(lost, StreamLost)
    assert not lost.recycled  # no GOAWAY: once more, not again and again
    assert exchange.client.as_lost(error, answered=True, idempotent=True) is None
    assert exchange.client.as_lost(error, answered=False, idempotent=False) is None
    # One stream answered, another waiting, no GOAWAY: the server's limit was one.
    assert limits.get(ORIGIN) == 1


def test_a_failed_write_stops_new_streams_but_not_answers() -> None:
    exchange = Exchange()
    stream_id = exchange.client.open_stream(make_request(b"/"))
    exchange.to_server()  # written; then a later write fails
    exchange.client.mark_write_failed()
    assert exchange.client.capacity() == 0
    with pytest.raises(StreamRefused, match="not sent"):
        exchange.client.open_stream(make_request(b"/again"))
    assert exchange.client.as_lost(WriteError("x"), answered=False, idempotent=True)
    exchange.respond(stream_id, [(b":status", b"200")], b"ok")
    exchange.to_client()
    assert [type(event) for event in exchange.events(stream_id)] == [
        ResponseStarted,
        BodyChunk,
        BodyEnded,
    ]


def test_an_upload_follows_the_flow_control_windows() -> None:
    exchange = Exchange()
    request = make_request(b"/upload", b"POST", stream=object())
    stream_id = exchange.client.open_stream(request)
    assert exchange.client.send_window(stream_id) == 16384  # the frame size bounds it
    sent = 0
    while exchange.client.send_window(stream_id):
        sent += exchange.client.send_data(stream_id, b"x" * 20000) or 0
    assert sent == 65535  # the server's initial stream window
    assert exchange.client.send_data(stream_id, b"x") == 0
    received = exchange.to_server()
    size = sum(e.flow_controlled_length for e in received if isinstance(e, h2.events.DataReceived))
    exchange.server.acknowledge_received_data(size, stream_id)
    exchange.to_client()
    assert exchange.client.send_window(stream_id) == 16384
    # The server answers whole before the body is complete: the upload stops.
    exchange.respond(stream_id, [(b":status", b"413")], b"")
    exchange.to_client()
    assert exchange.client.send_window(stream_id) is None
    assert exchange.client.send_data(stream_id, b"more") is None


def test_a_closed_connection_refuses_more_of_a_body() -> None:
    exchange = Exchange()
    stream_id = exchange.client.open_stream(make_request(b"/", b"POST", stream=object()))
    exchange.client.close(goaway=True)
    assert isinstance(exchange.to_server()[-1], h2.events.ConnectionTerminated)
    with pytest.raises(WriteError, match="closed"):
        exchange.client.send_data(stream_id, b"x")


def test_a_stream_h2_refuses_to_open_fails_before_anything_is_queued() -> None:
    exchange = Exchange()
    exchange.server.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1})
    exchange.to_client()
    exchange.client.open_stream(make_request(b"/1"))
    queued = exchange.client.data_to_send()
    with pytest.raises(LocalProtocolError, match="outbound streams"):
        exchange.client.open_stream(make_request(b"/2"))
    assert exchange.client.data_to_send() == b""
    assert exchange.client.stream_count == 1
    assert queued


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_byte_received_is_given_back_once_and_nothing_stalls(data: st.DataObject) -> None:
    """Two streams download at once through a small connection window; each request
    reads in its own rhythm and may stop early. Acknowledgements come in batches, so
    nothing must stall, and in the end the server's window is whole again: every byte
    (padding included) given back exactly once."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_http2_protocol, "CONNECTION_WINDOW", 200_000)
        patch.setattr(_http2_protocol, "ACK_BATCH", 120_000)  # two streams could hold it all
        download_through_a_small_window(data)


def download_through_a_small_window(data: st.DataObject) -> None:
    exchange = Exchange()
    server = exchange.server
    sizes = st.lists(st.integers(1, 16_000), min_size=1, max_size=25)
    pending = {}
    for path in (b"/a", b"/b"):
        stream_id = exchange.client.open_stream(make_request(path))
        pending[stream_id] = data.draw(sizes, label=f"chunks of {path!r}")
    # Events a request reads before it stops early (None: it reads to the end).
    stop_after = {sid: data.draw(st.none() | st.integers(0, 30)) for sid in pending}
    exchange.to_server()
    for stream_id in pending:
        server.send_headers(stream_id, [(b":status", b"200")])
    read = dict.fromkeys(pending, 0)
    open_streams = set(pending)
    padding = data.draw(st.sampled_from([None, 0, 17]), label="padding")
    for _ in range(2000):  # bounded: each turn sends or reads something
        for stream_id, chunks in pending.items():
            while chunks and stream_id in server.streams and not server.streams[stream_id].closed:
                cost = chunks[0] + (0 if padding is None else padding + 1)
                window = min(
                    server.local_flow_control_window(stream_id), server.max_outbound_frame_size
                )
                if cost > window:
                    break
                chunk = chunks.pop(0)
                server.send_data(stream_id, b"x" * chunk, end_stream=not chunks, pad_length=padding)
        exchange.to_client()
        readable = [sid for sid in open_streams if exchange.client.has_event(sid)]
        if not readable:
            break
        stream_id = data.draw(st.sampled_from(sorted(readable)))
        event = exchange.client.next_event(stream_id)
        read[stream_id] += 1
        limit = stop_after[stream_id]
        if isinstance(event, BodyEnded):
            exchange.client.stream_done(stream_id, reset=False)
            open_streams.discard(stream_id)
        elif limit is not None and read[stream_id] > limit:
            exchange.client.stream_done(stream_id, reset=True)  # closed early
            open_streams.discard(stream_id)
            pending[stream_id] = []
        exchange.to_server()
    assert not open_streams, "a stream stalled: the windows were never given back"
    exchange.to_client()  # anything still in flight for the reset streams
    exchange.to_server()
    # h2 itself holds back small updates: what it has processed but not yet sent.
    manager = exchange.client._h2._inbound_flow_control_window_manager
    assert server.outbound_flow_control_window == manager.current_window_size
    assert manager.current_window_size + manager._bytes_processed == 200_000


def test_streams_below_a_batch_each_still_give_the_connection_window_back() -> None:
    """Each stream holds less than a batch, together half the connection window: all of
    it is acknowledged, or the server could send no more DATA on any stream."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_http2_protocol, "CONNECTION_WINDOW", 200_000)
        patch.setattr(_http2_protocol, "ACK_BATCH", 120_000)
        exchange = Exchange()
        streams = [exchange.client.open_stream(make_request(path)) for path in (b"/a", b"/b")]
        exchange.to_server()
        for stream_id in streams:
            exchange.server.send_headers(stream_id, [(b":status", b"200")])
            for _ in range(4):  # a read each: a chunk each
                exchange.server.send_data(stream_id, b"x" * 16_000)
                exchange.to_client()
        taken = [exchange.client.next_event(stream_id) for stream_id in streams]
        assert all(isinstance(event, ResponseStarted) for event in taken)
        chunks = [exchange.client.next_event(streams[0]) for _ in range(4)]
        chunks += [exchange.client.next_event(streams[1]) for _ in range(3)]
        assert all(isinstance(chunk, BodyChunk) for chunk in chunks)
        writes = [chunk.must_write for chunk in chunks if isinstance(chunk, BodyChunk)]
        assert writes == [False] * 6 + [True]  # 112k held
        exchange.to_server()
        assert exchange.server.outbound_flow_control_window == 200_000 - 16_000  # unread


# -- DATA taken directly, held to h2's verdicts ------------------------------------------


def raw_frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    header = len(payload).to_bytes(3, "big") + bytes([kind, flags])
    return header + stream_id.to_bytes(4, "big") + payload


def data_frame(stream_id: int, body: bytes, end: bool, padding: int | None) -> bytes:
    flags = 0x1 if end else 0
    if padding is not None:
        return raw_frame(0x0, flags | 0x8, stream_id, bytes([padding]) + body + bytes(padding))
    return raw_frame(0x0, flags, stream_id, body)


STREAMS = (1, 3, 5)  # a GET, a GET, a POST still uploading (OPEN on our side)

rarely = st.sampled_from([False, False, False, False, True])
actions = st.one_of(
    st.tuples(  # response headers, maybe with a Content-Length, maybe ending the stream
        st.just("headers"),
        st.sampled_from(STREAMS),
        st.none() | st.none() | st.integers(0, 12_000),
        rarely,
    ),
    st.tuples(
        st.just("data"),
        st.sampled_from((*STREAMS, *STREAMS, 7, 0)),  # 7: never opened; 0: the connection
        st.integers(0, 2500),
        rarely,
        st.none() | st.none() | st.none() | st.integers(0, 255),  # padding, maybe too long
    ),
    st.tuples(st.just("reset"), st.sampled_from(STREAMS), st.sampled_from([0, 7, 8])),
    st.tuples(st.just("goaway"), st.sampled_from([1, 3, 5])),
    st.tuples(st.just("ping")),
)


class Twins:
    """Two clients given the same bytes: one takes DATA itself, the other leaves every
    frame to h2 (its ``_take_data`` always declines)."""

    def __init__(self) -> None:
        self.clients: tuple[HTTP2Protocol, HTTP2Protocol]
        self.fast = HTTP2Protocol(ORIGIN, StreamLimits())
        self.slow = HTTP2Protocol(ORIGIN, StreamLimits())
        self.slow._take_data = lambda run, intake: False  # type: ignore[method-assign]
        config = h2.config.H2Configuration(
            client_side=False,
            header_encoding=None,
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
        )
        self.server = h2.connection.H2Connection(config)
        self.server.initiate_connection()
        upload = make_request(b"/upload", b"POST", stream=object())
        for client in (self.fast, self.slow):
            client.initiate()
            for request in (make_request(b"/a"), make_request(b"/b"), upload):
                client.open_stream(request)
        self.clients = (self.fast, self.slow)
        sent = self.fast.data_to_send()
        assert sent == self.slow.data_to_send()
        self.server.receive_data(sent)

    def wire(self, action: tuple[Any, ...]) -> bytes:
        """The bytes of one action of the server (b"" if h2 will not send it)."""
        kind = action[0]
        if kind == "headers":
            _, stream_id, length, end = action
            fields = [(b":status", b"200")]
            if length is not None:
                fields.append((b"content-length", str(length).encode()))
            try:
                self.server.send_headers(stream_id, fields, end_stream=end)
            except h2.exceptions.ProtocolError:
                return b""
            return self.server.data_to_send()
        if kind == "data":
            _, stream_id, size, end, padding = action
            return data_frame(stream_id, b"d" * size, end, padding)
        if kind == "reset":
            return raw_frame(0x3, 0, action[1], action[2].to_bytes(4, "big"))
        if kind == "goaway":
            return raw_frame(0x7, 0, 0, action[1].to_bytes(4, "big") + bytes(4))
        return raw_frame(0x6, 0, 0, bytes(8))  # PING


def outcome(client: HTTP2Protocol, data: bytes) -> list[Any]:
    """What one read did to ``client``: its error, or each stream's events (bodies joined
    whatever their chunks), then h2's windows, counts and states, and what is to send."""
    try:
        client.receive_data(data)
    except RemoteProtocolError as exc:
        return ["failed", type(exc), str(exc)]
    seen: list[Any] = []
    for stream_id in STREAMS:
        events: list[Any] = []
        try:
            while client.has_event(stream_id):
                event = client.next_event(stream_id)
                if isinstance(event, BodyChunk):
                    if events and isinstance(events[-1], bytes):
                        events[-1] += event.data
                    else:
                        events.append(event.data)
                else:
                    events.append(event)
        except Exception as exc:
            events.append((type(exc), str(exc)))
        seen.append(events)
    connection = client._h2
    seen.append(connection.state_machine.state)
    seen.append(connection._inbound_flow_control_window_manager.current_window_size)
    for stream_id in STREAMS:
        stream = connection.streams.get(stream_id)
        if stream is not None:
            seen.append(stream.state_machine.state)
            seen.append(stream._inbound_window_manager.current_window_size)
            seen.append(stream._actual_content_length)
    seen.append(client.data_to_send())
    return seen


started = st.lists(  # most runs start some responses first, as servers do
    st.tuples(st.just("headers"), st.sampled_from(STREAMS), st.none(), st.just(False)),
    max_size=3,
)


@settings(max_examples=400, deadline=None)
@given(
    started,
    st.lists(actions, max_size=24),
    st.lists(st.integers(1, 4000), max_size=12),
    st.integers(0, 70_000),
)
def test_data_taken_directly_ends_as_h2_would_have_it(
    prefix: list[tuple[Any, ...]],
    script: list[tuple[Any, ...]],
    cuts: list[int],
    window: int,
) -> None:
    """Generated server frames, valid or not (DATA before HEADERS, on unknown streams,
    beyond the windows or the Content-Length, badly padded, after a reset or a GOAWAY),
    cut into reads anywhere: each read leaves the two clients with the same events, the
    same h2 state and the same bytes to send, or fails both the same way."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_http2_protocol, "ACK_BATCH", 2**40)  # acknowledged at ends only
        patch.setattr(_http2_protocol, "STREAM_WINDOW", max(window, 1))  # room to overflow
        twins = Twins()
    wire = b"".join(twins.wire(action) for action in [*prefix, *script])
    position = 0
    for cut in [*cuts, len(wire)]:
        piece = wire[position : position + cut]
        position += len(piece)
        if not piece:
            continue
        expected = outcome(twins.slow, piece)
        assert outcome(twins.fast, piece) == expected
        if expected[0] == "failed":
            break


def headers(stream_id: int, length: int | None = None) -> tuple[Any, ...]:
    return ("headers", stream_id, length, False)


def data(stream_id: int, size: int, end: bool = False) -> tuple[Any, ...]:
    return ("data", stream_id, size, end, None)


@pytest.mark.parametrize(
    ("script", "closed_by_us", "error"),
    [
        ([headers(1, 10), data(1, 11)], False, "Expected 10 bytes, received 11"),
        # h2 answers DATA on a stream just ended with RST_STREAM, not a connection error.
        ([headers(1), data(1, 5, end=True), data(1, 5)], False, None),
        ([data(1, 5)], False, "before headers|any"),  # h2 4 refuses it; h2 3 takes it
        ([headers(1), *[data(1, 16_000)] * 5], False, "below 0"),  # the window: 70,000
        ([headers(1), data(1, 30)], True, "ConnectionState.CLOSED"),
        # a run of frames of one stream in one read: each frame still checked
        ([headers(1, 10), data(1, 6), data(1, 6)], False, "Expected 10 bytes, received 12"),
        ([headers(1), *[data(1, 16_000)] * 5, data(1, 30)], False, "below 0"),
        ([headers(1), data(1, 100), data(1, 17_000)], False, "overlong frame"),
    ],
    ids=[
        "past-content-length",
        "after-end-stream",
        "before-headers",
        "window",
        "we-closed",
        "run-past-content-length",
        "run-past-window",
        "run-frame-too-large",
    ],
)
@pytest.mark.parametrize("whole", [False, True], ids=["last-frame-cut", "one-read"])
def test_data_h2_must_refuse_gets_h2s_verdict(
    script: list[tuple[Any, ...]], closed_by_us: bool, error: str | None, whole: bool
) -> None:
    """What the generated test may rarely reach: each check that leaves a frame to h2."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_http2_protocol, "ACK_BATCH", 2**40)
        patch.setattr(_http2_protocol, "CONNECTION_WINDOW", 70_000)
        twins = Twins()
    wire = b"".join(twins.wire(action) for action in script)
    failure = None
    pieces = (wire[:-20], wire[-20:])  # the last frame cut by a read
    if whole and not closed_by_us:
        pieces = (wire, b"")
    for index, piece in enumerate(pieces):
        if not piece:
            continue
        if closed_by_us and index == 1:
            for client in twins.clients:  # while its last frame is on the way
                client.close(goaway=True)
        expected = outcome(twins.slow, piece)
        assert outcome(twins.fast, piece) == expected
        if expected[0] == "failed":
            failure = expected[2]
            break
    if error is None or error.endswith("|any"):
        assert failure is None or re.search(error or "^$", failure)
    else:
        assert failure is not None
        assert re.search(error, failure), failure


def test_data_inside_a_header_block_fails_the_connection_as_h2_would() -> None:
    """A DATA frame (of a started response) between HEADERS without END_HEADERS and its
    CONTINUATION: h2 fails the connection, and so must the client that takes DATA."""
    twins = Twins()
    started = twins.wire(headers(1))
    block = twins.wire(("headers", 3, None, False))
    payload = block[9:]
    first = raw_frame(0x1, block[4] & ~0x4, 3, payload[:4])  # END_HEADERS moved on
    rest = raw_frame(0x9, 0x4, 3, payload[4:])
    wire = started + first + data_frame(1, b"x", False, None) + rest
    expected = outcome(twins.slow, wire)
    assert expected[0] == "failed"
    assert outcome(twins.fast, wire) == expected


def test_a_ping_follows_the_first_goaway_while_promised_streams_wait() -> None:
    """A server that stops answering with its GOAWAY takes the PING for an error and
    closes; one that keeps its promise acknowledges it. Only once, and only while a
    stream at or below the last stream id still waits for its answer."""
    exchange = Exchange()
    promised = exchange.client.open_stream(make_request(b"/1"))
    exchange.to_server()
    exchange.server.close_connection(last_stream_id=promised)
    _, must_write = exchange.to_client()
    assert must_write
    with pytest.raises(h2.exceptions.ProtocolError):  # as hypercorn's h2 takes it
        exchange.to_server()
    assert kinds(exchange.server_received) == [0x6]  # the PING
    goaway_again = raw_frame(0x7, 0, 0, promised.to_bytes(4, "big") + bytes(4))
    assert exchange.client.receive_data(goaway_again) == (None, False)  # not twice

    answered = Exchange()
    stream_id = answered.client.open_stream(make_request(b"/1"))
    answered.to_server()
    answered.respond(stream_id, [(b":status", b"200")], b"ok")
    answered.server.close_connection(last_stream_id=stream_id)
    _, must_write = answered.to_client()
    assert not must_write  # nothing left waiting: no PING


def test_an_error_goaway_after_a_graceful_one_leaves_the_streams_recycled() -> None:
    """The answer to our PING may be a GOAWAY with an error (hypercorn's h2 takes the PING
    for one): the first GOAWAY said how the server was going away."""
    exchange = Exchange()
    first = exchange.client.open_stream(make_request(b"/1"))
    waiting = exchange.client.open_stream(make_request(b"/2"))
    exchange.to_server()
    exchange.respond(first, [(b":status", b"200")], b"ok")
    exchange.server.close_connection(last_stream_id=waiting)
    exchange.to_client()
    protocol_error = raw_frame(0x7, 0, 0, waiting.to_bytes(4, "big") + bytes([0, 0, 0, 1]))
    exchange.client.receive_data(protocol_error)
    exchange.client.receive_data(b"")
    error = RemoteProtocolError("Server disconnected")
    lost = exchange.client.as_lost(error, answered=False, idempotent=True)
    assert lost is not None
    assert lost.recycled
