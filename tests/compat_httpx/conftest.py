"""Fixtures for the drop-in tests: the same real servers (and pproxy) as the pool and
proxy tests."""

from __future__ import annotations

from ..servers.fixtures import (
    client_ssl_context,
    hypercorn_http,
    hypercorn_https,
    hypercorn_uds,
    nginx,
    pproxy_http,
    pproxy_https,
    raw_server,
    tls_ca,
    tls_material,
)

__all__ = [
    "client_ssl_context",
    "hypercorn_http",
    "hypercorn_https",
    "hypercorn_uds",
    "nginx",
    "pproxy_http",
    "pproxy_https",
    "raw_server",
    "tls_ca",
    "tls_material",
]
