"""Running the ``httpcore`` command as a user does: piped, or in a real terminal (tmux),
and a scripted raw server that answers by path and records what it was sent."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers.raw import Request, recorded_requests, response

__all__ = ["Scripted", "Terminal", "httpcore", "redirect"]

COMMAND = [sys.executable, "-m", "httpcore"]


def httpcore(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """``python -m httpcore ARGS``, output captured (piped, so never a terminal)."""
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )


NOT_FOUND = response(404, b"not found", reason="Not Found")


def redirect(status: int, location: str) -> bytes:
    return response(status, b"moved", [("Location", location)], reason="Moved")


@dataclass
class Scripted:
    """A keep-alive raw-server handler: each request gets ``routes[target]`` (raw response
    bytes; 404 for other targets, and no body for HEAD) and is kept in ``requests``."""

    routes: dict[str, bytes]
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, conn: socket.socket, index: int) -> None:
        for request in recorded_requests(conn, self.requests, self._lock):
            answer = self.routes.get(request.target.decode("latin-1"), NOT_FOUND)
            if request.method == b"HEAD":
                answer = answer.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
            conn.sendall(answer)
            if not request.keep_alive:
                return

    def seen(self) -> list[tuple[bytes, bytes]]:
        """(method, target) of each request so far."""
        with self._lock:
            return [(r.method, r.target) for r in self.requests]


_STATUS = "[exit status] "


class Terminal:
    """A tmux server of the test's own, with a 120x40 window: the command runs in a real
    terminal, and the screen is read back when it has exited (``remain-on-exit``)."""

    def __init__(self) -> None:
        tmux = shutil.which("tmux")
        if tmux is None:
            pytest.skip("tmux is not installed")
        self.tmux = tmux
        self.runs = 0
        # A short path of our own: Unix socket paths are limited to about 100 bytes.
        self.folder = Path(tempfile.mkdtemp(prefix="tmux-", dir="/tmp"))
        (self.folder / "tmux.conf").write_text("set -g remain-on-exit on\n")

    def _tmux(self, *args: str, timeout: float = 10) -> str:
        done = subprocess.run(
            [*self._base(), *args], capture_output=True, text=True, timeout=timeout, check=True
        )
        return done.stdout

    def _base(self) -> list[str]:
        return [self.tmux, "-S", str(self.folder / "sock"), "-f", str(self.folder / "tmux.conf")]

    def run(self, args: list[str], timeout: float = 20) -> tuple[int, str]:
        """Run the command with stdin, stdout and stderr on the terminal; its exit status
        and the screen once it has exited. It runs in the test's working directory, as
        piped runs do, where coverage's subprocess data files are collected.

        The event is the pane's death: the end of its terminal's output, so everything
        printed is on the screen. tmux cannot wait for it (a ``pane-died`` hook was lost
        now and then, and so was ``pane_dead_status``), so the state is checked until then,
        within ``timeout``; the shell around the command prints the exit status last.
        """
        self.runs += 1
        session = f"run{self.runs}"  # each run on a screen of its own
        command = f'{shlex.join([*COMMAND, *args])}; echo "{_STATUS}$?"'
        size = ["-x", "120", "-y", "40"]
        self._tmux("new-session", "-d", "-s", session, *size, "-c", os.getcwd(), command)
        deadline = time.monotonic() + timeout
        while self._tmux("list-panes", "-t", session, "-F", "#{pane_dead}").strip() != "1":
            if time.monotonic() > deadline:
                screen = self._tmux("capture-pane", "-p", "-t", session)
                raise AssertionError(f"still running after {timeout}s:\n{screen}")
            time.sleep(0.02)
        screen = self._tmux("capture-pane", "-p", "-J", "-S", "-", "-t", session)
        shown, _, status = screen.rpartition(_STATUS)
        return int(status.split()[0]), shown

    def close(self) -> None:
        subprocess.run(
            [self.tmux, "-S", str(self.folder / "sock"), "kill-server"],
            capture_output=True,
            timeout=10,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)
