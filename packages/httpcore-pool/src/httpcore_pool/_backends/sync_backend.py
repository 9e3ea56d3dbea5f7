"""The sync backend: blocking sockets, with a timeout per operation."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from typing import Any

from httpcore_interfaces import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)

from .._sync.tls_in_tls import SyncTLSInTLSStream
from ._sockets import describe_os_error, set_nodelay, socket_is_readable
from .base import SyncNetworkBackend, SyncNetworkStream

__all__ = ["SyncBackend", "SyncSocketStream"]

_UNSET = object()


class SyncSocketStream(SyncNetworkStream):
    __slots__ = ("_sock", "_timeout")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout: object = _UNSET

    def _set_timeout(self, timeout: float | None) -> None:
        # settimeout is a system call's worth of work: skip it when nothing changes.
        if timeout != self._timeout:
            self._sock.settimeout(_blocking(timeout))
            self._timeout = timeout

    def read(self, max_bytes: int, timeout: float | None) -> bytes:
        try:
            self._set_timeout(timeout)
            return self._sock.recv(max_bytes)
        except TimeoutError as exc:
            raise ReadTimeout(f"Timed out reading from the server after {timeout}s") from exc
        except OSError as exc:  # ssl.SSLError is an OSError
            raise ReadError(describe_os_error(exc)) from exc

    def write(self, data: bytes, timeout: float | None) -> None:
        if not data:
            return
        try:
            self._set_timeout(timeout)
            self._sock.sendall(data)
        except TimeoutError as exc:
            raise WriteTimeout(f"Timed out writing to the server after {timeout}s") from exc
        except OSError as exc:
            raise WriteError(describe_os_error(exc)) from exc

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> SyncNetworkStream:
        if isinstance(self._sock, ssl.SSLSocket):  # a tunnel through an https proxy
            return SyncTLSInTLSStream.handshake(self, ssl_context, server_hostname, timeout)
        try:
            self._set_timeout(timeout)
            tls = ssl_context.wrap_socket(self._sock, server_hostname=server_hostname)
        except TimeoutError as exc:
            self.close()
            raise ConnectTimeout(f"TLS handshake timed out after {timeout}s") from exc
        except OSError as exc:
            self.close()
            raise ConnectError(f"TLS handshake failed: {describe_os_error(exc)}") from exc
        except BaseException:
            self.close()
            raise
        stream = SyncSocketStream(tls)
        stream._timeout = timeout
        return stream

    def close(self) -> None:
        # shutdown() first: close() alone does not wake a thread blocked in recv() on
        # this socket, and the pool may close a connection another thread is reading.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()

    def is_readable(self) -> bool:
        if isinstance(self._sock, ssl.SSLSocket) and self._sock.pending():
            return True
        return socket_is_readable(self._sock)

    def get_extra_info(self, name: str) -> Any:
        if name == "ssl_object":
            return self._sock if isinstance(self._sock, ssl.SSLSocket) else None
        if name == "client_addr":
            return self._sock.getsockname()
        if name == "server_addr":
            return self._sock.getpeername()
        return None


class SyncBackend(SyncNetworkBackend):
    def connect_tcp(
        self, host: str, port: int, timeout: float | None, local_address: str | None
    ) -> SyncNetworkStream:
        try:
            if local_address is None:
                sock = socket.create_connection((host, port), _blocking(timeout))
            else:
                sock = _connect_from(host, port, timeout, local_address)
        except TimeoutError as exc:
            raise ConnectTimeout(f"Timed out connecting to {host}:{port} after {timeout}s") from exc
        except OSError as exc:
            raise ConnectError(describe_os_error(exc)) from exc
        set_nodelay(sock)
        stream = SyncSocketStream(sock)
        stream._timeout = timeout
        return stream

    def connect_unix_socket(self, path: str, timeout: float | None) -> SyncNetworkStream:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(_blocking(timeout))
            sock.connect(path)
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimeout(f"Timed out connecting to {path} after {timeout}s") from exc
        except OSError as exc:
            sock.close()
            raise ConnectError(describe_os_error(exc)) from exc
        stream = SyncSocketStream(sock)
        stream._timeout = timeout
        return stream

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _blocking(timeout: float | None) -> float | None:
    """A socket timeout that keeps the socket blocking: ``settimeout(0)`` would make it
    non-blocking, and a zero timeout must mean "time out unless ready now" instead."""
    return None if timeout is None else max(timeout, 1e-9)


def _connect_from(host: str, port: int, timeout: float | None, local_address: str) -> socket.socket:
    """Connect with the source address bound; its family ("0.0.0.0" or "::") picks the
    family of the target address too."""
    family = socket.AF_INET6 if ":" in local_address else socket.AF_INET
    last_error: OSError | None = None
    try:
        addresses = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except OSError as exc:
        raise OSError(f"no {family.name} address for {host}: {exc}") from None
    for af, kind, proto, _, address in addresses:
        sock = socket.socket(af, kind, proto)
        try:
            sock.settimeout(_blocking(timeout))
            sock.bind((local_address, 0))
            sock.connect(address)
        except OSError as exc:
            sock.close()
            if isinstance(exc, TimeoutError):
                raise
            last_error = exc
            continue
        return sock
    assert last_error is not None  # getaddrinfo never returns an empty list
    raise last_error
