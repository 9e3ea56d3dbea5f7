"""``-v``: the request and response heads and each step of the trace, with timings, on
stderr, the way ``curl -v`` shows them."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ._urls import URL, host_header, url_text

__all__ = ["Verbose", "status_line"]

#: What HTTP/2 leaves out of a request's fields (RFC 9113 §8.2.2), as the pool does.
_NOT_IN_HTTP2 = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade", b"host"}
)


def _ms(info: dict[str, Any]) -> str:
    return f"{info.get('elapsed', 0.0) * 1000:.1f} ms"


class Verbose:
    """An ``ext["trace"]`` callback that prints; one per request."""

    def __init__(
        self,
        method: bytes,
        url: URL,
        headers: list[tuple[bytes, bytes]],
        has_body: bool,
        out: TextIO = sys.stderr,
    ) -> None:
        self._has_body = has_body
        self._method = method
        self._url = url
        self._headers = headers
        self._out = out

    def _print(self, prefix: str, text: str) -> None:
        print(f"{prefix} {text}", file=self._out, flush=True)

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        name, _, phase = event.rpartition(".")
        if phase == "failed":
            self._print("*", f"{name} failed after {_ms(info)}: {info.get('exception')!r}")
        elif name.endswith("send_request_headers") and phase == "started":
            http2 = name.startswith("http2")
            target = self._url[3].decode("utf-8", "replace")
            version = "HTTP/2" if http2 else "HTTP/1.1"
            self._print(">", f"{self._method.decode()} {target} {version}")
            for key, value in self._fields_sent(http2):
                self._print(">", f"{key.decode('latin-1')}: {value.decode('latin-1')}")
            self._print(">", "")
        elif phase == "complete":
            text = self._describe(name, info)
            if text:
                self._print("*", text)

    def _fields_sent(self, http2: bool) -> list[tuple[bytes, bytes]]:
        """The head as it goes out: over HTTP/1.1 the headers as given (``Host`` among
        them); over HTTP/2 the pseudo-headers, then the rest in lowercase."""
        if not http2:
            return self._headers
        given = {key.lower(): value for key, value in self._headers}
        fields = [
            (b":method", self._method),
            (b":authority", given.get(b"host", host_header(self._url))),
            (b":scheme", self._url[0]),
            (b":path", self._url[3]),
        ]
        for key, value in self._headers:
            lowered = key.lower()
            if lowered == b"te" and value.lower() != b"trailers":
                continue
            if lowered not in _NOT_IN_HTTP2:
                fields.append((lowered, value))
        return fields

    def following(self, status: int, url: URL) -> None:
        """A redirect is being followed: the next request's lines come next."""
        self._print("*", f"Following the {status} redirect to {url_text(url)}")

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
