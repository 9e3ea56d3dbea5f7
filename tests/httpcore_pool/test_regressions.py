"""Regressions found in review: each test failed before its fix.

Every wait is bounded (anyio.fail_after, pool/read timeouts, raw-server timeouts).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from typing import Any, cast

import anyio
import pytest

import httpcore_interfaces
from httpcore_interfaces import AsyncByteStream, ReadTimeout
from httpcore_pool import AsyncConnectionPool, SyncConnectionPool
from tests.helpers.threads import Workers, run_in_threads
from tests.servers.base import Server
from tests.servers.raw import (
    KeepAlive,
    RawServerFactory,
    RequestReader,
    StallAfterRequest,
    response,
)

HTTPCORE_ERRORS = tuple(
    obj
    for name in httpcore_interfaces.__all__
    if isinstance(obj := getattr(httpcore_interfaces, name), type) and issubclass(obj, Exception)
)


async def _read_all(stream: AsyncByteStream) -> bytes:
    try:
        return b"".join([chunk async for chunk in stream])
    finally:
        await stream.aclose()


# -- A: asyncio fast path, TLS: reading paused on the TCP transport was never resumed -----


@pytest.mark.anyio
async def test_large_tls_body_read_after_a_pause_does_not_stall(
    hypercorn_https: Server, client_ssl_context: ssl.SSLContext
) -> None:
    size = 4_000_000
    async with AsyncConnectionPool(ssl_context=client_ssl_context) as pool:
        with anyio.fail_after(20):
            status, _, stream, _ = await pool.arequest(
                b"GET",
                hypercorn_https.url(f"/bytes?size={size}"),
                ext={"timeout": {"read": 3}},
            )
            assert status == 200
            await anyio.sleep(0.5)  # let more than the high-water mark arrive unread
            body = await _read_all(stream)
    assert len(body) == size


# -- B: native asyncio cancellation while _acquire closes an evicted connection -----------


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # task.cancel() is asyncio's
async def test_native_task_cancel_while_evicting_does_not_leak_the_slot(
    raw_server: RawServerFactory,
) -> None:
    first = raw_server(KeepAlive())
    second = raw_server(KeepAlive())
    async with AsyncConnectionPool(max_connections=1) as pool:
        _, _, stream, _ = await pool.arequest(b"GET", first.url())
        await _read_all(stream)  # idle connection to `first`, holding the only slot
        # A request to another origin evicts it: the task suspends inside _close().
        task = asyncio.ensure_future(pool.arequest(b"GET", second.url()))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool._state.slots_in_use == 0, "slot leaked"
        with anyio.fail_after(5):
            status, _, stream, _ = await pool.arequest(
                b"GET", second.url(), ext={"timeout": {"pool": 1}}
            )
            await _read_all(stream)
        assert status == 200


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # task.cancel() is asyncio's
async def test_native_task_cancel_while_expiring_closes_every_expired_socket(
    raw_server: RawServerFactory,
) -> None:
    server = raw_server(KeepAlive())
    async with AsyncConnectionPool(keepalive_expiry=0.05) as pool:
        streams = [(await pool.arequest(b"GET", server.url()))[2] for _ in range(3)]
        for stream in streams:
            await _read_all(stream)
        connections = list(pool._state.connections())
        assert len(connections) == 3
        await asyncio.sleep(0.1)  # all three expire
        task = asyncio.ensure_future(pool.arequest(b"GET", server.url()))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool._state.connections() == {}
        still_open = [c for c in connections if not cast(Any, c).stream._transport.is_closing()]
        assert still_open == [], f"{len(still_open)} forgotten connections left open"


# -- C: bytes already buffered in h11 after a response: the connection was reused --------


class _ExtraResponseThenAnswer:
    """Connection 0 answers with body A plus an unsolicited second response "EVIL!" in
    the same write; any later request on any connection is answered "B"."""

    def __call__(self, conn: socket.socket, index: int) -> None:
        reader = RequestReader(conn)
        first = True
        while (request := reader.read_request()) is not None:
            if index == 0 and first:
                conn.sendall(response(body=b"A") + response(body=b"EVIL!"))
                first = False
            else:
                conn.sendall(response(body=b"B"))
            if not request.keep_alive:
                return


@pytest.mark.anyio
async def test_unsolicited_bytes_after_a_response_are_not_served_to_the_next_request(
    raw_server: RawServerFactory,
) -> None:
    server = raw_server(_ExtraResponseThenAnswer(), conn_timeout=5)
    async with AsyncConnectionPool() as pool:
        with anyio.fail_after(5):
            _, _, stream, _ = await pool.arequest(b"GET", server.url())
            assert await _read_all(stream) == b"A"
            await anyio.sleep(0.1)
            _, _, stream, _ = await pool.arequest(b"GET", server.url())
            body = await _read_all(stream)
    assert body == b"B", f"second request got {body!r}"


def test_sync_unsolicited_bytes_after_a_response_are_not_served_to_the_next_request(
    raw_server: RawServerFactory,
) -> None:
    server = raw_server(_ExtraResponseThenAnswer(), conn_timeout=5)
    with SyncConnectionPool() as pool:
        ext = {"timeout": {"read": 5}}
        _, _, stream, _ = pool.request(b"GET", server.url(), ext=ext)
        assert b"".join(stream) == b"A"
        stream.close()
        _, _, stream, _ = pool.request(b"GET", server.url(), ext=ext)
        body = b"".join(stream)
        stream.close()
    assert body == b"B", f"second request got {body!r}"


# -- D: sync pool, a zero timeout was not reported as a timeout --------------------------


def test_sync_zero_read_timeout_is_a_read_timeout(raw_server: RawServerFactory) -> None:
    stall = StallAfterRequest(max_seconds=5)
    server = raw_server(stall, conn_timeout=5)
    with SyncConnectionPool() as pool, pytest.raises(ReadTimeout):
        pool.request(b"GET", server.url(), ext={"timeout": {"read": 0}})


# -- E: sync pool under threads (no race found; kept as guards) -------------------------


def test_sync_threads_keep_the_pool_consistent(raw_server: RawServerFactory) -> None:
    server = raw_server(KeepAlive(), conn_timeout=10)
    other = raw_server(KeepAlive(), conn_timeout=10)
    pool = SyncConnectionPool(max_connections=3, max_keepalive_connections=2)

    def work(n: int) -> None:
        for i in range(40):
            url = (server if (i + n) % 2 else other).url()
            _, _, stream, _ = pool.request(b"GET", url, ext={"timeout": {"pool": 10, "read": 5}})
            if i % 5 == 0:
                stream.close()  # early close
                continue
            b"".join(stream)
            stream.close()

    errors = run_in_threads(work, [(n,) for n in range(12)], timeout=60)
    state = pool._state
    assert errors == [], errors[:3]
    assert state.slots_in_use == len(state.connections()), (
        state.slots_in_use,
        len(state.connections()),
    )
    assert state.waiting_count == 0
    pool.close()


def test_sync_concurrent_close_raises_only_httpcore_errors(raw_server: RawServerFactory) -> None:
    server = raw_server(KeepAlive(), conn_timeout=10)
    unexpected: list[BaseException] = []
    for _round in range(10):
        pool = SyncConnectionPool(max_connections=2)
        stop = threading.Event()
        # each worker has had a response before the close: all six are requesting then
        busy = threading.Barrier(7)

        def work(
            pool: SyncConnectionPool = pool,
            stop: threading.Event = stop,
            busy: threading.Barrier = busy,
        ) -> None:
            first = True
            while not stop.is_set():
                try:
                    _, _, stream, _ = pool.request(
                        b"GET", server.url(), ext={"timeout": {"pool": 2, "read": 2}}
                    )
                    try:
                        b"".join(stream)
                    finally:
                        stream.close()
                    if first:
                        first = False
                        busy.wait(10)
                except HTTPCORE_ERRORS:
                    if pool._state.is_closed:
                        return

        workers = Workers(work, [()] * 6).start()
        with contextlib.suppress(threading.BrokenBarrierError):  # a worker failed: see below
            busy.wait(10)
        pool.close()
        stop.set()
        unexpected += workers.join(10)
    assert unexpected == [], [repr(e) for e in unexpected[:5]]


# -- F: the stale-connection retry could land on another stale idle connection ----------


def _answer_once_then_drop_the_next(conn: socket.socket, index: int) -> None:
    """Answer the first request; read the second and close without a byte (a server
    that timed the idle connection out just as the request arrived)."""
    reader = RequestReader(conn)
    if reader.read_request() is None:
        return
    conn.sendall(response())
    reader.read_request()


@pytest.mark.anyio
async def test_stale_retry_uses_a_new_connection(raw_server: RawServerFactory) -> None:
    server = raw_server(_answer_once_then_drop_the_next, conn_timeout=5)
    async with AsyncConnectionPool() as pool:
        with anyio.fail_after(10):
            # Two connections, both idle afterwards.
            _, _, one, _ = await pool.arequest(b"GET", server.url())
            _, _, two, _ = await pool.arequest(b"GET", server.url())
            await _read_all(one)
            await _read_all(two)
            status, _, stream, _ = await pool.arequest(
                b"GET", server.url(), ext={"timeout": {"read": 5}}
            )
            await _read_all(stream)
    assert status == 200
