"""The exceptions of the httpcore 0.12 API, defined here once for every component.

Every error a transport raises is one of these, so callers can map them without knowing
which component (or which mock) produced them. All are plain ``Exception`` subclasses that
accept arbitrary constructor arguments, as in httpcore 0.12.
"""

from __future__ import annotations

__all__ = [
    "CloseError",
    "ConnectError",
    "ConnectTimeout",
    "LocalProtocolError",
    "NetworkError",
    "PoolTimeout",
    "ProtocolError",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "TimeoutException",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
]


class UnsupportedProtocol(Exception):
    """The URL scheme is not one the transport can speak (only http and https are)."""


class ProtocolError(Exception):
    """One side broke the HTTP protocol."""


class RemoteProtocolError(ProtocolError):
    """The server sent something the HTTP protocol does not allow."""


class LocalProtocolError(ProtocolError):
    """The caller asked for something the HTTP protocol does not allow; nothing was sent."""


class ProxyError(Exception):
    """The proxy refused the request or the tunnel through it could not be set up."""


class TimeoutException(Exception):
    """Base class of the four timeouts of ``ext["timeout"]``."""


class PoolTimeout(TimeoutException):
    """No connection slot became free within ``timeout["pool"]``."""


class ConnectTimeout(TimeoutException):
    """The TCP connect or TLS handshake took longer than ``timeout["connect"]``."""


class ReadTimeout(TimeoutException):
    """A read from the network took longer than ``timeout["read"]``."""


class WriteTimeout(TimeoutException):
    """A write to the network took longer than ``timeout["write"]``."""


class NetworkError(Exception):
    """Base class of failures of the network itself."""


class ConnectError(NetworkError):
    """The connection could not be established (refused, unreachable, DNS, TLS)."""


class ReadError(NetworkError):
    """Reading from an established connection failed."""


class WriteError(NetworkError):
    """Writing to an established connection failed."""


class CloseError(NetworkError):
    """Closing a connection failed."""
