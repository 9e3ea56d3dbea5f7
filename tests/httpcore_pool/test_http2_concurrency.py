"""HTTP/2 multiplexing under concurrency: tasks on asyncio and trio, threads in sync."""

from __future__ import annotations

import socket
import ssl
import threading

import anyio
import pytest

import httpcore_interfaces
from httpcore_interfaces import ConnectError
from httpcore_pool import AsyncConnectionPool, SyncConnectionPool
from httpcore_streams import PlainByteStream
from tests.helpers.tasks import run_in_tasks
from tests.helpers.threads import Workers, run_in_threads
from tests.servers.fixtures import HypercornFactory
from tests.servers.h2server import H2Behaviour, H2Server, H2ServerFactory
from tests.servers.nginx import Nginx
from tests.servers.tls import TLSMaterial

#: The exceptions a caller may meet: httpcore's documented ones.
PUBLIC_ERRORS = tuple(
    value
    for value in vars(httpcore_interfaces).values()
    if isinstance(value, type) and issubclass(value, Exception)
)


async def get(pool: AsyncConnectionPool, url: tuple[bytes, bytes, int, bytes]) -> bytes:
    status, _, stream, ext = await pool.arequest(b"GET", url, ext={"timeout": {"pool": 30}})
    try:
        body = b"".join([chunk async for chunk in stream])
    finally:
        await stream.aclose()
    assert (status, ext["http_version"]) == (200, "HTTP/2")
    return body


@pytest.mark.anyio
async def test_concurrent_requests_share_one_connection_from_the_start(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        await run_in_tasks(50, get, pool, server.url("/"), timeout=20)
    assert server.stats.connections == 1
    assert server.stats.streams_received == 50


@pytest.mark.anyio
async def test_streams_a_server_drops_at_its_goaway_go_again(
    hypercorn_server: HypercornFactory, h2_context: ssl.SSLContext
) -> None:
    """hypercorn, recycling a connection after 20 requests, sends GOAWAY and answers no
    more, not even the streams at or below its last stream id. Our PING after the GOAWAY
    makes it close the connection, so those requests go again on a new connection at
    once, instead of waiting for their read timeout."""
    server = hypercorn_server(tls=True, config={"keep_alive_max_requests": 20})
    statuses: list[int] = []

    async def ten_requests(pool: AsyncConnectionPool) -> None:
        for _ in range(10):
            status, _, stream, _ = await pool.arequest(
                b"GET", server.url("/"), ext={"timeout": {"read": 30, "pool": 30}}
            )
            await stream.aclose()
            statuses.append(status)

    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with anyio.fail_after(20):  # far below the read timeout a stuck stream would wait
            await run_in_tasks(10, ten_requests, pool, timeout=20)
    assert statuses == [200] * 100


@pytest.mark.anyio
async def test_max_concurrent_streams_is_respected(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server(H2Behaviour(max_concurrent_streams=2))
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        await run_in_tasks(10, get, pool, server.url("/slow?delay=0.05"), timeout=20)
    assert server.stats.streams_received == 10
    assert server.stats.max_concurrent_streams_seen <= 2
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_cancelling_one_request_leaves_the_others(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        assert await get(pool, server.url("/")) == b"Hello, world!"
        with anyio.move_on_after(0.1):
            await get(pool, server.url("/slow?delay=2"))
            pytest.fail("the request was not cancelled")
        assert await get(pool, server.url("/")) == b"Hello, world!"
        assert list((await pool.get_connection_info()).values()) == [["HTTP/2, IDLE, 0 streams"]]
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_nginx_goaway_after_50_requests_is_survived(
    nginx: Nginx, h2_context: ssl.SSLContext
) -> None:
    # nginx has keepalive_requests 50: it sends GOAWAY on every 50th stream.
    done = 0

    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:

        async def worker() -> None:
            nonlocal done
            for _ in range(10):
                assert len(await get(pool, nginx.https.url("/"))) == 2000
                done += 1

        await run_in_tasks(100, worker, timeout=60)
    assert done == 1000


def test_threads_share_one_connection(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()
    with SyncConnectionPool(http2=True, ssl_context=h2_context) as pool:

        def work() -> None:
            for _ in range(5):
                _, _, stream, ext = pool.request(
                    b"GET", server.url("/bytes?size=100000"), ext={"timeout": {"pool": 30}}
                )
                assert len(b"".join(stream)) == 100000
                stream.close()
                assert ext["http_version"] == "HTTP/2"

        errors = run_in_threads(work, [()] * 10, timeout=30)
    assert errors == []
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_requests_held_back_for_a_failed_connect_fail_too(h2_context: ssl.SSLContext) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    url = (b"https", b"127.0.0.1", port, b"/")
    failures: list[BaseException] = []

    async def attempt(pool: AsyncConnectionPool) -> None:
        try:
            await pool.arequest(b"GET", url)
        except ConnectError as exc:
            failures.append(exc)

    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        await run_in_tasks(5, attempt, pool, timeout=10)
        assert await pool.get_connection_info() == {}
    assert len(failures) == 5


@pytest.mark.anyio
async def test_many_downloads_at_once_do_not_spend_the_connection_window(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # 24 streams each reading less than a stream's acknowledgement batch would hold the
    # whole 16 MiB connection window between them if only per-stream batches counted.
    server = h2_server()
    size = 2 * 1024 * 1024
    sizes: list[int] = []

    async def download() -> None:
        sizes.append(len(await get(pool, server.url(f"/bytes?size={size}"))))

    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        await run_in_tasks(24, download, timeout=30)
    assert sizes == [size] * 24
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_an_idle_connection_closed_by_the_server_teaches_no_stream_limit(
    tls_material: TLSMaterial, h2_context: ssl.SSLContext
) -> None:
    # A close that cuts streams short teaches the pool the server's limit per connection;
    # an idle connection closed after its idle timeout must not.
    server = H2Server(tls_material, conn_timeout=0.5)
    server.start()
    try:
        async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
            for _ in range(3):
                await get(pool, server.url("/"))
            await anyio.sleep(1.5)  # the server closes the idle connection after 0.5 s
            await run_in_tasks(12, get, pool, server.url("/slow?delay=0.2"), timeout=10)
        # Taught a limit of 3, no connection would have carried more than 3 at once.
        assert server.stats.max_concurrent_streams_seen > 3
    finally:
        server.stop()


@pytest.mark.anyio
async def test_bodies_closed_unread_give_their_window_back(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # Bodies that arrived whole but were never read (closed early) count against the
    # 16 MiB connection window until given back: 20 MiB of them would stall it.
    server = h2_server()
    size = 4 * 1024 * 1024
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with anyio.fail_after(30):
            for _ in range(5):
                url = server.url(f"/bytes?size={size}")
                status, _, stream, _ = await pool.arequest(
                    b"GET", url, ext={"timeout": {"read": 5}}
                )
                assert status == 200
                await anyio.sleep(0.2)  # the body arrives meanwhile (on asyncio, unread)
                await stream.aclose()
            assert len(await get(pool, server.url("/bytes?size=10"))) == 10
    assert server.stats.connections == 1


def upload_when_started(
    pool: SyncConnectionPool,
    url: tuple[bytes, bytes, int, bytes],
    started: threading.Barrier,
) -> None:
    """Upload 4 MiB once every uploader is ready."""
    started.wait()
    pool.request(b"POST", url, stream=PlainByteStream(b"u" * (4 << 20)))[2].close()


def test_closing_the_pool_mid_upload_never_cuts_into_a_frame(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # Our GOAWAY on close goes out under the send lock or not at all: eight threads
    # uploading when the pool closes must leave the server no broken frame to find (the
    # server's stop() fails on any protocol error of ours).
    for _ in range(5):
        server = h2_server()
        started = threading.Barrier(9, timeout=10)
        pool = SyncConnectionPool(http2=True, ssl_context=h2_context)
        pool.request(b"GET", server.url("/"))[2].close()
        args = (pool, server.url("/echo"), started)
        uploaders = Workers(upload_when_started, [args] * 8).start()
        started.wait()
        server.wait_for(lambda s: s.stats.request_body_bytes > 0, timeout=10)
        pool.close()
        failures = uploaders.join(10)
        server.stop()  # raises if a frame of ours was cut into
        assert server.protocol_errors == []
        unexpected = [exc for exc in failures if not isinstance(exc, PUBLIC_ERRORS)]
        assert unexpected == []
