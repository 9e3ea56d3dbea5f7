"""Interoperability with nginx (Debian's build) over HTTP/1.1, plain and TLS."""

from __future__ import annotations

import hashlib
import ssl

import pytest

from httpcore_pool import AsyncConnectionPool
from httpcore_streams import PlainByteStream
from tests.servers.nginx import Nginx


@pytest.mark.anyio
async def test_keepalive_requests_limit_is_survived(nginx: Nginx) -> None:
    # nginx closes each connection after 50 requests (keepalive_requests 50).
    async with AsyncConnectionPool() as pool:
        for _ in range(120):
            status, _, stream, _ = await pool.arequest(b"GET", nginx.http.url("/"))
            body = b"".join([chunk async for chunk in stream])
            await stream.aclose()
            assert (status, len(body)) == (200, 2000)


@pytest.mark.anyio
async def test_large_download_over_tls(nginx: Nginx, client_ssl_context: ssl.SSLContext) -> None:
    expected = hashlib.sha256(nginx.large_body()).hexdigest()
    async with AsyncConnectionPool(ssl_context=client_ssl_context) as pool:
        status, _, stream, ext = await pool.arequest(b"GET", nginx.https.url("/large"))
        digest = hashlib.sha256()
        async for chunk in stream:
            digest.update(chunk)
        await stream.aclose()
    assert (status, ext["http_version"], ext["reason"]) == (200, "HTTP/1.1", "OK")
    assert digest.hexdigest() == expected


@pytest.mark.anyio
async def test_upload(nginx: Nginx) -> None:
    body = b"x" * 3_000_000
    async with AsyncConnectionPool() as pool:
        status, _, stream, _ = await pool.arequest(
            b"POST",
            nginx.http.url("/upload"),
            headers=[(b"Content-Length", str(len(body)).encode())],
            stream=PlainByteStream(body),
        )
        await stream.aclose()
    assert status == 200
