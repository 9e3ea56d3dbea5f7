"""The async pool against real peers on loopback (hypercorn, raw-socket servers).

``scripts/unasync.py`` generates the sync twin of this file in ``../_sync/``.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import ssl
import stat
import struct
import threading
import time
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any

import pytest

from httpcore_interfaces import (
    ConnectError,
    ConnectTimeout,
    LocalProtocolError,
    PoolTimeout,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
    WriteTimeout,
)
from httpcore_pool import AsyncConnectionPool
from httpcore_streams import AsyncIteratorByteStream, PlainByteStream
from tests.helpers._async.exchange import connection_states, fetch, one_shot, read_all
from tests.servers.base import Server
from tests.servers.raw import (
    OK_BODY,
    CloseMidBody,
    ConflictingContentLength,
    GarbageStatusLine,
    HTTP10CloseDelimited,
    Informational,
    KeepAlive,
    OneThenIdleClose,
    OversizedHeaders,
    RawServerFactory,
    RequestReader,
    StallAfterRequest,
    StallMidBody,
    close_after_request,
    response,
)

# -- HTTP/1.1 behaviour --------------------------------------------------------------------


@pytest.mark.anyio
async def test_get_reuses_one_keepalive_connection(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool() as pool:
        for _ in range(3):
            status, _, body, ext = await fetch(pool, hypercorn_http.url("/"))
            assert (status, body) == (200, b"Hello, world!")
            assert ext["http_version"] == "HTTP/1.1"
            assert isinstance(ext["reason"], str)
        assert await pool.get_connection_info() == {hypercorn_http.origin: ["HTTP/1.1, IDLE"]}


@pytest.mark.anyio
async def test_one_tcp_connection_serves_sequential_requests(raw_server: RawServerFactory) -> None:
    handler = KeepAlive()
    server = raw_server(handler)
    async with AsyncConnectionPool() as pool:
        for _ in range(3):
            await fetch(pool, server.url())
    assert (handler.connections, handler.requests) == (1, 3)


@pytest.mark.anyio
async def test_request_head_goes_out_as_given(raw_server: RawServerFactory) -> None:
    heads: list[tuple[bytes, bytes, list[tuple[bytes, bytes]]]] = []

    def capture(conn: socket.socket, index: int) -> None:
        request = RequestReader(conn).read_request()
        if request is not None:
            heads.append((request.method, request.target, request.headers))
            conn.sendall(response())

    server = raw_server(capture)
    headers = [(b"X-Second", b"2"), (b"x-MiXeD", b"Case"), (b"Host", b"example.org")]
    async with AsyncConnectionPool() as pool:
        await fetch(pool, server.url("/p?q=1"), headers=headers)
    assert heads == [(b"GET", b"/p?q=1", headers)]


@pytest.mark.anyio
async def test_host_header_is_added_when_missing(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool() as pool:
        _, _, body, _ = await fetch(pool, hypercorn_http.url("/headers"))
    assert json.loads(body) == [["Host", hypercorn_http.authority]]


@pytest.mark.anyio
async def test_response_headers_keep_the_server_casing(raw_server: RawServerFactory) -> None:
    canned = response(headers=[("X-CamelCase", "1"), ("x-lower", "2")], reason="Fine Thanks")
    server = raw_server(KeepAlive(response=canned))
    async with AsyncConnectionPool() as pool:
        status, headers, body, ext = await fetch(pool, server.url())
    assert headers[:2] == [(b"X-CamelCase", b"1"), (b"x-lower", b"2")]
    assert ext == {"http_version": "HTTP/1.1", "reason": "Fine Thanks"}
    assert (status, body) == (200, OK_BODY)


@pytest.mark.anyio
async def test_upload_with_content_length_and_chunked(hypercorn_http: Server) -> None:
    async def produce() -> AsyncIterator[bytes]:
        for part in (b"chunk-1,", b"", b"chunk-2"):
            yield part

    async with AsyncConnectionPool() as pool:
        _, _, body, _ = await fetch(
            pool,
            hypercorn_http.url("/echo"),
            b"POST",
            headers=[(b"Content-Length", b"5")],
            stream=PlainByteStream(b"hello"),
        )
        assert body == b"hello"
        _, _, body, _ = await fetch(
            pool,
            hypercorn_http.url("/echo"),
            b"PUT",
            headers=[(b"Transfer-Encoding", b"chunked")],
            stream=AsyncIteratorByteStream(produce()),
        )
        assert body == b"chunk-1,chunk-2"
        assert await connection_states(pool) == ["HTTP/1.1, IDLE"]


@pytest.mark.anyio
async def test_chunked_response_body(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool() as pool:
        _, headers, body, _ = await fetch(pool, hypercorn_http.url("/chunked?chunks=5&size=1000"))
    assert len(body) == 5000
    assert (b"transfer-encoding", b"chunked") in [(k.lower(), v) for k, v in headers]


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path"), [(b"HEAD", "/"), (b"GET", "/status/204")])
async def test_responses_without_a_body(hypercorn_http: Server, method: bytes, path: str) -> None:
    async with AsyncConnectionPool() as pool:
        status, _, body, _ = await fetch(pool, hypercorn_http.url(path), method)
        assert body == b""
        assert status in (200, 204)
        assert await connection_states(pool) == ["HTTP/1.1, IDLE"]


@pytest.mark.anyio
async def test_bodiless_response_closed_unread_keeps_its_connection(
    hypercorn_http: Server,
) -> None:
    async with AsyncConnectionPool() as pool:
        for method, path in ((b"HEAD", "/"), (b"GET", "/status/204")):
            _, _, stream, _ = await pool.arequest(method, hypercorn_http.url(path))
            await stream.aclose()
            assert await connection_states(pool) == ["HTTP/1.1, IDLE"]


@pytest.mark.anyio
async def test_not_modified_has_no_body(raw_server: RawServerFactory) -> None:
    head = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 120\r\n\r\n"
    server = raw_server(KeepAlive(response=head))
    async with AsyncConnectionPool() as pool:
        status, _, body, _ = await fetch(pool, server.url())
        assert (status, body) == (304, b"")
        assert await connection_states(pool) == ["HTTP/1.1, IDLE"]


@pytest.mark.anyio
async def test_connection_close_response_is_not_kept(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool() as pool:
        status, _, _, _ = await fetch(pool, hypercorn_http.url("/close"))
        assert status == 200
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_http10_response_read_until_close(raw_server: RawServerFactory) -> None:
    server = raw_server(HTTP10CloseDelimited(body=b"x" * 70_000))
    async with AsyncConnectionPool() as pool:
        status, _, body, ext = await fetch(pool, server.url())
        assert (status, len(body), ext["http_version"]) == (200, 70_000, "HTTP/1.0")
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_informational_responses_are_skipped(raw_server: RawServerFactory) -> None:
    server = raw_server(Informational())
    async with AsyncConnectionPool() as pool:
        for _ in range(2):
            status, _, body, _ = await fetch(pool, server.url())
            assert (status, body) == (200, OK_BODY)
        assert await connection_states(pool) == ["HTTP/1.1, IDLE"]


# -- transports: TLS, Unix sockets, source address ---------------------------------------


@pytest.mark.anyio
async def test_https_verifies_with_the_given_context(
    hypercorn_https: Server, client_ssl_context: ssl.SSLContext
) -> None:
    alpn_before = client_ssl_context.get_ca_certs()
    async with AsyncConnectionPool(ssl_context=client_ssl_context) as pool:
        status, _, body, ext = await fetch(pool, hypercorn_https.url("/"))
    assert (status, body, ext["http_version"]) == (200, b"Hello, world!", "HTTP/1.1")
    assert client_ssl_context.get_ca_certs() == alpn_before


@pytest.mark.anyio
async def test_default_context_refuses_an_unknown_certificate_authority(
    hypercorn_https: Server,
) -> None:
    async with AsyncConnectionPool() as pool:
        with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await pool.arequest(b"GET", hypercorn_https.url("/"))
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_hostname_is_checked(
    hypercorn_https: Server, client_ssl_context: ssl.SSLContext
) -> None:
    url = (b"https", b"not-the-host.example", hypercorn_https.port, b"/")
    async with AsyncConnectionPool(ssl_context=client_ssl_context, uds=None) as pool:
        with pytest.raises(ConnectError):
            await pool.arequest(b"GET", url)


@pytest.mark.anyio
async def test_unix_domain_socket(hypercorn_uds: Server) -> None:
    assert hypercorn_uds.uds is not None
    async with AsyncConnectionPool(uds=hypercorn_uds.uds) as pool:
        _, _, body, _ = await fetch(pool, (b"http", b"localhost", None, b"/headers"))
    assert json.loads(body) == [["Host", "localhost"]]


@pytest.mark.anyio
async def test_local_address_binds_the_source(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool(local_address="0.0.0.0") as pool:
        status, _, _, _ = await fetch(pool, hypercorn_http.url("/"))
    assert status == 200


@pytest.mark.anyio
async def test_refused_connection_keeps_the_reason() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    events: list[str] = []

    def trace(event: str, info: dict[str, Any]) -> None:
        events.append(event)

    async with AsyncConnectionPool(retries=2) as pool:
        with pytest.raises(ConnectError, match="Connection refused"):
            await pool.arequest(b"GET", (b"http", b"127.0.0.1", port, b"/"), ext={"trace": trace})
        assert await pool.get_connection_info() == {}
    assert events.count("connection.connect_tcp.failed") == 3


@pytest.mark.anyio
async def test_tls_handshake_timeout(raw_server: RawServerFactory) -> None:
    server = raw_server(StallAfterRequest())
    url = (b"https", b"127.0.0.1", server.server.port, b"/")
    async with AsyncConnectionPool() as pool:
        with pytest.raises(ConnectTimeout, match="TLS handshake timed out"):
            await pool.arequest(b"GET", url, ext={"timeout": {"connect": 0.2}})
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_tls_to_a_plain_http_server_fails_to_connect(raw_server: RawServerFactory) -> None:
    def answer_in_plain_text(conn: socket.socket, index: int) -> None:
        conn.sendall(response())
        time.sleep(0.5)

    server = raw_server(answer_in_plain_text)
    url = (b"https", b"127.0.0.1", server.server.port, b"/")
    async with AsyncConnectionPool() as pool:
        with pytest.raises(ConnectError, match="TLS handshake failed"):
            await pool.arequest(b"GET", url, ext={"timeout": {"connect": 5}})
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_missing_unix_socket(tmp_path: Path) -> None:
    async with AsyncConnectionPool(uds=str(tmp_path / "missing.sock")) as pool:
        with pytest.raises(ConnectError, match="No such file or directory"):
            await pool.arequest(b"GET", (b"http", b"localhost", None, b"/"))


@pytest.mark.anyio
async def test_ipv6_literal_host_and_local_address(raw_server: RawServerFactory) -> None:
    heads: list[bytes | None] = []

    def capture(conn: socket.socket, index: int) -> None:
        request = RequestReader(conn).read_request()
        if request is not None:
            heads.append(request.header("host"))
            conn.sendall(response())

    server = raw_server(capture, host="::1")
    async with AsyncConnectionPool(local_address="::") as pool:
        status, _, body, _ = await fetch(pool, (b"http", b"::1", server.server.port, b"/"))
    assert (status, body) == (200, OK_BODY)
    assert heads == [f"[::1]:{server.server.port}".encode()]


@pytest.mark.anyio
async def test_local_address_of_another_family_cannot_connect(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool(local_address="::") as pool:
        with pytest.raises(ConnectError, match="AF_INET6"):
            await pool.arequest(b"GET", hypercorn_http.url("/"))


# -- limits and timeouts ---------------------------------------------------------------


@pytest.mark.anyio
async def test_read_timeout_closes_the_connection(raw_server: RawServerFactory) -> None:
    server = raw_server(StallAfterRequest())
    async with AsyncConnectionPool() as pool:
        with pytest.raises(ReadTimeout):
            await pool.arequest(b"GET", server.url(), ext={"timeout": {"read": 0.2}})
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_read_timeout_in_the_body(raw_server: RawServerFactory) -> None:
    server = raw_server(StallMidBody())
    async with AsyncConnectionPool() as pool:
        _, _, stream, _ = await pool.arequest(b"GET", server.url(), ext={"timeout": {"read": 0.2}})
        with pytest.raises(ReadTimeout):
            await read_all(stream)
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_pool_timeout_then_the_slot_is_reused(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool(max_connections=1) as pool:
        _, _, held, _ = await pool.arequest(b"GET", hypercorn_http.url("/"))
        with pytest.raises(PoolTimeout):
            await pool.arequest(b"GET", hypercorn_http.url("/"), ext={"timeout": {"pool": 0.1}})
        await read_all(held)
        status, _, _, _ = await fetch(pool, hypercorn_http.url("/"), ext={"timeout": {"pool": 1}})
        assert status == 200
        assert await connection_states(pool) == ["HTTP/1.1, IDLE"]


@pytest.mark.anyio
async def test_keepalive_limit_counts_idle_connections(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool(max_keepalive_connections=1) as pool:
        streams = [(await pool.arequest(b"GET", hypercorn_http.url("/")))[2] for _ in range(3)]
        assert await connection_states(pool) == ["HTTP/1.1, ACTIVE"] * 3
        for stream in streams:
            await read_all(stream)
        assert await connection_states(pool) == ["HTTP/1.1, IDLE"]


@pytest.mark.anyio
async def test_deprecated_max_keepalive_warns_and_applies(hypercorn_http: Server) -> None:
    with pytest.warns(DeprecationWarning, match="max_keepalive_connections"):
        pool = AsyncConnectionPool(max_keepalive=0)
    async with pool:
        await fetch(pool, hypercorn_http.url("/"))
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_idle_connections_expire(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool(keepalive_expiry=0.0) as pool:
        await fetch(pool, hypercorn_http.url("/"))
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
@pytest.mark.parametrize("http2", [False, True], ids=["http11", "http2"])
@pytest.mark.parametrize("seconds", [float("inf"), 1e12], ids=["inf", "1e12"])
@pytest.mark.parametrize("key", ["connect", "read", "write", "pool"])
async def test_endless_timeouts_mean_no_limit(
    hypercorn_https: Server,
    client_ssl_context: ssl.SSLContext,
    key: str,
    seconds: float,
    http2: bool,
) -> None:
    """Longer than sockets and locks can wait (about 292 years) is no limit, not an
    OverflowError: callers write ``float("inf")`` for "never time out"."""
    async with AsyncConnectionPool(ssl_context=client_ssl_context, http2=http2) as pool:
        for _ in range(2):  # a new connection, then a reused one
            status, _, body, ext = await fetch(
                pool,
                hypercorn_https.url("/echo"),
                b"POST",
                headers=[(b"Content-Length", b"5")],
                stream=PlainByteStream(b"hello"),
                ext={"timeout": {key: seconds}},
            )
            assert (status, body) == (200, b"hello")
        assert ext["http_version"] == ("HTTP/2" if http2 else "HTTP/1.1")


@pytest.mark.anyio
@pytest.mark.parametrize("key", ["connect", "read", "write", "pool"])
async def test_nan_timeout_is_refused_before_sending(
    raw_server: RawServerFactory, key: str
) -> None:
    handler = KeepAlive()
    server = raw_server(handler)
    async with AsyncConnectionPool() as pool:
        await fetch(pool, server.url())  # an idle connection the request could take
        with pytest.raises(ValueError, match=rf'ext\["timeout"\]\["{key}"\] must not be NaN'):
            await pool.arequest(b"GET", server.url(), ext={"timeout": {key: float("nan")}})
        await fetch(pool, server.url())
    assert (handler.connections, handler.requests) == (1, 2)


@pytest.mark.anyio
@pytest.mark.parametrize("seconds", [None, float("inf")], ids=["none", "inf"])
async def test_idle_connections_without_expiry_stay(
    hypercorn_http: Server, seconds: float | None
) -> None:
    async with AsyncConnectionPool(keepalive_expiry=seconds) as pool:
        await fetch(pool, hypercorn_http.url("/"))
        assert await connection_states(pool) == ["HTTP/1.1, IDLE"]


@pytest.fixture
def low_fds_taken() -> Generator[None, None, None]:
    """Hold every file descriptor up to 1100, so the next socket gets a higher one: a
    process with that many files open is where select() fails ("out of range")."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2048
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    held = [os.open(os.devnull, os.O_RDONLY)]
    try:
        while held[-1] <= 1100:
            held.append(os.dup(held[0]))
        yield
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def socket_fd(local_address: tuple[str, int]) -> int:
    """The descriptor of this process's socket bound to ``local_address``."""
    for name in os.listdir("/dev/fd"):
        fd = int(name)
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            with socket.socket(fileno=os.dup(fd)) as sock:
                if sock.getsockname()[:2] == local_address[:2]:
                    return fd
        except OSError:
            continue
    raise LookupError(f"no socket bound to {local_address}")


@pytest.mark.anyio
@pytest.mark.usefixtures("low_fds_taken")
async def test_keepalive_reuse_on_a_descriptor_above_1024(raw_server: RawServerFactory) -> None:
    handler = KeepAlive()
    server = raw_server(handler)
    client_addrs = []

    def trace(event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            client_addrs.append(info["client_addr"])

    async with AsyncConnectionPool() as pool:
        for _ in range(3):
            status, _, body, _ = await fetch(pool, server.url(), ext={"trace": trace})
            assert (status, body) == (200, OK_BODY)
        assert len(client_addrs) == 1
        assert socket_fd(client_addrs[0]) > 1100
    assert (handler.connections, handler.requests) == (1, 3)


# -- connections the server closed -----------------------------------------------------


@pytest.mark.anyio
async def test_connection_closed_while_idle_is_not_reused(raw_server: RawServerFactory) -> None:
    handler = OneThenIdleClose()
    server = raw_server(handler)
    async with AsyncConnectionPool() as pool:
        await fetch(pool, server.url())
        assert handler.closed.wait(5)
        status, _, body, _ = await fetch(pool, server.url())
        assert (status, body) == (200, OK_BODY)
    assert server.accepted == 2


class AnswerOnceThenDropNextRequest:
    """Answers the first request, then reads the next one and closes without a response:
    the race where a server gives up on a kept-alive connection as a request arrives."""

    def __call__(self, conn: socket.socket, index: int) -> None:
        reader = RequestReader(conn)
        if index == 0 and reader.read_request() is not None:
            conn.sendall(response())
            reader.read_request()
            return
        KeepAlive()(conn, index)


@pytest.mark.anyio
async def test_idempotent_request_is_retried_once_on_a_new_connection(
    raw_server: RawServerFactory,
) -> None:
    server = raw_server(AnswerOnceThenDropNextRequest())
    async with AsyncConnectionPool() as pool:
        await fetch(pool, server.url())
        status, _, body, _ = await fetch(pool, server.url())
        assert (status, body) == (200, OK_BODY)


class RecordBodiesAfterADrop(AnswerOnceThenDropNextRequest):
    """As above; later connections answer every request and keep its body."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, conn: socket.socket, index: int) -> None:
        if index == 0:
            super().__call__(conn, index)
            return
        reader = RequestReader(conn, keep_body=4 << 20)
        while (request := reader.read_request()) is not None:
            self.bodies.append(request.body)
            conn.sendall(response())


@pytest.mark.anyio
async def test_a_one_shot_body_goes_again_only_if_it_went_out_whole_and_was_kept(
    raw_server: RawServerFactory,
) -> None:
    # A small one-shot body is kept as it goes out: the retry sends it whole. A large
    # one is not kept: the request fails rather than go again with a spent body.
    small, large = b"s" * 100_000, b"L" * (2 << 20)
    for body, retried in ((small, True), (large, False)):
        handler = RecordBodiesAfterADrop()
        server = raw_server(handler)
        async with AsyncConnectionPool() as pool:
            await fetch(pool, server.url())
            headers = [(b"Content-Length", str(len(body)).encode())]
            if retried:
                answer = await pool.arequest(
                    b"PUT", server.url(), headers=headers, stream=one_shot(body)
                )
                assert (answer[0], await read_all(answer[2])) == (200, OK_BODY)
                assert handler.bodies == [body]
            else:
                with pytest.raises(RemoteProtocolError, match="without sending a response"):
                    await pool.arequest(
                        b"PUT", server.url(), headers=headers, stream=one_shot(body)
                    )
                assert handler.bodies == []


@pytest.mark.anyio
async def test_non_idempotent_request_is_not_retried(raw_server: RawServerFactory) -> None:
    server = raw_server(AnswerOnceThenDropNextRequest())
    async with AsyncConnectionPool() as pool:
        await fetch(pool, server.url())
        with pytest.raises(RemoteProtocolError, match="without sending a response"):
            await pool.arequest(b"POST", server.url(), headers=[(b"Content-Length", b"0")])
        assert await pool.get_connection_info() == {}


# -- faults on the wire ----------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (close_after_request, "without sending a response"),
        (GarbageStatusLine(), None),
        (OversizedHeaders(), None),
        (ConflictingContentLength(), None),
    ],
    ids=["close-before-response", "garbage-status", "oversized-headers", "conflicting-length"],
)
async def test_broken_response_head(
    raw_server: RawServerFactory, handler: Any, message: str | None
) -> None:
    server = raw_server(handler)
    async with AsyncConnectionPool() as pool:
        with pytest.raises(RemoteProtocolError, match=message):
            await pool.arequest(b"GET", server.url(), ext={"timeout": {"read": 5}})
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_close_mid_body(raw_server: RawServerFactory) -> None:
    server = raw_server(CloseMidBody())
    async with AsyncConnectionPool() as pool:
        _, _, stream, _ = await pool.arequest(b"GET", server.url())
        with pytest.raises(RemoteProtocolError):
            await read_all(stream)
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_early_close_of_a_response_closes_its_connection(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool() as pool:
        _, _, stream, _ = await pool.arequest(b"GET", hypercorn_http.url("/bytes?size=200000"))
        async for _chunk in stream:
            break
        await stream.aclose()
        await stream.aclose()
        assert await pool.get_connection_info() == {}
        status, _, _, _ = await fetch(pool, hypercorn_http.url("/"))
        assert status == 200


def reset_after_request(conn: socket.socket, index: int) -> None:
    """Read the request, then abort the connection (RST instead of FIN)."""
    RequestReader(conn).read_request()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def never_read(conn: socket.socket, index: int) -> None:
    """Read nothing for a second, so the client's writes fill the buffers and block."""
    time.sleep(1.0)


async def large_upload() -> AsyncIterator[bytes]:
    chunk = b"x" * 65536
    for _ in range(800):
        yield chunk


@pytest.mark.anyio
async def test_connection_reset_is_a_read_error(raw_server: RawServerFactory) -> None:
    server = raw_server(reset_after_request)
    async with AsyncConnectionPool() as pool:
        with pytest.raises(ReadError, match="Connection reset by peer"):
            await pool.arequest(b"GET", server.url())
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_write_timeout_closes_the_connection(raw_server: RawServerFactory) -> None:
    server = raw_server(never_read)
    async with AsyncConnectionPool() as pool:
        with pytest.raises(WriteTimeout):
            await pool.arequest(
                b"POST",
                server.url(),
                headers=[(b"Content-Length", str(800 * 65536).encode())],
                stream=AsyncIteratorByteStream(large_upload()),
                ext={"timeout": {"write": 0.2}},
            )
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_server_gone_during_upload_is_a_network_error(raw_server: RawServerFactory) -> None:
    server = raw_server(reset_after_request)
    async with AsyncConnectionPool() as pool:
        with pytest.raises((WriteError, ReadError)):
            await pool.arequest(
                b"POST",
                server.url(),
                headers=[(b"Content-Length", str(800 * 65536).encode())],
                stream=AsyncIteratorByteStream(large_upload()),
            )
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_body_longer_than_its_content_length_is_refused(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool() as pool:
        with pytest.raises(LocalProtocolError, match="Content-Length"):
            await pool.arequest(
                b"POST",
                hypercorn_http.url("/echo"),
                headers=[(b"Content-Length", b"2")],
                stream=PlainByteStream(b"too long"),
            )
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_conflicting_framing_headers_send_nothing(raw_server: RawServerFactory) -> None:
    server = raw_server(KeepAlive())
    headers = [(b"Content-Length", b"2"), (b"Content-Length", b"3")]
    async with AsyncConnectionPool() as pool:
        with pytest.raises(LocalProtocolError):
            await pool.arequest(b"POST", server.url(), headers=headers)
        assert await pool.get_connection_info() == {}


# -- input checks and lifecycle ------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    "headers",
    [[(b"X-Evil", b"a\r\nInjected: yes")], [(b"X-Evil\r\n", b"a")], [(b"X", b"\x00")]],
)
async def test_header_injection_sends_nothing(
    raw_server: RawServerFactory, headers: list[tuple[bytes, bytes]]
) -> None:
    server = raw_server(KeepAlive())
    async with AsyncConnectionPool() as pool:
        with pytest.raises(LocalProtocolError):
            await pool.arequest(b"GET", server.url(), headers=headers)
        with pytest.raises(LocalProtocolError):
            await pool.arequest(b"GET\r\n", server.url())
    assert server.accepted == 0


@pytest.mark.anyio
async def test_body_chunks_must_be_bytes(hypercorn_http: Server) -> None:
    async def produce() -> AsyncIterator[Any]:
        yield "text"

    async with AsyncConnectionPool() as pool:
        with pytest.raises(TypeError, match="request body chunks must be bytes, not str"):
            await pool.arequest(
                b"POST",
                hypercorn_http.url("/echo"),
                headers=[(b"Content-Length", b"4")],
                stream=AsyncIteratorByteStream(produce()),
            )
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_close_closes_every_connection_and_later_requests_fail(
    hypercorn_http: Server,
) -> None:
    pool = AsyncConnectionPool()
    await fetch(pool, hypercorn_http.url("/"))
    _, _, active, _ = await pool.arequest(b"GET", hypercorn_http.url("/"))
    await pool.aclose()
    await pool.aclose()
    assert await pool.get_connection_info() == {}
    await active.aclose()
    with pytest.raises(LocalProtocolError, match="closed"):
        await pool.arequest(b"GET", hypercorn_http.url("/"))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_connections": 0}, ValueError, "max_connections must be at least 1, got 0"),
        ({"max_connections": "10"}, TypeError, "max_connections must be an int or None"),
        ({"max_keepalive_connections": -1}, ValueError, "max_keepalive_connections"),
        ({"keepalive_expiry": "5"}, TypeError, "keepalive_expiry must be a number"),
        ({"keepalive_expiry": -1}, ValueError, "keepalive_expiry must not be negative"),
        ({"keepalive_expiry": float("nan")}, ValueError, "keepalive_expiry must not be NaN"),
        ({"retries": -1}, ValueError, "retries must not be negative"),
        ({"retries": 1.5}, TypeError, "retries must be an int"),
        ({"uds": b"/tmp/x"}, TypeError, "uds must be a str or None"),
        ({"local_address": 0}, TypeError, "local_address must be a str or None"),
        ({"ssl_context": "insecure"}, TypeError, "ssl_context must be an ssl.SSLContext"),
        ({"backend": "gevent"}, ValueError, "Unknown backend 'gevent'"),
        ({"backend": None}, TypeError, "backend must be a str"),
    ],
)
def test_bad_pool_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        AsyncConnectionPool(**kwargs)


@pytest.mark.anyio
async def test_trace_reports_each_step(
    hypercorn_https: Server, client_ssl_context: ssl.SSLContext
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()

    def trace(event: str, info: dict[str, Any]) -> None:
        with lock:
            events.append((event, info))

    async with AsyncConnectionPool(ssl_context=client_ssl_context) as pool:
        await fetch(pool, hypercorn_https.url("/"), ext={"trace": trace})
    names = [name for name, _ in events]
    assert names == [
        "connection.connect_tcp.started",
        "connection.connect_tcp.complete",
        "connection.start_tls.started",
        "connection.start_tls.complete",
        "http11.send_request_headers.started",
        "http11.send_request_headers.complete",
        "http11.send_request_body.started",
        "http11.send_request_body.complete",
        "http11.receive_response_headers.started",
        "http11.receive_response_headers.complete",
        "http11.receive_response_body.started",
        "http11.receive_response_body.complete",
        "http11.response_closed.started",
        "http11.response_closed.complete",
    ]
    connected = dict(events)["connection.connect_tcp.complete"]
    assert connected["server_addr"][:2] == ("127.0.0.1", hypercorn_https.port)
    tls = dict(events)["connection.start_tls.complete"]
    assert "closed_early" not in dict(events)["http11.receive_response_body.complete"]
    assert tls["tls_version"].startswith("TLS")
    assert tls["elapsed"] >= 0
    assert dict(events)["http11.receive_response_headers.complete"]["status_code"] == 200


@pytest.mark.anyio
async def test_trace_reports_early_close_and_connection_close(hypercorn_http: Server) -> None:
    events: list[tuple[str, dict[str, Any]]] = []

    def trace(event: str, info: dict[str, Any]) -> None:
        events.append((event, info))

    async with AsyncConnectionPool() as pool:
        _, _, stream, _ = await pool.arequest(
            b"GET", hypercorn_http.url("/bytes?size=300000"), ext={"trace": trace}
        )
        async for _chunk in stream:
            break
        await stream.aclose()
    assert [name for name, _ in events][-5:] == [
        "http11.receive_response_body.complete",
        "http11.response_closed.started",
        "http11.close.started",
        "http11.close.complete",
        "http11.response_closed.complete",
    ]
    assert dict(events)["http11.receive_response_body.complete"]["closed_early"] is True
