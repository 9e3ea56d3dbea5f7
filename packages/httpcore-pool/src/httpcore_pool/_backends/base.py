"""Abstract backends and streams, async and sync: the interfaces only.

The implementations and the factory that picks one by name are in ``_backends/__init__.py``.
"""

from __future__ import annotations

import ssl
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

__all__ = [
    "AsyncDeliveringStream",
    "AsyncNetworkBackend",
    "AsyncNetworkStream",
    "Receiver",
    "SyncNetworkBackend",
    "SyncNetworkStream",
]

#: Bytes asked of the socket per read: large reads keep per-byte overhead low.
READ_SIZE = 64 * 1024

#: Takes what a delivering stream received: bytes, ``b""`` at the end of the stream, or
#: the ``ReadError`` it failed with.
Receiver = Callable[[bytes | Exception], None]


class AsyncNetworkStream(ABC):
    """One connection's byte stream. Errors are raised as httpcore exceptions."""

    @abstractmethod
    async def read(self, max_bytes: int, timeout: float | None) -> bytes:
        """Return up to ``max_bytes``; ``b""`` once the peer has closed."""

    @abstractmethod
    async def write(self, data: bytes, timeout: float | None) -> None: ...

    @abstractmethod
    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> AsyncNetworkStream:
        """Return a TLS stream over this one; on failure this stream is closed."""

    def share(self) -> None:  # noqa: B027 - deliberately a no-op unless overridden
        """From now on a reader and a writer use this stream at once (HTTP/2); streams
        whose operations would interfere then switch to ones that do not."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close at once, without waiting for the peer; safe to call twice."""

    @abstractmethod
    def is_readable(self) -> bool:
        """True if data or EOF is waiting: on an idle connection, the server gave up."""

    @abstractmethod
    def get_extra_info(self, name: str) -> Any:
        """``"ssl_object"``, ``"client_addr"`` or ``"server_addr"``, else None."""


class AsyncDeliveringStream(AsyncNetworkStream):
    """A stream that can hand what it receives straight to a callback, as it arrives
    (asyncio's, whose protocols are called back): then an HTTP/2 connection needs no
    task to read for it. A capability of one backend, not a duty of every stream."""

    @abstractmethod
    def deliver_to(self, receiver: Receiver) -> None:
        """Hand everything received from now on (and anything buffered) to ``receiver``
        instead of keeping it for ``read()``."""

    @abstractmethod
    def write_now(self, data: bytes, hold_reading: bool = False) -> None:
        """Send ``data`` without waiting, after those of earlier writes. Raises
        ``WriteError`` if the stream is closed.

        ``hold_reading``: if the peer is not reading what we send, deliver nothing more
        until it reads again, so that answers to what it sends (acknowledgements) cannot
        pile up in memory."""

    @abstractmethod
    def call_soon(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the tasks ready now have run: what they queue then goes
        out in one write."""


class AsyncNetworkBackend(ABC):
    """Opens streams for one concurrency library."""

    @abstractmethod
    async def connect_tcp(
        self, host: str, port: int, timeout: float | None, local_address: str | None
    ) -> AsyncNetworkStream: ...

    @abstractmethod
    async def connect_unix_socket(self, path: str, timeout: float | None) -> AsyncNetworkStream: ...

    @abstractmethod
    async def sleep(self, seconds: float) -> None: ...


class SyncNetworkStream(ABC):
    """One connection's byte stream. Errors are raised as httpcore exceptions."""

    @abstractmethod
    def read(self, max_bytes: int, timeout: float | None) -> bytes:
        """Return up to ``max_bytes``; ``b""`` once the peer has closed."""

    @abstractmethod
    def write(self, data: bytes, timeout: float | None) -> None: ...

    @abstractmethod
    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> SyncNetworkStream:
        """Return a TLS stream over this one; on failure this stream is closed."""

    def share(self) -> None:  # noqa: B027 - deliberately a no-op unless overridden
        """From now on a reader and a writer use this stream at once (HTTP/2); streams
        whose operations would interfere then switch to ones that do not."""

    @abstractmethod
    def close(self) -> None:
        """Close at once, without waiting for the peer; safe to call twice."""

    @abstractmethod
    def is_readable(self) -> bool:
        """True if data or EOF is waiting: on an idle connection, the server gave up."""

    @abstractmethod
    def get_extra_info(self, name: str) -> Any:
        """``"ssl_object"``, ``"client_addr"`` or ``"server_addr"``, else None."""


class SyncNetworkBackend(ABC):
    """Opens streams with blocking sockets."""

    @abstractmethod
    def connect_tcp(
        self, host: str, port: int, timeout: float | None, local_address: str | None
    ) -> SyncNetworkStream: ...

    @abstractmethod
    def connect_unix_socket(self, path: str, timeout: float | None) -> SyncNetworkStream: ...

    @abstractmethod
    def sleep(self, seconds: float) -> None: ...
