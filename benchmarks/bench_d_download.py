"""(d) 50 MiB downloads on one keep-alive connection, sync and async.

    python benchmarks/bench_d_download.py [--quick] [--rounds N] [--groups sync] [--peers ours]

The body is read in chunks (64 KiB where the API takes a size) and discarded. Every client
runs on the cleartext port, and again (`<client>-tls`) on the TLS port offering only ALPN
http/1.1, so HTTP/1.1 is negotiated where nginx also speaks h2. `async/ours-h2` is our async
pool with http2=True on that TLS port (HTTP/2); its ratio divides `async/ours-h1-tls`, the
same pool over the same TLS with HTTP/1.1 (the target: ours-h2 >= 0.8x ours-h1-tls).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import api012
import harness
from harness import Case, ChildConfig, ClientFn, Measurement, Scenario, Stopwatch, check

CHUNK = 64 * 1024
H1_ALPN = ("http/1.1",)  # the *-tls cases: HTTP/1.1 on the port that also speaks h2
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


def api012_sync(peer: str, tls: bool = False) -> Callable[[ChildConfig], Measurement]:
    def run(cfg: ChildConfig) -> Measurement:
        httpcore = api012.load(peer, "SyncConnectionPool")
        if tls:
            url, hdrs = api012.tls_url, api012.tls_headers(cfg)
            pool: Any = httpcore.SyncConnectionPool(ssl_context=cfg.ssl_context(H1_ALPN))
        else:
            url, hdrs = api012.url, api012.headers(cfg)
            pool = httpcore.SyncConnectionPool()
        try:
            if tls:
                api012.check_version_sync(pool, url(cfg, "/"), hdrs, "HTTP/1.1")
            return downloads(cfg, lambda path: api012.request(pool, b"GET", url(cfg, path), hdrs))
        finally:
            pool.close()

    return run


def httpcore_1_sync(tls: bool = False) -> Callable[[ChildConfig], Measurement]:
    def run(cfg: ChildConfig) -> Measurement:
        import httpcore

        ssl_context = cfg.ssl_context(H1_ALPN) if tls else None
        url = cfg.tls_url if tls else cfg.url
        with httpcore.ConnectionPool(ssl_context=ssl_context) as pool:
            if tls:
                version = pool.request("GET", url("/")).extensions.get("http_version")
                check(version == b"HTTP/1.1", f"the warm-up response came over {version!r}")

            def fetch(path: str) -> tuple[int, int]:
                size = 0
                with pool.stream("GET", url(path)) as response:
                    for chunk in response.iter_stream():
                        size += len(chunk)
                return response.status, size

            return downloads(cfg, fetch)

    return run


def urllib3_sync(cfg: ChildConfig) -> Measurement:
    import urllib3

    return _urllib3_downloads(cfg, urllib3.HTTPConnectionPool(cfg.host, cfg.port, maxsize=1))


def urllib3_sync_tls(cfg: ChildConfig) -> Measurement:
    """HTTPSConnectionPool with the TLS context (urllib3 speaks HTTP/1.1 only)."""
    import urllib3

    ctx = cfg.ssl_context(H1_ALPN)
    pool = urllib3.HTTPSConnectionPool(cfg.host, cfg.tls_port, maxsize=1, ssl_context=ctx)
    return _urllib3_downloads(cfg, pool)


def _urllib3_downloads(cfg: ChildConfig, pool: Any) -> Measurement:
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


def api012_async(peer: str, tls: bool = False) -> Callable[[ChildConfig], Awaitable[Measurement]]:
    async def run(cfg: ChildConfig) -> Measurement:
        httpcore = api012.load(peer, "AsyncConnectionPool")
        if tls:  # http2 stays False (the default): the pool asks for HTTP/1.1
            url, hdrs = api012.tls_url, api012.tls_headers(cfg)
            pool: Any = httpcore.AsyncConnectionPool(ssl_context=cfg.ssl_context(H1_ALPN))
        else:
            url, hdrs = api012.url, api012.headers(cfg)
            pool = httpcore.AsyncConnectionPool()

        async def fetch(path: str) -> tuple[int, int]:
            return await api012.arequest(pool, b"GET", url(cfg, path), hdrs)

        try:
            if tls:
                await api012.check_version(pool, url(cfg, "/"), hdrs, "HTTP/1.1")
            return await adownloads(cfg, fetch)
        finally:
            await pool.aclose()

    return run


async def ours_h2_async(cfg: ChildConfig) -> Measurement:
    """Our pool with http2=True on the TLS port (HTTP/2 by ALPN), to compare with ours-h1-tls.

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


def httpcore_1_async(tls: bool = False) -> Callable[[ChildConfig], Awaitable[Measurement]]:
    async def run(cfg: ChildConfig) -> Measurement:
        import httpcore

        ssl_context = cfg.ssl_context(H1_ALPN) if tls else None
        url = cfg.tls_url if tls else cfg.url
        async with httpcore.AsyncConnectionPool(ssl_context=ssl_context) as pool:
            if tls:
                version = (await pool.request("GET", url("/"))).extensions.get("http_version")
                check(version == b"HTTP/1.1", f"the warm-up response came over {version!r}")

            async def fetch(path: str) -> tuple[int, int]:
                size = 0
                async with pool.stream("GET", url(path)) as response:
                    async for chunk in response.aiter_stream():
                        size += len(chunk)
                return response.status, size

            return await adownloads(cfg, fetch)

    return run


def aiohttp_async(tls: bool = False) -> Callable[[ChildConfig], Awaitable[Measurement]]:
    async def run(cfg: ChildConfig) -> Measurement:
        import aiohttp

        # aiohttp speaks HTTP/1.1 only; over TLS it gets the same context as the others.
        connector = aiohttp.TCPConnector(limit=1, ssl=cfg.ssl_context(H1_ALPN) if tls else True)
        url = cfg.tls_url if tls else cfg.url
        async with aiohttp.ClientSession(connector=connector) as session:

            async def fetch(path: str) -> tuple[int, int]:
                size = 0
                async with session.get(url(path)) as response:
                    # iter_any(): each chunk as it was read, like the httpcore streams. (On
                    # this aiohttp, iter_chunked(64 KiB) gets ~3x slower from the 2nd download
                    # on a reused connection, which would flatter the others.)
                    async for chunk in response.content.iter_any():
                        size += len(chunk)
                return response.status, size

            return await adownloads(cfg, fetch)

    return run


def tls_cases(
    group: str, ours: ClientFn, old: ClientFn, new: ClientFn, other: tuple[str, ClientFn, str]
) -> tuple[Case, ...]:
    """The HTTP/1.1-over-TLS cases of ``group``, each divided by ours-h1-tls."""
    pool = "SyncConnectionPool" if group == "sync" else "AsyncConnectionPool"
    stream = "iter_stream()" if group == "sync" else "aiter_stream()"
    loop = "iterate stream" if group == "sync" else "async for"
    peer, fn, api = other
    return tuple(
        Case(group, name, f, f"{text}, TLS h1", reference="ours-h1-tls")
        for name, f, text in (
            ("ours-h1-tls", ours, f"{pool}, {loop}"),
            ("httpcore-0.12.3-tls", old, f"{pool}, {loop}"),
            ("httpcore-1.0.9-tls", new, f"{pool.replace('Sync', '')}.stream, {stream}"),
            (peer, fn, api),
        )
    )


SCENARIO = Scenario(
    name="d_download",
    title="(d) 50 MiB downloads, body read in chunks and discarded, one keep-alive connection",
    unit="MiB",
    cases=(
        # cleartext, HTTP/1.1: ratios divide ours
        *harness.api012_cases("sync", api012_sync, "SyncConnectionPool, iterate stream"),
        Case("sync", "httpcore-1.0.9", httpcore_1_sync(), "ConnectionPool.stream, iter_stream()"),
        Case("sync", "urllib3", urllib3_sync, "HTTPConnectionPool, stream(64 KiB)"),
        # TLS, HTTP/1.1 (ALPN http/1.1): ratios divide ours-h1-tls
        *tls_cases(
            "sync",
            api012_sync("ours", tls=True),
            api012_sync("httpcore-0.12.3", tls=True),
            httpcore_1_sync(tls=True),
            ("urllib3-tls", urllib3_sync_tls, "HTTPSConnectionPool, stream(64 KiB)"),
        ),
        *harness.api012_cases("async", api012_async, "AsyncConnectionPool, async for"),
        Case(
            "async",
            "httpcore-1.0.9",
            httpcore_1_async(),
            "AsyncConnectionPool.stream, aiter_stream()",
        ),
        Case("async", "aiohttp", aiohttp_async(), "ClientSession, content.iter_any()"),
        *tls_cases(
            "async",
            api012_async("ours", tls=True),
            api012_async("httpcore-0.12.3", tls=True),
            httpcore_1_async(tls=True),
            ("aiohttp-tls", aiohttp_async(tls=True), "ClientSession, content.iter_any()"),
        ),
        # TLS, HTTP/2 (ALPN h2), the same port: divides ours-h1-tls too
        Case(
            "async",
            "ours-h2",
            ours_h2_async,
            "AsyncConnectionPool(http2=True), TLS h2, async for",
            reference="ours-h1-tls",
        ),
    ),
    **harness.LARGE_BODY_RUNS,
    notes=(
        "The *-tls clients download over TLS on the port that also speaks HTTP/2, offering "
        "only ALPN http/1.1; their ratio columns are ours-h1-tls ÷ client.",
        "async/ours-h2 is our pool over HTTP/2 on the same TLS port; its ratio column is "
        "ours-h1-tls ÷ ours-h2, like with like (target: ours-h2 >= 0.8x ours-h1-tls, i.e. "
        "<= 1.25x).",
    ),
)

if __name__ == "__main__":
    sys.exit(harness.main(SCENARIO, __file__))
