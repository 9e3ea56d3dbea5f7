"""(b) async: GETs of a 2,000-byte body from many tasks sharing one pool of 20 connections.

    python benchmarks/bench_b_async_concurrent.py [--quick] [--rounds N] [--peers ours,aiohttp]

httpcore 0.12.3 is known to deadlock here: every run is watched, and one in which no request
completes for `stall_s` seconds is reported as a deadlock instead of a number.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import api012
import harness
from harness import Case, ChildConfig, Measurement, Scenario, check

Get = Callable[[], Awaitable[tuple[int, int]]]


async def concurrent(cfg: ChildConfig, get: Get) -> Measurement:
    """One warm-up request, then `tasks` tasks each doing requests/tasks GETs in sequence."""
    check(await get() == (200, harness.SMALL_BODY_SIZE), "warm-up GET / failed")
    return await harness.concurrent_gets(cfg, get)


def api012_client(peer: str) -> Callable[[ChildConfig], Awaitable[Measurement]]:
    async def run(cfg: ChildConfig) -> Measurement:
        httpcore = api012.load(peer, "AsyncConnectionPool")
        target, hdrs = api012.url(cfg, "/"), api012.headers(cfg)
        pool: Any = httpcore.AsyncConnectionPool(max_connections=cfg.int("max_connections"))

        async def get() -> tuple[int, int]:
            return await api012.arequest(pool, b"GET", target, hdrs)

        result = await concurrent(cfg, get)
        await pool.aclose()
        return result

    return run


async def httpcore_1(cfg: ChildConfig) -> Measurement:
    import httpcore

    url = cfg.url("/")
    async with httpcore.AsyncConnectionPool(max_connections=cfg.int("max_connections")) as pool:

        async def get() -> tuple[int, int]:
            response = await pool.request("GET", url)
            return response.status, len(response.content)

        return await concurrent(cfg, get)


async def aiohttp_client(cfg: ChildConfig) -> Measurement:
    import aiohttp

    url = cfg.url("/")
    connector = aiohttp.TCPConnector(limit=cfg.int("max_connections"))
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get() -> tuple[int, int]:
            async with session.get(url) as response:
                body = await response.read()
                return response.status, len(body)

        return await concurrent(cfg, get)


SCENARIO = Scenario(
    name="b_async_concurrent",
    title="(b) async (asyncio), 100 tasks share a pool of max 20 connections, GET 2,000 bytes",
    unit="req",
    cases=(
        *harness.api012_cases("async", api012_client, "AsyncConnectionPool(max_connections=20)"),
        Case("async", "httpcore-1.0.9", httpcore_1, "AsyncConnectionPool(max_connections=20)"),
        Case("async", "aiohttp", aiohttp_client, "ClientSession(TCPConnector(limit=20))"),
    ),
    params={
        "requests": 20_000,
        "tasks": 100,
        "max_connections": 20,
        "stall_s": 10,
        "limit_s": 240,
    },
    quick_params={
        "requests": 2_000,
        "tasks": 100,
        "max_connections": 20,
        "stall_s": 5,
        "limit_s": 50,
    },
    units_param="requests",
    rounds=5,
    child_timeout_s=300,
    quick_child_timeout_s=60,
    notes=("A run in which no request completes for stall_s seconds is reported as a deadlock.",),
)

if __name__ == "__main__":
    sys.exit(harness.main(SCENARIO, __file__))
