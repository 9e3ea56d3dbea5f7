"""The HTTP/2 protocol without I/O, against a real h2 server in memory.

Each test passes bytes between ``HTTP2Protocol`` and a server-side h2 connection by hand:
no socket, no task, no lock. What the connection module adds on top (waiting, reading
in turn, writing) is tested in test_http2_handoff.py and the suites against real servers.
"""

from __future__ import annotations

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
        return self.server.receive_data(self.client.data_to_send())

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
            for _ in range(4):
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
