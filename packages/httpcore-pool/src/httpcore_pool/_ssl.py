"""TLS contexts: ours verifies against certifi's bundle; a caller's keeps its settings.

httpcore 0.12.3 built its default context without verification settings it could rely
on; we verify by default. A caller's context is used as it is, with one exception the
0.12 API itself requires: ``http2=True`` sets its ALPN protocols to offer ``h2``.
httpx 0.16 and 0.17 build their context without ``h2`` and count on the pool for that,
as httpcore 0.12.3 and 1.x both do.
"""

from __future__ import annotations

import functools
import ssl

import certifi

__all__ = ["HTTP2_ALPN", "default_ssl_context", "ssl_context_for"]

#: h2 first: servers that honour the client's order (Python's ssl does) then pick it.
HTTP2_ALPN = ["h2", "http/1.1"]


@functools.lru_cache(maxsize=2)
def default_ssl_context(http2: bool = False) -> ssl.SSLContext:
    """A shared verifying context per ALPN offer: building one loads the CA bundle."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(HTTP2_ALPN if http2 else ["http/1.1"])
    return context


def ssl_context_for(ssl_context: ssl.SSLContext | None, http2: bool = False) -> ssl.SSLContext:
    """The caller's context (offering h2 if ``http2``), else ours."""
    if ssl_context is None:
        return default_ssl_context(http2)
    if not isinstance(ssl_context, ssl.SSLContext):
        raise TypeError(f"ssl_context must be an ssl.SSLContext, not {type(ssl_context).__name__}")
    if http2:
        ssl_context.set_alpn_protocols(HTTP2_ALPN)
    return ssl_context
