"""The command in a real terminal (tmux): the progress bar, ``-s`` without it, and the
guard that keeps a binary body off the screen; piped, the same bytes flow unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.base import Server
from tests.servers.raw import RawServerFactory, response

from .helpers import Scripted, Terminal, httpcore

pytest.importorskip("click")
pytest.importorskip("rich")

BINARY = b"GIF89a\x01\x00\x01\x00\x00\xff\x00,MARKER"
TEXT = "plain text body MARKER"


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    shown = Terminal()
    yield shown
    shown.close()


@pytest.fixture
def bodies(raw_server: RawServerFactory) -> Server:
    script = Scripted(
        {
            "/binary": response(body=BINARY, headers=[("Content-Type", "image/gif")]),
            "/text": response(body=TEXT.encode()),
            "/late": response(body=b"text first MARKER " * 10_000 + b"\x00"),
        }
    )
    return raw_server(script).server


def test_binary_body_is_kept_off_the_terminal(terminal: Terminal, bodies: Server) -> None:
    status, screen = terminal.run([f"http://{bodies.authority}/binary"])
    assert status == 23, screen
    assert "Binary output can mess up your terminal" in screen
    assert "-o FILE" in screen
    assert "MARKER" not in screen  # not one byte of the body
    forced_status, forced = terminal.run(["-o", "-", f"http://{bodies.authority}/binary"])
    assert forced_status == 0
    assert "MARKER" in forced


def test_text_reaches_the_terminal(terminal: Terminal, bodies: Server) -> None:
    status, screen = terminal.run([f"http://{bodies.authority}/text"])
    assert (status, screen.count(TEXT)) == (0, 1)
    assert "Binary" not in screen


def test_binary_body_flows_unchanged_into_a_pipe(bodies: Server) -> None:
    result = httpcore(f"http://{bodies.authority}/binary")
    assert (result.returncode, result.stdout, result.stderr) == (0, BINARY, b"")
    late = httpcore(f"http://{bodies.authority}/late")
    assert (late.returncode, late.stdout[-1:]) == (0, b"\x00")


def test_progress_bar_on_a_terminal_and_none_with_silent(
    terminal: Terminal, hypercorn_http: Server, tmp_path: Path
) -> None:
    url = f"http://{hypercorn_http.authority}/bytes?size=3000000"
    status, screen = terminal.run(["-o", str(tmp_path / "download"), url])
    assert status == 0, screen
    assert (tmp_path / "download").stat().st_size == 3_000_000
    assert "download" in screen
    assert "━" in screen  # the bar
    assert "3.0/3.0 MB" in screen  # the size column of the finished bar
    silent_status, silent = terminal.run(["-s", "-o", str(tmp_path / "quiet"), url])
    assert silent_status == 0
    assert (tmp_path / "quiet").stat().st_size == 3_000_000
    assert "━" not in silent
    assert "MB" not in silent
