"""Validation of the request arguments, before any byte goes out.

The 0.12 API passes a request as loose values; this module checks them once and turns
them into a ``Request``. Wrong types raise ``TypeError`` naming the argument, impossible
values ``ValueError``, values that would break the HTTP framing (CR, LF or NUL in a
method, target or header) ``LocalProtocolError``, and unknown schemes
``UnsupportedProtocol``. Nothing here does I/O.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Mapping
from typing import Any

from httpcore_interfaces import URL, Headers, LocalProtocolError, Origin, UnsupportedProtocol

from ._trace import TraceCallback

__all__ = [
    "DEFAULT_PORTS",
    "Request",
    "Timeouts",
    "authority",
    "check_headers",
    "check_origin",
    "check_seconds",
    "keepalive_limit",
    "origin_to_str",
]

DEFAULT_PORTS = {b"http": 80, b"https": 443}
IDEMPOTENT_METHODS = frozenset({b"GET", b"HEAD", b"OPTIONS", b"TRACE", b"PUT", b"DELETE"})
# Tokens all, so a request with one of them needs no regex to check its method.
_METHODS = IDEMPOTENT_METHODS | {b"POST", b"PATCH", b"CONNECT"}
# Each key with the name its errors give it.
_TIMEOUT_KEYS = tuple(
    (key, f'ext["timeout"]["{key}"]') for key in ("connect", "read", "write", "pool")
)

# The grammar h11 applied: RFC 9110 tokens for methods and header names; header values
# without NUL, line breaks or whitespace at either end; targets of visible ASCII.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")
_TARGET = re.compile(rb"[\x21-\x7e]+")
_UNSAFE = re.compile(rb"[\r\n\x00]")


def check_seconds(name: str, value: Any) -> float | None:
    """``value`` as a duration in seconds for ``name``, or None for no limit. NaN would
    pass a ``< 0`` check and fail at the first wait, after the request went out; beyond
    ``threading.TIMEOUT_MAX`` (``inf`` included) sockets and locks raise OverflowError,
    and such a wait never ends anyway."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number or None, not {type(value).__name__}")
    if value != value:
        raise ValueError(f"{name} must not be NaN")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return None if value > threading.TIMEOUT_MAX else float(value)


class Timeouts:
    """The four optional limits of ``ext["timeout"]``, in seconds; ``None`` means no limit,
    and so does ``inf``, stored as ``None``."""

    __slots__ = ("connect", "pool", "read", "write")

    def __init__(self, mapping: Mapping[str, Any] | None = None) -> None:
        if mapping is None:
            mapping = {}
        elif not isinstance(mapping, Mapping):
            raise TypeError(f'ext["timeout"] must be a mapping, not {type(mapping).__name__}')
        values = [check_seconds(name, mapping.get(key)) for key, name in _TIMEOUT_KEYS]
        self.connect: float | None = values[0]
        self.read: float | None = values[1]
        self.write: float | None = values[2]
        self.pool: float | None = values[3]


NO_TIMEOUTS = Timeouts()


class Request:
    """A validated request: what a connection needs to send it, and where it goes."""

    __slots__ = (
        "ext",
        "headers",
        "method",
        "origin",
        "stream",
        "target",
        "timeouts",
        "trace",
        "url",
    )

    def __init__(
        self,
        method: Any,
        url: Any,
        headers: Any = None,
        stream: Any = None,
        ext: Any = None,
    ) -> None:
        self.method: bytes = _check_method(method)
        self.origin: Origin = check_origin(url, target=True)
        self.target: bytes = _check_target(url[3])
        self.url: URL = (self.origin[0], self.origin[1], url[2], self.target)
        self.headers: Headers = check_headers(headers)
        if ext is None:
            ext = {}
        elif not isinstance(ext, Mapping):
            raise TypeError(f"ext must be a dict or None, not {type(ext).__name__}")
        self.ext: Mapping[str, Any] = ext
        timeout = ext.get("timeout")
        self.timeouts = NO_TIMEOUTS if timeout is None else Timeouts(timeout)
        trace = ext.get("trace")
        if trace is not None and not callable(trace):
            raise TypeError(f'ext["trace"] must be callable, not {type(trace).__name__}')
        self.trace: TraceCallback | None = trace
        self.stream: Any = stream

    @property
    def is_idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS

    def host_header(self) -> bytes:
        """The ``Host`` value for this URL: the port only when it is not the default."""
        origin = self.origin
        if type(origin[1]) is not bytes or type(origin[2]) is not int:
            return authority(origin, default_port=False)
        host = _HOST_HEADERS.get(origin)
        if host is None:
            if len(_HOST_HEADERS) >= _HOST_HEADERS_KEPT:
                _HOST_HEADERS.clear()
            host = _HOST_HEADERS[origin] = authority(origin, default_port=False)
        return host


# The Host values of recent origins, asked for on every request. Only origins of plain
# bytes and int are kept: an equal origin of subclasses may spell its value differently.
_HOST_HEADERS: dict[Origin, bytes] = {}
_HOST_HEADERS_KEPT = 256


def keepalive_limit(max_keepalive_connections: int | None, max_keepalive: int | None) -> int | None:
    """``max_keepalive_connections``, or its deprecated alias ``max_keepalive``, which warns
    at the line that called the constructor calling this."""
    if max_keepalive is None:
        return max_keepalive_connections
    warnings.warn(
        "'max_keepalive' is deprecated; use 'max_keepalive_connections'.",
        DeprecationWarning,
        stacklevel=3,
    )
    return max_keepalive if max_keepalive_connections is None else max_keepalive_connections


def authority(origin: Origin, *, default_port: bool = True) -> bytes:
    """``host:port`` as a CONNECT line, a ``Host`` header and logs name an origin: IPv6
    literals bracketed, and the scheme's default port left out unless ``default_port``."""
    scheme, host, port = origin
    if b":" in host:  # an IPv6 literal
        host = b"[" + host + b"]"
    if not default_port and port == DEFAULT_PORTS.get(scheme):
        return host
    return host + b":" + str(port).encode("ascii")


def origin_to_str(origin: Origin) -> str:
    text = origin[0] + b"://" + authority(origin, default_port=False)
    return text.decode("ascii", "replace")


def _check_method(method: Any) -> bytes:
    if not isinstance(method, bytes):
        raise TypeError(f"method must be bytes, not {type(method).__name__}")
    if method not in _METHODS and not _TOKEN.fullmatch(method):
        raise LocalProtocolError(f"Invalid method {method!r}: it must be a non-empty token")
    return method


def _check_target(target: bytes) -> bytes:
    if not _TARGET.fullmatch(target):
        raise LocalProtocolError(
            f"Invalid request target {target!r}: "
            "it must be non-empty visible ASCII, without spaces, CR, LF or NUL"
        )
    return target


def check_origin(
    url: Any,
    name: str = "url",
    invalid: type[Exception] = LocalProtocolError,
    *,
    target: bool = False,
    port_last: bool = False,
    supported: str = "",
) -> Origin:
    """The origin of the 0.12 URL tuple ``url``, checked, the scheme's default port filled
    in. Errors name the argument ``name``; a host that would break the framing raises
    ``invalid`` (for a request's URL ``LocalProtocolError``, as h11 raised in 0.12).

    The first fault decides the exception, so the order is part of the contract, and the
    two callers keep the orders they had before this was their one home: a request's URL
    (the default) has its parts' types checked, then the port, then the scheme and host;
    ``port_last`` checks the port after them, as the proxy did for ``proxy_url``.
    ``target`` checks that the target is bytes with the scheme and host (the request
    checks its contents); otherwise the target is the caller's to check, or to ignore.
    ``supported``, if given, names what the http and https schemes are for, in the error
    for any other scheme (``"proxies"``: "only 'http' and 'https' proxies are supported").
    """
    if not isinstance(url, tuple) or len(url) != 4:
        raise TypeError(
            f"{name} must be a tuple (scheme: bytes, host: bytes, port: int | None, "
            f"target: bytes), not {type(url).__name__}"
            + (f" of length {len(url)}" if isinstance(url, tuple) else "")
        )
    scheme, host, port, path = url
    if not (type(scheme) is type(host) is bytes and (not target or type(path) is bytes)):
        parts = (("scheme", scheme), ("host", host)) + ((("target", path),) if target else ())
        for part, value in parts:  # else: subclasses, errors
            if not isinstance(value, bytes):
                raise TypeError(f"{name} {part} must be bytes, not {type(value).__name__}")
    if port is not None and not port_last and not (type(port) is int and 0 < port < 65536):
        _check_port(name, port)
    default_port = DEFAULT_PORTS.get(scheme)
    if default_port is None:
        raise UnsupportedProtocol(
            f"Unsupported {_label(name)} scheme {scheme.decode('ascii', 'replace')!r}: "
            f"only 'http' and 'https' {supported + ' ' if supported else ''}are supported"
        )
    if not host:
        raise invalid(f"Missing host in {_label(name)}: the host must not be empty")
    if _UNSAFE.search(host) or b" " in host or b"/" in host or not host.isascii():
        raise invalid(f"Invalid host {host!r} in {_label(name)}: use the IDNA-encoded name")
    if port is None:
        return (scheme, host, default_port)
    if port_last:
        _check_port(name, port)
    return (scheme, host, port)


def _check_port(name: str, port: Any) -> None:
    if type(port) is not int and (isinstance(port, bool) or not isinstance(port, int)):
        raise TypeError(f"{name} port must be an int or None, not {type(port).__name__}")
    if not 1 <= port <= 65535:
        raise ValueError(f"{name} port must be in 1-65535, got {port}")


def _label(name: str) -> str:
    """A request's URL reads as a noun in a sentence; any other URL by its argument name."""
    return "URL" if name == "url" else name


def check_headers(headers: Any, name: str = "headers") -> Headers:
    """``headers`` as a list of ``(bytes, bytes)``; errors name the argument ``name``."""
    if headers is None:
        return []
    if not isinstance(headers, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of (bytes, bytes) pairs, not {type(headers).__name__}"
        )
    for item in headers:
        if not isinstance(item, tuple) or len(item) != 2:
            raise TypeError(f"{name} must be a list of (bytes, bytes) pairs, got item {item!r}")
        key, value = item
        if not isinstance(key, bytes) or not isinstance(value, bytes):
            raise TypeError(
                f"{name}: names and values must be bytes, got ({type(key).__name__}, "
                f"{type(value).__name__}) for {item!r}"
            )
        if not _TOKEN.fullmatch(key):
            raise LocalProtocolError(f"Invalid header name {key!r} in {name}")
        if not _FIELD_VALUE.fullmatch(value):
            raise LocalProtocolError(
                f"Invalid header value {value!r} for {key!r} in {name}: no CR, LF or NUL, "
                "no whitespace at either end, and only spaces and tabs inside"
            )
    return list(headers)
