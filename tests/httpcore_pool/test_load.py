"""Many requests through a small pool while the server drops connections.

Every request succeeds or fails with a documented exception; afterwards the pool holds no
active connection and the process holds no extra file descriptor.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

import httpcore_interfaces
from httpcore_pool import AsyncConnectionPool, SyncConnectionPool
from tests.helpers.tasks import run_in_tasks
from tests.helpers.threads import run_in_threads
from tests.servers.base import client_sockets_to
from tests.servers.raw import KeepAlive, RawServerFactory

DOCUMENTED = tuple(
    getattr(httpcore_interfaces, name)
    for name in httpcore_interfaces.__all__
    if isinstance(getattr(httpcore_interfaces, name), type)
    and issubclass(getattr(httpcore_interfaces, name), Exception)
)


def assert_only_idle_connections_left(info: dict[str, list[str]], port: int) -> None:
    """After the load, with the pool (of 10) still open: it keeps only idle connections."""
    assert all("ACTIVE" not in s for states in info.values() for s in states), info
    assert sum(len(states) for states in info.values()) <= 10
    assert 0 < client_sockets_to(port) <= 10  # the idle ones, still open


def assert_every_request_accounted_for(
    outcomes: Counter[str], handler: KeepAlive, port: int
) -> None:
    """After the pool closed: all 1000 requests ended, nearly all well, though the server
    dropped connections, and no socket of ours is left."""
    assert sum(outcomes.values()) == 1000
    assert outcomes["ok"] >= 950, outcomes
    assert handler.dropped > 0
    assert client_sockets_to(port) == 0


@pytest.mark.anyio
async def test_1000_requests_from_100_tasks_on_a_pool_of_10(raw_server: RawServerFactory) -> None:
    handler = KeepAlive(drop_every=7)
    server = raw_server(handler)
    outcomes: Counter[str] = Counter()

    async with AsyncConnectionPool(max_connections=10) as pool:

        async def worker() -> None:
            for _ in range(10):
                try:
                    _, _, stream, _ = await pool.arequest(
                        b"GET", server.url(), ext={"timeout": {"pool": 20, "read": 10}}
                    )
                    try:
                        async for _chunk in stream:
                            pass
                    finally:
                        await stream.aclose()
                    outcomes["ok"] += 1
                except DOCUMENTED as exc:
                    outcomes[type(exc).__name__] += 1

        await run_in_tasks(100, worker, timeout=60)
        assert_only_idle_connections_left(await pool.get_connection_info(), server.server.port)
    assert_every_request_accounted_for(outcomes, handler, server.server.port)


def test_1000_requests_from_20_threads_on_a_pool_of_10(raw_server: RawServerFactory) -> None:
    handler = KeepAlive(drop_every=7)
    server = raw_server(handler)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    with SyncConnectionPool(max_connections=10) as pool:

        def worker() -> None:
            for _ in range(50):
                try:
                    _, _, stream, _ = pool.request(
                        b"GET", server.url(), ext={"timeout": {"pool": 20, "read": 10}}
                    )
                    try:
                        for _chunk in stream:
                            pass
                    finally:
                        stream.close()
                    result = "ok"
                except DOCUMENTED as exc:
                    result = type(exc).__name__
                with lock:
                    outcomes[result] += 1

        assert run_in_threads(worker, [()] * 20, timeout=60) == []
        assert_only_idle_connections_left(pool.get_connection_info(), server.server.port)
    assert_every_request_accounted_for(outcomes, handler, server.server.port)
