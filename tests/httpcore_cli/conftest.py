"""Fixtures for the CLI tests: the real servers of :mod:`tests.servers`."""

from __future__ import annotations

from ..servers.fixtures import (
    hypercorn_http,
    hypercorn_https,
    hypercorn_uds,
    pproxy_http,
    raw_server,
    tls_ca,
    tls_material,
)

__all__ = [
    "hypercorn_http",
    "hypercorn_https",
    "hypercorn_uds",
    "pproxy_http",
    "raw_server",
    "tls_ca",
    "tls_material",
]
