"""The hypercorn test server serving :mod:`tests.servers.app`: in a thread of this process
by default, or, when ``HTTPCORE_TEST_HYPERCORN_PYTHON`` names a Python that has hypercorn
and trustme, in a child process of that Python, so envs that cannot install hypercorn
(it needs h2>=4.3) still run every test against it.

Three flavours either way: plain HTTP/1.1 on 127.0.0.1, TLS offering ALPN ``h2`` and
``http/1.1`` with the trustme certificate, and plain HTTP on a Unix socket.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from .base import Listening, Server, Serving
from .hypercorn_base import HypercornOptions
from .hypercorn_process import HypercornProcess
from .tls import TLSMaterial

__all__ = ["PYTHON_VARIABLE", "HypercornServer", "Server"]

PYTHON_VARIABLE = "HTTPCORE_TEST_HYPERCORN_PYTHON"


class _Backend(Protocol):
    def start(self) -> Server: ...
    def stop(self, timeout: float = ...) -> None: ...


class HypercornServer(Listening, Serving[Server]):
    """One hypercorn instance, in a thread or (see ``PYTHON_VARIABLE``) a child process;
    use as a context manager or call :meth:`start`/:meth:`stop`. The arguments are
    :class:`.hypercorn_base.HypercornOptions`'.
    """

    def __init__(
        self,
        *,
        tls: TLSMaterial | None = None,
        alpn: Sequence[str] = ("h2", "http/1.1"),
        uds: bool = False,
        host: str = "127.0.0.1",
        config: Mapping[str, object] | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        self._backend: _Backend
        self._server: Server | None = None
        options = HypercornOptions(
            tls=tls,
            alpn=alpn,
            uds=uds,
            host=host,
            config=config or {},
            startup_timeout=startup_timeout,
        )
        if python := os.environ.get(PYTHON_VARIABLE):
            files = None if tls is None else tls.files  # the child gets paths, as JSON
            self._backend = HypercornProcess(python, replace(options, tls=files))
            return
        try:
            # Imported here: only this mode needs hypercorn installed.
            from .hypercorn_thread import HypercornThread
        except ModuleNotFoundError as exc:
            if exc.name != "hypercorn" and not (exc.name or "").startswith("hypercorn."):
                raise
            raise RuntimeError(
                "hypercorn is not installed in this environment: install it, or set "
                f"{PYTHON_VARIABLE} to a Python that has hypercorn and trustme to run it "
                "in a child process"
            ) from exc
        self._backend = HypercornThread(options)

    def start(self) -> Server:
        """Start serving and return once a request has been answered."""
        self._server = self._backend.start()
        return self._server

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully, then forcefully, within ``timeout``; a server error is raised
        here as RuntimeError."""
        self._backend.stop(timeout)
