"""URLs as the command handles them: httpcore's 0.12 tuple, read from the command line or
a ``Location`` header, and the names printed and compared for them."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urljoin, urlsplit

__all__ = [
    "URL",
    "UsageError",
    "authority",
    "host_header",
    "origin",
    "parse_url",
    "resolve",
    "url_text",
]

URL = tuple[bytes, bytes, int | None, bytes]
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
#: What a ``Location`` may hold as it is; anything else (spaces, non-ASCII) is
#: percent-encoded, as browsers and curl do.
_LOCATION_SAFE = "!#$%&'()*+,/:;=?@[]~"


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


def _port(url: URL) -> int:
    return _DEFAULT_PORTS[url[0]] if url[2] is None else url[2]


def origin(url: URL) -> tuple[bytes, bytes, int]:
    """Scheme, host and port: what decides whether credentials may follow a redirect."""
    return url[0], url[1].lower(), _port(url)


def host_header(url: URL) -> bytes:
    """``Host`` as httpcore would send it: the port only when it is not the default."""
    host = b"[" + url[1] + b"]" if b":" in url[1] else url[1]
    if _port(url) == _DEFAULT_PORTS[url[0]]:
        return host
    return host + b":" + str(_port(url)).encode("ascii")


def authority(url: URL) -> str:
    """``host:port``, the port always shown: the place a connection goes to."""
    host = url[1].decode("ascii")
    return f"[{host}]:{_port(url)}" if ":" in host else f"{host}:{_port(url)}"


def url_text(url: URL) -> str:
    scheme = url[0].decode("ascii")
    return f"{scheme}://{host_header(url).decode('ascii')}{url[3].decode('utf-8', 'replace')}"


def resolve(base: URL, location: bytes) -> URL:
    """Where a ``Location`` points, relative to ``base``; a ValueError says why it cannot
    be followed (another scheme, no host, a control character)."""
    text = quote(location.decode("utf-8", "surrogateescape"), safe=_LOCATION_SAFE)
    try:
        url, _ = parse_url(urljoin(url_text(base), text), "Location")
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    return url
