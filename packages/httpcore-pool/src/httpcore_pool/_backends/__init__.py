"""Network backends: the narrow I/O surface the protocol code is written against.

A backend opens streams (TCP or Unix socket, optionally upgraded to TLS); a stream reads,
writes and closes with per-operation timeouts and raises httpcore exceptions only.
Protocol code never touches sockets, so tests can drive it with an in-memory stream.

``base.py`` holds the abstract interfaces; this module is the factory that picks an
implementation by name (anyio, with its asyncio fast path, or blocking sockets). The
implementations are imported when a pool asks for one, not when this package is imported.
"""

from __future__ import annotations

from .base import AsyncNetworkBackend, SyncNetworkBackend

__all__ = [
    "ASYNC_BACKEND_NAMES",
    "SYNC_BACKEND_NAMES",
    "lookup_async_backend",
    "lookup_sync_backend",
]

ASYNC_BACKEND_NAMES = ("auto", "asyncio", "trio", "anyio")
SYNC_BACKEND_NAMES = ("sync",)


def lookup_async_backend(name: str) -> AsyncNetworkBackend:
    """The backend for an async pool's ``backend`` argument."""
    if name not in ASYNC_BACKEND_NAMES:
        raise ValueError(
            f"Unknown backend {name!r}: an async pool accepts "
            + ", ".join(repr(n) for n in ASYNC_BACKEND_NAMES)
        )
    from .anyio_backend import AnyIOBackend

    return AnyIOBackend(name)


def lookup_sync_backend(name: str) -> SyncNetworkBackend:
    """The backend for a sync pool's ``backend`` argument."""
    if name not in SYNC_BACKEND_NAMES:
        raise ValueError(
            f"Unknown backend {name!r}: a sync pool accepts "
            + ", ".join(repr(n) for n in SYNC_BACKEND_NAMES)
        )
    from .sync_backend import SyncBackend

    return SyncBackend()
