"""Fixtures for the proxy tests: the real servers of :mod:`tests.servers`, pproxy among
them, imported here so pytest offers them to this package."""

from __future__ import annotations

from ..servers.fixtures import (
    client_ssl_context,
    h2_context,
    h2_server,
    hypercorn_http,
    hypercorn_https,
    hypercorn_server,
    pproxy_http,
    pproxy_https,
    raw_server,
    tls_ca,
    tls_material,
)

__all__ = [
    "client_ssl_context",
    "h2_context",
    "h2_server",
    "hypercorn_http",
    "hypercorn_https",
    "hypercorn_server",
    "pproxy_http",
    "pproxy_https",
    "raw_server",
    "tls_ca",
    "tls_material",
]
