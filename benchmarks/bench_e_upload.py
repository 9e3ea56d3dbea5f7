"""(e) 50 MiB streamed uploads (POST, 64 KiB chunks, Content-Length), sync and async.

    python benchmarks/bench_e_upload.py [--quick] [--rounds N] [--groups async] [--peers ours]

The sink (nginx /upload) reads the whole body before it answers 200.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import api012
import harness
from harness import Case, ChildConfig, Measurement, Scenario, Stopwatch, check

CHUNK = b"u" * harness.UPLOAD_CHUNK_SIZE
N_CHUNKS = harness.LARGE_BODY_SIZE // harness.UPLOAD_CHUNK_SIZE
LENGTH = str(N_CHUNKS * len(CHUNK))
Upload = Callable[[], tuple[int, int]]
AUpload = Callable[[], Awaitable[tuple[int, int]]]


def body() -> Iterator[bytes]:
    for _ in range(N_CHUNKS):
        yield CHUNK


async def abody() -> AsyncIterator[bytes]:
    for _ in range(N_CHUNKS):
        yield CHUNK


def uploads(cfg: ChildConfig, upload: Upload, warm_up: Upload) -> Measurement:
    """A small warm-up GET (opens the connection), then `repeat` timed uploads."""
    check(warm_up() == (200, harness.SMALL_BODY_SIZE), "warm-up GET / failed")
    repeat = cfg.int("repeat")
    bad = 0
    with Stopwatch() as sw:
        for _ in range(repeat):
            status, size = upload()
            bad += status != 200 or size != 3
    check(bad == 0, f"{bad} uploads were not answered 200 ok")
    return sw.measurement(repeat * harness.LARGE_BODY_SIZE / harness.MIB)


async def auploads(cfg: ChildConfig, upload: AUpload, warm_up: AUpload) -> Measurement:
    check(await warm_up() == (200, harness.SMALL_BODY_SIZE), "warm-up GET / failed")
    repeat = cfg.int("repeat")
    bad = 0
    with Stopwatch() as sw:
        for _ in range(repeat):
            status, size = await upload()
            bad += status != 200 or size != 3
    check(bad == 0, f"{bad} uploads were not answered 200 ok")
    return sw.measurement(repeat * harness.LARGE_BODY_SIZE / harness.MIB)


# ----- sync clients --------------------------------------------------------------------


def api012_sync(peer: str) -> Callable[[ChildConfig], Measurement]:
    def run(cfg: ChildConfig) -> Measurement:
        httpcore = api012.load(peer, "SyncConnectionPool", "IteratorByteStream")
        root, sink = api012.url(cfg, "/"), api012.url(cfg, "/upload")
        hdrs = api012.headers(cfg)
        post_hdrs = api012.headers(cfg, (b"Content-Length", LENGTH.encode()))
        pool: Any = httpcore.SyncConnectionPool()

        def upload() -> tuple[int, int]:
            stream = httpcore.IteratorByteStream(body())
            return api012.request(pool, b"POST", sink, post_hdrs, stream)

        try:
            return uploads(cfg, upload, lambda: api012.request(pool, b"GET", root, hdrs))
        finally:
            pool.close()

    return run


def httpcore_1_sync(cfg: ChildConfig) -> Measurement:
    import httpcore

    headers = {"Content-Length": LENGTH}
    with httpcore.ConnectionPool() as pool:

        def upload() -> tuple[int, int]:
            response = pool.request("POST", cfg.url("/upload"), headers=headers, content=body())
            return response.status, len(response.content)

        def warm_up() -> tuple[int, int]:
            response = pool.request("GET", cfg.url("/"))
            return response.status, len(response.content)

        return uploads(cfg, upload, warm_up)


def urllib3_sync(cfg: ChildConfig) -> Measurement:
    import urllib3

    headers = {"Content-Length": LENGTH}
    pool = urllib3.HTTPConnectionPool(cfg.host, cfg.port, maxsize=1)
    try:

        def upload() -> tuple[int, int]:
            response = pool.request("POST", "/upload", body=body(), headers=headers)
            return response.status, len(response.data)

        def warm_up() -> tuple[int, int]:
            response = pool.request("GET", "/")
            return response.status, len(response.data)

        return uploads(cfg, upload, warm_up)
    finally:
        pool.close()


# ----- async clients -------------------------------------------------------------------


def api012_async(peer: str) -> Callable[[ChildConfig], Awaitable[Measurement]]:
    async def run(cfg: ChildConfig) -> Measurement:
        httpcore = api012.load(peer, "AsyncConnectionPool", "AsyncIteratorByteStream")
        root, sink = api012.url(cfg, "/"), api012.url(cfg, "/upload")
        hdrs = api012.headers(cfg)
        post_hdrs = api012.headers(cfg, (b"Content-Length", LENGTH.encode()))
        pool: Any = httpcore.AsyncConnectionPool()

        async def upload() -> tuple[int, int]:
            stream = httpcore.AsyncIteratorByteStream(abody())
            return await api012.arequest(pool, b"POST", sink, post_hdrs, stream)

        async def warm_up() -> tuple[int, int]:
            return await api012.arequest(pool, b"GET", root, hdrs)

        try:
            return await auploads(cfg, upload, warm_up)
        finally:
            await pool.aclose()

    return run


async def httpcore_1_async(cfg: ChildConfig) -> Measurement:
    import httpcore

    headers = {"Content-Length": LENGTH}
    async with httpcore.AsyncConnectionPool() as pool:

        async def upload() -> tuple[int, int]:
            response = await pool.request(
                "POST", cfg.url("/upload"), headers=headers, content=abody()
            )
            return response.status, len(response.content)

        async def warm_up() -> tuple[int, int]:
            response = await pool.request("GET", cfg.url("/"))
            return response.status, len(response.content)

        return await auploads(cfg, upload, warm_up)


async def aiohttp_async(cfg: ChildConfig) -> Measurement:
    import aiohttp

    headers = {"Content-Length": LENGTH}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:

        async def upload() -> tuple[int, int]:
            async with session.post(cfg.url("/upload"), data=abody(), headers=headers) as resp:
                return resp.status, len(await resp.read())

        async def warm_up() -> tuple[int, int]:
            async with session.get(cfg.url("/")) as response:
                return response.status, len(await response.read())

        return await auploads(cfg, upload, warm_up)


SCENARIO = Scenario(
    name="e_upload",
    title="(e) 50 MiB streamed uploads: generator of 64 KiB chunks, Content-Length, one connection",
    unit="MiB",
    cases=(
        *harness.api012_cases("sync", api012_sync, "SyncConnectionPool, IteratorByteStream"),
        Case("sync", "httpcore-1.0.9", httpcore_1_sync, "ConnectionPool.request(content=gen)"),
        Case("sync", "urllib3", urllib3_sync, "HTTPConnectionPool.request(body=gen)"),
        *harness.api012_cases(
            "async", api012_async, "AsyncConnectionPool, AsyncIteratorByteStream"
        ),
        Case(
            "async",
            "httpcore-1.0.9",
            httpcore_1_async,
            "AsyncConnectionPool.request(content=agen)",
        ),
        Case("async", "aiohttp", aiohttp_async, "ClientSession.post(data=agen)"),
    ),
    **harness.LARGE_BODY_RUNS,
    notes=("The sink reads the whole body (into nginx's temp file) before it answers 200.",),
)

if __name__ == "__main__":
    sys.exit(harness.main(SCENARIO, __file__))
