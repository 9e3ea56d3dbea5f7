"""Through a proxy, the pool's promises under concurrency: cancellation at the tunnel
set-up leaves it consistent, concurrent requests share one HTTP/2 connection inside a
tunnel, and threads share the sync proxy pool (TLS inside TLS included), leaking nothing.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections import Counter

import anyio
import pytest

from httpcore_proxy import AsyncHTTPProxy, SyncHTTPProxy
from tests.servers.base import Server, client_sockets_to
from tests.servers.proxies import ScriptedProxy
from tests.servers.raw import RawServerFactory

TARGET = (b"https", b"example.org", None, b"/")
FORWARDED = (b"http", b"example.org", None, b"/")


async def assert_recovers(proxy: AsyncHTTPProxy) -> None:
    """No connection left behind, and the only slot is free for a forwarded request."""
    assert await proxy.get_connection_info() == {}
    with anyio.fail_after(5):
        status, _, stream, _ = await proxy.arequest(b"GET", FORWARDED, ext={"timeout": {"pool": 0}})
        await stream.aclose()
    assert status == 200


@pytest.mark.anyio
async def test_cancel_while_waiting_for_the_connect_answer(raw_server: RawServerFactory) -> None:
    silent = ScriptedProxy(connect_answer=b"")  # answers CONNECT with nothing, ever
    proxy_server = raw_server(silent)
    async with AsyncHTTPProxy(proxy_url=proxy_server.url(), max_connections=1) as proxy:
        with anyio.move_on_after(0.2):
            await proxy.arequest(b"GET", TARGET)
            pytest.fail("the request was not cancelled")
        await assert_recovers(proxy)
    assert client_sockets_to(proxy_server.server.port) == 0


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_asyncio_task_cancel_during_the_tunnel_set_up(raw_server: RawServerFactory) -> None:
    silent = ScriptedProxy(connect_answer=b"")
    proxy_server = raw_server(silent)
    async with AsyncHTTPProxy(proxy_url=proxy_server.url(), max_connections=1) as proxy:
        task = asyncio.ensure_future(proxy.arequest(b"GET", TARGET))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await assert_recovers(proxy)
    assert client_sockets_to(proxy_server.server.port) == 0


@pytest.mark.anyio
async def test_concurrent_requests_share_one_http2_connection_in_the_tunnel(
    pproxy_http: Server, hypercorn_https: Server, h2_context: ssl.SSLContext
) -> None:
    versions: Counter[bytes] = Counter()

    async def one() -> None:
        status, _, stream, _ = await proxy.arequest(b"GET", hypercorn_https.url("/http-version"))
        try:
            versions[b"".join([chunk async for chunk in stream])] += 1
        finally:
            await stream.aclose()
        assert status == 200

    async with AsyncHTTPProxy(
        proxy_url=pproxy_http.url(), ssl_context=h2_context, http2=True
    ) as proxy:
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tasks:
                for _ in range(100):
                    tasks.start_soon(one)
        assert versions == {b"2": 100}
        info = await proxy.get_connection_info()
        assert info == {hypercorn_https.origin: ["HTTP/2, IDLE, 0 streams"]}
    assert client_sockets_to(pproxy_http.port) == 0


@pytest.mark.parametrize("http2", [False, True], ids=["http11", "http2"])
def test_threads_share_the_sync_proxy_through_tls_inside_tls(
    pproxy_https: Server, hypercorn_https: Server, client_ssl_context: ssl.SSLContext, http2: bool
) -> None:
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            status, _, stream, ext = proxy.request(b"GET", hypercorn_https.url("/bytes?size=50000"))
            try:
                size = len(b"".join(stream))
            finally:
                stream.close()
            with lock:
                outcomes[f"{status} {ext['http_version']} {size}"] += 1

    with SyncHTTPProxy(
        proxy_url=pproxy_https.url(), ssl_context=client_ssl_context, http2=http2, max_connections=4
    ) as proxy:
        threads = [threading.Thread(target=worker) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        expected = f"200 {'HTTP/2' if http2 else 'HTTP/1.1'} 50000"
        assert outcomes == {expected: 100}
        states = [s for states in proxy.get_connection_info().values() for s in states]
        assert all("ACTIVE" not in state for state in states)
        assert len(states) == 1 if http2 else 1 <= len(states) <= 4
    assert client_sockets_to(pproxy_https.port) == 0
