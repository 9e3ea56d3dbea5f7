"""The default TLS context: certificates and hostnames verified against certifi's bundle.

httpcore 0.12.3 built its default context without verification settings it could rely
on; we verify by default and never mutate a context the caller passes in.
"""

from __future__ import annotations

import functools
import ssl

import certifi

__all__ = ["default_ssl_context", "ssl_context_for"]

ALPN_HTTP11 = ["http/1.1"]


@functools.lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """One shared verifying context: building it loads the CA bundle, which is slow."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(ALPN_HTTP11)
    return context


def ssl_context_for(ssl_context: ssl.SSLContext | None) -> ssl.SSLContext:
    if ssl_context is None:
        return default_ssl_context()
    if not isinstance(ssl_context, ssl.SSLContext):
        raise TypeError(f"ssl_context must be an ssl.SSLContext, not {type(ssl_context).__name__}")
    return ssl_context
