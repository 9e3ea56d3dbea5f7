"""Self-tests of :class:`H2Server`, with the ``h2`` library as the client over blocking TLS
sockets (and hyperframe to read the wire where h2 itself refuses, after a GOAWAY)."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable

import h2.events
import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from hyperframe.frame import DataFrame, Frame, GoAwayFrame, HeadersFrame

from .app import HELLO, pattern
from .base import connect
from .fixtures import h2_server
from .h2server import GARBAGE, H2Behaviour, H2Server, H2ServerFactory
from .tls import TLSMaterial

__all__ = ["h2_server"]  # the fixture, offered to the tests below

pytestmark = pytest.mark.timeout(10)


class Client:
    """A minimal blocking HTTP/2 client: h2 over one TLS socket, every wait bounded."""

    def __init__(self, server: H2Server, tls: TLSMaterial) -> None:
        self.server = server
        self.sock: ssl.SSLSocket = connect(  # type: ignore[assignment]
            server.server, ssl_context=tls.client_context(alpn=["h2"]), timeout=2.0
        )
        assert self.sock.selected_alpn_protocol() == "h2"
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.h2 = H2Connection(H2Configuration(client_side=True, header_encoding=None))
        self.h2.initiate_connection()
        self.events: list[h2.events.Event] = []
        self.bodies: dict[int, bytearray] = {}
        self.closed = False
        self.flush()

    def close(self) -> None:
        self.sock.close()

    def flush(self) -> None:
        self.sock.sendall(self.h2.data_to_send())

    def request(
        self, path: str, method: bytes = b"GET", body: bytes = b"", *, end_stream: bool = True
    ) -> int:
        stream_id = self.h2.get_next_available_stream_id()
        headers = [
            (b":method", method),
            (b":scheme", b"https"),
            (b":authority", self.server.server.authority.encode("ascii")),
            (b":path", path.encode("ascii")),
            (b"user-agent", b"h2-self-test"),
        ]
        self.h2.send_headers(stream_id, headers, end_stream=end_stream and not body)
        if body:  # small bodies only: within the default windows
            self.h2.send_data(stream_id, body, end_stream=True)
        self.flush()
        return stream_id

    def send_body(self, stream_id: int, payload: bytes, timeout: float = 5.0) -> None:
        """Send ``payload`` and end the stream, within the server's windows."""
        view = memoryview(payload)
        deadline = time.monotonic() + timeout
        while view:
            size = min(
                len(view),
                self.h2.local_flow_control_window(stream_id),
                self.h2.max_outbound_frame_size,
            )
            if size <= 0:  # wait for the server's WINDOW_UPDATEs
                before = len(self.events)

                def grown(events: list[h2.events.Event], before: int = before) -> bool:
                    return len(events) > before

                self.receive_until(grown, deadline - time.monotonic())
                continue
            self.h2.send_data(stream_id, bytes(view[:size]))
            view = view[size:]
            self.flush()
        self.h2.end_stream(stream_id)
        self.flush()

    def receive_until(
        self, done: Callable[[list[h2.events.Event]], bool], timeout: float = 2.0
    ) -> list[h2.events.Event]:
        deadline = time.monotonic() + timeout
        while not done(self.events):
            if self.closed:
                raise ConnectionError("server closed the connection")
            if time.monotonic() > deadline:
                raise TimeoutError(f"events so far: {self.events}")
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                self.closed = True
                continue
            for event in self.h2.receive_data(data):
                self.events.append(event)
                if isinstance(event, h2.events.DataReceived):
                    self.bodies.setdefault(event.stream_id, bytearray()).extend(event.data)
                    self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            self.flush()
        return self.events

    def response(self, stream_id: int, timeout: float = 2.0) -> tuple[dict[bytes, bytes], bytes]:
        def ended(events: list[h2.events.Event]) -> bool:
            return any(
                isinstance(event, h2.events.StreamEnded | h2.events.StreamReset)
                and event.stream_id == stream_id
                for event in events
            )

        self.receive_until(ended, timeout)
        for event in self.events:
            if isinstance(event, h2.events.StreamReset) and event.stream_id == stream_id:
                raise AssertionError(f"stream {stream_id} reset: {event.error_code!r}")
        headers = next(
            event.headers
            for event in self.events
            if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id
        )
        return dict(headers), bytes(self.bodies.get(stream_id, b""))


@pytest.fixture
def client_factory(tls_material: TLSMaterial) -> Callable[[H2Server], Client]:
    return lambda server: Client(server, tls_material)


def read_frames(client: Client, timeout: float = 2.0) -> list[Frame]:
    """Every frame the server sends until it closes the connection."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client.sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = client.sock.recv(65536)
        if not chunk:
            break
        data += chunk
    else:
        raise TimeoutError("the server did not close the connection")
    frames: list[Frame] = []
    while data:
        frame, length = Frame.parse_frame_header(memoryview(data[:9]))
        frame.parse_body(memoryview(data[9 : 9 + length]))
        frames.append(frame)
        del data[: 9 + length]
    return frames


def test_get_echo_and_recorded_headers(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    server = h2_server()
    client = client_factory(server)
    try:
        headers, body = client.response(client.request("/"))
        assert headers[b":status"] == b"200"
        assert headers[b"content-type"] == b"text/plain"
        assert body == HELLO
        headers, body = client.response(client.request("/echo", b"POST", b"ping" * 100))
        assert body == b"ping" * 100
        headers, body = client.response(client.request("/nowhere"))
        assert headers[b":status"] == b"404"
    finally:
        client.close()
    assert server.stats.connections == 1
    assert server.stats.streams_received == 3
    assert server.stats.request_body_bytes == 400
    first = server.requests[0]
    assert first.authority == server.server.authority.encode("ascii")
    assert (first.method, first.path, first.stream_id) == (b"GET", b"/", 1)
    assert all(name == name.lower() for name, _ in first.headers)
    assert server.requests[1].body == b"ping" * 100


def test_slow_stream_does_not_hold_others_up(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    server = h2_server()
    client = client_factory(server)
    try:
        started = time.monotonic()
        slow = client.request("/slow?delay=0.5")
        fast = client.request("/")
        assert client.response(fast)[1] == HELLO
        assert time.monotonic() - started < 0.4
        assert client.response(slow)[1] == HELLO
        assert time.monotonic() - started >= 0.5
    finally:
        client.close()


def test_max_concurrent_streams_advertised_and_counted(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    server = h2_server(H2Behaviour(max_concurrent_streams=2, initial_window_size=16384))
    client = client_factory(server)
    try:
        client.receive_until(
            lambda events: any(
                isinstance(event, h2.events.RemoteSettingsChanged)
                and SettingCodes.MAX_CONCURRENT_STREAMS in event.changed_settings
                for event in events
            )
        )
        assert client.h2.remote_settings.max_concurrent_streams == 2
        assert client.h2.remote_settings.initial_window_size == 16384
        streams = [client.request("/slow?delay=0.2") for _ in range(2)]
        for stream_id in streams:
            assert client.response(stream_id)[1] == HELLO
    finally:
        client.close()
    assert server.stats.max_concurrent_streams_seen == 2


@pytest.mark.parametrize("code", [ErrorCodes.REFUSED_STREAM, ErrorCodes.INTERNAL_ERROR])
def test_reset_paths(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client], code: ErrorCodes
) -> None:
    server = h2_server(H2Behaviour(reset_paths={"/reset"}, reset_code=code))
    client = client_factory(server)
    try:
        stream_id = client.request("/reset?x=1")
        events = client.receive_until(
            lambda events: any(isinstance(event, h2.events.StreamReset) for event in events)
        )
        reset = next(event for event in events if isinstance(event, h2.events.StreamReset))
        assert (reset.stream_id, reset.error_code) == (stream_id, code)
        assert client.response(client.request("/"))[1] == HELLO  # the connection lives on
    finally:
        client.close()
    assert server.stats.resets_sent == 1


def test_goaway_after_n_streams(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    server = h2_server(H2Behaviour(goaway_after=2))
    client = client_factory(server)
    try:
        for _ in range(3):  # three requests in one write: streams 1, 3, 5
            stream_id = client.h2.get_next_available_stream_id()
            client.h2.send_headers(
                stream_id,
                [
                    (b":method", b"GET"),
                    (b":scheme", b"https"),
                    (b":authority", server.server.authority.encode("ascii")),
                    (b":path", b"/slow?delay=0.1"),
                ],
                end_stream=True,
            )
        client.flush()
        frames = read_frames(client)
    finally:
        client.close()
    goaways = [frame for frame in frames if isinstance(frame, GoAwayFrame)]
    assert [(g.last_stream_id, g.error_code) for g in goaways] == [(3, 0)]
    answered = {frame.stream_id for frame in frames if isinstance(frame, HeadersFrame | DataFrame)}
    assert answered == {1, 3}
    ends = [
        frame.stream_id
        for frame in frames
        if isinstance(frame, DataFrame) and "END_STREAM" in frame.flags
    ]
    assert sorted(ends) == [1, 3]
    assert server.stats.streams_received == 3
    assert server.stats.goaways_sent == 1
    assert [request.ignored for request in server.requests] == [False, False, True]


def test_goaway_after_responses(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    server = h2_server(H2Behaviour(goaway_after=1, goaway_after_responses=True))
    client = client_factory(server)
    try:
        assert client.response(client.request("/"))[1] == HELLO
        events = client.receive_until(
            lambda events: any(isinstance(e, h2.events.ConnectionTerminated) for e in events)
        )
        goaway = events[-1]
        assert isinstance(goaway, h2.events.ConnectionTerminated)
        assert (goaway.last_stream_id, goaway.error_code) == (1, ErrorCodes.NO_ERROR)
    finally:
        client.close()


def test_garbage_after_headers(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    server = h2_server(H2Behaviour(garbage_after_headers=True))
    client = client_factory(server)
    try:
        client.request("/")
        data = bytearray()
        deadline = time.monotonic() + 2.0
        while GARBAGE not in data and time.monotonic() < deadline:
            client.sock.settimeout(0.5)
            data += client.sock.recv(65536)
        assert data.endswith(GARBAGE)
        with pytest.raises(h2.exceptions.ProtocolError, match="Stream ID must be non-zero"):
            client.h2.receive_data(bytes(data))
    finally:
        client.close()
    assert server.stats.garbage_sent == 1


def test_flow_controlled_download(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    """4 MB through the client's default 65535-byte windows: many WINDOW_UPDATEs."""
    server = h2_server()
    client = client_factory(server)
    size = 4 * 1024 * 1024
    try:
        headers, body = client.response(client.request(f"/bytes?size={size}"), timeout=5.0)
    finally:
        client.close()
    assert headers[b"content-length"] == str(size).encode()
    assert body == pattern(size)


def test_flow_controlled_upload_with_small_windows(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    """1 MB up through 16 KiB stream windows and a 65535-byte connection window."""
    server = h2_server(H2Behaviour(initial_window_size=16384, connection_window_stays_small=True))
    client = client_factory(server)
    size = 1024 * 1024
    payload = pattern(size)
    try:
        client.receive_until(lambda _: client.h2.remote_settings.initial_window_size == 16384)
        stream_id = client.request("/echo", b"POST", end_stream=False)
        client.send_body(stream_id, payload)
        _, body = client.response(stream_id, timeout=5.0)
        updates = [e for e in client.events if isinstance(e, h2.events.WindowUpdated)]
    finally:
        client.close()
    assert body == payload
    assert server.stats.request_body_bytes == size
    assert sum(1 for e in updates if e.stream_id == 0) >= size // 65535
    assert server.requests[0].body_length == size


def test_stop_is_bounded_with_a_stalled_download(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    server = h2_server()
    client = client_factory(server)
    try:
        client.request("/bytes?size=1000000")  # never read: the server waits for windows
        server.wait_for(lambda s: s.stats.streams_received == 1)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2.0
    finally:
        client.close()


def test_unacknowledged_upload_stalls(
    h2_server: H2ServerFactory, client_factory: Callable[[H2Server], Client]
) -> None:
    server = h2_server(H2Behaviour(acknowledge_data=False, connection_window_stays_small=True))
    client = client_factory(server)
    try:
        client.receive_until(lambda events: len(events) >= 2)  # the server's SETTINGS
        stream_id = client.request("/echo", b"POST", end_stream=False)
        with pytest.raises(TimeoutError):
            client.send_body(stream_id, b"x" * 100_000, timeout=0.3)
        assert client.h2.local_flow_control_window(stream_id) == 0
    finally:
        client.close()
    server.wait_for(lambda s: s.stats.request_body_bytes == 65535)
