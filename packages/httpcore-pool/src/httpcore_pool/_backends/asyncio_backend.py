"""The asyncio fast path: streams on asyncio's own transports and protocols.

anyio's streams cost an extra event-loop round trip per send and per receive (each starts
with a checkpoint); under many concurrent requests that is most of the I/O overhead. When
the pool runs on asyncio, this backend reads into a buffer filled by the protocol and
writes straight to the transport, waiting only when the kernel's buffers are full. Timeouts
and cancellation still come from anyio cancel scopes, which cancel the awaiting task.

An HTTP/2 connection may instead have what arrives delivered to it from the protocol's
callbacks (``deliver_to``), as asyncio protocols are meant to be used: then no task has to
wake up to read, and acknowledgements go out at once (``write_now``).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

import anyio

from httpcore_interfaces import ConnectError, ReadError, WriteError

from .._exceptions import CONNECT, READ, TLS_HANDSHAKE, WRITE, describe_os_error
from ._async.tls_in_tls import AsyncTLSInTLSStream
from ._sockets import set_nodelay
from .base import AsyncDeliveringStream, AsyncNetworkStream, Receiver

__all__ = ["AsyncIOStream", "open_asyncio_tcp_stream", "open_asyncio_unix_stream"]

#: Stop reading from the socket when this much is buffered and unread.
_HIGH_WATER = 256 * 1024


class _StreamProtocol(asyncio.Protocol):
    """Buffers what arrives and wakes the one reader or writer that waits."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        # Received chunks as they came: handing a chunk on whole copies nothing.
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.read_waiter: asyncio.Future[None] | None = None
        self.write_waiter: asyncio.Future[None] | None = None
        self.paused_writing = False
        self.paused_reading = False
        #: Set by ``AsyncIOStream.deliver_to``: takes what arrives instead of ``chunks``.
        self.receiver: Receiver | None = None
        self.held_reading = False  # paused until the peer reads what we wrote

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.receiver is not None:
            self.receiver(data)
            return
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
            self.paused_reading = True
        self._wake_reader()

    def eof_received(self) -> bool:
        self._end(None)
        return False  # nothing is written after the peer's EOF: let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self._end(exc)
        self._wake_writer()

    def _end(self, exc: Exception | None) -> None:
        """The end of what arrives: EOF, or the connection's failure."""
        delivered = self.eof and self.error is None
        self.eof = True
        if exc is not None and self.error is None:
            self.error = exc
        if self.receiver is not None:
            if exc is not None:
                self.receiver(ReadError(describe_os_error(exc)))
            elif not delivered:
                self.receiver(b"")
        self._wake_reader()

    def pause_writing(self) -> None:
        self.paused_writing = True

    def resume_writing(self) -> None:
        self.paused_writing = False
        if self.held_reading:  # see AsyncIOStream.write_now
            self.held_reading = self.paused_reading = False
            if self.transport is not None:
                self.transport.resume_reading()
        self._wake_writer()

    def _wake_reader(self) -> None:
        waiter, self.read_waiter = self.read_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_writer(self) -> None:
        waiter, self.write_waiter = self.write_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class AsyncIOStream(AsyncDeliveringStream):
    __slots__ = ("_below", "_loop", "_protocol", "_transport")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        transport: asyncio.Transport,
        protocol: _StreamProtocol,
        below: asyncio.Transport | None = None,
    ) -> None:
        """``below``: the TCP transport under a TLS one. It learns first that the
        connection is lost; the TLS transport only once its callback has run."""
        self._loop = loop
        self._transport = transport
        self._protocol = protocol
        self._below = below

    async def read(self, max_bytes: int, timeout: float | None) -> bytes:
        protocol = self._protocol
        if not protocol.chunks and not protocol.eof:
            try:  # the cheap form of READ.mapping(): every read of a response waits here
                if timeout is None:  # as _wait_readable, one coroutine fewer
                    waiter = protocol.read_waiter = self._loop.create_future()
                    await waiter
                else:
                    with anyio.fail_after(timeout):
                        await self._wait_readable()
            except READ.catches as exc:
                raise READ.error(exc, timeout=timeout) from exc
        if protocol.chunks:
            data = protocol.chunks.popleft()
            if len(data) > max_bytes:
                protocol.chunks.appendleft(data[max_bytes:])
                data = data[:max_bytes]
            protocol.buffered -= len(data)
            if protocol.paused_reading and protocol.buffered <= _HIGH_WATER // 2:
                protocol.paused_reading = False
                if protocol.transport is not None:
                    protocol.transport.resume_reading()
            return data
        if protocol.error is not None:
            raise ReadError(describe_os_error(protocol.error)) from protocol.error
        if self._transport.is_closing() and not protocol.eof:  # pragma: no cover
            raise ReadError("The connection is closed")
        return b""

    async def _wait_readable(self) -> None:
        waiter = self._loop.create_future()
        self._protocol.read_waiter = waiter
        await waiter

    async def write(self, data: bytes, timeout: float | None) -> None:
        if not data:
            return
        protocol = self._protocol
        self.write_now(data)
        if not protocol.paused_writing:
            return
        with WRITE.mapping(timeout=timeout):
            if timeout is None:
                await self._wait_writable()
            else:
                with anyio.fail_after(timeout):
                    await self._wait_writable()
        if protocol.error is not None:
            raise WriteError(describe_os_error(protocol.error)) from protocol.error

    def write_now(self, data: bytes, hold_reading: bool = False) -> None:
        """Into the transport's buffer, in order: ``write`` starts with this too, before
        any wait, so bytes taken from h2 in turn go out in turn."""
        protocol = self._protocol
        error = protocol.error
        if error is not None or self._is_closing():
            # Writing on would go nowhere, and asyncio would log each write.
            raise WriteError(describe_os_error(error) if error else "The connection is closed")
        self._transport.write(data)
        if hold_reading and protocol.paused_writing and not protocol.paused_reading:
            protocol.paused_reading = protocol.held_reading = True
            self._transport.pause_reading()

    def call_soon(self, callback: Callable[[], None]) -> None:
        self._loop.call_soon(callback)

    def deliver_to(self, receiver: Receiver) -> None:
        protocol = self._protocol
        protocol.receiver = receiver
        while protocol.chunks:  # what arrived before, first
            receiver(protocol.chunks.popleft())
        protocol.buffered = 0
        if protocol.paused_reading:
            protocol.paused_reading = False
            self._transport.resume_reading()
        if protocol.eof:
            error = protocol.error
            receiver(ReadError(describe_os_error(error)) if error is not None else b"")

    def _is_closing(self) -> bool:
        below = self._below
        return self._transport.is_closing() or (below is not None and below.is_closing())

    async def _wait_writable(self) -> None:
        protocol = self._protocol
        while protocol.paused_writing and protocol.error is None:
            if self._is_closing():
                raise WriteError("The connection was closed during the write")
            waiter = self._loop.create_future()
            protocol.write_waiter = waiter
            await waiter

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> AsyncNetworkStream:
        if self._transport.get_extra_info("ssl_object") is not None:  # through an https proxy
            return await AsyncTLSInTLSStream.handshake(self, ssl_context, server_hostname, timeout)
        with TLS_HANDSHAKE.mapping(timeout=timeout):
            try:
                with anyio.fail_after(timeout):
                    transport = await self._loop.start_tls(
                        self._transport,
                        self._protocol,
                        ssl_context,
                        server_hostname=server_hostname,
                    )
            except BaseException:
                await self.aclose()
                raise
        if transport is None:  # pragma: no cover - the handshake succeeded but the peer left
            raise ConnectError("TLS handshake failed: the connection was closed")
        assert isinstance(transport, asyncio.Transport)
        # From now on the protocol must pause and resume the TLS transport, not the TCP one
        # below it: start_tls() does not call connection_made() again.
        self._protocol.transport = transport
        return AsyncIOStream(self._loop, transport, self._protocol, below=self._transport)

    async def aclose(self) -> None:
        # abort(): no wait for buffered data or a TLS close_notify. The socket itself is
        # closed by a callback on the next loop iteration: yield once, so that it is
        # closed when aclose() returns.
        if not self._transport.is_closing():
            self._transport.abort()
            await asyncio.sleep(0)

    def is_readable(self) -> bool:
        protocol = self._protocol
        return bool(protocol.chunks) or protocol.eof or protocol.error is not None

    def get_extra_info(self, name: str) -> Any:
        if name == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if name == "client_addr":
            return self._transport.get_extra_info("sockname")
        if name == "server_addr":
            return self._transport.get_extra_info("peername")
        return None


async def open_asyncio_tcp_stream(
    host: str, port: int, timeout: float | None, local_address: str | None
) -> AsyncNetworkStream:
    loop = asyncio.get_running_loop()
    local_addr = None if local_address is None else (local_address, 0)
    return await _open(
        loop.create_connection(_StreamProtocol, host, port, local_addr=local_addr),
        f"{host}:{port}",
        timeout,
    )


async def open_asyncio_unix_stream(path: str, timeout: float | None) -> AsyncNetworkStream:
    loop = asyncio.get_running_loop()
    return await _open(loop.create_unix_connection(_StreamProtocol, path), path, timeout)


async def _open(
    connecting: Coroutine[Any, Any, tuple[asyncio.BaseTransport, _StreamProtocol]],
    target: str,
    timeout: float | None,
) -> AsyncNetworkStream:
    with CONNECT.mapping(target=target, timeout=timeout), anyio.fail_after(timeout):
        transport, protocol = await connecting
    sock = transport.get_extra_info("socket")
    if sock is not None:
        set_nodelay(sock)
    assert isinstance(transport, asyncio.Transport)
    return AsyncIOStream(asyncio.get_running_loop(), transport, protocol)
