"""Self-tests of the test servers, with the standard library as the only client: if one
of these fails, a pool test failing against that server proves nothing."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from . import nginx as nginx_module
from .app import HELLO, SLOW_BODY, chunked_body, pattern
from .base import Server, Serving, connect, http_get
from .fixtures import HypercornFactory
from .hypercorn_base import HypercornOptions
from .hypercorn_process import HypercornProcess
from .hypercorn_server import PYTHON_VARIABLE, HypercornServer
from .nginx import INDEX_BODY, Nginx
from .raw import (
    EARLY_HINTS,
    OK_BODY,
    OK_RESPONSE,
    CloseMidBody,
    ConflictingContentLength,
    GarbageStatusLine,
    HTTP10CloseDelimited,
    Informational,
    KeepAlive,
    OneThenIdleClose,
    OversizedHeaders,
    RawServer,
    RawServerFactory,
    StallAfterRequest,
    StallMidBody,
    close_after_request,
)
from .tls import TLSMaterial

pytestmark = pytest.mark.timeout(30)

GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


def http_connection(server: Server, timeout: float = 5.0) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(server.host, server.port, timeout=timeout)


def fetch(
    conn: http.client.HTTPConnection,
    path: str,
    method: str = "GET",
    body: bytes | Iterable[bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response, response.read()


def recv_until(sock: socket.socket, size: int, timeout: float = 5.0) -> bytes:
    """Read until ``size`` bytes arrived or the peer closed (bounded)."""
    deadline = time.monotonic() + timeout
    data = b""
    while len(data) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{len(data)} of {size} bytes: {data[:200]!r}")
        sock.settimeout(remaining)
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    return data


@pytest.fixture
def peer_python() -> str:
    """A Python with hypercorn and trustme for :class:`HypercornProcess`: the one named by
    the variable, else this one when it has hypercorn."""
    python = os.environ.get(PYTHON_VARIABLE)
    if python:
        return python
    if importlib.util.find_spec("hypercorn") is None:
        pytest.skip(f"no hypercorn here and {PYTHON_VARIABLE} is not set")
    return sys.executable


@pytest.fixture
def http_conn(hypercorn_http: Server) -> Iterator[http.client.HTTPConnection]:
    conn = http_connection(hypercorn_http)
    yield conn
    conn.close()


# hypercorn -----------------------------------------------------------------------------


def test_hypercorn_routes_on_one_keep_alive_connection(
    http_conn: http.client.HTTPConnection,
) -> None:
    response, body = fetch(http_conn, "/")
    assert (response.status, body) == (200, HELLO)
    assert response.getheader("content-length") == str(len(HELLO))

    response, body = fetch(http_conn, "/echo", "PUT", b"some data")
    assert body == b"some data"

    response, body = fetch(http_conn, "/headers", headers={"X-First": "1", "x-SECOND": "2"})
    pairs = json.loads(body)
    names = [name for name, _ in pairs]
    assert names.index("X-First") < names.index("x-SECOND")  # order and casing kept
    assert ["x-SECOND", "2"] in pairs

    response, body = fetch(http_conn, "/status/418")
    assert (response.status, body) == (418, b"")
    response, body = fetch(http_conn, "/status/204")
    assert (response.status, body) == (204, b"")

    response, body = fetch(http_conn, "/chunked?chunks=4&size=3")
    assert response.getheader("transfer-encoding") == "chunked"
    assert response.getheader("content-length") is None
    assert body == chunked_body(4, 3) == b"aaabbbcccddd"

    response, body = fetch(http_conn, "/bytes?size=100000")
    assert body == pattern(100_000)

    response, body = fetch(http_conn, "/http-version")
    assert body == b"1.1"

    response, body = fetch(http_conn, "/nowhere")
    assert response.status == 404


def test_hypercorn_slow_routes(http_conn: http.client.HTTPConnection) -> None:
    start = time.monotonic()
    response, body = fetch(http_conn, "/slow?delay=0.2")
    assert body == b"slow"
    assert time.monotonic() - start >= 0.2

    http_conn.request("GET", "/slow-body?delay=0.3")
    response = http_conn.getresponse()  # the head comes before the delay
    head_at = time.monotonic()
    assert response.read() == SLOW_BODY
    assert time.monotonic() - head_at >= 0.15


def test_hypercorn_close_route_closes(hypercorn_http: Server) -> None:
    with connect(hypercorn_http) as sock:
        sock.sendall(b"GET /close HTTP/1.1\r\nHost: test\r\n\r\n")
        data = recv_until(sock, 1 << 20)  # returns at the server's close
    assert data.startswith(b"HTTP/1.1 200")
    assert b"\r\nconnection: close\r\n" in data.lower()
    assert data.endswith(b"closing")


def test_hypercorn_https_verifies_and_negotiates_alpn(
    hypercorn_https: Server, tls_material: TLSMaterial
) -> None:
    for hostname in ("localhost", "127.0.0.1", "::1"):  # all in the certificate
        context = tls_material.client_context(alpn=["h2", "http/1.1"])
        with connect(hypercorn_https, ssl_context=context, server_hostname=hostname) as sock:
            assert isinstance(sock, ssl.SSLSocket)
            assert sock.selected_alpn_protocol() == "h2"
    context = tls_material.client_context(alpn=["http/1.1"])
    with connect(hypercorn_https, ssl_context=context) as sock:
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.selected_alpn_protocol() == "http/1.1"
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(hypercorn_https, ssl_context=ssl.create_default_context())


def test_hypercorn_https_http1(hypercorn_https: Server, client_ssl_context: ssl.SSLContext) -> None:
    conn = http.client.HTTPSConnection(
        hypercorn_https.host, hypercorn_https.port, context=client_ssl_context, timeout=5
    )
    try:
        response, body = fetch(conn, "/http-version")
        assert (response.status, body) == (200, b"1.1")
    finally:
        conn.close()
    assert hypercorn_https.url("/x") == (b"https", b"127.0.0.1", hypercorn_https.port, b"/x")


def test_hypercorn_uds(hypercorn_uds: Server) -> None:
    assert hypercorn_uds.uds is not None
    assert hypercorn_uds.url() == (b"http", b"localhost", 80, b"/")
    response = http_get(hypercorn_uds, "/")
    assert response.startswith(b"HTTP/1.1 200")
    assert response.endswith(HELLO)


def test_hypercorn_factory_applies_config(hypercorn_server: HypercornFactory) -> None:
    server = hypercorn_server(config={"keep_alive_timeout": 0.3})
    with connect(server) as sock:
        sock.sendall(GET)
        assert recv_until(sock, 1 << 20, timeout=3).endswith(HELLO)  # ends at idle close


def test_hypercorn_stops_promptly_with_connections_left_open(
    tls_material: TLSMaterial,
) -> None:
    assert_stops_promptly(HypercornServer(tls=tls_material), tls_material)


def assert_stops_promptly(hypercorn: Serving[Server], tls_material: TLSMaterial) -> None:
    """With an idle HTTP/2 connection and a busy HTTP/1.1 one left open, stop() returns
    within 3 s and both connections end."""
    server = hypercorn.start()
    context = tls_material.client_context(alpn=["h2"])
    with connect(server, ssl_context=context) as idle, connect(server) as busy:
        busy.sendall(b"GET /slow?delay=30 HTTP/1.1\r\nHost: test\r\n\r\n")
        time.sleep(0.1)
        start = time.monotonic()
        hypercorn.stop()
        assert time.monotonic() - start < 3
        assert busy.recv(100) == b""
        recv_until(idle, 1 << 20, timeout=2)  # the server's SETTINGS, then the end


# hypercorn in a child process ------------------------------------------------------------


def test_hypercorn_process_serves_each_flavour(peer_python: str, tls_material: TLSMaterial) -> None:
    hypercorn = HypercornProcess(peer_python)
    server = hypercorn.start()
    try:
        assert http_get(server, "/http-version").endswith(b"1.1")
    finally:
        hypercorn.stop()
    with pytest.raises(ConnectionRefusedError):
        connect(server, timeout=1)  # the child closed the listening socket

    hypercorn = HypercornProcess(peer_python, HypercornOptions(tls=tls_material.files))
    server = hypercorn.start()
    try:
        context = tls_material.client_context(alpn=["h2", "http/1.1"])
        with connect(server, ssl_context=context) as sock:
            assert isinstance(sock, ssl.SSLSocket)
            assert sock.selected_alpn_protocol() == "h2"
    finally:
        hypercorn.stop()

    hypercorn = HypercornProcess(peer_python, HypercornOptions(uds=True))
    server = hypercorn.start()
    try:
        assert server.uds is not None
        assert http_get(server, "/").endswith(HELLO)
    finally:
        hypercorn.stop()
    assert not Path(server.uds).parent.exists()


def test_hypercorn_process_stops_promptly_with_connections_left_open(
    peer_python: str, tls_material: TLSMaterial
) -> None:
    assert_stops_promptly(
        HypercornProcess(peer_python, HypercornOptions(tls=tls_material.files)), tls_material
    )


def test_hypercorn_process_reports_the_childs_stderr(peer_python: str) -> None:
    hypercorn = HypercornProcess(peer_python, HypercornOptions(config={"no_such_setting": 1}))
    with pytest.raises(RuntimeError, match="no attribute 'no_such_setting'"):
        hypercorn.start()
    hypercorn.stop()  # nothing left to stop


def test_hypercorn_process_kills_a_child_that_does_not_stop(peer_python: str) -> None:
    hypercorn = HypercornProcess(peer_python)
    hypercorn.start()
    assert hypercorn._process is not None
    os.kill(hypercorn._process.pid, signal.SIGSTOP)  # deaf to the end of its stdin
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"did not stop within 0\.5s; killed it"):
        hypercorn.stop(timeout=0.5)
    assert time.monotonic() - start < 8


def test_missing_hypercorn_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PYTHON_VARIABLE, raising=False)
    for name in [name for name in sys.modules if name.split(".")[0] == "hypercorn"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "hypercorn", None)
    monkeypatch.delitem(sys.modules, "tests.servers.hypercorn_thread", raising=False)
    with pytest.raises(RuntimeError, match=PYTHON_VARIABLE):
        HypercornServer()


# nginx ---------------------------------------------------------------------------------


def test_nginx_serves_index_large_and_keepalive_limit(nginx: Nginx) -> None:
    conn = http_connection(nginx.http)
    try:
        response, body = fetch(conn, "/")
        assert (response.status, body) == (200, INDEX_BODY)
        assert len(body) == 2000
        response, body = fetch(conn, "/large")
        assert body == nginx.large_body()
        for _ in range(47):
            fetch(conn, "/")
        response, _ = fetch(conn, "/")  # the 50th request on this connection
        assert response.getheader("connection") == "close"
    finally:
        conn.close()


def test_nginx_https_offers_h2(nginx: Nginx, tls_material: TLSMaterial) -> None:
    context = tls_material.client_context(alpn=["h2", "http/1.1"])
    with connect(nginx.https, ssl_context=context, server_hostname="localhost") as sock:
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.selected_alpn_protocol() == "h2"
    response = http_get(nginx.https, "/", ssl_context=tls_material.client_context())
    assert response.endswith(INDEX_BODY)


def test_nginx_upload_answers_after_the_whole_body(nginx: Nginx) -> None:
    size = 50 * 1024 * 1024
    piece = b"u" * (1024 * 1024)
    conn = http_connection(nginx.http, timeout=10)
    try:
        conn.putrequest("POST", "/upload")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        for _ in range(size // len(piece) - 1):
            conn.send(piece)
        conn.send(piece[:-1])
        assert conn.sock is not None
        readable, _, _ = select.select([conn.sock], [], [], 0.3)
        assert not readable, "nginx answered before the last byte"
        conn.send(b"u")
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, str(size).encode())
    finally:
        conn.close()


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("", "skip")])
def test_missing_nginx_skips_except_in_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    monkeypatch.setattr(nginx_module, "find_nginx", lambda: None)
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="nginx is not installed"):
        nginx_module.require_nginx()


# raw handlers ----------------------------------------------------------------------------


def test_raw_keep_alive_counts_and_reads_chunked_bodies(raw_server: RawServerFactory) -> None:
    handler = KeepAlive()
    server = raw_server(handler)
    conn = http_connection(server.server)
    try:
        for _ in range(2):
            assert fetch(conn, "/")[1] == OK_BODY
        body = iter([b"abc", b"def"])  # no length: http.client sends it chunked
        assert fetch(conn, "/", "POST", body=body)[1] == OK_BODY
    finally:
        conn.close()
    with connect(server.server) as sock:  # pipelined requests
        sock.sendall(GET * 2)
        assert recv_until(sock, 2 * len(OK_RESPONSE)) == OK_RESPONSE * 2
    assert (handler.connections, handler.requests) == (2, 5)


def test_raw_keep_alive_drops_every_kth_connection(raw_server: RawServerFactory) -> None:
    handler = KeepAlive(drop_every=2)
    server = raw_server(handler)
    with connect(server.server) as first, connect(server.server) as second:
        server.wait_for_accepted(2)
        for sock in (first, second, first):
            sock.sendall(GET)
            assert recv_until(sock, len(OK_RESPONSE)) == OK_RESPONSE
        assert second.recv(10) == b""
    assert (handler.connections, handler.requests, handler.dropped) == (2, 3, 1)


def test_raw_close_after_request(raw_server: RawServerFactory) -> None:
    conn = http_connection(raw_server(close_after_request).server)
    with pytest.raises(http.client.RemoteDisconnected):
        fetch(conn, "/", "POST", b"x" * 100_000)
    conn.close()


def test_raw_close_mid_body(raw_server: RawServerFactory) -> None:
    conn = http_connection(raw_server(CloseMidBody(declared=1000, sent=100)).server)
    with pytest.raises(http.client.IncompleteRead) as info:
        fetch(conn, "/")
    assert len(info.value.partial) == 100
    conn.close()


def test_raw_stall_after_request(raw_server: RawServerFactory) -> None:
    handler = StallAfterRequest()
    conn = http_connection(raw_server(handler).server, timeout=0.3)
    with pytest.raises(TimeoutError):
        fetch(conn, "/")
    assert handler.stalled.is_set()
    conn.close()


def test_raw_stall_mid_body(raw_server: RawServerFactory) -> None:
    conn = http_connection(raw_server(StallMidBody()).server, timeout=0.3)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.getheader("content-length") == "1000"
    with pytest.raises(TimeoutError):
        response.read()
    response.close()
    conn.close()


def test_raw_stop_ends_stalls_while_clients_stay_connected() -> None:
    handler = StallAfterRequest()
    server = RawServer(handler)
    with connect(server.start()) as sock:
        sock.sendall(GET)
        assert handler.stalled.wait(5)
        start = time.monotonic()
        server.stop(timeout=3)
        assert time.monotonic() - start < 1
        assert sock.recv(10) == b""


def test_raw_stop_reports_handler_errors() -> None:
    def broken(conn: socket.socket, index: int) -> None:
        raise ValueError("bug in a handler")

    server = RawServer(broken)
    with connect(server.start()) as sock:
        assert sock.recv(10) == b""
    with pytest.raises(RuntimeError, match="bug in a handler"):
        server.stop()


def test_raw_garbage_status_line(raw_server: RawServerFactory) -> None:
    conn = http_connection(raw_server(GarbageStatusLine()).server)
    with pytest.raises(http.client.BadStatusLine):
        fetch(conn, "/")
    conn.close()


def test_raw_oversized_headers(raw_server: RawServerFactory) -> None:
    conn = http_connection(raw_server(OversizedHeaders()).server)
    with pytest.raises(http.client.LineTooLong):
        fetch(conn, "/")
    conn.close()


def test_raw_conflicting_content_length(raw_server: RawServerFactory) -> None:
    handler = ConflictingContentLength()
    with connect(raw_server(handler).server) as sock:
        sock.sendall(GET)
        assert recv_until(sock, len(handler.payload)) == handler.payload
    assert b"Content-Length: 5\r\nContent-Length: 7" in handler.payload


def test_raw_http10_close_delimited(raw_server: RawServerFactory) -> None:
    body = pattern(50_000)
    conn = http_connection(raw_server(HTTP10CloseDelimited(body)).server)
    response, data = fetch(conn, "/")
    assert (response.version, response.getheader("content-length"), data) == (10, None, body)
    conn.close()


def test_raw_informational_responses(raw_server: RawServerFactory) -> None:
    server = raw_server(Informational())
    expected = b"HTTP/1.1 100 Continue\r\n\r\n" + EARLY_HINTS + OK_RESPONSE
    with connect(server.server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc")
        assert recv_until(sock, len(expected)) == expected
        # Expect: 100-continue gets its 100 before the body is sent.
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
        )
        assert recv_until(sock, 25) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"abc")
        assert recv_until(sock, len(EARLY_HINTS + OK_RESPONSE)) == EARLY_HINTS + OK_RESPONSE


def test_raw_one_then_idle_close(raw_server: RawServerFactory) -> None:
    handler = OneThenIdleClose(delay=0.05)
    with connect(raw_server(handler).server) as sock:
        sock.sendall(GET)
        assert recv_until(sock, len(OK_RESPONSE)) == OK_RESPONSE
        assert handler.closed.wait(5)
        assert sock.recv(10) == b""


def test_raw_one_then_idle_close_on_trigger(raw_server: RawServerFactory) -> None:
    trigger = threading.Event()
    handler = OneThenIdleClose(trigger=trigger)
    with connect(raw_server(handler).server) as sock:
        sock.sendall(GET)
        assert recv_until(sock, len(OK_RESPONSE)) == OK_RESPONSE
        assert not handler.closed.wait(0.1)
        trigger.set()
        assert handler.closed.wait(5)
        assert sock.recv(10) == b""


def test_raw_server_on_ipv6(raw_server: RawServerFactory) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = raw_server(KeepAlive(), host="::1")
    except OSError as exc:  # ::1 not configured on this machine
        pytest.skip(f"no ::1: {exc}")
    assert server.server.origin.startswith("http://[::1]:")
    assert http_get(server.server).endswith(OK_BODY)
