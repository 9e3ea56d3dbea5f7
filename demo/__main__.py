"""The tour: real servers on 127.0.0.1, the real ``httpcore`` command and library.

Starts hypercorn (HTTP/1.1, and HTTP/2 over TLS with a throwaway CA) and pproxy (an HTTP
proxy), then runs each step, checks its outcome, prints a summary, stops every server
and exits 0 if every step did what it should. Nothing leaves the machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpcore
from tests.servers.base import Server
from tests.servers.hypercorn_server import HypercornServer
from tests.servers.proxies import Pproxy
from tests.servers.tls import make_tls_material

DOWNLOAD_SIZE = 50_000_000


class StepFailed(Exception):
    """A step did not do what the tour promises."""


def check(condition: bool, message: object) -> None:
    if not condition:
        raise StepFailed(str(message))


def cli(*args: str, show_stderr_live: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``httpcore ARGS`` as a user would, echoing the command and its output."""
    print(f"\n$ httpcore {' '.join(args)}", flush=True)
    result = subprocess.run(
        [sys.executable, "-m", "httpcore", *args],
        stdout=subprocess.PIPE,
        stderr=None if show_stderr_live else subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )
    for text in (result.stdout, result.stderr or ""):
        if text.strip():
            print("  " + text.strip().replace("\n", "\n  "))
    return result


def library_request(plain: Server) -> str:
    """The library itself: two requests on one pool, one kept-alive connection."""
    print("\n>>> httpcore.SyncConnectionPool(): two requests, one connection", flush=True)
    with httpcore.SyncConnectionPool() as pool:
        for _ in range(2):
            status, _, stream, ext = pool.request(b"GET", plain.url("/"))
            try:
                body = b"".join(stream)
            finally:
                stream.close()
        info = pool.get_connection_info()
    print(f"  {status} {ext['http_version']} {body!r}; connections: {info}")
    check(status == 200, status)
    check(info == {plain.origin: ["HTTP/1.1, IDLE"]}, info)
    return f"{status}, {ext['http_version']}, 1 connection for 2 requests"


def main() -> int:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="httpcore-demo-")))
        tls = make_tls_material(workdir / "tls")
        ca = str(tls.ca_cert_path)
        print("Starting local servers: hypercorn (HTTP/1.1; HTTP/2 over TLS), pproxy …")
        plain = stack.enter_context(HypercornServer())
        secure = stack.enter_context(HypercornServer(tls=tls))
        proxy = stack.enter_context(Pproxy())
        https_url = f"https://localhost:{secure.port}"
        proxy_url = f"http://{proxy.authority}"

        def http11() -> str:
            result = cli("-i", f"http://{plain.authority}/")
            check(result.returncode == 0, result.stderr)
            check(result.stdout.endswith("Hello, world!"), result.stdout)
            return result.stdout.splitlines()[0]

        def multiplexed(*extra: str) -> Callable[[], str]:
            def step() -> str:
                result = cli(
                    "--http2", "--cacert", ca, "--repeat", "200", "--concurrency", "200",
                    *extra, f"{https_url}/",
                )  # fmt: skip
                check(result.returncode == 0, result.stderr)
                check("outcomes: 200: 200" in result.stdout, result.stdout)
                check("connections opened: 1 (HTTP/2)" in result.stdout, result.stdout)
                return result.stdout.splitlines()[0].split(": ")[-1] + ", 1 HTTP/2 connection"

            return step

        def read_timeout() -> str:
            result = cli("--read-timeout", "0.5", f"http://{plain.authority}/slow?delay=3")
            check(result.returncode == 4, result)
            return f"exit code 4: {result.stderr.strip().split(': ')[1]}"

        def download() -> str:
            target = workdir / "download.bin"
            started = time.perf_counter()
            result = cli(
                "--cacert", ca, "-o", str(target), f"{https_url}/bytes?size={DOWNLOAD_SIZE}",
                show_stderr_live=True,  # the progress bar, if this is a terminal
            )  # fmt: skip
            seconds = time.perf_counter() - started
            check(result.returncode == 0, result.stderr)
            check(target.stat().st_size == DOWNLOAD_SIZE, target.stat().st_size)
            return f"{DOWNLOAD_SIZE / 1e6:.0f} MB streamed to a file in {seconds:.2f} s"

        steps: list[tuple[str, Callable[[], str]]] = [
            ("A request over HTTP/1.1", http11),
            ("200 concurrent requests over HTTP/2", multiplexed()),
            ("The same through a tunnel proxy", multiplexed("--proxy", proxy_url)),
            ("A read timeout, reported in one line", read_timeout),
            ("A streamed download", download),
            ("The library, in-process", lambda: library_request(plain)),
        ]
        outcomes = []
        for title, step in steps:
            print(f"\n== {title}")
            try:
                outcomes.append((title, True, step()))
            except StepFailed as exc:
                outcomes.append((title, False, str(exc) or "unexpected result"))
        print("\nStopping the servers …")

    print("\nSummary")
    width = max(len(title) for title, _, _ in outcomes)
    for title, ok, detail in outcomes:
        print(f"  {'ok  ' if ok else 'FAIL'} {title:<{width}}  {detail}")
    return 0 if all(ok for _, ok, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
