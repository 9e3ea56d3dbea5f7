"""One request and its whole response, the way most pool and proxy tests need it.

``scripts/unasync.py`` generates the sync twin of this file in ``../_sync/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from httpcore_interfaces import AsyncByteStream
from httpcore_pool import AsyncConnectionPool
from httpcore_streams import AsyncIteratorByteStream


def one_shot(body: bytes, chunk_size: int = 64 * 1024) -> AsyncIteratorByteStream:
    """``body`` as a stream that can be read once, as a generator gives it."""

    async def produce() -> AsyncIterator[bytes]:
        for start in range(0, len(body), chunk_size):
            yield body[start : start + chunk_size]

    return AsyncIteratorByteStream(produce())


async def read_all(stream: AsyncByteStream) -> bytes:
    """The whole body; the stream is closed either way."""
    try:
        return b"".join([chunk async for chunk in stream])
    finally:
        await stream.aclose()


async def fetch(
    pool: AsyncConnectionPool, url: Any, method: bytes = b"GET", **kwargs: Any
) -> tuple[int, list[tuple[bytes, bytes]], bytes, dict[str, Any]]:
    """``(status, headers, body, ext)`` of one request through ``pool`` (or a proxy)."""
    status, headers, stream, ext = await pool.arequest(method, url, **kwargs)
    return status, headers, await read_all(stream), ext


async def connection_states(pool: AsyncConnectionPool) -> list[str]:
    """Every connection's summary from ``get_connection_info()``, origins left out."""
    info = await pool.get_connection_info()
    return [state for states in info.values() for state in states]
