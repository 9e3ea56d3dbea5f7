"""HTTPCORE_LOG_LEVEL turns on a stderr log, as httpcore 0.12 did; off by default."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.servers.base import Server

SCRIPT = """
import sys
from httpcore_pool import SyncConnectionPool
url = (b"http", b"127.0.0.1", int(sys.argv[1]), b"/")
with SyncConnectionPool() as pool:
    status, headers, stream, ext = pool.request(b"GET", url)
    b"".join(stream)
    stream.close()
"""


def run(port: int, level: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "HTTPCORE_LOG_LEVEL"}
    if level is not None:
        env["HTTPCORE_LOG_LEVEL"] = level
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stderr


@pytest.mark.parametrize("level", [None, "", "INFO"])
def test_silent_by_default(hypercorn_http: Server, level: str | None) -> None:
    assert run(hypercorn_http.port, level) == ""


def test_debug_level_logs_connections(hypercorn_http: Server) -> None:
    stderr = run(hypercorn_http.port, "DEBUG")
    assert "DEBUG" in stderr
    assert "httpcore.connection_pool - connected to http://127.0.0.1:" in stderr
    assert "TRACE" not in stderr


def test_trace_level_logs_every_step(hypercorn_http: Server) -> None:
    stderr = run(hypercorn_http.port, "trace")
    for step in ("connection.connect_tcp.complete", "http11.send_request_headers.started"):
        assert step in stderr
    assert "httpcore.http11" in stderr
