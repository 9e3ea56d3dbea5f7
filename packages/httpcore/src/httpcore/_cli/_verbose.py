"""``-v``: the request and response heads and each step of the trace, with timings, on
stderr, the way ``curl -v`` shows them."""

from __future__ import annotations

import sys
from typing import Any, TextIO

__all__ = ["Verbose"]


def _ms(info: dict[str, Any]) -> str:
    return f"{info.get('elapsed', 0.0) * 1000:.1f} ms"


class Verbose:
    """An ``ext["trace"]`` callback that prints; one per request."""

    def __init__(
        self,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        has_body: bool,
        out: TextIO = sys.stderr,
    ) -> None:
        self._has_body = has_body
        self._method = method
        self._target = target
        self._headers = headers
        self._out = out

    def _print(self, prefix: str, text: str) -> None:
        print(f"{prefix} {text}", file=self._out, flush=True)

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        name, _, phase = event.rpartition(".")
        if phase == "failed":
            self._print("*", f"{name} failed after {_ms(info)}: {info.get('exception')!r}")
        elif name.endswith("send_request_headers") and phase == "started":
            version = "HTTP/2" if name.startswith("http2") else "HTTP/1.1"
            self._print(">", f"{self._method.decode()} {self._target.decode()} {version}")
            for key, value in self._headers:
                self._print(">", f"{key.decode('latin-1')}: {value.decode('latin-1')}")
            self._print(">", "")
        elif phase == "complete":
            text = self._describe(name, info)
            if text:
                self._print("*", text)

    def _describe(self, name: str, info: dict[str, Any]) -> str | None:
        if name == "connection.connect_tcp":
            return (
                f"Connected to {info['host']}:{info['port']} "
                f"from {info.get('client_addr')} in {_ms(info)}"
            )
        if name == "connection.connect_unix_socket":
            return f"Connected to Unix socket {info['path']} in {_ms(info)}"
        if name == "connection.start_tls":
            alpn = info.get("alpn_protocol") or "none"
            return f"TLS {info.get('tls_version')}, ALPN {alpn}, in {_ms(info)}"
        if name == "proxy.connect":
            return f"Tunnel to {info['target']} opened ({info['status']}) in {_ms(info)}"
        if name.endswith("send_request_body"):
            return f"Request body sent in {_ms(info)}" if self._has_body else None
        if name.endswith("receive_response_headers"):
            return f"Response headers received in {_ms(info)}"
        if name.endswith("receive_response_body"):
            if info.get("closed_early"):
                return f"Response closed before the end of its body, after {_ms(info)}"
            return f"Response body received in {_ms(info)}"
        if name == "http11.close":
            return "Connection closed"
        return None

    def pool_closed(self) -> None:
        self._print("*", "Pool closed, and every connection in it")

    def response(
        self, status: int, headers: list[tuple[bytes, bytes]], ext: dict[str, Any]
    ) -> None:
        self._print("<", status_line(status, ext))
        for key, value in headers:
            self._print("<", f"{key.decode('latin-1')}: {value.decode('latin-1')}")
        self._print("<", "")


def status_line(status: int, ext: dict[str, Any]) -> str:
    reason = ext.get("reason", "")
    return f"{ext.get('http_version', 'HTTP/1.1')} {status} {reason}".rstrip()
