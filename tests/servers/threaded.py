"""What our socket-level test servers share: a loopback listener whose accept loop gives
each connection a thread of its own, and a ``stop`` that ends every connection, joins every
thread in bounded time and fails when the server itself failed.

A subclass says what to do with one connection (:meth:`ThreadedServer.handle`); an
``OSError`` there is the client going away or a bounded wait running out, anything else
is a failure of the server that :meth:`ThreadedServer.stop` re-raises.
"""

from __future__ import annotations

import abc
import contextlib
import socket
import threading
import time
from collections.abc import Callable

from .base import Listening, Server, Serving

__all__ = ["ThreadedServer"]


class ThreadedServer(Listening, Serving[Server]):
    name = "test"  # in thread names and in the errors of stop()
    scheme = "http"

    def __init__(self, host: str = "127.0.0.1") -> None:
        if host not in ("127.0.0.1", "::1"):
            raise ValueError("test servers listen on loopback only")
        self.host = host
        self.accepted = 0  # connections so far; the index handle() gets
        self.errors: list[BaseException] = []  # unexpected failures of the server itself
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None

    @abc.abstractmethod
    def handle(self, sock: socket.socket, index: int) -> None:
        """Serve connection number ``index``; the socket is closed afterwards."""

    def accepting(self, sock: socket.socket) -> None:
        """Called under the lock as ``sock`` is accepted, before its thread starts."""

    def close(self, sock: socket.socket) -> None:
        """End a connection once :meth:`handle` returned."""
        sock.close()

    def start(self) -> Server:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, 0))
            listener.listen(128)
            listener.settimeout(0.1)  # so the accept loop sees stop() promptly
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        server = self._server = Server(self.host, int(listener.getsockname()[1]), self.scheme)
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"{self.name} {server.origin}", daemon=True
        )
        self._acceptor.start()
        return server

    def track(self, sock: socket.socket) -> None:
        """Have :meth:`stop` shut ``sock`` down too (e.g. to end a blocking handshake)."""
        with self.lock:
            self._sockets.add(sock)
            if self.stopping.is_set():
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def forget(self, sock: socket.socket) -> None:
        with self.lock:
            self._sockets.discard(sock)

    def start_thread(self, name: str, target: Callable[..., object], *args: object) -> None:
        """Run ``target(*args)`` in a thread that :meth:`stop` joins, its failure recorded."""
        thread = threading.Thread(
            target=self._guarded, args=(target, *args), name=name, daemon=True
        )
        with self.lock:
            self._threads.append(thread)
        thread.start()

    def _guarded(self, target: Callable[..., object], *args: object) -> None:
        try:
            target(*args)
        except OSError:
            pass  # the client went away, a handshake failed or a bounded wait ran out
        except BaseException as exc:
            with self.lock:
                self.errors.append(exc)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                index = self.accepted
                self.accepted += 1
                self._sockets.add(sock)
                self.accepting(sock)
            self.start_thread(f"{self.name} conn {index}", self._serve, sock, index)

    def _serve(self, sock: socket.socket, index: int) -> None:
        try:
            self.handle(sock, index)
        finally:
            self.forget(sock)
            self.close(sock)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, shut every connection down (unblocking its thread), join every
        thread within ``timeout``, and re-raise the server's first unexpected error."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        if self._acceptor is not None:
            self._acceptor.join(max(0.0, deadline - time.monotonic()))
        if self._listener is not None:
            self._listener.close()
        with self.lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # below TLS, if any
        joined = 0
        while True:  # threads may start while connections wind down
            with self.lock:
                threads = list(self._threads)
            for thread in threads[joined:]:
                thread.join(max(0.0, deadline - time.monotonic()))
            if len(threads) == joined or time.monotonic() > deadline:
                break
            joined = len(threads)
        alive = [thread.name for thread in threads if thread.is_alive()]
        if self._acceptor is not None and self._acceptor.is_alive():
            alive.append(self._acceptor.name)
        if alive:
            raise RuntimeError(
                f"{self.name} server threads still running after {timeout}s: {alive}"
            )
        if self.errors:
            error = self.errors[0]
            raise RuntimeError(f"the {self.name} server failed: {error!r}") from error
