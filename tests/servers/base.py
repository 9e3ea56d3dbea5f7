"""What every test server shares: the address record and a bounded readiness probe."""

from __future__ import annotations

import abc
import contextlib
import gc
import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar

__all__ = [
    "Listening",
    "Server",
    "Serving",
    "client_sockets_to",
    "connect",
    "free_port",
    "http_get",
    "stop_process",
    "wait_until_serving",
]


@dataclass(frozen=True)
class Server:
    """Where a test server listens; ``uds`` is set for Unix-socket servers, whose URL keeps
    a placeholder host and port (httpcore routes by ``uds=`` and sends the URL's Host)."""

    host: str
    port: int
    scheme: str
    uds: str | None = None

    def url(self, path: str = "/") -> tuple[bytes, bytes, int, bytes]:
        """The httpcore 0.12 URL tuple ``(scheme, host, port, target)``."""
        return (
            self.scheme.encode("ascii"),
            self.host.encode("ascii"),
            self.port,
            path.encode("ascii"),
        )

    @property
    def origin(self) -> str:
        """``scheme://host:port`` as a string, IPv6 hosts bracketed."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def authority(self) -> str:
        """The Host header value clients send: ``host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


_Started = TypeVar("_Started")


class Serving(abc.ABC, Generic[_Started]):
    """``with server as address:`` for a test server: start on entry, stop on exit.
    ``start`` gives the address (``Serving[Server]``), or the server itself where it has
    several (``Nginx``)."""

    @abc.abstractmethod
    def start(self) -> _Started:
        """Serve, and return the address once a request can be answered."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop within bounded time; raise RuntimeError if the server failed."""

    def __enter__(self) -> _Started:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Listening:
    """What our test servers with one address share: the address once started, and URLs
    on it."""

    _server: Server | None = None

    @property
    def server(self) -> Server:
        """The address, once started."""
        if self._server is None:
            raise RuntimeError("not started")
        return self._server

    def url(self, path: str = "/") -> tuple[bytes, bytes, int, bytes]:
        """The httpcore URL tuple for ``path`` on this server."""
        return self.server.url(path)


def connect(
    server: Server,
    *,
    ssl_context: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    timeout: float = 5.0,
) -> socket.socket:
    """A blocking client socket to ``server`` (TCP or Unix), TLS-wrapped if a context is
    given; the caller closes it."""
    if server.uds is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(server.uds)
        except BaseException:
            sock.close()
            raise
    else:
        sock = socket.create_connection((server.host, server.port), timeout=timeout)
    if ssl_context is None:
        return sock
    try:
        return ssl_context.wrap_socket(sock, server_hostname=server_hostname or server.host)
    except BaseException:
        sock.close()
        raise


def http_get(
    server: Server,
    path: str = "/",
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 5.0,
    limit: int = 1 << 20,
) -> bytes:
    """One ``Connection: close`` HTTP/1.1 GET; returns the raw response bytes (head and
    body) read until the server closes, at most ``limit`` bytes."""
    with connect(server, ssl_context=ssl_context, timeout=timeout) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: {server.authority}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode("ascii"))
        parts: list[bytes] = []
        received = 0
        deadline = time.monotonic() + timeout
        while received < limit and time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            parts.append(data)
            received += len(data)
        return b"".join(parts)


def wait_until_serving(
    server: Server,
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 10.0,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Retry a GET / until it gets any HTTP response, for at most ``timeout`` seconds;
    ``alive`` lets the caller stop early when the server process or thread died."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"test server at {server} died while starting")
        try:
            if http_get(server, ssl_context=ssl_context, timeout=2.0).startswith(b"HTTP/1."):
                return
        except OSError as exc:  # ssl.SSLError included
            last_error = exc
        time.sleep(0.05)
    raise TimeoutError(f"test server at {server} not serving after {timeout}s: {last_error!r}")


def client_sockets_to(port: int) -> int:
    """Open sockets of this process connected to ``port``: the client side only (the test
    servers run in this process too, on the other end)."""
    gc.collect()
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if int(row[2].split(":")[1], 16) == port and row[9] in inodes)


def free_port() -> int:
    """A loopback TCP port that was free a moment ago, for servers that need the port
    before they start (subprocesses); callers retry if another process takes it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(
    process: subprocess.Popen[bytes],
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGKILL),
    timeout: float = 3.0,
) -> None:
    """Send ``signals`` in turn until the server process exits, each wait bounded."""
    for sig in signals:
        if process.poll() is not None:
            break
        process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    process.wait(timeout)
