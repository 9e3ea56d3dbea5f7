"""The async proxy pool: the connection pool, with connections opened through a proxy.

Forwarded requests (plain http, unless ``TUNNEL_ONLY``) travel over HTTP/1.1 connections
to the proxy; tunnelled ones over a ``CONNECT`` tunnel, with TLS to the target inside it
and HTTP/2 when the target offers it. Either way connections are pooled per target
origin: many proxies route every request of a connection to the target of its first
request, so sharing a forwarding connection between targets would mix up responses.
"""

from __future__ import annotations

import ssl

from httpcore_interfaces import (
    ProxyError,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)
from httpcore_pool import AsyncConnectionPool
from httpcore_pool.extension import (
    READ_SIZE,
    AsyncNetworkStream,
    ExceptionMap,
    Request,
    Trace,
    default_ssl_context,
    get_logger,
    keepalive_limit,
)

from .._config import ProxyConfig
from .._tunnel import TunnelSetup

__all__ = ["AsyncHTTPProxy"]

logger = get_logger(__name__)

#: Every failure of the CONNECT exchange is the proxy's: ProxyError, caused by the failure.
_CONNECT_FAILED = ExceptionMap(
    {
        (ReadTimeout, WriteTimeout): (
            ProxyError,
            "The proxy did not answer CONNECT in time: {exc}",
        ),
        (ReadError, WriteError): (ProxyError, "The proxy connection failed during CONNECT: {exc}"),
    }
)


class AsyncHTTPProxy(AsyncConnectionPool):
    """A connection pool that sends every request through an HTTP proxy.

    *Forwarded* requests go to the proxy as they are, with the absolute URL as request
    target and the proxy headers merged in. *Tunnelled* requests go through a ``CONNECT``
    tunnel to the target, then TLS to the target for https (HTTP/2 by ALPN when
    ``http2=True``). A non-2xx answer to ``CONNECT``, or any failure while setting the
    tunnel up, raises ``ProxyError``. Requests and responses take the same ``ext`` keys
    as the pool's (see ``AsyncConnectionPool``).

    Args:
        proxy_url: The proxy as ``(scheme, host, port, target)``, scheme ``b"http"`` or
            ``b"https"`` (TLS to the proxy, and TLS inside it for https targets); port
            ``None`` means 80 or 443. The target is ignored.
        proxy_headers: Headers for the proxy, as ``(bytes, bytes)`` pairs: merged into
            forwarded requests (a request's own header of that name wins) and sent with
            each ``CONNECT``; ``Proxy-Authorization`` goes here. ``Content-Length`` and
            ``Transfer-Encoding`` are refused with ``ValueError``. ``None``: none.
        proxy_mode: ``"DEFAULT"`` forwards ``http://`` targets and tunnels ``https://``
            ones; ``"FORWARD_ONLY"`` forwards every request; ``"TUNNEL_ONLY"`` tunnels
            every request.
        ssl_context: The TLS settings for https targets, and for an https proxy unless
            ``proxy_ssl_context`` is given. ``None``: verify against certifi's CA bundle.
        max_connections: The most connections open at once (to the proxy, tunnels
            included); a request waits up to ``ext["timeout"]["pool"]`` for one, then
            raises ``PoolTimeout``. ``None``: no limit.
        max_keepalive_connections: The most idle connections kept open for reuse.
            ``None``: no limit.
        keepalive_expiry: Seconds an idle connection is kept before it is closed.
            ``None``: no limit.
        http2: Offer HTTP/2 by ALPN to https targets inside tunnels. The proxy itself
            is always spoken to in HTTP/1.1.
        backend: The I/O backend, by name, as for the pool: async proxies ``"auto"``
            (the default), ``"asyncio"``, ``"trio"`` or ``"anyio"``; sync proxies
            ``"sync"``.
        max_keepalive: Deprecated alias of ``max_keepalive_connections``: warns
            ``DeprecationWarning``.
        retries: Keyword-only, an addition to the 0.12 API: how many times a failed
            connect to the proxy is tried again, after 0, 0.5, 1, 2 … seconds.
        local_address: Keyword-only, an addition to the 0.12 API: the local address to
            connect to the proxy from (``"0.0.0.0"`` forces IPv4, ``"::"`` IPv6).
        proxy_ssl_context: Keyword-only, an addition to the 0.12 API: the TLS settings
            for an https proxy, used as they are; its ALPN must not offer ``h2``.
            ``None``: ``ssl_context`` if given, else a verifying context offering
            HTTP/1.1 only.
    """

    def __init__(
        self,
        proxy_url: tuple[bytes, bytes, int | None, bytes],
        proxy_headers: list[tuple[bytes, bytes]] | None = None,
        proxy_mode: str = "DEFAULT",
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int | None = None,
        max_keepalive_connections: int | None = None,
        keepalive_expiry: float | None = None,
        http2: bool = False,
        backend: str = "auto",
        max_keepalive: int | None = None,
        *,
        retries: int = 0,
        local_address: str | None = None,
        proxy_ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._proxy = ProxyConfig(proxy_url, proxy_headers, proxy_mode)
        max_keepalive_connections = keepalive_limit(max_keepalive_connections, max_keepalive)
        super().__init__(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry,
            http2=http2,
            retries=retries,
            local_address=local_address,
            backend=backend,
        )
        # TLS to an https proxy: its own context if given (used as it is), else the one for
        # the targets, as in 0.12.3 (ours offers HTTP/1.1 only).
        if proxy_ssl_context is not None and not isinstance(proxy_ssl_context, ssl.SSLContext):
            raise TypeError(
                "proxy_ssl_context must be an ssl.SSLContext or None, "
                f"not {type(proxy_ssl_context).__name__}"
            )
        self._proxy_ssl_context = proxy_ssl_context or (
            default_ssl_context() if ssl_context is None else self._ssl_context
        )

    @property
    def proxy_origin(self) -> tuple[bytes, bytes, int]:
        """``(scheme, host, port)`` of the proxy, the default port filled in."""
        return self._proxy.origin

    @property
    def proxy_headers(self) -> list[tuple[bytes, bytes]]:
        """Sent to the proxy: merged into forwarded requests, and with each CONNECT."""
        return self._proxy.headers

    @property
    def proxy_mode(self) -> str:
        return self._proxy.mode

    # -- the pool's hooks ----------------------------------------------------------------

    def _prepare(self, request: Request) -> Request:
        if not self._proxy.tunnels(request.origin[0]):
            self._proxy.forward(request)
        return request

    def _may_multiplex(self, request: Request) -> bool:
        return super()._may_multiplex(request) and self._proxy.tunnels(request.origin[0])

    async def _open_stream(self, request: Request) -> AsyncNetworkStream:
        stream = await self._connect_to(self._proxy.origin, self._proxy_ssl_context, request)
        scheme, host, _ = request.origin
        try:
            ssl_object = stream.get_extra_info("ssl_object")
            if ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2":
                raise ProxyError(
                    "The proxy chose HTTP/2 by ALPN, but proxies are spoken to in HTTP/1.1: "
                    "give proxy_ssl_context=, a context whose ALPN offers http/1.1 only"
                )
            if not self._proxy.tunnels(scheme):
                return stream
            await self._open_tunnel(stream, request)
        except BaseException:
            await stream.aclose()
            raise
        if scheme == b"https":
            stream = await self._start_tls(stream, host.decode("ascii"), self._ssl_context, request)
        return stream

    async def _open_tunnel(self, stream: AsyncNetworkStream, request: Request) -> None:
        """Ask the proxy for a tunnel to ``request.origin``; ProxyError if it refuses."""
        setup = TunnelSetup(request.origin, self._proxy.headers)
        timeouts = request.timeouts
        info = {"target": setup.target.decode("ascii")}
        with Trace("proxy.connect", logger, request.trace, info) as trace:
            with _CONNECT_FAILED.mapping():
                await stream.write(setup.request_bytes(), timeouts.write)
                status = None
                while status is None:
                    status = setup.receive_data(await stream.read(READ_SIZE, timeouts.read))
            trace.info["status"] = status
