"""The shared server fixtures, offered to the infrastructure's own self-tests."""

from __future__ import annotations

from .fixtures import (
    client_ssl_context,
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
    "hypercorn_http",
    "hypercorn_https",
    "hypercorn_server",
    "hypercorn_uds",
    "nginx",
    "raw_server",
    "tls_ca",
    "tls_material",
]
