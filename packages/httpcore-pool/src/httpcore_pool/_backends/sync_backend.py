"""The sync backend: sockets, each operation waiting until its own deadline."""

from __future__ import annotations

import contextlib
import errno
import select
import socket
import ssl
import threading
import time
from typing import Any

from .._exceptions import CONNECT, READ, TLS_HANDSHAKE, WRITE
from ._sockets import set_nodelay, socket_is_readable
from ._sync.tls_in_tls import SyncTLSInTLSStream
from .base import SyncNetworkBackend, SyncNetworkStream

__all__ = ["SyncBackend", "SyncSocketStream"]

_UNSET = object()
_MAX_POLL_MS = 2**31 - 1


class SyncSocketStream(SyncNetworkStream):
    """A socket with a timeout per operation. Used by one thread at a time (HTTP/1.1), it
    relies on the socket's own timeout, the cheapest way; once shared by a reader and a
    writer thread (HTTP/2, see :meth:`share`), each operation polls until its own deadline
    instead, since ``settimeout()`` applies to the whole socket.

    Shared, the socket is non-blocking and every call into it holds ``_io_lock``, never
    across a wait: OpenSSL does not allow one TLS connection to be used by two threads at
    once, and CPython releases the GIL inside ``SSL_read`` and ``SSL_write``."""

    __slots__ = ("_drained", "_io_lock", "_shared", "_sock", "_timeout")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout: object = _UNSET
        self._shared = False
        self._io_lock = threading.Lock()
        # Shared mode: True when the next read will most likely have to wait (after a
        # write, or a read that emptied the buffer): poll first, saving a failing recv().
        self._drained = True

    def share(self) -> None:
        self._sock.setblocking(False)
        self._shared = True

    def _set_timeout(self, timeout: float | None) -> None:
        # settimeout is a system call's worth of work: skip it when nothing changes.
        if timeout != self._timeout:
            self._sock.settimeout(_blocking(timeout))
            self._timeout = timeout

    def read(self, max_bytes: int, timeout: float | None) -> bytes:
        try:
            if not self._shared:
                self._set_timeout(timeout)
                return self._sock.recv(max_bytes)
            return self._poll_read(max_bytes, timeout)
        except READ.catches as exc:
            raise READ.error(exc, timeout=timeout) from exc

    def _poll_read(self, max_bytes: int, timeout: float | None) -> bytes:
        deadline = _deadline(timeout)
        sock = self._sock
        if self._drained and not self._pending() and not _wait(sock, select.POLLIN, deadline):
            raise TimeoutError
        while True:
            try:
                with self._io_lock:
                    data = sock.recv(max_bytes)
                self._drained = len(data) < max_bytes
                return data
            except (BlockingIOError, ssl.SSLWantReadError):
                events = select.POLLIN
            except ssl.SSLWantWriteError:
                events = select.POLLOUT
            if not _wait(sock, events, deadline):
                raise TimeoutError

    def write(self, data: bytes, timeout: float | None) -> None:
        try:
            if not self._shared:
                self._set_timeout(timeout)
                self._sock.sendall(data)
            else:
                self._poll_write(data, timeout)
        except WRITE.catches as exc:
            raise WRITE.error(exc, timeout=timeout) from exc

    def _poll_write(self, data: bytes, timeout: float | None) -> None:
        deadline = _deadline(timeout)
        self._drained = True  # an answer takes a round trip
        view = memoryview(data)
        while view:
            try:
                with self._io_lock:
                    sent = self._sock.send(view)
                view = view[sent:]
                continue
            except (BlockingIOError, ssl.SSLWantWriteError):
                events = select.POLLOUT
            except ssl.SSLWantReadError:
                events = select.POLLIN
            if not _wait(self._sock, events, deadline):
                raise TimeoutError

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> SyncNetworkStream:
        if isinstance(self._sock, ssl.SSLSocket):  # a tunnel through an https proxy
            return SyncTLSInTLSStream.handshake(self, ssl_context, server_hostname, timeout)
        deadline = _deadline(timeout)
        try:
            self._sock.setblocking(False)  # the handshake polls until its deadline
            # wrap_socket() takes the socket over: from here on only tls can close it.
            tls = ssl_context.wrap_socket(
                self._sock, server_hostname=server_hostname, do_handshake_on_connect=False
            )
        except BaseException:
            self.close()
            raise
        with TLS_HANDSHAKE.mapping(timeout=timeout):
            try:
                while True:
                    try:
                        tls.do_handshake()
                        break
                    except ssl.SSLWantReadError:
                        events = select.POLLIN
                    except ssl.SSLWantWriteError:
                        events = select.POLLOUT
                    if not _wait(tls, events, deadline):
                        raise TimeoutError
            except BaseException:
                tls.close()
                raise
        return SyncSocketStream(tls)

    def close(self) -> None:
        # shutdown() first: close() alone does not wake a thread blocked in recv() on
        # this socket, and the pool may close a connection another thread is reading.
        # socket.socket's shutdown, not SSLSocket's: that one drops the TLS state first,
        # and a reader running meanwhile would be handed raw TLS records as data.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
        self._sock.close()

    def _pending(self) -> bool:
        """Whether TLS holds decrypted bytes not read yet (the socket may have none)."""
        if not isinstance(self._sock, ssl.SSLSocket):
            return False
        with self._io_lock:
            return self._sock.pending() > 0

    def is_readable(self) -> bool:
        return self._pending() or socket_is_readable(self._sock)

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
        with CONNECT.mapping(target=f"{host}:{port}", timeout=timeout):
            if local_address is None:
                sock = socket.create_connection((host, port), _blocking(timeout))
            else:
                sock = _connect_from(host, port, timeout, local_address)
        set_nodelay(sock)
        return SyncSocketStream(sock)

    def connect_unix_socket(self, path: str, timeout: float | None) -> SyncNetworkStream:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with CONNECT.mapping(target=path, timeout=timeout):
            try:
                sock.settimeout(_blocking(timeout))
                sock.connect(path)
            except BaseException:
                sock.close()
                raise
        return SyncSocketStream(sock)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _wait(sock: socket.socket, events: int, deadline: float | None) -> bool:
    """Wait until ``sock`` is ready for ``events`` (or has failed); False if it is not by
    ``deadline`` (a deadline already passed still says whether it is ready now)."""
    fd = sock.fileno()  # once: another thread may close the socket meanwhile
    if fd < 0:
        raise OSError(errno.EBADF, "the connection was closed")
    poller = select.poll()
    poller.register(fd, events)
    if deadline is None:
        return bool(poller.poll())
    while True:  # poll() takes at most 2**31 - 1 ms: a longer wait goes in steps
        remaining = max(deadline - time.monotonic(), 0.0) * 1000
        if poller.poll(min(remaining, _MAX_POLL_MS)):
            return True
        if remaining <= _MAX_POLL_MS:
            return False


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
