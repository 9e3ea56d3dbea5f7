"""(d) 50 MiB downloads on one keep-alive connection, sync and async.

    python benchmarks/bench_d_download.py [--quick] [--rounds N] [--groups sync] [--peers ours]

The body is read in chunks (64 KiB where the API takes a size) and discarded. `async/ours-h2`
is our async pool with http2=True over TLS (HTTP/2), for comparison with `async/ours`.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import api012
import harness
from harness import Case, ChildConfig, Measurement, Scenario, Stopwatch, check

CHUNK = 64 * 1024
Fetch = Callable[[str], tuple[int, int]]
AFetch = Callable[[str], Awaitable[tuple[int, int]]]


def downloads(cfg: ChildConfig, fetch: Fetch) -> Measurement:
    """A small warm-up GET (opens the connection), then `repeat` timed downloads."""
    check(fetch("/") == (200, harness.SMALL_BODY_SIZE), "warm-up GET / failed")
    repeat = cfg.int("repeat")
    total = bad = 0
    with Stopwatch() as sw:
        for _ in range(repeat):
            status, size = fetch("/large")
            total += size
            bad += status != 200
    check(bad == 0 and total == repeat * harness.LARGE_BODY_SIZE, f"{bad} bad, {total} B")
    return sw.measurement(total / harness.MIB)


async def adownloads(cfg: ChildConfig, fetch: AFetch) -> Measurement:
    check(await fetch("/") == (200, harness.SMALL_BODY_SIZE), "warm-up GET / failed")
    repeat = cfg.int("repeat")
    total = bad = 0
    with Stopwatch() as sw:
        for _ in range(repeat):
            status, size = await fetch("/large")
            total += size
            bad += status != 200
    check(bad == 0 and total == repeat * harness.LARGE_BODY_SIZE, f"{bad} bad, {total} B")
    return sw.measurement(total / harness.MIB)


# ----- sync clients --------------------------------------------------------------------


def api012_sync(peer: str) -> Callable[[ChildConfig], Measurement]:
    def run(cfg: ChildConfig) -> Measurement:
        httpcore = api012.load(peer, "SyncConnectionPool")
        hdrs = api012.headers(cfg)
        pool: Any = httpcore.SyncConnectionPool()
        try:
            return downloads(
                cfg, lambda path: api012.request(pool, b"GET", api012.url(cfg, path), hdrs)
            )
        finally:
            pool.close()

    return run


def httpcore_1_sync(cfg: ChildConfig) -> Measurement:
    import httpcore

    with httpcore.ConnectionPool() as pool:

        def fetch(path: str) -> tuple[int, int]:
            size = 0
            with pool.stream("GET", cfg.url(path)) as response:
                for chunk in response.iter_stream():
                    size += len(chunk)
            return response.status, size

        return downloads(cfg, fetch)


def urllib3_sync(cfg: ChildConfig) -> Measurement:
    import urllib3

    pool = urllib3.HTTPConnectionPool(cfg.host, cfg.port, maxsize=1)
    try:

        def fetch(path: str) -> tuple[int, int]:
            response = pool.request("GET", path, preload_content=False)
            size = 0
            try:
                for chunk in response.stream(CHUNK):
                    size += len(chunk)
            finally:
                response.release_conn()
            return response.status, size

        return downloads(cfg, fetch)
    finally:
        pool.close()


# ----- async clients -------------------------------------------------------------------


def api012_async(peer: str) -> Callable[[ChildConfig], Awaitable[Measurement]]:
    async def run(cfg: ChildConfig) -> Measurement:
        httpcore = api012.load(peer, "AsyncConnectionPool")
        hdrs = api012.headers(cfg)
        pool: Any = httpcore.AsyncConnectionPool()

        async def fetch(path: str) -> tuple[int, int]:
            return await api012.arequest(pool, b"GET", api012.url(cfg, path), hdrs)

        try:
            return await adownloads(cfg, fetch)
        finally:
            await pool.aclose()

    return run


async def ours_h2_async(cfg: ChildConfig) -> Measurement:
    """Our pool with http2=True on the TLS port (HTTP/2 by ALPN), to compare with async/ours.

    Refused with a clear "unsupported" result while our pool has no HTTP/2.
    """
    httpcore = api012.load("ours", "AsyncConnectionPool")
    pool: Any = api012.http2_pool(httpcore, cfg)
    hdrs = api012.tls_headers(cfg)

    async def fetch(path: str) -> tuple[int, int]:
        return await api012.arequest(pool, b"GET", api012.tls_url(cfg, path), hdrs)

    try:
        await api012.check_http2(pool, api012.tls_url(cfg, "/"), hdrs)
        return await adownloads(cfg, fetch)
    finally:
        await pool.aclose()


async def httpcore_1_async(cfg: ChildConfig) -> Measurement:
    import httpcore

    async with httpcore.AsyncConnectionPool() as pool:

        async def fetch(path: str) -> tuple[int, int]:
            size = 0
            async with pool.stream("GET", cfg.url(path)) as response:
                async for chunk in response.aiter_stream():
                    size += len(chunk)
            return response.status, size

        return await adownloads(cfg, fetch)


async def aiohttp_async(cfg: ChildConfig) -> Measurement:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:

        async def fetch(path: str) -> tuple[int, int]:
            size = 0
            async with session.get(cfg.url(path)) as response:
                # iter_any(): each chunk as it was read, like the httpcore streams. (On this
                # aiohttp, iter_chunked(64 KiB) gets ~3x slower from the 2nd download on a
                # reused connection, which would flatter the others.)
                async for chunk in response.content.iter_any():
                    size += len(chunk)
            return response.status, size

        return await adownloads(cfg, fetch)


SCENARIO = Scenario(
    name="d_download",
    title="(d) 50 MiB downloads, body read in chunks and discarded, one keep-alive connection",
    unit="MiB",
    cases=(
        Case("sync", "ours", api012_sync("ours"), "SyncConnectionPool, iterate stream"),
        Case(
            "sync",
            "httpcore-0.12.3",
            api012_sync("httpcore-0.12.3"),
            "SyncConnectionPool, iterate stream",
        ),
        Case("sync", "httpcore-1.0.9", httpcore_1_sync, "ConnectionPool.stream, iter_stream()"),
        Case("sync", "urllib3", urllib3_sync, "HTTPConnectionPool, stream(64 KiB)"),
        Case("async", "ours", api012_async("ours"), "AsyncConnectionPool, async for"),
        Case("async", "ours-h2", ours_h2_async, "AsyncConnectionPool(http2=True), TLS, async for"),
        Case(
            "async",
            "httpcore-0.12.3",
            api012_async("httpcore-0.12.3"),
            "AsyncConnectionPool, async for",
        ),
        Case(
            "async",
            "httpcore-1.0.9",
            httpcore_1_async,
            "AsyncConnectionPool.stream, aiter_stream()",
        ),
        Case("async", "aiohttp", aiohttp_async, "ClientSession, content.iter_any()"),
    ),
    params={"repeat": 20},
    quick_params={"repeat": 1},
    units_param="repeat",
    unit_scale=harness.LARGE_BODY_SIZE / harness.MIB,
    rounds=7,
    child_timeout_s=240,
    quick_child_timeout_s=60,
    notes=(
        "async/ours-h2 is our pool over HTTP/2 on the TLS port; its ratio column is "
        "ours (HTTP/1.1, cleartext) ÷ ours-h2 (target: ours-h2 >= 0.8x ours, i.e. <= 1.25x).",
    ),
)

if __name__ == "__main__":
    sys.exit(harness.main(SCENARIO, __file__))
