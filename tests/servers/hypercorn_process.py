"""Hypercorn in a child process of another Python, for test envs that cannot install it
(hypercorn needs h2>=4.3; the oldest supported env tests h2 3.2).

This side binds the socket, so the address is known up front, and hands it over by
``pass_fds``. The child, :mod:`.hypercorn_child`, runs the same in-thread server on it
until its stdin ends: closing stdin is how :meth:`HypercornProcess.stop` asks it to stop
gracefully, and a test process that dies stops its servers the same way.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
from pathlib import Path
from typing import IO, TypedDict

from .base import Server, stop_process
from .hypercorn_base import HypercornBase, HypercornOptions
from .listener import Listener

__all__ = ["ChildSettings", "HypercornProcess"]

_LOGGER = logging.getLogger("tests.servers.hypercorn")
_ROOT = Path(__file__).resolve().parents[2]  # the child runs `-m tests.servers...` here
_STDERR_LIMIT = 20_000


class ServerFields(TypedDict):
    """:class:`.base.Server` as JSON."""

    host: str
    port: int
    scheme: str
    uds: str | None


class TLSPaths(TypedDict):
    """:class:`.tls.TLSFiles` as JSON."""

    ca_cert_path: str
    cert_chain_path: str
    key_path: str


class ChildSettings(TypedDict):
    """What the child gets as JSON in ``argv[1]``."""

    fd: int
    server: ServerFields
    tls: TLSPaths | None
    alpn: list[str]
    config: dict[str, object]
    startup_timeout: float


def _child_env() -> dict[str, str]:
    """This environment without the variables that describe this interpreter, not the
    child's."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH")}


class HypercornProcess(HypercornBase):
    """:class:`.hypercorn_thread.HypercornThread`'s contract, served by ``python``.

    ``config`` values must be JSON-serialisable; an unknown setting fails start() with the
    child's traceback.
    """

    def __init__(self, python: str, options: HypercornOptions | None = None) -> None:
        super().__init__(options or HypercornOptions())
        self._python = python
        self._process: subprocess.Popen[bytes] | None = None
        self._listener: Listener | None = None
        self._stderr: IO[bytes] | None = None
        self._server: Server | None = None

    def start(self) -> Server:
        """Start the child and return once a request has been answered."""
        if self._process is not None:
            raise RuntimeError("already started")
        listener = self._listener = self._listen()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (kept until stop())
        try:
            self._process = self._spawn(listener)
        except BaseException:
            self._release()
            raise
        finally:
            listener.sock.close()  # the child holds the socket now
        process = self._process
        try:
            self._wait_until_serving(listener.server, alive=lambda: process.poll() is None)
        except BaseException as exc:
            self._kill()
            message = f"hypercorn did not start: {exc!r}{self._stderr_text()}"
            self._release()
            if isinstance(exc, Exception):
                raise RuntimeError(message) from exc
            raise
        self._server = listener.server
        return listener.server

    def _spawn(self, listener: Listener) -> subprocess.Popen[bytes]:
        fd = listener.sock.fileno()
        tls = None
        if (files := self.options.tls) is not None:
            tls = TLSPaths(
                ca_cert_path=str(files.ca_cert_path),
                cert_chain_path=str(files.cert_chain_path),
                key_path=str(files.key_path),
            )
        settings = ChildSettings(
            fd=fd,
            server=ServerFields(
                host=listener.server.host,
                port=listener.server.port,
                scheme=listener.server.scheme,
                uds=listener.server.uds,
            ),
            tls=tls,
            alpn=list(self.options.alpn),
            config=dict(self.options.config),
            startup_timeout=self.options.startup_timeout,
        )
        return subprocess.Popen(
            [self._python, "-m", "tests.servers.hypercorn_child", json.dumps(settings)],
            cwd=_ROOT,
            env=_child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            pass_fds=(fd,),
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Close the child's stdin so it shuts down gracefully; kill it if it has not
        exited within ``timeout`` (bounded either way). A failure is a RuntimeError with
        the child's stderr."""
        process = self._process
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise RuntimeError(
                    f"hypercorn did not stop within {timeout}s; killed it{self._stderr_text()}"
                ) from None
            if process.returncode != 0:
                raise RuntimeError(
                    f"hypercorn failed (exit status {process.returncode}){self._stderr_text()}"
                )
            if text := self._stderr_text():
                _LOGGER.warning("hypercorn child, stopped cleanly%s", text)
        finally:
            self._release()

    def _kill(self) -> None:
        process = self._process
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            stop_process(process)

    def _stderr_text(self) -> str:
        """The child's stderr so far, as a message suffix ("" when empty)."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip()
        if not text:
            return ""
        if len(text) > _STDERR_LIMIT:
            text = "…" + text[-_STDERR_LIMIT:]
        return f"; its stderr:\n{text}"

    def _release(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._process = None
