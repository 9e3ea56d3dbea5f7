"""The default TLS context: certificates and hostnames verified against certifi's bundle.

httpcore 0.12.3 built its default context without verification settings it could rely
on; we verify by default and never mutate a context the caller passes in.
"""

from __future__ import annotations

import functools
import ssl

import certifi

__all__ = ["default_ssl_context", "ssl_context_for"]


@functools.lru_cache(maxsize=2)
def default_ssl_context(http2: bool = False) -> ssl.SSLContext:
    """A shared verifying context per ALPN offer: building one loads the CA bundle."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(["h2", "http/1.1"] if http2 else ["http/1.1"])
    return context


def ssl_context_for(ssl_context: ssl.SSLContext | None, http2: bool = False) -> ssl.SSLContext:
    """The caller's context as it is (its ALPN decides whether h2 is offered), else ours."""
    if ssl_context is None:
        return default_ssl_context(http2)
    if not isinstance(ssl_context, ssl.SSLContext):
        raise TypeError(f"ssl_context must be an ssl.SSLContext, not {type(ssl_context).__name__}")
    return ssl_context
