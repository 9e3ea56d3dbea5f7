"""The proxy's settings, checked once, and the request rewriting of forwarding. No I/O.

A proxy sees two kinds of request: *forwarded* ones go to the proxy as they are, with the
absolute URL as request target and the proxy headers merged in; *tunnelled* ones go
through a ``CONNECT`` tunnel to the target, unchanged. The mode decides which, by the
target's scheme.
"""

from __future__ import annotations

from typing import Any

from httpcore_interfaces import Headers, Origin
from httpcore_pool.extension import Request, check_headers, check_origin

__all__ = ["PROXY_MODES", "ProxyConfig"]

PROXY_MODES = ("DEFAULT", "FORWARD_ONLY", "TUNNEL_ONLY")
_FRAMING = (b"content-length", b"transfer-encoding")


class ProxyConfig:
    """Where the proxy is, what it is told, and which requests are tunnelled."""

    __slots__ = ("_forwarded_headers", "headers", "mode", "origin")

    def __init__(self, proxy_url: Any, proxy_headers: Any, proxy_mode: Any) -> None:
        # As before httpcore-pool 1.1: the port after the scheme and host, the path
        # ignored (as 0.12.3 did), and a bad host is a bad setting: ValueError.
        self.origin: Origin = check_origin(
            proxy_url, "proxy_url", ValueError, port_last=True, supported="proxies"
        )
        self.headers: Headers = check_headers(proxy_headers, "proxy_headers")
        self._forwarded_headers = [item for item in self.headers if item[0].lower() != b"host"]
        for name, _ in self.headers:
            if name.lower() in _FRAMING:
                raise ValueError(
                    f"proxy_headers must not hold {name.decode('latin-1')!r}: it would "
                    "reframe every forwarded request and the CONNECT exchange"
                )
        if not isinstance(proxy_mode, str):
            raise TypeError(f"proxy_mode must be a str, not {type(proxy_mode).__name__}")
        if proxy_mode not in PROXY_MODES:
            raise ValueError(
                f"Unknown proxy_mode {proxy_mode!r}: use "
                + ", ".join(repr(mode) for mode in PROXY_MODES)
            )
        self.mode = proxy_mode

    def tunnels(self, scheme: bytes) -> bool:
        """Whether requests to ``scheme`` targets go through a CONNECT tunnel."""
        if self.mode == "DEFAULT":
            return scheme == b"https"
        return self.mode == "TUNNEL_ONLY"

    def forward(self, request: Request) -> None:
        """Rewrite ``request`` for forwarding: absolute-URL target, proxy headers merged
        in (the request's own headers win). ``Host`` still names the target."""
        scheme = request.origin[0]
        request.target = scheme + b"://" + request.host_header() + request.target
        # A Host among the proxy headers is for CONNECT: the connection gives a forwarded
        # request its target's Host, as it does without a proxy.
        request.headers = merge_headers(self._forwarded_headers, request.headers)


def merge_headers(defaults: Headers, overrides: Headers) -> Headers:
    """``defaults`` whose names ``overrides`` does not use, then ``overrides``."""
    if not defaults:
        return overrides
    overridden = {name.lower() for name, _ in overrides}
    return [item for item in defaults if item[0].lower() not in overridden] + list(overrides)
