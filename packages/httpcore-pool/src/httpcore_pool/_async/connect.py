"""Opening a connection: TCP or a Unix socket, TLS, connect retries, and the protocol.

The pool decides when a connection is opened and in which slot (``PoolState``); this
module opens it and knows nothing of slots. The stream comes from a callable, so that a
pool subclass (httpcore-proxy) can route it through a proxy; the protocol is chosen from
the stream: HTTP/2 if TLS negotiated ``h2`` by ALPN, else HTTP/1.1. A connection that fails
to set up is closed here; the caller only gives its slot back.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Protocol

from httpcore_interfaces import ConnectError, ConnectTimeout, Origin

from .._backends.base import AsyncNetworkBackend, AsyncNetworkStream
from .._models import Request, origin_to_str
from .._stream_limits import StreamLimits
from .._synchronization import AsyncShieldCancellation
from .._trace import get_logger, traced
from .http2 import AsyncHTTP2Connection
from .http11 import AsyncHTTP11Connection
from .interfaces import AsyncConnectionInterface

__all__ = ["AsyncConnector", "AsyncStreamOpener", "backoff"]

# Named after the pool, whose log lines these were: users filter on that name.
logger = get_logger("connection_pool")


class AsyncStreamOpener(Protocol):
    """Opens the stream a new connection for ``request`` runs over (the pool's
    ``_open_stream`` hook)."""

    async def __call__(self, request: Request) -> AsyncNetworkStream: ...


class AsyncConnector:
    """Opens the connections of one pool: its backend, Unix socket, local address and
    connect retries."""

    __slots__ = ("_backend", "_local_address", "_retries", "_stream_limits", "_uds")

    def __init__(
        self,
        *,
        backend: AsyncNetworkBackend,
        uds: str | None,
        local_address: str | None,
        retries: int,
    ) -> None:
        self._backend = backend
        self._uds = uds
        self._local_address = local_address
        self._retries = retries
        self._stream_limits = StreamLimits()  # shared by the pool's HTTP/2 connections

    async def open(
        self,
        request: Request,
        open_stream: AsyncStreamOpener,
    ) -> tuple[AsyncConnectionInterface, bool]:
        """A new connection for ``request`` and whether it is multiplexed (HTTP/2), ready
        to carry the request. A failed connect is tried again ``retries`` times."""
        stream = await self._open_with_retries(request, open_stream)
        ssl_object = stream.get_extra_info("ssl_object")
        if ssl_object is None or ssl_object.selected_alpn_protocol() != "h2":
            return AsyncHTTP11Connection(request.origin, stream), False
        connection = AsyncHTTP2Connection(request.origin, stream, self._stream_limits)
        try:
            await connection.initialize(request)
        except BaseException:
            with AsyncShieldCancellation():
                await connection.aclose()
            raise
        return connection, True

    async def connect_to(
        self, origin: Origin, ssl_context: ssl.SSLContext, request: Request
    ) -> AsyncNetworkStream:
        """TCP (or the pool's Unix socket) to ``origin``, then TLS if it is https."""
        scheme, host, port = origin
        timeout = request.timeouts.connect
        server_hostname = host.decode("ascii")
        if self._uds is not None:
            with traced(
                "connection.connect_unix_socket", logger, request.trace, {"path": self._uds}
            ):
                stream = await self._backend.connect_unix_socket(self._uds, timeout)
        else:
            info = {"host": server_hostname, "port": port, "local_address": self._local_address}
            with traced("connection.connect_tcp", logger, request.trace, info) as trace:
                stream = await self._backend.connect_tcp(
                    server_hostname, port, timeout, self._local_address
                )
                trace.info["client_addr"] = stream.get_extra_info("client_addr")
                trace.info["server_addr"] = stream.get_extra_info("server_addr")
        if scheme == b"https":
            stream = await self.start_tls(stream, server_hostname, ssl_context, request)
        logger.debug("connected to %s", origin_to_str(origin))
        return stream

    async def start_tls(
        self,
        stream: AsyncNetworkStream,
        server_hostname: str,
        ssl_context: ssl.SSLContext,
        request: Request,
    ) -> AsyncNetworkStream:
        """TLS over ``stream`` (which may itself be TLS: a tunnel through an https proxy)."""
        with traced("connection.start_tls", logger, request.trace) as trace:
            stream = await stream.start_tls(ssl_context, server_hostname, request.timeouts.connect)
            ssl_object = stream.get_extra_info("ssl_object")
            trace.info["tls_version"] = ssl_object.version()
            trace.info["alpn_protocol"] = ssl_object.selected_alpn_protocol()
        return stream

    async def _open_with_retries(
        self,
        request: Request,
        open_stream: AsyncStreamOpener,
    ) -> AsyncNetworkStream:
        for delay in backoff(self._retries):
            try:
                return await open_stream(request)
            except (ConnectError, ConnectTimeout):
                if delay is None:
                    raise
            await self._backend.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def backoff(retries: int) -> Iterable[float | None]:
    """Delays before each retry: 0, 0.5, 1, 2, 4 … seconds; None after the last attempt."""
    for attempt in range(retries):
        yield 0.0 if attempt == 0 else 0.5 * 2 ** (attempt - 1)
    yield None
