"""What the two ways of running hypercorn share (:mod:`.hypercorn_thread` in this process,
:mod:`.hypercorn_process` in a child): the options, checked once, the listener they bind
and the probe that waits for a first answer. Imports no hypercorn."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .base import Listening, Server, Serving, wait_until_serving
from .listener import Listener, listen
from .tls import TLSFiles, TLSMaterial

__all__ = ["HypercornBase", "HypercornOptions"]


@dataclass(frozen=True)
class HypercornOptions:
    """``tls`` turns on TLS (with ``alpn`` offered), ``uds=True`` serves on a Unix socket in
    a fresh temp dir instead of TCP; ``config`` overrides any :class:`hypercorn.config.Config`
    attribute (e.g. ``{"keep_alive_timeout": 1}``; JSON values, for the child process)."""

    tls: TLSMaterial | TLSFiles | None = None
    alpn: Sequence[str] = ("h2", "http/1.1")
    uds: bool = False
    host: str = "127.0.0.1"
    config: Mapping[str, object] = field(default_factory=dict)
    startup_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.uds and self.tls is not None:
            raise ValueError("the Unix-socket flavour is plain HTTP")
        if self.host not in ("127.0.0.1", "::1"):
            raise ValueError("test servers listen on loopback only")


class HypercornBase(Listening, Serving[Server]):
    """One hypercorn serving :mod:`tests.servers.app` as ``options`` say."""

    def __init__(self, options: HypercornOptions) -> None:
        self.options = options

    def _listen(self) -> Listener:
        scheme = "https" if self.options.tls is not None else "http"
        return listen(host=self.options.host, uds=self.options.uds, scheme=scheme)

    def _wait_until_serving(self, server: Server, alive: Callable[[], bool]) -> None:
        """Return once ``server`` answered a request over HTTP/1.1, or raise."""
        tls, probe_context = self.options.tls, None
        if tls is not None:
            probe_context = tls.client_context(alpn=["http/1.1"])
        wait_until_serving(
            server, ssl_context=probe_context, timeout=self.options.startup_timeout, alive=alive
        )
