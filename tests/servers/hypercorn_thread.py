"""Hypercorn serving :mod:`tests.servers.app` in a background thread with its own asyncio
loop, so sync, asyncio and trio tests can all talk to it.

Three flavours: plain HTTP/1.1 on 127.0.0.1, TLS offering ALPN ``h2`` and ``http/1.1``
with the trustme certificate, and plain HTTP on a Unix socket. Only this module (and
the child of :mod:`.hypercorn_process`, which runs it) imports hypercorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import weakref
from typing import Any, cast

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import Framework

from .app import app
from .base import Server
from .hypercorn_base import HypercornBase, HypercornOptions
from .listener import Listener

__all__ = ["HypercornThread"]

_LOGGER = logging.getLogger("tests.servers.hypercorn")
_GRACE = 0.5


class _TrackingLoop(asyncio.SelectorEventLoop):
    """An event loop that remembers its connections' sockets, so stop() can end the
    connections a client left open: hypercorn closes a TLS connection by waiting for the
    peer's close_notify (up to 30 s) and cannot be told otherwise. Shutting the socket
    down (not closing it) lets asyncio tear the transport down by its usual path."""

    def __init__(self) -> None:
        super().__init__()
        self.sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def _make_socket_transport(self, sock: socket.socket, *args: Any, **kwargs: Any) -> Any:
        self.sockets.add(sock)
        return super()._make_socket_transport(sock, *args, **kwargs)  # type: ignore[misc]

    def _make_ssl_transport(self, sock: socket.socket, *args: Any, **kwargs: Any) -> Any:
        self.sockets.add(sock)
        return super()._make_ssl_transport(sock, *args, **kwargs)  # type: ignore[misc]

    def shutdown_connections(self) -> None:
        for sock in list(self.sockets):
            if sock.fileno() != -1:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Keep asyncio's own complaint about cancelled connection tasks (a 3.11 quirk of
    start_server when stop() cancels them) out of the logs; log the rest."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    _LOGGER.error("hypercorn loop: %s", context.get("message"), exc_info=context.get("exception"))


class HypercornThread(HypercornBase):
    """One hypercorn instance in a thread; use as a context manager or call
    :meth:`start`/:meth:`stop`. ``listener``, a socket the parent of a child process bound,
    is served instead of binding one; its temp dir stays the parent's to remove.
    """

    def __init__(self, options: HypercornOptions, *, listener: Listener | None = None) -> None:
        super().__init__(options)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shutdown: asyncio.Event | None = None
        self._loop_ready = threading.Event()
        self._error: BaseException | None = None
        self._given_listener = listener
        self._own_listener: Listener | None = None
        self._server: Server | None = None

    def _config(self) -> tuple[Config, Server]:
        config = Config()
        config.accesslog = None
        config.errorlog = _LOGGER
        config.graceful_timeout = _GRACE
        # Keep the client's header casing so /headers shows what was really sent.
        config.h11_pass_raw_headers = True
        if (tls := self.options.tls) is not None:
            config.certfile = str(tls.cert_chain_path)
            config.keyfile = str(tls.key_path)
            config.alpn_protocols = list(self.options.alpn)
        for name, value in self.options.config.items():
            if not hasattr(config, name):
                raise AttributeError(f"hypercorn Config has no attribute {name!r}")
            setattr(config, name, value)

        # Bind here so the address is known before hypercorn runs; hypercorn takes over
        # the file descriptor (detach() leaves nothing for this side to close twice).
        listener = self._given_listener
        if listener is None:
            listener = self._own_listener = self._listen()
        config.bind = [f"fd://{listener.sock.detach()}"]
        return config, listener.server

    def start(self) -> Server:
        """Start serving and return once a request has been answered."""
        if self._thread is not None:
            raise RuntimeError("already started")
        config, server = self._config()
        self._thread = threading.Thread(
            target=self._run, args=(config,), name=f"hypercorn {server.origin}", daemon=True
        )
        self._thread.start()
        try:
            if not self._loop_ready.wait(self.options.startup_timeout):
                raise TimeoutError("hypercorn's event loop did not start")
            self._wait_until_serving(server, alive=self._thread.is_alive)
        except BaseException as exc:
            self.stop()
            if self._error is not None:
                raise RuntimeError(f"hypercorn failed: {self._error!r}") from exc
            raise
        self._server = server
        return server

    def _run(self, config: Config) -> None:
        loop = _TrackingLoop()
        loop.set_exception_handler(_exception_handler)
        try:
            loop.run_until_complete(self._main(loop, config))
        except BaseException as exc:  # reported by start()/stop() in the test's thread
            self._error = exc
        finally:
            try:
                loop.shutdown_connections()
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                if pending:
                    gathered = asyncio.gather(*pending, return_exceptions=True)
                    loop.run_until_complete(asyncio.wait_for(gathered, 5.0))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _main(self, loop: _TrackingLoop, config: Config) -> None:
        self._loop = loop
        shutdown = self._shutdown = asyncio.Event()
        self._loop_ready.set()
        serving = loop.create_task(
            serve(cast(Framework, app), config, shutdown_trigger=shutdown.wait)
        )
        stopping = loop.create_task(shutdown.wait())
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not serving.done():
                # Graceful first; then abort what the clients left open.
                await asyncio.wait({serving}, timeout=_GRACE + 0.25)
            if not serving.done():
                loop.shutdown_connections()
                await asyncio.wait({serving}, timeout=2.0)
            if not serving.done():
                serving.cancel()
                raise RuntimeError("hypercorn did not shut down; cancelled it")
        finally:
            stopping.cancel()
        serving.result()

    def stop(self, timeout: float = 10.0) -> None:
        """Trigger hypercorn's graceful shutdown and join the thread (bounded)."""
        thread, loop, shutdown = self._thread, self._loop, self._shutdown
        try:
            if thread is None:
                return
            if loop is not None and shutdown is not None:
                # RuntimeError: the loop already closed, the thread is ending.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(shutdown.set)
            thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError(f"hypercorn did not stop within {timeout}s")
            if self._error is not None:
                raise RuntimeError(f"hypercorn failed: {self._error!r}") from self._error
        finally:
            if self._own_listener is not None:
                self._own_listener.close()
                self._own_listener = None
        self._thread = None
