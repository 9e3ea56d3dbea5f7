"""Cancellation at any await point leaves the async pool consistent (asyncio and trio).

Each case cancels a request at a different stage, then checks that no connection is left
active, no slot is held, and the next request on the same pool succeeds.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import anyio
import pytest

from httpcore_pool import AsyncConnectionPool
from httpcore_streams import AsyncIteratorByteStream
from tests.servers.base import Server
from tests.servers.h2server import H2ServerFactory
from tests.servers.raw import KeepAlive, RawServerFactory, StallAfterRequest, StallMidBody

pytestmark = pytest.mark.anyio


async def assert_pool_recovers(
    pool: AsyncConnectionPool, url: tuple[bytes, bytes, int, bytes]
) -> None:
    info = await pool.get_connection_info()
    assert all("ACTIVE" not in state for states in info.values() for state in states), info
    with anyio.fail_after(5):
        status, _, stream, _ = await pool.arequest(b"GET", url, ext={"timeout": {"pool": 2}})
        async for _chunk in stream:
            pass
        await stream.aclose()
    assert status == 200


async def test_cancel_while_waiting_for_the_response(raw_server: RawServerFactory) -> None:
    stalling = raw_server(StallAfterRequest())
    healthy = raw_server(KeepAlive())
    async with AsyncConnectionPool(max_connections=1) as pool:
        with anyio.move_on_after(0.2):
            await pool.arequest(b"GET", stalling.url())
            pytest.fail("the request was not cancelled")
        assert await pool.get_connection_info() == {}
        await assert_pool_recovers(pool, healthy.url())


async def test_cancel_while_reading_the_body(raw_server: RawServerFactory) -> None:
    server = raw_server(StallMidBody())
    healthy = raw_server(KeepAlive())
    async with AsyncConnectionPool(max_connections=1) as pool:
        _, _, stream, _ = await pool.arequest(b"GET", server.url())
        with anyio.move_on_after(0.2):
            async for _chunk in stream:
                pass
        await stream.aclose()
        assert await pool.get_connection_info() == {}
        await assert_pool_recovers(pool, healthy.url())


async def test_cancel_while_waiting_for_a_slot(hypercorn_http: Server) -> None:
    async with AsyncConnectionPool(max_connections=1) as pool:
        _, _, held, _ = await pool.arequest(b"GET", hypercorn_http.url("/"))
        with anyio.move_on_after(0.1):
            await pool.arequest(b"GET", hypercorn_http.url("/"))
            pytest.fail("the request was not cancelled")
        async for _chunk in held:
            pass
        await held.aclose()
        await assert_pool_recovers(pool, hypercorn_http.url("/"))


async def test_cancel_while_sending_the_body(hypercorn_http: Server) -> None:
    async def slow_upload() -> AsyncIterator[bytes]:
        yield b"x" * 10
        await anyio.sleep(10)
        yield b"never sent"

    async with AsyncConnectionPool(max_connections=1) as pool:
        with anyio.move_on_after(0.2):
            await pool.arequest(
                b"POST",
                hypercorn_http.url("/echo"),
                headers=[(b"Content-Length", b"20")],
                stream=AsyncIteratorByteStream(slow_upload()),
            )
            pytest.fail("the request was not cancelled")
        assert await pool.get_connection_info() == {}
        await assert_pool_recovers(pool, hypercorn_http.url("/"))


async def test_cancel_while_connecting(raw_server: RawServerFactory) -> None:
    # A TLS handshake to a server that never answers it: the cancel lands mid-connect.
    server = raw_server(StallAfterRequest())
    url = (b"https", b"127.0.0.1", server.server.port, b"/")
    healthy = raw_server(KeepAlive())
    async with AsyncConnectionPool(max_connections=1) as pool:
        with anyio.move_on_after(0.2):
            await pool.arequest(b"GET", url)
            pytest.fail("the request was not cancelled")
        assert await pool.get_connection_info() == {}
        await assert_pool_recovers(pool, healthy.url())


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asyncio_task_cancel(raw_server: RawServerFactory) -> None:
    stalling = raw_server(StallAfterRequest())
    healthy = raw_server(KeepAlive())
    async with AsyncConnectionPool(max_connections=1) as pool:
        task = asyncio.ensure_future(pool.arequest(b"GET", stalling.url()))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await assert_pool_recovers(pool, healthy.url())


async def test_fail_after_raises_timeout_and_pool_recovers(raw_server: RawServerFactory) -> None:
    stalling = raw_server(StallAfterRequest())
    healthy = raw_server(KeepAlive())
    async with AsyncConnectionPool(max_connections=2) as pool:
        with pytest.raises(TimeoutError):
            with anyio.fail_after(0.2):
                await pool.arequest(b"GET", stalling.url())
        await assert_pool_recovers(pool, healthy.url())


async def test_backend_names(hypercorn_http: Server, anyio_backend: str) -> None:
    for name in ("auto", "anyio", anyio_backend):
        async with AsyncConnectionPool(backend=name) as pool:
            await assert_pool_recovers(pool, hypercorn_http.url("/"))
    other = "trio" if anyio_backend == "asyncio" else "asyncio"
    async with AsyncConnectionPool(backend=other) as pool:
        with pytest.raises(RuntimeError, match=f"backend='{other}' but no {other} event loop"):
            await pool.arequest(b"GET", hypercorn_http.url("/"))
        assert await pool.get_connection_info() == {}


async def test_an_http2_request_cancelled_at_its_first_await_forgets_its_stream(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # On trio the first await comes between queueing the HEADERS and writing them: the
    # stream must not stay registered, holding the connection ACTIVE for ever.
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        await assert_pool_recovers(pool, server.url("/"))
        for _ in range(5):
            with anyio.CancelScope() as scope:
                scope.cancel()
                await pool.arequest(b"GET", server.url("/"))
        info = await pool.get_connection_info()
        assert list(info.values()) == [["HTTP/2, IDLE, 0 streams"]]
        await assert_pool_recovers(pool, server.url("/"))
    assert server.stats.connections == 1
