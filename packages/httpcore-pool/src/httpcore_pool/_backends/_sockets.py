"""Socket helpers shared by the backends."""

from __future__ import annotations

import select
import socket

__all__ = ["set_nodelay", "socket_is_readable"]


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
