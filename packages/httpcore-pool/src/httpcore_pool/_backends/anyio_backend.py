"""The async backend: anyio streams, so one code path serves asyncio and trio."""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
from typing import Any

import anyio
from anyio.abc import ByteStream, SocketAttribute
from anyio.streams.tls import TLSAttribute, TLSStream

from httpcore_interfaces import ConnectError, ConnectTimeout

from .._exceptions import CONNECT, READ, TLS_HANDSHAKE, WRITE
from ._sockets import set_nodelay, socket_is_readable
from .asyncio_backend import open_asyncio_tcp_stream, open_asyncio_unix_stream
from .base import AsyncNetworkBackend, AsyncNetworkStream

__all__ = ["AnyIOBackend", "AnyIOStream"]

# anyio's own stream errors are failures of the operation, as an OSError is.
_BROKEN = (anyio.BrokenResourceError, anyio.ClosedResourceError)
_READ = READ.treating(_BROKEN, like=OSError)
_WRITE = WRITE.treating(_BROKEN, like=OSError)
_TLS_HANDSHAKE = TLS_HANDSHAKE.treating(_BROKEN, like=OSError)


class AnyIOStream(AsyncNetworkStream):
    __slots__ = ("_raw_socket", "_stream")

    def __init__(self, stream: ByteStream) -> None:
        self._stream = stream
        self._raw_socket = stream.extra(SocketAttribute.raw_socket, None)

    async def read(self, max_bytes: int, timeout: float | None) -> bytes:
        try:
            if timeout is None:
                return await self._stream.receive(max_bytes)
            with anyio.fail_after(timeout):
                return await self._stream.receive(max_bytes)
        except anyio.EndOfStream:
            return b""
        except _READ.catches as exc:
            raise _READ.error(exc, timeout=timeout) from exc

    async def write(self, data: bytes, timeout: float | None) -> None:
        if not data:
            return
        try:
            if timeout is None:
                await self._stream.send(data)
            else:
                with anyio.fail_after(timeout):
                    await self._stream.send(data)
        except _WRITE.catches as exc:
            raise _WRITE.error(exc, timeout=timeout) from exc

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> AsyncNetworkStream:
        with _TLS_HANDSHAKE.mapping(timeout=timeout):
            try:
                with anyio.fail_after(timeout):
                    tls = await TLSStream.wrap(
                        self._stream,
                        hostname=server_hostname,
                        ssl_context=ssl_context,
                        standard_compatible=False,
                    )
            except anyio.EndOfStream as exc:
                await self.aclose()
                raise ConnectError("TLS handshake failed: server closed the connection") from exc
            except BaseException:
                await self.aclose()
                raise
        return AnyIOStream(tls)

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            await self._stream.aclose()

    def is_readable(self) -> bool:
        return socket_is_readable(self._raw_socket)

    def get_extra_info(self, name: str) -> Any:
        if name == "ssl_object":
            return self._stream.extra(TLSAttribute.ssl_object, None)
        if name == "client_addr":
            return self._stream.extra(SocketAttribute.local_address, None)
        if name == "server_addr":
            return self._stream.extra(SocketAttribute.remote_address, None)
        return None


class AnyIOBackend(AsyncNetworkBackend):
    """Runs on whichever event loop calls it: on asyncio through asyncio's own transports
    (see ``asyncio_backend``) unless ``backend="anyio"``, on trio through anyio streams.
    "asyncio" and "trio" also check that it is that loop, so a misconfigured program fails
    at once rather than subtly."""

    def __init__(self, name: str = "auto") -> None:
        self.name = name

    def _on_asyncio(self) -> bool:
        """Whether to take the asyncio fast path: on asyncio, unless "anyio" was asked for."""
        if self.name == "anyio":
            return False
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def _check_event_loop(self) -> None:
        if self.name == "asyncio":
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError(
                    "backend='asyncio' but no asyncio event loop is running"
                ) from None
        elif self.name == "trio":
            trio = sys.modules.get("trio")
            try:
                if trio is None:
                    raise RuntimeError
                trio.lowlevel.current_trio_token()
            except RuntimeError:
                raise RuntimeError("backend='trio' but no trio event loop is running") from None

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None, local_address: str | None
    ) -> AsyncNetworkStream:
        self._check_event_loop()
        if local_address is not None:
            try:
                with anyio.fail_after(timeout):
                    host = await _address_in_family_of(host, port, local_address)
            except TimeoutError as exc:
                raise ConnectTimeout(f"Timed out resolving {host} after {timeout}s") from exc
        if self._on_asyncio():
            return await open_asyncio_tcp_stream(host, port, timeout, local_address)
        with CONNECT.mapping(target=f"{host}:{port}", timeout=timeout), anyio.fail_after(timeout):
            stream = await anyio.connect_tcp(host, port, local_host=local_address)
        set_nodelay(stream.extra(SocketAttribute.raw_socket))
        return AnyIOStream(stream)

    async def connect_unix_socket(self, path: str, timeout: float | None) -> AsyncNetworkStream:
        self._check_event_loop()
        if self._on_asyncio():
            return await open_asyncio_unix_stream(path, timeout)
        with CONNECT.mapping(target=path, timeout=timeout), anyio.fail_after(timeout):
            stream = await anyio.connect_unix(path)
        return AnyIOStream(stream)

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


async def _address_in_family_of(host: str, port: int, local_address: str) -> str:
    """The first address of ``host`` in the family of ``local_address`` ("0.0.0.0" means
    IPv4, "::" IPv6). Resolving here, rather than letting anyio try a socket of the wrong
    family, gives a clear error and leaves no socket behind."""
    family = socket.AF_INET6 if ":" in local_address else socket.AF_INET
    try:
        addresses = await anyio.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConnectError(f"no {family.name} address for {host}: {exc}") from exc
    return str(addresses[0][4][0])
