"""Socket helpers shared by the backends."""

from __future__ import annotations

import os
import select
import socket
import ssl

__all__ = ["describe_os_error", "set_nodelay", "socket_is_readable"]


def set_nodelay(sock: socket.socket) -> None:
    """Small request heads must not wait for Nagle's algorithm."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def socket_is_readable(sock: socket.socket | None) -> bool:
    """Whether a read would not block: data, EOF or an error is pending. poll(), not
    select(): select() refuses descriptors from 1024 up, common in busy processes."""
    fd = -1 if sock is None else sock.fileno()  # once: another thread may close it
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def describe_os_error(exc: BaseException) -> str:
    """The error's text with the reasons it was caused by, so "Connection refused" survives
    wrappers such as anyio's "All connection attempts failed", and reads the same on every
    event loop (asyncio says "Connect call failed" for ECONNREFUSED)."""
    text = _describe_one(exc)
    cause = exc.__cause__
    grouped = getattr(cause, "exceptions", None)  # an exception group (3.10: backport)
    if isinstance(grouped, tuple):
        return f"{text} ({'; '.join(_describe_one(e) for e in grouped)})"
    if cause is not None and _describe_one(cause) not in text:
        return f"{text}: {_describe_one(cause)}"
    return text


def _describe_one(exc: BaseException) -> str:
    if (
        isinstance(exc, OSError)
        and not isinstance(exc, (ssl.SSLError, socket.gaierror))
        and isinstance(exc.errno, int)
        and exc.errno > 0
    ):
        return f"[Errno {exc.errno}] {os.strerror(exc.errno)}"
    return str(exc) or type(exc).__name__
