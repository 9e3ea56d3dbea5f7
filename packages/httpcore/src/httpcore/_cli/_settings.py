"""What the command line asks for, checked and turned into httpcore's call shapes."""

from __future__ import annotations

import base64
import os
import ssl
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import httpcore

__all__ = ["Body", "Settings", "UsageError", "parse_header", "parse_url"]

URL = tuple[bytes, bytes, int | None, bytes]
_CHUNK = 64 * 1024


class UsageError(ValueError):
    """A command-line value that cannot work; reported as a usage error."""


def parse_url(text: str, what: str = "URL") -> tuple[URL, str | None]:
    """The 0.12 URL tuple, and ``user:password`` if the URL carried any."""
    # urlsplit drops tabs and line breaks, and the server would refuse a space: both
    # are the user's to fix (percent-encode), before anything is sent.
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in text):
        raise UsageError(
            f"{what} {text!r} has a space or control character: percent-encode it (%20 for a space)"
        )
    try:
        parts = urlsplit(text if "://" in text else "http://" + text)
        port = parts.port
        host = (parts.hostname or "").encode("idna")
    except ValueError as exc:  # UnicodeError included
        raise UsageError(f"{what} {text!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{what} {text!r}: only http:// and https:// are supported")
    if not host:
        raise UsageError(f"{what} {text!r} has no host")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    userinfo = None
    if parts.username is not None:
        userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return (parts.scheme.encode("ascii"), host, port, target.encode("utf-8")), userinfo


def parse_header(text: str) -> tuple[bytes, bytes]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"Header {text!r} must look like 'Name: value'")
    try:
        return name.strip().encode("ascii"), value.strip().encode("latin-1")
    except UnicodeEncodeError:
        raise UsageError(f"Header {text!r}: use ASCII names and Latin-1 values") from None


def has_header(headers: list[tuple[bytes, bytes]], name: bytes) -> bool:
    return any(key.lower() == name for key, _ in headers)


@dataclass(frozen=True)
class Body:
    """``-d`` as given: text, ``@file`` or ``@-`` (stdin), streamed rather than read whole."""

    spec: str

    @property
    def from_stdin(self) -> bool:
        return self.spec == "@-"

    def length(self) -> int | None:
        if self.from_stdin:
            return None
        if self.spec.startswith("@"):
            return os.path.getsize(self.spec[1:])
        return len(self.spec.encode("utf-8"))

    def chunks(self) -> Iterator[bytes]:
        if self.from_stdin:
            yield from iter(lambda: sys.stdin.buffer.read(_CHUNK), b"")
        elif self.spec.startswith("@"):
            with open(self.spec[1:], "rb") as file:
                yield from iter(lambda: file.read(_CHUNK), b"")
        else:
            yield self.spec.encode("utf-8")


@dataclass
class Settings:
    url: URL
    method: bytes
    headers: list[tuple[bytes, bytes]]
    body: Body | None = None
    include: bool = False
    head_only: bool = False
    output: str | None = None
    verbose: bool = False
    http2: bool = False
    proxy: tuple[URL, list[tuple[bytes, bytes]]] | None = None
    proxy_mode: str = "DEFAULT"
    uds: str | None = None
    local_address: str | None = None
    retries: int = 0
    timeouts: dict[str, float | None] = field(default_factory=dict)
    ssl_context: ssl.SSLContext | None = None
    #: A context of its own for an https proxy: --http2 makes ssl_context offer h2.
    proxy_ssl_context: ssl.SSLContext | None = None
    repeat: int = 1
    concurrency: int = 1

    @property
    def load_mode(self) -> bool:
        return self.repeat > 1 or self.concurrency > 1

    def request_headers(self) -> list[tuple[bytes, bytes]]:
        """The user's headers, plus the framing and defaults a curl user expects."""
        headers = list(self.headers)
        agent = f"httpcore/{httpcore.__version__}".encode("ascii")
        for name, value in ((b"User-Agent", agent), (b"Accept", b"*/*")):
            if not has_header(headers, name.lower()):
                headers.append((name, value))
        if self.body is not None:
            if not has_header(headers, b"content-type"):
                headers.append((b"Content-Type", b"application/x-www-form-urlencoded"))
            length = self.body.length()
            framing = has_header(headers, b"content-length") or has_header(
                headers, b"transfer-encoding"
            )
            if not framing:
                if length is None:
                    headers.append((b"Transfer-Encoding", b"chunked"))
                else:
                    headers.append((b"Content-Length", str(length).encode("ascii")))
        return headers

    def transport_options(self) -> dict[str, Any]:
        """Keyword arguments shared by the pool and proxy classes."""
        options: dict[str, Any] = {"ssl_context": self.ssl_context, "http2": self.http2}
        if self.load_mode:
            options["max_connections"] = self.concurrency
        if self.proxy is None:
            options.update(uds=self.uds, local_address=self.local_address, retries=self.retries)
        else:
            proxy_url, proxy_headers = self.proxy
            options.update(
                proxy_url=proxy_url,
                proxy_headers=proxy_headers,
                proxy_mode=self.proxy_mode,
                local_address=self.local_address,
                retries=self.retries,
                proxy_ssl_context=self.proxy_ssl_context,
            )
        return options


def proxy_settings(text: str) -> tuple[URL, list[tuple[bytes, bytes]]]:
    """The proxy URL tuple, and Basic credentials from its user info, if any."""
    url, userinfo = parse_url(text, "Proxy URL")
    headers: list[tuple[bytes, bytes]] = []
    if userinfo is not None:
        token = base64.b64encode(userinfo.encode("utf-8"))
        headers.append((b"Proxy-Authorization", b"Basic " + token))
    return url, headers


def tls_context(cacert: str | None, insecure: bool) -> ssl.SSLContext | None:
    """None keeps httpcore's default (certifi, verified); else a context of our own."""
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if cacert is not None:
        try:
            return ssl.create_default_context(cafile=cacert)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"--cacert {cacert}: {exc}") from None
    return None


def sync_transport(settings: Settings) -> httpcore.SyncHTTPTransport:
    options = settings.transport_options()
    if settings.proxy is not None:
        return httpcore.SyncHTTPProxy(**options)
    return httpcore.SyncConnectionPool(**options)


def async_transport(settings: Settings) -> httpcore.AsyncHTTPTransport:
    options = settings.transport_options()
    if settings.proxy is not None:
        return httpcore.AsyncHTTPProxy(**options)
    return httpcore.AsyncConnectionPool(**options)
