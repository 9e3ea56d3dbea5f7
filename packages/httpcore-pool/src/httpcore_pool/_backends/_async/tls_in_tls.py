"""TLS over a stream that is already TLS: a tunnel through an https proxy.

The inner TLS runs in memory: an ``ssl.SSLObject`` between two memory BIOs, whose records
travel over the outer stream. The sync backend needs this because ``wrap_socket`` wants a
real socket; the asyncio one because ``loop.start_tls()`` over a TLS transport is missing
before Python 3.11 and, in 3.11, fails with a ``TypeError`` in a loop callback when the
inner handshake fails. (anyio layers TLS over any stream and needs none of it.)
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any, TypeVar

from ..._exceptions import READ, TLS_HANDSHAKE, WRITE
from ..._synchronization import AsyncLock, AsyncPoolLock
from ..base import READ_SIZE, AsyncNetworkStream

__all__ = ["AsyncTLSInTLSStream"]

T = TypeVar("T")


class AsyncTLSInTLSStream(AsyncNetworkStream):
    """A TLS session carried by another stream. One reader and one writer may use it at
    once, as HTTP/2 does: the TLS state has one lock (taken without I/O), and the records
    it produces go out in order under another."""

    def __init__(
        self,
        transport: AsyncNetworkStream,
        ssl_object: ssl.SSLObject,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
    ) -> None:
        self._transport = transport
        self._ssl_object = ssl_object
        self._incoming = incoming
        self._outgoing = outgoing
        self._tls_lock = AsyncPoolLock()
        self._send_lock = AsyncLock()

    @classmethod
    async def handshake(
        cls,
        transport: AsyncNetworkStream,
        ssl_context: ssl.SSLContext,
        server_hostname: str,
        timeout: float | None,
    ) -> AsyncTLSInTLSStream:
        """TLS to ``server_hostname`` over ``transport``; on failure it is closed."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        with TLS_HANDSHAKE.mapping(timeout=timeout):
            try:
                ssl_object = ssl_context.wrap_bio(
                    incoming, outgoing, server_hostname=server_hostname
                )
                stream = cls(transport, ssl_object, incoming, outgoing)
                await stream._run(ssl_object.do_handshake, timeout)
            except BaseException:
                await transport.aclose()
                raise
        return stream

    async def _run(self, operation: Callable[[], T], timeout: float | None) -> T:
        """Call ``operation`` until it needs no more bytes from the peer, sending the
        records it produces; the transport's errors pass through unchanged."""
        while True:
            with self._tls_lock:
                queued = self._outgoing.pending
                try:
                    result = operation()
                    done = True
                except ssl.SSLWantReadError:
                    done = False
                produced = self._outgoing.pending > queued
            if produced:
                # Records of ours go out before we go on. A call that produced none
                # (a read, mostly) never queues behind a writer blocked on a full
                # transport, whose peer may be waiting for us to read.
                await self._flush(timeout)
            if done:
                return result
            data = await self._transport.read(READ_SIZE, timeout)
            with self._tls_lock:
                if data:
                    self._incoming.write(data)
                else:
                    self._incoming.write_eof()

    async def _flush(self, timeout: float | None) -> None:
        """Send every record queued, in order; another caller may have sent ours."""
        async with self._send_lock:
            with self._tls_lock:
                data = self._outgoing.read()
            if data:
                await self._transport.write(data, timeout)

    async def read(self, max_bytes: int, timeout: float | None) -> bytes:
        try:
            return await self._run(lambda: self._ssl_object.read(max_bytes), timeout)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return b""  # closed, with or without close_notify: as the socket backend does
        except ssl.SSLError as exc:  # the transport's own failures pass through
            raise READ.error(exc, timeout=timeout) from exc

    async def write(self, data: bytes, timeout: float | None) -> None:
        try:
            # With memory BIOs, write() encrypts everything at once: no partial writes.
            await self._run(lambda: self._ssl_object.write(data), timeout)
        except ssl.SSLError as exc:
            raise WRITE.error(exc, timeout=timeout) from exc

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> AsyncNetworkStream:
        return await AsyncTLSInTLSStream.handshake(self, ssl_context, server_hostname, timeout)

    def share(self) -> None:
        self._transport.share()

    async def aclose(self) -> None:
        await self._transport.aclose()

    def is_readable(self) -> bool:
        return bool(self._ssl_object.pending() or self._incoming.pending) or (
            self._transport.is_readable()
        )

    def get_extra_info(self, name: str) -> Any:
        if name == "ssl_object":
            return self._ssl_object
        return self._transport.get_extra_info(name)
