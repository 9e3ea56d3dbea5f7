"""Proxies for the proxy tests: pproxy, a real one from PyPI, and one of our own that
misbehaves on purpose.

:class:`Pproxy` runs ``python -m pproxy`` as a subprocess on an ephemeral loopback port,
plain or over TLS (the trustme certificate). It forwards requests with absolute URLs and
opens ``CONNECT`` tunnels, as HTTP proxies do.

:class:`ScriptedProxy` is a :class:`tests.servers.raw.RawServer` handler: it records every
request head it receives and answers ``CONNECT`` with the bytes it is given (a refusal,
garbage, an answer followed by stray bytes), and any other request with a small 200.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from .base import Listening, Server, Serving, free_port, stop_process
from .raw import OK_RESPONSE, Request, recorded_requests, wait_for_client_close
from .tls import TLSMaterial

__all__ = ["CONNECT_OK", "Pproxy", "ScriptedProxy"]

CONNECT_OK = b"HTTP/1.1 200 Connection established\r\n\r\n"
_STARTUP_ATTEMPTS = 3


class Pproxy(Listening, Serving[Server]):
    """pproxy on 127.0.0.1; ``tls`` makes it an https proxy. Use as a context manager."""

    def __init__(self, tls: TLSMaterial | None = None) -> None:
        self.tls = tls
        self.process: subprocess.Popen[bytes] | None = None
        # Open for the process's lifetime: stop() closes it.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115

    def start(self, timeout: float = 10.0) -> Server:
        last_error = ""
        for _ in range(_STARTUP_ATTEMPTS):  # a port taken in between: try another
            server = Server("127.0.0.1", free_port(), "https" if self.tls else "http")
            command = [sys.executable, "-m", "pproxy"]
            if self.tls is None:
                command += ["-l", f"http://127.0.0.1:{server.port}"]
            else:
                command += ["-l", f"http+ssl://127.0.0.1:{server.port}"]
                command += ["--ssl", f"{self.tls.cert_chain_path},{self.tls.key_path}"]
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log
            )
            if self._wait_until_listening(server, timeout):
                self._server = server
                return server
            self._terminate()
            last_error = self._logs()
        raise RuntimeError(f"pproxy did not start: {last_error}")

    def _wait_until_listening(self, server: Server, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                socket.create_connection((server.host, server.port), timeout=1.0).close()
                return True
            time.sleep(0.05)
        return False

    def _logs(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-4000:]

    def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process)

    def stop(self) -> None:
        self._terminate()
        self._log.close()


@dataclass
class ScriptedProxy:
    """Records request heads; answers CONNECT with ``connect_answer`` and then waits for
    the client to close (a ``None`` answer closes at once), anything else with a 200."""

    connect_answer: bytes | None = CONNECT_OK
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, conn: socket.socket, index: int) -> None:
        for request in recorded_requests(conn, self.requests, self._lock):
            if request.method != b"CONNECT":
                conn.sendall(OK_RESPONSE)
                continue
            if self.connect_answer is not None:
                conn.sendall(self.connect_answer)
                wait_for_client_close(conn)
            return
