"""The httpcore 0.12 API calls shared by the `ours` and `httpcore-0.12.3` clients.

Imported only inside a child process running in the `ours` or `httpcore-0.12.3` env.
"""

from __future__ import annotations

from typing import Any

import harness

URL = tuple[bytes, bytes, int, bytes]
Headers = list[tuple[bytes, bytes]]

POOL_HINT = (
    "the connection pool is not exported by our httpcore yet "
    "(is packages/httpcore-pool there? re-run: bash benchmarks/setup_envs.sh ours)"
)


def load(peer: str, *names: str) -> Any:
    """Import ``httpcore`` and make sure it is the one this peer should have."""
    import httpcore

    where = httpcore.__file__ or "?"
    version = getattr(httpcore, "__version__", "?")
    if peer == "ours":
        if "/packages/httpcore/" not in where:
            raise harness.MissingClient(f"the ours env imports httpcore from {where}")
        for name in names:
            harness.require_attr(httpcore, name, POOL_HINT)
    elif not version.startswith("0.12."):
        raise harness.MissingClient(f"expected httpcore 0.12.x, found {version} at {where}")
    return httpcore


def url(cfg: harness.ChildConfig, path: str) -> URL:
    return (b"http", cfg.host.encode("ascii"), cfg.port, path.encode("ascii"))


def headers(cfg: harness.ChildConfig, *extra: tuple[bytes, bytes]) -> Headers:
    return [(b"Host", cfg.authority.encode("ascii")), *extra]


def tls_url(cfg: harness.ChildConfig, path: str) -> URL:
    """``path`` on the TLS port, where nginx speaks HTTP/2 (ALPN h2)."""
    return (b"https", cfg.host.encode("ascii"), cfg.tls_port, path.encode("ascii"))


def tls_headers(cfg: harness.ChildConfig, *extra: tuple[bytes, bytes]) -> Headers:
    return [(b"Host", cfg.tls_authority.encode("ascii")), *extra]


def http2_pool(httpcore: Any, cfg: harness.ChildConfig) -> Any:
    """``AsyncConnectionPool(http2=True, ssl_context=...)``; a clear failure if refused."""
    try:
        return httpcore.AsyncConnectionPool(http2=True, ssl_context=cfg.ssl_context())
    except (ValueError, TypeError, NotImplementedError, ImportError) as exc:
        raise harness.Unsupported(f"http2 not supported: {type(exc).__name__}: {exc}") from exc


async def check_http2(pool: Any, target: URL, hdrs: Headers) -> None:
    """The warm-up GET of a 2,000-byte body: it must have been answered over HTTP/2."""
    await check_version(pool, target, hdrs, "HTTP/2")


def _check_warm_up(status: int, size: int, ext: dict[str, Any], expected: str) -> None:
    harness.check((status, size) == (200, harness.SMALL_BODY_SIZE), "warm-up GET / failed")
    version = ext.get("http_version")
    harness.check(version == expected, f"the warm-up response came over {version}, not {expected}")


async def check_version(pool: Any, target: URL, hdrs: Headers, expected: str) -> None:
    """The warm-up GET of a 2,000-byte body, answered over ``expected`` ("HTTP/1.1"...)."""
    status, _headers, body, ext = await pool.arequest(
        b"GET", target, headers=hdrs, stream=None, ext={}
    )
    _check_warm_up(status, await _adiscard(body), ext, expected)


def check_version_sync(pool: Any, target: URL, hdrs: Headers, expected: str) -> None:
    """:func:`check_version` on a SyncConnectionPool."""
    status, _headers, body, ext = pool.request(b"GET", target, headers=hdrs, stream=None, ext={})
    _check_warm_up(status, _discard(body), ext, expected)


def request(
    pool: Any, method: bytes, target: URL, hdrs: Headers, stream: Any = None
) -> tuple[int, int]:
    """One request on a SyncConnectionPool; the body is read and discarded.

    Returns (status, body size).
    """
    status, _headers, body, _ext = pool.request(method, target, headers=hdrs, stream=stream, ext={})
    return status, _discard(body)


async def arequest(
    pool: Any, method: bytes, target: URL, hdrs: Headers, stream: Any = None
) -> tuple[int, int]:
    """One request on an AsyncConnectionPool; the body is read and discarded."""
    status, _headers, body, _ext = await pool.arequest(
        method, target, headers=hdrs, stream=stream, ext={}
    )
    return status, await _adiscard(body)


def _discard(body: Any) -> int:
    """Read a response body to its end and close it; how many bytes it had."""
    size = 0
    try:
        for chunk in body:
            size += len(chunk)
    finally:
        body.close()
    return size


async def _adiscard(body: Any) -> int:
    """:func:`_discard` on an async body."""
    size = 0
    try:
        async for chunk in body:
            size += len(chunk)
    finally:
        await body.aclose()
    return size
