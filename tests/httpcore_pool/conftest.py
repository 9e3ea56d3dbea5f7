"""Fixtures for the pool tests: real servers from :mod:`tests.servers`.

The fixtures live in :mod:`tests.servers.fixtures` so the proxy tests can import the same
ones; importing them here is what makes pytest offer them to this package.
"""

from __future__ import annotations

from ..servers.fixtures import (
    client_ssl_context,
    h2_context,
    h2_server,
    hypercorn_http,
    hypercorn_https,
    hypercorn_server,
    hypercorn_uds,
    nginx,
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
    "hypercorn_uds",
    "nginx",
    "raw_server",
    "tls_ca",
    "tls_material",
]
