"""The ``httpcore`` command, run as a subprocess against local servers, as a user runs it."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.servers.base import Server
from tests.servers.proxies import ScriptedProxy
from tests.servers.raw import (
    GarbageStatusLine,
    RawServerFactory,
    StallAfterRequest,
    close_after_request,
    response,
)
from tests.servers.tls import TLSMaterial

from .helpers import httpcore

pytest.importorskip("click")
pytest.importorskip("rich")


def test_get_prints_the_body(hypercorn_http: Server) -> None:
    result = httpcore(f"http://{hypercorn_http.authority}/")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"Hello, world!", b"")


def test_include_prints_status_line_and_headers(hypercorn_http: Server) -> None:
    result = httpcore("-i", f"http://{hypercorn_http.authority}/")
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"content-length: 13" in head.lower()
    assert body == b"Hello, world!"


def test_head_prints_the_head_only(hypercorn_http: Server) -> None:
    result = httpcore("-I", f"http://{hypercorn_http.authority}/")
    assert result.stdout.startswith(b"HTTP/1.1 200")
    assert result.stdout.endswith(b"\r\n\r\n")


def test_headers_are_sent_in_order(hypercorn_http: Server) -> None:
    result = httpcore(
        "-H", "X-First: 1", "-H", "X-Second: 2", f"http://{hypercorn_http.authority}/headers"
    )
    names = [name for name, _ in json.loads(result.stdout)]
    assert names.index("X-First") < names.index("X-Second")
    assert "User-Agent" in names


@pytest.mark.parametrize("source", ["text", "file", "stdin"])
def test_data_is_posted(hypercorn_http: Server, tmp_path: Path, source: str) -> None:
    payload = b"field=value&" * 10_000
    url = f"http://{hypercorn_http.authority}/echo"
    if source == "text":
        result = httpcore("-d", payload.decode(), url)
    elif source == "file":
        (tmp_path / "body").write_bytes(payload)
        result = httpcore("-d", f"@{tmp_path / 'body'}", url)
    else:
        result = httpcore("-d", "@-", url, stdin=payload)
    assert (result.returncode, result.stdout) == (0, payload)


def test_output_file_without_a_terminal_shows_no_progress(
    hypercorn_http: Server, tmp_path: Path
) -> None:
    target = tmp_path / "download"
    result = httpcore("-o", str(target), f"http://{hypercorn_http.authority}/bytes?size=2000000")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert target.stat().st_size == 2_000_000


def test_output_file_on_a_terminal_shows_a_progress_bar(
    hypercorn_http: Server, tmp_path: Path
) -> None:
    target = tmp_path / "download"
    controller, terminal = pty.openpty()
    try:
        # A real terminal size: rich drops columns that do not fit.
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        url = f"http://{hypercorn_http.authority}/bytes?size=2000000"
        process = subprocess.Popen(
            [sys.executable, "-m", "httpcore", "-o", str(target), url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            env={**os.environ, "TERM": "xterm"},
        )
        os.close(terminal)
        shown = _read_until_exit(process, controller, deadline=time.monotonic() + 60)
    finally:
        os.close(controller)
    assert process.returncode == 0
    assert target.stat().st_size == 2_000_000
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)  # without colours and cursor moves
    assert "download" in text
    assert "━" in text  # the bar
    assert "2.0/2.0 MB" in text  # the size column of the finished bar


def test_output_dash_writes_the_body_to_stdout(hypercorn_http: Server, tmp_path: Path) -> None:
    url = f"http://{hypercorn_http.authority}/bytes?size=2000000"
    piped = httpcore("-o", "-", url, cwd=tmp_path)
    assert (piped.returncode, len(piped.stdout), piped.stderr) == (0, 2_000_000, b"")
    assert written(tmp_path) == []  # no file named "-"
    # As curl does: with stderr on a terminal, still no progress bar.
    controller, terminal = pty.openpty()
    try:
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        process = subprocess.Popen(
            [sys.executable, "-m", "httpcore", "-o", "-", f"http://{hypercorn_http.authority}/"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            cwd=tmp_path,
            env={**os.environ, "TERM": "xterm"},
        )
        os.close(terminal)
        shown = _read_until_exit(process, controller, deadline=time.monotonic() + 60)
    finally:
        os.close(controller)
    assert process.stdout is not None
    assert (process.returncode, process.stdout.read(), shown) == (0, b"Hello, world!", "")
    process.stdout.close()
    assert written(tmp_path) == []


def written(folder: Path) -> list[str]:
    """What the command left in ``folder``; coverage's data files (the suite measures
    subprocesses under ``hatch test --cover``) aside."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".coverage"))


def _read_until_exit(process: subprocess.Popen[bytes], fd: int, deadline: float) -> str:
    output = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal's other end closed: the process is gone
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=max(deadline - time.monotonic(), 1))
    return output.decode("utf-8", "replace")


def test_verbose_shows_heads_and_steps(hypercorn_https: Server, tls_material: TLSMaterial) -> None:
    result = httpcore(
        "-v", "--http2", "--cacert", str(tls_material.ca_cert_path),
        f"https://localhost:{hypercorn_https.port}/",
    )  # fmt: skip
    shown = result.stderr.decode()
    assert result.stdout == b"Hello, world!"
    for line in (
        "* Connected to localhost",
        "ALPN h2",
        "> GET / HTTP/2",
        "< HTTP/2 200",
        "* Response body received in",
        "* Pool closed",
    ):
        assert line in shown, shown


def test_through_a_proxy(
    pproxy_http: Server, hypercorn_http: Server, hypercorn_https: Server, tls_material: TLSMaterial
) -> None:
    proxy = f"http://{pproxy_http.authority}"
    forwarded = httpcore("--proxy", proxy, f"http://{hypercorn_http.authority}/")
    assert forwarded.stdout == b"Hello, world!"
    tunnelled = httpcore(
        "-v", "--proxy", proxy, "--cacert", str(tls_material.ca_cert_path),
        f"https://localhost:{hypercorn_https.port}/",
    )  # fmt: skip
    assert tunnelled.stdout == b"Hello, world!"
    assert f"Tunnel to localhost:{hypercorn_https.port} opened (200)" in tunnelled.stderr.decode()


def test_unix_socket_and_local_address(hypercorn_uds: Server, hypercorn_http: Server) -> None:
    assert hypercorn_uds.uds is not None
    assert httpcore("--uds", hypercorn_uds.uds, "http://localhost/").stdout == b"Hello, world!"
    result = httpcore("--local-address", "0.0.0.0", f"http://{hypercorn_http.authority}/")
    assert result.stdout == b"Hello, world!"


def test_load_mode_shows_http2_multiplexing(
    hypercorn_https: Server, tls_material: TLSMaterial
) -> None:
    result = httpcore(
        "--http2", "--repeat", "200", "--concurrency", "200",
        "--cacert", str(tls_material.ca_cert_path), f"https://localhost:{hypercorn_https.port}/",
    )  # fmt: skip
    summary = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert "200 requests, 200 at a time" in summary
    assert "latency p50" in summary
    assert "outcomes: 200: 200" in summary
    assert "connections opened: 1 (HTTP/2); requests on a connection already open: 199" in summary


def test_load_mode_reuses_http11_connections(hypercorn_http: Server) -> None:
    result = httpcore(
        "--repeat", "100", "--concurrency", "5", f"http://{hypercorn_http.authority}/"
    )
    summary = result.stdout.decode()
    assert "outcomes: 200: 100" in summary
    opened = int(summary.split("connections opened: ")[1].split(" ")[0])
    assert 1 <= opened <= 5


def test_insecure_warns_loudly(hypercorn_https: Server) -> None:
    refused = httpcore(f"https://localhost:{hypercorn_https.port}/")
    assert refused.returncode == 3
    assert b"CERTIFICATE_VERIFY_FAILED" in refused.stderr
    insecure = httpcore("--insecure", f"https://localhost:{hypercorn_https.port}/")
    assert insecure.stdout == b"Hello, world!"
    assert b"WARNING: --insecure" in insecure.stderr


def test_each_failure_family_has_its_exit_code(raw_server: RawServerFactory) -> None:
    stalling = StallAfterRequest()
    stall = raw_server(stalling)
    timeout = httpcore("--read-timeout", "0.2", f"http://{stall.server.authority}/")
    stalling.release()
    assert timeout.returncode == 4
    # One line, no traceback, the cause said once (no "(TimeoutError: ...)" after it).
    assert timeout.stderr.decode() == (
        "httpcore: ReadTimeout: Timed out reading from the server after 0.2s\n"
    )

    garbage = raw_server(GarbageStatusLine())
    assert httpcore(f"http://{garbage.server.authority}/").returncode == 5

    refusal = response(407, b"", reason="Proxy Authentication Required")
    proxy = raw_server(ScriptedProxy(connect_answer=refusal))
    refused = httpcore("--proxy", f"http://{proxy.server.authority}", "https://example.org/")
    assert refused.returncode == 6
    assert b"407 Proxy Authentication Required" in refused.stderr


def test_refused_connection_with_retries() -> None:
    result = httpcore("--retries", "1", "http://127.0.0.1:9/")
    assert result.returncode == 3
    assert b"Connection refused" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://example.org/"], b"only http:// and https://"),
        (["-H", "no colon", "http://example.org/"], b"Name: value"),
        (["--proxy", "http://p:1", "--uds", "/x", "http://example.org/"], b"cannot be combined"),
        (["--repeat", "2", "-d", "@-", "http://example.org/"], b"stdin"),
        (["-X", "GÉT", "http://example.org/"], b"one ASCII word"),
        (["-H", "X-Sign: €", "http://example.org/"], b"Latin-1 values"),
        (["http://[::1/"], b"Invalid IPv6 URL"),
        (["--proxy", "http://[::1", "http://example.org/"], b"Proxy URL"),
        (["http://"], b"has no host"),
        (["http://user:secret@example.org/"], b"Credentials in the URL"),
        (["--repeat", "2", "-v", "http://example.org/"], b"not to load mode"),
        (["--cacert", __file__, "https://example.org/"], b"--cacert"),
    ],
)
def test_bad_usage_exits_2(args: list[str], message: bytes) -> None:
    result = httpcore(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    "path", ["/a b", "/a\tb", "/a\nb", "/a\rb", "/a\x01b", "/a\x7fb", "/a\x1bb", "/ab "]
)
def test_a_url_with_a_space_or_control_character_is_bad_usage(
    raw_server: RawServerFactory, path: str
) -> None:
    raw = raw_server(close_after_request)
    result = httpcore(f"http://{raw.server.authority}{path}")
    assert result.returncode == 2, result.stderr
    shown = result.stderr.decode()
    assert "Usage: " in shown
    assert "Error: URL " in shown
    assert "space or control character" in shown
    assert raw.accepted == 0  # nothing went out


@pytest.mark.parametrize(
    ("option", "value"),
    [("--timeout", value) for value in ("nan", "NaN", "-1", "-0.5", "-inf", "soon")]
    + [
        (option, "nan")
        for option in ("--connect-timeout", "--read-timeout", "--write-timeout", "--pool-timeout")
    ],
)
def test_an_invalid_timeout_is_bad_usage(option: str, value: str) -> None:
    result = httpcore(option, value, "http://127.0.0.1:9/")
    shown = result.stderr.decode()
    assert result.returncode == 2, shown
    assert "Usage: " in shown
    assert f"Invalid value for '{option}'" in shown
    assert "Traceback" not in shown
    assert "ValueError" not in shown


def test_load_summary_counts_one_request_in_the_singular(hypercorn_http: Server) -> None:
    url = f"http://{hypercorn_http.authority}/"
    one = httpcore("--repeat", "1", "--concurrency", "3", url).stdout.decode()
    assert one.startswith("1 request, 3 at a time, in "), one  # not "1 requests"
    two = httpcore("--repeat", "2", "--concurrency", "1", url).stdout.decode()
    assert two.startswith("2 requests, 1 at a time, in "), two


def test_help_documents_the_exit_codes() -> None:
    shown = httpcore("--help").stdout.decode()
    for line in ("4 timeout", "3 could not connect", "5 protocol error", "6 proxy"):
        assert line in shown


def test_without_the_extra_it_says_what_to_install() -> None:
    hide_click = "import sys; sys.modules['click'] = None; import runpy; "
    result = subprocess.run(
        [sys.executable, "-c", hide_click + "runpy.run_module('httpcore', run_name='__main__')"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.decode().strip() == (
        "The httpcore command needs its extra: pip install --find-links WHEELS"
        ' "httpcore[cli]>=0.12.4,<0.13" (WHEELS: where our wheels are;'
        " PyPI's httpcore is another project)"
    )


def test_load_mode_counts_failures_and_exits_with_their_code(raw_server: RawServerFactory) -> None:
    stalling = StallAfterRequest()
    stall = raw_server(stalling)
    result = httpcore(
        "--repeat", "3", "--concurrency", "3", "--read-timeout", "0.2",
        f"http://{stall.server.authority}/",
    )  # fmt: skip
    stalling.release()
    assert result.returncode == 4
    assert "outcomes: ReadTimeout: 3" in result.stdout.decode()
    assert result.stderr.decode().startswith("httpcore: first failure: ReadTimeout")


def test_load_mode_through_a_proxy_with_credentials_and_a_body(
    pproxy_http: Server, hypercorn_http: Server
) -> None:
    result = httpcore(
        "--proxy", f"http://user:secret@{pproxy_http.authority}",
        "--concurrency", "2", "--repeat", "1", "-d", "hello",
        f"http://{hypercorn_http.authority}/echo",
    )  # fmt: skip
    summary = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert "1 request, 2 at a time" in summary
    assert "latency " in summary
    assert "outcomes: 200: 1" in summary


def test_verbose_shows_failures_closes_and_unix_sockets(
    raw_server: RawServerFactory, hypercorn_http: Server, hypercorn_uds: Server
) -> None:
    stalling = StallAfterRequest()
    stall = raw_server(stalling)
    failed = httpcore("-v", "--read-timeout", "0.2", f"http://{stall.server.authority}/")
    stalling.release()
    assert failed.returncode == 4
    assert "http11.receive_response_headers failed after" in failed.stderr.decode()
    closed = httpcore("-v", f"http://{hypercorn_http.authority}/close")
    assert "* Connection closed" in closed.stderr.decode()
    assert hypercorn_uds.uds is not None
    unix = httpcore("-v", "--uds", hypercorn_uds.uds, "http://localhost/")
    assert f"* Connected to Unix socket {hypercorn_uds.uds}" in unix.stderr.decode()


def test_other_failures_exit_1_in_one_line(hypercorn_http: Server, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = httpcore("-d", f"@{missing}", f"http://{hypercorn_http.authority}/echo")
    assert result.returncode == 1
    assert result.stderr.decode().startswith("httpcore: FileNotFoundError:")
    assert result.stderr.count(b"\n") == 1
