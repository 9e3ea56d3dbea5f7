"""The async proxy pool against pproxy (a real proxy), our scripted proxy that
misbehaves on purpose, and real targets (hypercorn, plain and TLS).

``scripts/unasync.py`` generates the sync twin of this file in ``../_sync/``.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time
from typing import Any

import pytest

from httpcore_interfaces import (
    ConnectError,
    ConnectTimeout,
    LocalProtocolError,
    PoolTimeout,
    ProxyError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
)
from httpcore_proxy import AsyncHTTPProxy
from httpcore_streams import PlainByteStream
from tests.helpers._async.exchange import connection_states, fetch, one_shot, read_all
from tests.servers.base import Server, free_port
from tests.servers.fixtures import HypercornFactory
from tests.servers.h2server import H2Behaviour, H2ServerFactory
from tests.servers.proxies import CONNECT_OK, ScriptedProxy
from tests.servers.raw import (
    KeepAlive,
    RawServerFactory,
    RequestReader,
    StallAfterRequest,
    response,
    wait_for_client_close,
)
from tests.servers.tls import TLSMaterial

HELLO = b"Hello, world!"


# -- forwarding ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_forwarding_through_pproxy_reuses_the_connection(
    pproxy_http: Server, hypercorn_http: Server
) -> None:
    async with AsyncHTTPProxy(proxy_url=pproxy_http.url()) as proxy:
        for _ in range(3):
            status, _, body, ext = await fetch(proxy, hypercorn_http.url("/"))
            assert (status, body, ext["http_version"]) == (200, HELLO, "HTTP/1.1")
        status, _, body, _ = await fetch(
            proxy,
            hypercorn_http.url("/echo"),
            b"POST",
            headers=[(b"Content-Length", b"5")],
            stream=PlainByteStream(b"hello"),
        )
        assert (status, body) == (200, b"hello")
        assert await proxy.get_connection_info() == {hypercorn_http.origin: ["HTTP/1.1, IDLE"]}


@pytest.mark.anyio
async def test_each_target_gets_its_own_forwarding_connection(
    pproxy_http: Server, hypercorn_http: Server, raw_server: RawServerFactory
) -> None:
    # pproxy sends every request of a connection to the target of its first request:
    # one connection shared between targets would answer from the wrong server.
    other = raw_server(KeepAlive(response(body=b"other")))
    async with AsyncHTTPProxy(proxy_url=pproxy_http.url()) as proxy:
        for _ in range(2):
            assert (await fetch(proxy, hypercorn_http.url("/")))[2] == HELLO
            assert (await fetch(proxy, other.url("/")))[2] == b"other"
        assert sorted(await proxy.get_connection_info()) == sorted(
            [hypercorn_http.origin, other.server.origin]
        )


@pytest.mark.anyio
async def test_forwarded_request_line_and_merged_headers(raw_server: RawServerFactory) -> None:
    scripted = ScriptedProxy()
    proxy_server = raw_server(scripted)
    proxy_headers = [(b"Proxy-Authorization", b"Basic dTpw"), (b"X-Shared", b"proxy")]
    async with AsyncHTTPProxy(proxy_url=proxy_server.url(), proxy_headers=proxy_headers) as proxy:
        await fetch(
            proxy, (b"http", b"example.org", 8080, b"/path?q=1"), headers=[(b"x-shared", b"mine")]
        )
        await fetch(proxy, (b"http", b"example.org", None, b"/"))
    first, second = scripted.requests
    assert (first.method, first.target) == (b"GET", b"http://example.org:8080/path?q=1")
    assert first.headers == [
        (b"Host", b"example.org:8080"),
        (b"Proxy-Authorization", b"Basic dTpw"),
        (b"x-shared", b"mine"),
    ]
    assert second.target == b"http://example.org/"
    assert second.header("host") == b"example.org"


@pytest.mark.anyio
async def test_forward_only_sends_https_targets_as_absolute_urls(
    raw_server: RawServerFactory,
) -> None:
    scripted = ScriptedProxy()
    proxy_server = raw_server(scripted)
    async with AsyncHTTPProxy(proxy_url=proxy_server.url(), proxy_mode="FORWARD_ONLY") as proxy:
        assert (await fetch(proxy, (b"https", b"example.org", None, b"/x")))[0] == 200
    (request,) = scripted.requests
    assert (request.method, request.target) == (b"GET", b"https://example.org/x")


@pytest.mark.anyio
async def test_https_proxy_forwards_http(
    pproxy_https: Server, hypercorn_http: Server, client_ssl_context: ssl.SSLContext
) -> None:
    async with AsyncHTTPProxy(
        proxy_url=pproxy_https.url(), ssl_context=client_ssl_context
    ) as proxy:
        assert (await fetch(proxy, hypercorn_http.url("/")))[2] == HELLO


# -- tunnelling ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_tunnel_to_an_https_target_is_kept_alive(
    pproxy_http: Server, hypercorn_https: Server, client_ssl_context: ssl.SSLContext
) -> None:
    async with AsyncHTTPProxy(proxy_url=pproxy_http.url(), ssl_context=client_ssl_context) as proxy:
        for _ in range(3):
            status, _, body, ext = await fetch(proxy, hypercorn_https.url("/"))
            assert (status, body, ext["http_version"]) == (200, HELLO, "HTTP/1.1")
        assert await proxy.get_connection_info() == {hypercorn_https.origin: ["HTTP/1.1, IDLE"]}


@pytest.mark.anyio
async def test_http2_inside_the_tunnel(
    pproxy_http: Server, hypercorn_https: Server, h2_context: ssl.SSLContext
) -> None:
    async with AsyncHTTPProxy(
        proxy_url=pproxy_http.url(), ssl_context=h2_context, http2=True
    ) as proxy:
        for _ in range(3):
            status, _, body, ext = await fetch(proxy, hypercorn_https.url("/http-version"))
            assert (status, body, ext) == (200, b"2", {"http_version": "HTTP/2"})
        assert await connection_states(proxy) == ["HTTP/2, IDLE, 0 streams"]


@pytest.mark.anyio
async def test_a_refused_request_in_the_tunnel_goes_again_with_its_whole_body(
    pproxy_http: Server, h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # Through the proxy as directly: a one-shot body that went out whole was kept and goes
    # again whole after the refusal; a large one fails instead of going again spent.
    small, large = b"s" * 50_000, b"L" * (2 << 20)
    for body in (small, large):
        target = h2_server(H2Behaviour(refuse_once_paths={"/echo"}))
        async with AsyncHTTPProxy(
            proxy_url=pproxy_http.url(), ssl_context=h2_context, http2=True
        ) as proxy:
            stream = one_shot(body)
            if body is small:
                status, _, echoed, ext = await fetch(
                    proxy, target.url("/echo"), method=b"POST", stream=stream
                )
                assert (status, echoed, ext["http_version"]) == (200, small, "HTTP/2")
            else:
                with pytest.raises(RemoteProtocolError, match="refused"):
                    await fetch(proxy, target.url("/echo"), method=b"POST", stream=stream)
        assert [r.body_length for r in target.requests] == [len(body)] * (1 + (body is small))


@pytest.mark.anyio
@pytest.mark.parametrize("http2", [False, True])
async def test_https_proxy_with_tls_inside_tls(
    pproxy_https: Server, hypercorn_https: Server, client_ssl_context: ssl.SSLContext, http2: bool
) -> None:
    async with AsyncHTTPProxy(
        proxy_url=pproxy_https.url(), ssl_context=client_ssl_context, http2=http2
    ) as proxy:
        for _ in range(2):
            status, _, body, ext = await fetch(proxy, hypercorn_https.url("/bytes?size=200000"))
            assert (status, len(body)) == (200, 200_000)
            assert ext["http_version"] == ("HTTP/2" if http2 else "HTTP/1.1")
        assert len(await connection_states(proxy)) == 1


@pytest.mark.anyio
async def test_tls_to_the_target_fails_cleanly_inside_an_https_proxy(
    pproxy_https: Server, raw_server: RawServerFactory, client_ssl_context: ssl.SSLContext
) -> None:
    def answer_in_plain_http(conn: socket.socket, index: int) -> None:
        conn.recv(65536)  # the TLS ClientHello: answering before it would be stray bytes
        conn.sendall(response())
        wait_for_client_close(conn)

    plain = raw_server(answer_in_plain_http)
    silent = raw_server(lambda conn, index: wait_for_client_close(conn))
    async with AsyncHTTPProxy(
        proxy_url=pproxy_https.url(), ssl_context=client_ssl_context, max_connections=1
    ) as proxy:
        with pytest.raises(ConnectError, match="TLS handshake failed"):
            await fetch(proxy, (b"https", b"127.0.0.1", plain.server.port, b"/"))
        timeouts = {"timeout": {"connect": 0.3, "pool": 1.0}}
        with pytest.raises(ConnectTimeout, match="TLS handshake timed out"):
            await fetch(proxy, (b"https", b"127.0.0.1", silent.server.port, b"/"), ext=timeouts)
        assert await proxy.get_connection_info() == {}


@pytest.mark.anyio
async def test_idle_tunnel_closed_by_the_target_is_not_reused(
    pproxy_https: Server, hypercorn_server: HypercornFactory, client_ssl_context: ssl.SSLContext
) -> None:
    target = hypercorn_server(tls=True, config={"keep_alive_timeout": 0.2})
    async with AsyncHTTPProxy(
        proxy_url=pproxy_https.url(), ssl_context=client_ssl_context
    ) as proxy:
        assert (await fetch(proxy, target.url("/")))[2] == HELLO
        # Blocking is fine: nothing else runs on this loop. hypercorn closes the idle
        # connection, and pproxy passes that on.
        time.sleep(0.6)  # noqa: ASYNC251
        assert (await fetch(proxy, target.url("/")))[2] == HELLO


@pytest.mark.anyio
async def test_tunnel_only_tunnels_plain_http(
    pproxy_http: Server, hypercorn_http: Server, raw_server: RawServerFactory
) -> None:
    async with AsyncHTTPProxy(proxy_url=pproxy_http.url(), proxy_mode="TUNNEL_ONLY") as proxy:
        assert (await fetch(proxy, hypercorn_http.url("/")))[2] == HELLO
    scripted = ScriptedProxy()
    async with AsyncHTTPProxy(
        proxy_url=raw_server(scripted).url(), proxy_mode="TUNNEL_ONLY"
    ) as proxy:
        with pytest.raises(ReadTimeout):  # the scripted proxy's tunnel leads nowhere
            await fetch(proxy, (b"http", b"example.org", None, b"/"), ext=_timeouts(read=0.5))
    assert [(r.method, r.target) for r in scripted.requests] == [(b"CONNECT", b"example.org:80")]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("host", "authority"),
    [(b"example.org", b"example.org:443"), (b"::1", b"[::1]:443")],
)
async def test_connect_request_carries_the_proxy_headers(
    raw_server: RawServerFactory, host: bytes, authority: bytes
) -> None:
    refusal = response(
        407,
        b"",
        headers=[("Proxy-Authenticate", 'Basic realm="test"')],
        reason="Proxy Authentication Required",
    )
    scripted = ScriptedProxy(connect_answer=refusal)
    proxy_headers = [(b"Proxy-Authorization", b"Basic dTpw")]
    async with AsyncHTTPProxy(
        proxy_url=raw_server(scripted).url(), proxy_headers=proxy_headers
    ) as proxy:
        with pytest.raises(ProxyError, match="407 Proxy Authentication Required"):
            await fetch(proxy, (b"https", host, None, b"/"))
        assert await proxy.get_connection_info() == {}
    (request,) = scripted.requests
    assert (request.method, request.target) == (b"CONNECT", authority)
    assert request.headers == [(b"Host", authority), (b"Proxy-Authorization", b"Basic dTpw")]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "closed the connection before answering CONNECT"),
        (b"SOCKS5 PLEASE\r\n\r\n", "invalid answer to CONNECT"),
        (response(502, b"no route", reason="Bad Gateway"), "502 Bad Gateway"),
        (CONNECT_OK + b"\x16\x03\x01 early bytes", "unexpected bytes after its answer"),
    ],
    ids=["close", "garbage", "502", "stray-bytes"],
)
async def test_failed_tunnel_setup_is_a_proxy_error_and_frees_the_slot(
    raw_server: RawServerFactory, answer: bytes | None, message: str
) -> None:
    scripted = ScriptedProxy(connect_answer=answer)
    async with AsyncHTTPProxy(proxy_url=raw_server(scripted).url(), max_connections=1) as proxy:
        with pytest.raises(ProxyError, match=message):
            await fetch(proxy, (b"https", b"example.org", None, b"/"))
        assert await proxy.get_connection_info() == {}
        # The only slot is free again: a forwarded request gets it at once.
        status, *_ = await fetch(proxy, (b"http", b"example.org", None, b"/"), ext=_timeouts(0))
        assert status == 200


@pytest.mark.anyio
async def test_stalled_connect_is_a_proxy_error_caused_by_the_timeout(
    raw_server: RawServerFactory,
) -> None:
    stall = StallAfterRequest()
    async with AsyncHTTPProxy(proxy_url=raw_server(stall).url()) as proxy:
        with pytest.raises(ProxyError, match="did not answer CONNECT in time") as info:
            await fetch(proxy, (b"https", b"example.org", None, b"/"), ext=_timeouts(read=0.2))
        assert isinstance(info.value.__cause__, ReadTimeout)
        assert await proxy.get_connection_info() == {}
    stall.release()


def reset_after_connect(conn: socket.socket, index: int) -> None:
    """Read the CONNECT request, then abort the connection (RST instead of an answer)."""
    RequestReader(conn).read_request()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.mark.anyio
async def test_connect_reset_by_the_proxy_is_a_proxy_error_caused_by_the_read(
    raw_server: RawServerFactory,
) -> None:
    async with AsyncHTTPProxy(proxy_url=raw_server(reset_after_connect).url()) as proxy:
        with pytest.raises(ProxyError, match="connection failed during CONNECT") as info:
            await fetch(proxy, (b"https", b"example.org", None, b"/"))
        assert isinstance(info.value.__cause__, ReadError)
        assert await proxy.get_connection_info() == {}


@pytest.mark.anyio
async def test_target_certificate_is_verified_inside_the_tunnel(
    pproxy_http: Server, hypercorn_https: Server
) -> None:
    # The default context trusts certifi's CAs, not the test CA that signed hypercorn's.
    async with AsyncHTTPProxy(proxy_url=pproxy_http.url()) as proxy:
        with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await fetch(proxy, hypercorn_https.url("/"))
        assert await proxy.get_connection_info() == {}


@pytest.mark.anyio
async def test_unreachable_proxy_is_a_connect_error(hypercorn_http: Server) -> None:
    proxy_url = (b"http", b"127.0.0.1", free_port(), b"/")
    async with AsyncHTTPProxy(proxy_url=proxy_url, max_connections=1) as proxy:
        for url in (hypercorn_http.url("/"), (b"https", b"example.org", None, b"/")):
            with pytest.raises(ConnectError, match="Connection refused"):
                await fetch(proxy, url)
        assert await proxy.get_connection_info() == {}


@pytest.mark.anyio
async def test_retries_apply_to_the_connection_to_the_proxy() -> None:
    proxy_url = (b"http", b"127.0.0.1", free_port(), b"/")
    attempts: list[str] = []

    def trace(event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.started":
            attempts.append(event)

    async with AsyncHTTPProxy(proxy_url=proxy_url, retries=2) as proxy:
        with pytest.raises(ConnectError, match="Connection refused"):
            await fetch(proxy, (b"https", b"example.org", None, b"/"), ext={"trace": trace})
    assert len(attempts) == 3


@pytest.mark.anyio
async def test_tls_handshake_with_a_silent_https_proxy_times_out(
    raw_server: RawServerFactory, client_ssl_context: ssl.SSLContext
) -> None:
    silent = raw_server(lambda conn, index: wait_for_client_close(conn))
    proxy_url = (b"https", b"127.0.0.1", silent.server.port, b"/")
    async with AsyncHTTPProxy(proxy_url=proxy_url, ssl_context=client_ssl_context) as proxy:
        timeouts = {"timeout": {"connect": 0.2}}
        with pytest.raises(ConnectTimeout):
            await fetch(proxy, (b"http", b"example.org", None, b"/"), ext=timeouts)
        assert await proxy.get_connection_info() == {}


@pytest.mark.anyio
async def test_a_proxy_choosing_http2_is_refused_unless_it_has_its_own_context(
    hypercorn_https: Server, client_ssl_context: ssl.SSLContext, tls_material: TLSMaterial
) -> None:
    # hypercorn is no proxy, but it picks h2 by ALPN as an HTTP/2-speaking proxy would;
    # http2=True makes the caller's context offer h2, to the proxy too.
    target = (b"http", b"example.org", None, b"/")
    async with AsyncHTTPProxy(
        proxy_url=hypercorn_https.url(), ssl_context=client_ssl_context, http2=True
    ) as proxy:
        with pytest.raises(ProxyError, match="give proxy_ssl_context="):
            await fetch(proxy, target)
        assert await proxy.get_connection_info() == {}
    async with AsyncHTTPProxy(
        proxy_url=hypercorn_https.url(),
        ssl_context=client_ssl_context,
        http2=True,
        proxy_ssl_context=tls_material.client_context(alpn=["http/1.1"]),
    ) as proxy:
        status, _, _, ext = await fetch(proxy, target)  # hypercorn knows no example.org
        assert (status, ext["http_version"]) == (404, "HTTP/1.1")


@pytest.mark.anyio
async def test_a_host_among_proxy_headers_is_for_connect_only(
    raw_server: RawServerFactory,
) -> None:
    scripted = ScriptedProxy(connect_answer=None)
    proxy_headers = [(b"Host", b"proxy.internal:3128")]
    async with AsyncHTTPProxy(
        proxy_url=raw_server(scripted).url(), proxy_headers=proxy_headers
    ) as proxy:
        await fetch(proxy, (b"http", b"example.org", None, b"/x"))
        with pytest.raises(ProxyError):
            await fetch(proxy, (b"https", b"example.org", None, b"/"))
    forwarded, connect = scripted.requests
    assert forwarded.headers[0] == (b"Host", b"example.org")
    assert [value for name, value in forwarded.headers if name.lower() == b"host"] == [
        b"example.org"
    ]
    assert connect.headers == [(b"Host", b"proxy.internal:3128")]


@pytest.mark.anyio
async def test_a_connect_target_h11_refuses_is_a_local_protocol_error(
    raw_server: RawServerFactory,
) -> None:
    scripted = ScriptedProxy()
    async with AsyncHTTPProxy(proxy_url=raw_server(scripted).url(), max_connections=1) as proxy:
        with pytest.raises(LocalProtocolError, match="Cannot ask for a tunnel"):
            await fetch(proxy, (b"https", b"exa\tmple.org", None, b"/"))
        assert await proxy.get_connection_info() == {}
    assert scripted.requests == []  # nothing went out


# -- the pool's promises, through the proxy ----------------------------------------------


@pytest.mark.anyio
async def test_pool_limit_holds_through_the_proxy(
    pproxy_http: Server, hypercorn_http: Server
) -> None:
    async with AsyncHTTPProxy(proxy_url=pproxy_http.url(), max_connections=1) as proxy:
        _, _, stream, _ = await proxy.arequest(b"GET", hypercorn_http.url("/"))
        with pytest.raises(PoolTimeout):
            await fetch(proxy, hypercorn_http.url("/"), ext=_timeouts(0.1))
        assert await read_all(stream) == HELLO
        assert (await fetch(proxy, hypercorn_http.url("/"), ext=_timeouts(0.1)))[2] == HELLO


@pytest.mark.anyio
async def test_trace_reports_the_tunnel(
    pproxy_http: Server, hypercorn_https: Server, client_ssl_context: ssl.SSLContext
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    async with AsyncHTTPProxy(proxy_url=pproxy_http.url(), ssl_context=client_ssl_context) as proxy:
        ext = {"trace": lambda name, info: events.append((name, info))}
        await fetch(proxy, hypercorn_https.url("/"), ext=ext)
    names = [name for name, _ in events]
    assert names.index("connection.connect_tcp.complete") < names.index("proxy.connect.complete")
    assert names.index("proxy.connect.complete") < names.index("connection.start_tls.complete")
    info = dict(events)["proxy.connect.complete"]
    assert (info["target"], info["status"]) == (hypercorn_https.authority, 200)


def _timeouts(pool: float | None = None, *, read: float | None = None) -> dict[str, Any]:
    return {"timeout": {"pool": pool, "read": read, "connect": 5.0, "write": 5.0}}
