"""The sync pool shared between threads."""

from __future__ import annotations

import random
import ssl
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from hashlib import sha256

import pytest

from httpcore_interfaces import LocalProtocolError, ReadError
from httpcore_pool import SyncConnectionPool
from httpcore_streams import PlainByteStream
from tests.helpers._sync.exchange import connection_states, fetch
from tests.helpers.threads import Workers
from tests.servers.app import pattern
from tests.servers.base import Server
from tests.servers.h2server import H2Behaviour, H2ServerFactory
from tests.servers.raw import RawServerFactory, StallAfterRequest


def test_closing_the_pool_wakes_a_thread_blocked_on_a_read(raw_server: RawServerFactory) -> None:
    handler = StallAfterRequest()
    server = raw_server(handler)
    pool = SyncConnectionPool()
    blocked = Workers(pool.request, [(b"GET", server.url())]).start()
    assert handler.stalled.wait(5)
    pool.close()
    errors = blocked.join(5)
    assert len(errors) == 1
    assert isinstance(errors[0], ReadError)
    assert "the pool was closed" in str(errors[0])
    with pytest.raises(LocalProtocolError, match="closed"):
        pool.request(b"GET", server.url())


#: Threads on one connection: half upload to /echo, half download /bytes, 1 to 4 MiB each.
THREADS = 16
PAYLOADS = [random.Random(i).randbytes((1 + i % 4) << 20) for i in range(THREADS // 2)]
TIMEOUTS = {"timeout": {"connect": 10, "read": 30, "write": 30, "pool": 30}}


def exchange(
    pool: SyncConnectionPool, server: Server, index: int, start: threading.Barrier
) -> tuple[bytes, bytes]:
    """One thread's upload or download: (what arrived, what should have)."""
    if index % 2:
        size = (1 + index % 4) << 20
        start.wait()
        got = fetch(pool, server.url(f"/bytes?size={size}"), ext=TIMEOUTS)
        expected = pattern(size)
    else:
        expected = PAYLOADS[index // 2]
        start.wait()
        got = fetch(
            pool, server.url("/echo"), b"POST", stream=PlainByteStream(expected), ext=TIMEOUTS
        )
    assert (got[0], got[3]["http_version"]) == (200, "HTTP/2")
    return got[2], expected


def test_one_tls_http2_connection_shared_by_16_threads_stays_byte_exact(
    hypercorn_https: Server, h2_context: ssl.SSLContext
) -> None:
    """One thread reads the TLS socket for all while others write to it (OpenSSL allows
    no two at once: the sync backend serialises them): every body arrives whole."""
    with SyncConnectionPool(http2=True, max_connections=1, ssl_context=h2_context) as pool:
        for _ in range(6):
            start = threading.Barrier(THREADS, timeout=10)
            with ThreadPoolExecutor(THREADS) as executor:
                futures = [
                    executor.submit(exchange, pool, hypercorn_https, index, start)
                    for index in range(THREADS)
                ]
                results = [future.result(timeout=60) for future in futures]
            for got, expected in results:
                assert sha256(got).digest() == sha256(expected).digest()
            assert connection_states(pool) == ["HTTP/2, IDLE, 0 streams"]


def test_threads_racing_for_the_connection_window_upload_whole(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    """Uploads in threads share the connection window: one may see it open and find it
    spent by another before it sends. That thread waits for more, and its body goes out
    whole: it is not taken for answered, reset, and left waiting for an answer."""
    server = h2_server(H2Behaviour(connection_window_stays_small=True, initial_window_size=1 << 20))
    bodies = [random.Random(i).randbytes(200_000 + i) for i in range(THREADS)]
    timeouts = {"timeout": {"read": 10, "write": 10, "pool": 10}}
    with SyncConnectionPool(http2=True, max_connections=1, ssl_context=h2_context) as pool:

        def upload(body: bytes) -> bytes:
            start.wait()
            echoed = fetch(
                pool, server.url("/echo"), b"POST", stream=PlainByteStream(body), ext=timeouts
            )
            assert echoed[0] == 200
            return echoed[2]

        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # threads switch often: the race shows in every round
        try:
            for _ in range(3):
                start = threading.Barrier(THREADS, timeout=10)
                with ThreadPoolExecutor(THREADS) as executor:
                    echoed = list(executor.map(upload, bodies, timeout=60))
                assert echoed == bodies
                assert connection_states(pool) == ["HTTP/2, IDLE, 0 streams"]
        finally:
            sys.setswitchinterval(interval)
