"""The async connection pool: hands each request a connection, and takes it back.

Decisions are made without I/O, by ``PoolState`` (which connection or slot) and by
``RetryPolicy`` (whether a failed request goes again); ``connect.py`` opens connections.
This module does the I/O around them: waiting for a slot, closing what the state says to
close, and returning connections when their response stream is closed. Every path that
fails or is cancelled gives its slot back, so the pool never leaks a socket or a slot.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator
from typing import Any, NoReturn

from httpcore_interfaces import (
    AsyncByteStream,
    AsyncHTTPTransport,
    Headers,
    LocalProtocolError,
    Origin,
    PoolTimeout,
    RemoteProtocolError,
)

from .._backends import lookup_async_backend
from .._backends.base import AsyncNetworkStream
from .._models import Request, check_seconds, keepalive_limit, origin_to_str
from .._pool_state import Outcome, PoolState, Waiter
from .._replay import can_replay, replayable
from .._retry import Failure, RetryPolicy, StreamLost, StreamRefused, Verdict, reason_of
from .._ssl import ssl_context_for
from .._synchronization import AsyncEvent, AsyncPoolLock, AsyncShieldCancellation
from .connect import AsyncConnector
from .interfaces import AsyncConnectionInterface

__all__ = ["AsyncConnectionPool"]


class AsyncConnectionPool(AsyncHTTPTransport):
    """A pool of HTTP/1.1 and HTTP/2 connections, shared by every request sent through it.

    Connections are kept per origin (scheme, host, port) and reused; close the pool with
    ``aclose()`` or use it as a context manager (``async with``). Every argument is
    optional and may be given by keyword; a wrong type raises ``TypeError`` and a value
    out of range ``ValueError``, both naming the argument.

    Args:
        ssl_context: The TLS settings for https origins. ``None``: a context that verifies
            certificates and host names against certifi's CA bundle. A context you pass is
            used as it is, except that ``http2=True`` sets its ALPN protocols to offer
            ``h2`` and ``http/1.1``.
        max_connections: The most connections open at once, across all origins (at least
            1). A request that finds none free waits up to ``ext["timeout"]["pool"]``
            seconds, then raises ``PoolTimeout``. ``None``: no limit.
        max_keepalive_connections: The most idle connections kept open for reuse (0 or
            more); beyond that, a connection is closed when its response is done.
            ``None``: no limit.
        keepalive_expiry: Seconds an idle connection is kept before it is closed.
            ``None``: kept until the server closes it or the pool is closed.
        http2: Offer HTTP/2 by ALPN on https origins and, where the server accepts,
            multiplex concurrent requests to one origin on one connection. ``http://``
            origins always use HTTP/1.1.
        uds: The path of a Unix domain socket to connect to instead of TCP; the URL's
            host still gives the ``Host`` header and the TLS server name.
        local_address: The local address to connect from: ``"0.0.0.0"`` forces IPv4,
            ``"::"`` IPv6. ``None``: chosen by the operating system.
        retries: How many times a failed connect (``ConnectError``, ``ConnectTimeout``) is
            tried again, after 0, 0.5, 1, 2, 4 … seconds. Requests themselves are not
            retried by this setting.
        max_keepalive: Deprecated alias of ``max_keepalive_connections``: warns
            ``DeprecationWarning``; ``max_keepalive_connections`` wins if both are given.
        backend: The I/O backend, by name. Async pools: ``"auto"`` (the default: the
            event loop running the call), ``"asyncio"``, ``"trio"`` or ``"anyio"``. Sync
            pools: ``"sync"`` (blocking sockets, the default). Another name raises
            ``ValueError`` listing the valid ones.

    Requests take these ``ext`` keys (others are ignored):

    - ``"timeout"``: a mapping with the optional keys ``"connect"`` (TCP connect and TLS
      handshake), ``"read"`` (each read), ``"write"`` (each write) and ``"pool"``
      (waiting for a connection), in seconds; a missing key or ``None`` means no limit.
      They raise ``ConnectTimeout``, ``ReadTimeout``, ``WriteTimeout`` and ``PoolTimeout``.
    - ``"trace"``: a callable ``trace(event, info)`` called at each step of the request,
      with events such as ``"connection.connect_tcp.started"`` and
      ``"http11.receive_response_headers.complete"`` (``info["elapsed"]`` in seconds).

    The response's ``ext`` is ``{"http_version": "HTTP/1.1", "reason": "OK"}`` over
    HTTP/1.1 (``"HTTP/1.0"`` for such a server; ``reason`` is the server's phrase) and
    ``{"http_version": "HTTP/2"}`` over HTTP/2; the values are ``str``.
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int | None = None,
        max_keepalive_connections: int | None = None,
        keepalive_expiry: float | None = None,
        http2: bool = False,
        uds: str | None = None,
        local_address: str | None = None,
        retries: int = 0,
        max_keepalive: int | None = None,
        backend: str = "auto",
    ) -> None:
        max_keepalive_connections = keepalive_limit(max_keepalive_connections, max_keepalive)
        _check_limit("max_connections", max_connections, minimum=1)
        _check_limit("max_keepalive_connections", max_keepalive_connections, minimum=0)
        keepalive_expiry = check_seconds("keepalive_expiry", keepalive_expiry)
        if isinstance(retries, bool) or not isinstance(retries, int):
            raise TypeError(f"retries must be an int, not {type(retries).__name__}")
        if retries < 0:
            raise ValueError(f"retries must not be negative, got {retries}")
        for name, value in (("uds", uds), ("local_address", local_address)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
        if not isinstance(backend, str):
            raise TypeError(f"backend must be a str, not {type(backend).__name__}")

        self._http2 = bool(http2)
        self._ssl_context = ssl_context_for(ssl_context, self._http2)
        self._connector = AsyncConnector(
            backend=lookup_async_backend(backend),
            uds=uds,
            local_address=local_address,
            retries=retries,
        )
        self._state: PoolState[AsyncConnectionInterface] = PoolState(
            max_connections=max_connections,
            max_idle=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry,
        )
        self._lock = AsyncPoolLock()

    # -- the transport API ---------------------------------------------------------------

    async def arequest(
        self,
        method: bytes,
        url: tuple[bytes, bytes, int | None, bytes],
        headers: Headers | None = None,
        stream: AsyncByteStream | None = None,
        ext: dict[str, Any] | None = None,
    ) -> tuple[int, Headers, AsyncByteStream, dict[str, Any]]:
        request = self._prepare(Request(method, url, headers, stream, ext))
        # Sent, and again where ``RetryPolicy`` says it is safe. Here rather than in a
        # coroutine of its own: this runs on every request.
        request.stream = replayable(request.stream)
        retries = RetryPolicy(idempotent=request.is_idempotent)
        while True:
            waiter = await self._acquire(request, reuse=retries.reuse)
            connection = waiter.connection
            reused = connection is not None
            if connection is None:
                connection = await self._connect(request, waiter)
            try:
                status, response_headers, body, response_ext = await connection.handle_request(
                    request
                )
            except BaseException as exc:
                await self._release(connection)
                failure = Failure(
                    reason_of(exc),
                    reused=reused,
                    response_started=connection.response_started,
                    replayable=can_replay(request.stream),
                )
                if retries.decide(failure) is not Verdict.GIVE_UP:
                    continue
                if isinstance(exc, StreamRefused):
                    _raise_refusal(exc)
                raise
            return status, response_headers, PoolByteStream(body, self, connection), response_ext

    async def aclose(self) -> None:
        with self._lock:
            closed = self._state.close_all()
        await self._settle(closed)

    async def get_connection_info(self) -> dict[str, list[str]]:
        """Each origin's connections, as ``"HTTP/1.1, IDLE"``-style summaries."""
        with self._lock:
            expired = self._state.expire(now=time.monotonic())
            connections = self._state.connections()
        await self._close(expired)
        info: dict[str, list[str]] = {}
        for connection, origin in connections.items():
            info.setdefault(origin_to_str(origin), []).append(connection.info())
        return {origin: sorted(summaries) for origin, summaries in info.items()}

    # -- hooks for components built on the pool (httpcore-proxy) ---------------------------
    # Stable across the pool's 1.x releases (see ``httpcore_pool.extension``): a subclass
    # may override ``_prepare``, ``_open_stream`` and ``_may_multiplex``, and use
    # ``_connect_to``, ``_start_tls`` and ``_ssl_context``.

    def _prepare(self, request: Request) -> Request:
        """The request as it goes on the wire; connections are still chosen by
        ``request.origin``. A forwarding proxy rewrites the target and headers here."""
        return request

    async def _open_stream(self, request: Request) -> AsyncNetworkStream:
        """A new stream to ``request.origin``, TLS already set up for https."""
        return await self._connect_to(request.origin, self._ssl_context, request)

    def _may_multiplex(self, request: Request) -> bool:
        """Whether a new connection for ``request`` might speak HTTP/2 (offered by ALPN)."""
        return self._http2 and request.origin[0] == b"https"

    async def _connect_to(
        self, origin: Origin, ssl_context: ssl.SSLContext, request: Request
    ) -> AsyncNetworkStream:
        """TCP (or the pool's Unix socket) to ``origin``, then TLS if it is https."""
        return await self._connector.connect_to(origin, ssl_context, request)

    async def _start_tls(
        self,
        stream: AsyncNetworkStream,
        server_hostname: str,
        ssl_context: ssl.SSLContext,
        request: Request,
    ) -> AsyncNetworkStream:
        """TLS over ``stream`` (which may itself be TLS: a tunnel through an https proxy)."""
        return await self._connector.start_tls(stream, server_hostname, ssl_context, request)

    # -- acquiring and releasing ---------------------------------------------------------

    async def _acquire(self, request: Request, *, reuse: bool) -> Waiter[AsyncConnectionInterface]:
        """The request's granted waiter: with an idle connection to reuse, or with None
        once a slot is reserved for a new one."""
        with self._lock:
            if self._state.is_closed:
                raise LocalProtocolError("The connection pool was closed; create a new one.")
            acquired = self._state.acquire(
                request.origin,
                now=time.monotonic(),
                reuse=reuse,
                may_multiplex=self._may_multiplex(request),
            )
            waiter = acquired.waiter
            if not waiter.granted:
                waiter.event = AsyncEvent()
        if acquired.to_close:
            try:
                await self._close(acquired.to_close)
            except BaseException:  # cancelled while closing: give the grant back
                if waiter.granted:
                    await self._give_up(waiter)
                raise
        if not waiter.granted:
            await self._wait(waiter, request.timeouts.pool)
        return waiter

    async def _wait(self, waiter: Waiter[AsyncConnectionInterface], timeout: float | None) -> None:
        try:
            woken = await waiter.event.wait(timeout)
        except BaseException:
            await self._give_up(waiter)
            raise
        if not woken:
            await self._give_up(waiter)
            raise PoolTimeout(f"Timed out waiting {timeout}s for a connection from the pool")
        if not waiter.granted:  # woken by aclose()
            raise LocalProtocolError("The connection pool was closed while waiting.")

    async def _give_up(self, waiter: Waiter[AsyncConnectionInterface]) -> None:
        with self._lock:
            outcome = self._state.cancel(waiter, now=time.monotonic())
        await self._settle(outcome)

    async def _connect(
        self, request: Request, waiter: Waiter[AsyncConnectionInterface]
    ) -> AsyncConnectionInterface:
        """Open a connection in the slot ``waiter`` holds, or give the slot back."""
        try:
            connection, multiplexed = await self._connector.open(request, self._open_stream)
        except BaseException:
            with self._lock:
                outcome = self._state.connect_failed(waiter)
            await self._settle(outcome)
            raise
        with self._lock:
            closed = self._state.is_closed
            if not closed:
                outcome = self._state.connected(waiter, connection, multiplexed=multiplexed)
        if closed:
            await connection.aclose()
            raise LocalProtocolError("The connection pool was closed while connecting.")
        try:
            await self._settle(outcome)  # idle connections closed for released requests
        except BaseException:
            await self._release(connection)
            raise
        return connection

    async def _release(self, connection: AsyncConnectionInterface) -> None:
        """The request on ``connection`` is over: keep it if it is idle, else close it."""
        with self._lock:
            outcome = self._state.release(connection, now=time.monotonic())
        for waiter in outcome.to_wake:  # as _settle, without a coroutine on every request
            waiter.event.set()
        if outcome.to_close:
            await self._close(outcome.to_close)

    async def _settle(self, outcome: Outcome[AsyncConnectionInterface]) -> None:
        """Wake the waiters, then close the connections, as the state says."""
        for waiter in outcome.to_wake:
            waiter.event.set()
        if outcome.to_close:  # mostly not: spare the coroutine
            await self._close(outcome.to_close)

    async def _close(self, connections: list[AsyncConnectionInterface]) -> None:
        """Close every one of ``connections``. Shielded from anyio and trio cancellation;
        a plain asyncio ``task.cancel()`` cannot be shielded, so each close is attempted
        anyway and the cancellation re-raised once all are done."""
        if not connections:
            return
        interrupted: BaseException | None = None
        with AsyncShieldCancellation():
            for connection in connections:
                try:
                    await connection.aclose()
                except BaseException as exc:
                    interrupted = interrupted or exc
        if interrupted is not None:
            raise interrupted


class PoolByteStream(AsyncByteStream):
    """A response body that gives its connection back to the pool when closed."""

    __slots__ = ("_closed", "_connection", "_pool", "_stream")

    def __init__(
        self,
        stream: AsyncByteStream,
        pool: AsyncConnectionPool,
        connection: AsyncConnectionInterface,
    ) -> None:
        self._stream = stream
        self._pool = pool
        self._connection = connection
        self._closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._stream.aclose()
        finally:
            await self._pool._release(self._connection)


def _raise_refusal(exc: StreamRefused) -> NoReturn:
    """Fail a request that may not go again: for a lost one, with the failure of its
    connection; else with the refusal, as the public exception it is."""
    if isinstance(exc, StreamLost) and isinstance(exc.__cause__, Exception):
        raise exc.__cause__ from None
    raise RemoteProtocolError(str(exc)) from exc


def _check_limit(name: str, value: int | None, minimum: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
