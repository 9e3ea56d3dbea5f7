"""An endless ``pool`` timeout while a request really waits for a slot: the one timeout
the request tests cannot reach without a second caller (thread or task)."""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import pytest

from httpcore_pool import AsyncConnectionPool, SyncConnectionPool
from tests.helpers._async.exchange import fetch as async_fetch
from tests.helpers._async.exchange import read_all as async_read_all
from tests.helpers._sync.exchange import fetch, read_all
from tests.servers.base import Server

ENDLESS = {"timeout": {"pool": float("inf")}}


def test_endless_pool_timeout_waits_for_a_slot(hypercorn_http: Server) -> None:
    url = hypercorn_http.url("/")
    results: list[tuple[int, Any, bytes, Any]] = []
    errors: list[BaseException] = []

    def wait_for_the_slot() -> None:
        try:
            results.append(fetch(pool, url, ext=ENDLESS))
        except BaseException as exc:
            errors.append(exc)

    with SyncConnectionPool(max_connections=1) as pool:
        _, _, held, _ = pool.request(b"GET", url)
        waiter = threading.Thread(target=wait_for_the_slot)
        waiter.start()
        deadline = time.monotonic() + 5
        while pool._state.waiting_count == 0 and waiter.is_alive():
            assert time.monotonic() < deadline, "the request never waited for the slot"
            time.sleep(0.001)
        read_all(held)
        waiter.join(5)
    assert not waiter.is_alive()
    assert errors == []
    assert [result[0] for result in results] == [200]


@pytest.mark.anyio
async def test_endless_pool_timeout_waits_for_a_slot_async(hypercorn_http: Server) -> None:
    url = hypercorn_http.url("/")
    results: list[tuple[int, Any, bytes, Any]] = []

    async def wait_for_the_slot() -> None:
        results.append(await async_fetch(pool, url, ext=ENDLESS))

    async with AsyncConnectionPool(max_connections=1) as pool:
        _, _, held, _ = await pool.arequest(b"GET", url)
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(wait_for_the_slot)
                await anyio.wait_all_tasks_blocked()
                assert pool._state.waiting_count == 1
                await async_read_all(held)
    assert [result[0] for result in results] == [200]
