"""What the command line asks for, checked and turned into httpcore's call shapes."""

from __future__ import annotations

import base64
import os
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpcore

from ._urls import URL, UsageError, authority, host_header, parse_url

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_REDIRS",
    "Body",
    "Settings",
    "UsageError",
    "parse_header",
    "parse_url",
    "request_headers",
    "where",
]

_CHUNK = 64 * 1024
#: Seconds to connect (TCP and TLS) unless told otherwise: a dead address fails instead of
#: waiting for the system's limit (minutes). Reads have no limit, as in curl: a slow
#: server or a long download is not an error.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: As curl's ``--max-redirs`` default.
DEFAULT_MAX_REDIRS = 50


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

    @property
    def replayable(self) -> bool:
        """Whether the body can be sent again, as a 307 or 308 redirect asks."""
        return not self.from_stdin

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
    fail: bool = False
    location: bool = False
    max_redirs: int = DEFAULT_MAX_REDIRS
    silent: bool = False
    show_error: bool = False

    @property
    def show_errors(self) -> bool:
        """``-s`` hides error text, ``-S`` brings it back."""
        return self.show_error or not self.silent

    @property
    def load_mode(self) -> bool:
        return self.repeat > 1 or self.concurrency > 1

    def request_headers(self) -> list[tuple[bytes, bytes]]:
        return request_headers(self.url, self.headers, self.body)

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


def request_headers(
    url: URL, headers: list[tuple[bytes, bytes]], body: Body | None
) -> list[tuple[bytes, bytes]]:
    """The user's headers, plus the framing and defaults a curl user expects, in the order
    they go out: ``Host`` first (the pool keeps a given one), so ``-v`` can show them all."""
    headers = list(headers)
    if not has_header(headers, b"host"):
        headers.insert(0, (b"Host", host_header(url)))
    agent = f"httpcore/{httpcore.__version__}".encode("ascii")
    for name, value in ((b"User-Agent", agent), (b"Accept", b"*/*")):
        if not has_header(headers, name.lower()):
            headers.append((name, value))
    if body is not None:
        if not has_header(headers, b"content-type"):
            headers.append((b"Content-Type", b"application/x-www-form-urlencoded"))
        length = body.length()
        framing = has_header(headers, b"content-length") or has_header(
            headers, b"transfer-encoding"
        )
        if not framing:
            if length is None:
                headers.append((b"Transfer-Encoding", b"chunked"))
            else:
                headers.append((b"Content-Length", str(length).encode("ascii")))
    return headers


def where(settings: Settings, url: URL) -> str:
    """What a request to ``url`` connects to, for an error message."""
    if settings.uds is not None:
        return f"Unix socket {settings.uds}"
    if settings.proxy is not None:
        return f"{authority(url)} through proxy {authority(settings.proxy[0])}"
    return authority(url)


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
