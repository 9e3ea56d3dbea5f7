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


class AsyncHTTPProxy(AsyncConnectionPool):
    """A connection pool that sends every request through an HTTP proxy.

    See the httpcore 0.12 documentation for the parameters. ``proxy_mode`` is
    ``"DEFAULT"`` (forward http, tunnel https), ``"FORWARD_ONLY"`` or ``"TUNNEL_ONLY"``.
    Additions to the 0.12 API, keyword-only: ``retries`` and ``local_address`` apply to
    the connection to the proxy; ``proxy_ssl_context`` is used, as it is, for TLS to an
    https proxy (default: ``ssl_context``, which offers h2 when ``http2=True``).
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
            try:
                await stream.write(setup.request_bytes(), timeouts.write)
                status = None
                while status is None:
                    status = setup.receive_data(await stream.read(READ_SIZE, timeouts.read))
            except (ReadTimeout, WriteTimeout) as exc:
                raise ProxyError(f"The proxy did not answer CONNECT in time: {exc}") from exc
            except (ReadError, WriteError) as exc:
                raise ProxyError(f"The proxy connection failed during CONNECT: {exc}") from exc
            trace.info["status"] = status
