"""A listening socket bound before its server runs, so the address is known up front and
the socket can be handed to a server in a thread (``fd://``) or in a child process
(``pass_fds``) without a race for the port."""

from __future__ import annotations

import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .base import Server

__all__ = ["Listener", "listen"]


@dataclass
class Listener:
    """The bound socket, where clients reach it, and the temp dir of a Unix socket."""

    sock: socket.socket
    server: Server
    directory: str | None = None

    def close(self) -> None:
        """Close the socket (a no-op once handed over by ``detach()``) and remove the
        Unix socket's directory."""
        self.sock.close()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def listen(
    *, host: str = "127.0.0.1", uds: bool = False, scheme: str = "http", backlog: int = 100
) -> Listener:
    """Bind and listen on a free loopback port, or with ``uds=True`` on ``server.sock`` in
    a fresh temp dir (a Unix-socket server's URL keeps the placeholder ``localhost:80``)."""
    if not uds:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            sock.bind((host, 0))
            sock.listen(backlog)
            return Listener(sock, Server(host, int(sock.getsockname()[1]), scheme))
        except BaseException:
            sock.close()
            raise
    directory = tempfile.mkdtemp(prefix="hc-uds-")
    path = str(Path(directory) / "server.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Listener(sock, Server("localhost", 80, scheme, uds=path), directory)
