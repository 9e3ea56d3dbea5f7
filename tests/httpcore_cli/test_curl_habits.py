"""Habits a curl user brings: ``-f``, ``-s``/``-S``, Ctrl-C, a bounded connect, errors
that name what failed, and ``-v`` showing the head as it goes out."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.servers.base import Server
from tests.servers.fixtures import HypercornFactory
from tests.servers.raw import RawServerFactory, StallAfterRequest
from tests.servers.tls import TLSMaterial

from .helpers import COMMAND, Scripted, httpcore

pytest.importorskip("click")
pytest.importorskip("rich")


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_fail_exits_22_and_prints_nothing(hypercorn_http: Server, status: int) -> None:
    url = f"http://{hypercorn_http.authority}/status/{status}"
    for options in (["-f"], ["--fail", "-i"]):
        result = httpcore(*options, url)
        assert (result.returncode, result.stdout) == (22, b"")
        assert result.stderr.decode().startswith(f"httpcore: {url} answered {status} ")
        assert result.stderr.decode().endswith(" (--fail)\n")
    assert httpcore(url).returncode == 0  # without -f, any status is a success


def test_fail_lets_success_and_redirects_through(hypercorn_http: Server) -> None:
    ok = httpcore("-f", f"http://{hypercorn_http.authority}/")
    assert (ok.returncode, ok.stdout) == (0, b"Hello, world!")
    moved = httpcore("-f", f"http://{hypercorn_http.authority}/status/302")
    assert moved.returncode == 0


def test_silent_hides_errors_and_show_error_brings_them_back(hypercorn_http: Server) -> None:
    refused = ["http://127.0.0.1:9/"]
    failing = [f"http://{hypercorn_http.authority}/status/404", "-f"]
    for args, code in ((refused, 3), (failing, 22)):
        silent = httpcore("-s", *args)
        assert (silent.returncode, silent.stderr) == (code, b"")
        shown = httpcore("-s", "-S", *args)
        assert shown.returncode == code
        assert shown.stderr.startswith(b"httpcore: ")
    quiet_insecure = httpcore("-s", "-k", f"http://{hypercorn_http.authority}/")
    assert (quiet_insecure.stdout, quiet_insecure.stderr) == (b"Hello, world!", b"")


def test_silent_hides_the_first_failure_of_a_load_run() -> None:
    silent = httpcore("-s", "--repeat", "2", "http://127.0.0.1:9/")
    assert (silent.returncode, silent.stderr) == (3, b"")
    assert b"outcomes: ConnectError: 2" in silent.stdout


def test_a_refused_connection_names_host_and_port() -> None:
    result = httpcore("http://127.0.0.1:9/")
    assert result.returncode == 3
    assert result.stderr.decode() == (
        "httpcore: cannot connect to 127.0.0.1:9: [Errno 111] Connection refused\n"
    )
    load = httpcore("--repeat", "2", "http://127.0.0.1:9/")
    assert load.stderr.decode() == (
        "httpcore: first failure: cannot connect to 127.0.0.1:9: [Errno 111] Connection refused\n"
    )


def test_a_missing_unix_socket_is_named(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "missing.sock")
    result = httpcore("--uds", path, "http://localhost/")
    assert result.returncode == 3
    assert result.stderr.decode() == (
        f"httpcore: cannot connect to Unix socket {path}: [Errno 2] No such file or directory\n"
    )


def test_a_refused_proxy_is_named() -> None:
    result = httpcore("--proxy", "http://127.0.0.1:9", "http://example.org/")
    assert result.returncode == 3
    assert result.stderr.decode().startswith(
        "httpcore: cannot connect to example.org:80 through proxy 127.0.0.1:9: "
    )


@contextlib.contextmanager
def unanswered_listener() -> Iterator[int]:
    """A port whose accept queue is full: the kernel drops further SYNs, so a connect
    waits until the client gives up, as with a firewalled host."""
    listener = socket.socket()
    queued: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(8):
            client = socket.socket()
            client.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                client.connect(("127.0.0.1", port))
            queued.append(client)
        yield port
    finally:
        for client in queued:
            client.close()
        listener.close()


def test_connecting_is_bounded_by_default() -> None:
    with unanswered_listener() as port:
        started = time.monotonic()
        result = httpcore(f"http://127.0.0.1:{port}/", timeout=30)
        took = time.monotonic() - started
    assert result.returncode == 4
    assert result.stderr.decode() == (
        f"httpcore: ConnectTimeout: Timed out connecting to 127.0.0.1:{port} after 10.0s\n"
    )
    assert 9 < took < 25
    assert "default 10" in httpcore("--help").stdout.decode()


def test_connect_timeout_and_timeout_replace_the_default() -> None:
    with unanswered_listener() as port:
        for option in ("--connect-timeout", "--timeout"):
            result = httpcore(option, "0.3", f"http://127.0.0.1:{port}/", timeout=30)
            assert result.returncode == 4
            assert b"after 0.3s" in result.stderr


def test_verbose_shows_the_head_as_it_goes_out(raw_server: RawServerFactory) -> None:
    script = Scripted({"/path?q=1": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"})
    server = raw_server(script).server
    result = httpcore(
        "-v", "-H", "X-First: 1", "-d", "body", "-H", "X-Second: 2",
        f"http://{server.authority}/path?q=1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stderr.decode().splitlines()
    start = lines.index("> POST /path?q=1 HTTP/1.1")
    end = lines.index("> ", start)
    shown = [tuple(line[2:].split(": ", 1)) for line in lines[start + 1 : end]]
    (request,) = script.requests
    received = [(k.decode(), v.decode()) for k, v in request.headers]
    assert shown == received
    assert received[0] == ("Host", server.authority)


def test_verbose_shows_http2_fields(hypercorn_https: Server, tls_material: TLSMaterial) -> None:
    ca = tls_material.ca_cert_path
    url = f"https://localhost:{hypercorn_https.port}/"
    result = httpcore(
        "-v", "--http2", "--cacert", str(ca), "-H", "X-Mine: 1", "-H", "TE: gzip", url
    )  # fmt: skip
    lines = result.stderr.decode().splitlines()
    start = lines.index("> GET / HTTP/2")
    assert lines[start + 1 : start + 5] == [
        "> :method: GET",
        f"> :authority: localhost:{hypercorn_https.port}",
        "> :scheme: https",
        "> :path: /",
    ]
    assert "> x-mine: 1" in lines
    assert not any(line.lower().startswith(("> host:", "> te:")) for line in lines)


@dataclass
class StallUntilClosed(StallAfterRequest):
    """Stall after each request; ``closed`` is set once the client has closed."""

    closed: threading.Event = field(default_factory=threading.Event)

    def __call__(self, conn: socket.socket, index: int) -> None:
        super().__call__(conn, index)
        if not self.released.is_set():
            self.closed.set()


@pytest.mark.parametrize(
    "options", [[], ["--repeat", "4", "--concurrency", "2"]], ids=["single", "load"]
)
def test_ctrl_c_closes_and_exits_130(raw_server: RawServerFactory, options: list[str]) -> None:
    stalling = StallUntilClosed()
    stall = raw_server(stalling)
    process = subprocess.Popen(
        [*COMMAND, *options, f"http://{stall.server.authority}/"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert stalling.stalled.wait(30), "the request never arrived"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert stalling.closed.wait(10)
    stalling.release()
    assert process.returncode == 130
    assert stdout == b""
    assert stderr == b""  # no "Aborted!", no traceback, no log line


def test_a_server_recycling_connections_leaves_no_stray_log_lines(
    hypercorn_server: HypercornFactory, tls_material: TLSMaterial
) -> None:
    """hypercorn closes an HTTP/2 connection after 20 requests; writes that raced the
    close used to make asyncio log ``socket.send() raised exception.`` once per write.
    hypercorn stops answering with its GOAWAY, even streams it promised to finish: those
    not answered yet go again on a new connection; those it had begun to answer or to
    receive fail with the connection (what is half done is not done again), but none
    waits for its timeout."""
    # It keeps a connection it no longer answers on for 30 s: far past the timeout.
    config = {"keep_alive_max_requests": 20, "keep_alive_timeout": 30}
    server = hypercorn_server(tls=True, config=config)
    result = httpcore(
        "--http2", "--repeat", "200", "--concurrency", "10", "--timeout", "3",
        "--cacert", str(tls_material.ca_cert_path), f"https://localhost:{server.port}/",
    )  # fmt: skip
    [outcomes] = [line for line in result.stdout.decode().splitlines() if "outcomes" in line]
    counts = dict(item.split(": ") for item in outcomes.removeprefix("outcomes: ").split(", "))
    assert int(counts.pop("200")) >= 150, outcomes
    assert not [name for name in counts if "Timeout" in name], outcomes  # failed at once
    lines = result.stderr.decode().splitlines()
    assert len(lines) <= 1, lines[:5]
    assert all(line.startswith("httpcore: first failure: ") for line in lines), lines
