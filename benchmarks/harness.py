"""Shared machinery for the side-by-side client benchmarks (standard library only).

Two sides live here:

* the **driver** (run with any Python >= 3.10, no third-party packages): starts nginx on
  127.0.0.1 from a temporary prefix, runs every client measurement as a subprocess inside that
  client's virtual environment (``benchmarks/.envs/<env>``), interleaves the clients round by
  round, takes medians, prints a table and writes ``benchmarks/results/<scenario>.json``;
* the **child** (run inside a client's venv by the driver): times one client function with
  wall clock and ``getrusage(RUSAGE_SELF)`` CPU time around the timed section and prints one
  ``BENCH-RESULT {json}`` line on stdout.

A scenario script defines its cases (which client, sync or async, which function) and calls
:func:`main`; the same script is both the driver and the child (``--child KEY``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import inspect
import json
import os
import platform
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn

BENCH_DIR = Path(__file__).resolve().parent
ENVS_DIR = BENCH_DIR / ".envs"
RESULTS_DIR = BENCH_DIR / "results"
RESULT_PREFIX = "BENCH-RESULT "

HOST = "127.0.0.1"
SMALL_BODY_SIZE = 2_000
MIB = 1024 * 1024
LARGE_BODY_SIZE = 50 * MIB
UPLOAD_CHUNK_SIZE = 64 * 1024

# client name -> virtual environment folder under benchmarks/.envs/
PEER_ENVS: dict[str, str] = {
    "ours": "ours",
    "httpcore-0.12.3": "httpcore-0.12.3",
    "httpcore-1.0.9": "httpcore-1.0.9",
    "aiohttp": "aiohttp",
    "urllib3": "urllib3",
    "h2-minimal": "h2-minimal",
    "ours-h2": "ours",  # our pool with http2=True (scenario d's HTTP/2 download)
    "socket-floor": "urllib3",  # standard library only: any env will do
    # Scenario (d) over TLS with HTTP/1.1 (ALPN http/1.1 on the TLS port), each in its env.
    "ours-h1-tls": "ours",
    "httpcore-0.12.3-tls": "httpcore-0.12.3",
    "httpcore-1.0.9-tls": "httpcore-1.0.9",
    "aiohttp-tls": "aiohttp",
    "urllib3-tls": "urllib3",
}
# distributions whose versions a child reports
REPORTED_DISTS = (
    "httpcore",
    "httpcore-pool",
    "httpcore-streams",
    "httpcore-interfaces",
    "h11",
    "h2",
    "anyio",
    "sniffio",
    "aiohttp",
    "urllib3",
)
# the distribution whose version names a client in the table
MAIN_DIST: dict[str, str] = {
    "ours": "httpcore-pool",
    "httpcore-0.12.3": "httpcore",
    "httpcore-1.0.9": "httpcore",
    "aiohttp": "aiohttp",
    "urllib3": "urllib3",
    "h2-minimal": "h2",
    "ours-h2": "httpcore-pool",
    "socket-floor": "python",  # not a distribution: the table shows the Python version
    "ours-h1-tls": "httpcore-pool",
    "httpcore-0.12.3-tls": "httpcore",
    "httpcore-1.0.9-tls": "httpcore",
    "aiohttp-tls": "aiohttp",
    "urllib3-tls": "urllib3",
}
REFERENCE_PEER = "ours"
FAILED_STATUSES = ("deadlock", "timeout", "error", "missing", "unsupported")


# --------------------------------------------------------------------------------------
# Data passed between driver and child
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildConfig:
    """What a client function needs: where the server is and the scenario's parameters."""

    host: str
    port: int
    tls_port: int
    ca_file: str
    params: dict[str, float]

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.authority}{path}"

    @property
    def tls_authority(self) -> str:
        return f"{self.host}:{self.tls_port}"

    def tls_url(self, path: str) -> str:
        """The same path on the TLS port (HTTP/2 by ALPN; verify with ``ca_file``)."""
        return f"https://{self.tls_authority}{path}"

    def ssl_context(self, alpn: Sequence[str] = ("h2", "http/1.1")) -> ssl.SSLContext:
        """Verifies the generated certificate and offers ALPN ``alpn`` (h2, then http/1.1).

        The caller sets ALPN: our pool never changes a caller's context. The HTTP/1.1-over-TLS
        cases pass ``("http/1.1",)``, so nginx cannot pick h2 on the same port.
        """
        context = ssl.create_default_context(cafile=self.ca_file)
        context.set_alpn_protocols(list(alpn))
        return context

    def int(self, name: str) -> int:
        return int(self.params[name])

    def float(self, name: str) -> float:
        return float(self.params[name])


@dataclass
class Measurement:
    """One timed run of one client. ``units`` are requests or MiB."""

    status: str = "ok"
    units: float = 0.0
    wall_s: float = 0.0
    cpu_user_s: float = 0.0
    cpu_sys_s: float = 0.0
    detail: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def cpu_s(self) -> float:
        return self.cpu_user_s + self.cpu_sys_s

    @classmethod
    def failed(cls, status: str, detail: str) -> Measurement:
        return cls(status=status, detail=detail)


class MissingClient(Exception):
    """The client library in this env lacks what the benchmark needs."""


class Unsupported(Exception):
    """The client refuses what the case asks (e.g. ``http2=True`` before HTTP/2 landed)."""


class Stopwatch:
    """Wall time (``perf_counter``) and own-process CPU time (``getrusage``) of a block."""

    def __init__(self) -> None:
        self.wall_s = 0.0
        self.cpu_user_s = 0.0
        self.cpu_sys_s = 0.0
        self._t0 = 0.0
        self._r0: resource.struct_rusage | None = None

    def __enter__(self) -> Stopwatch:
        self._r0 = resource.getrusage(resource.RUSAGE_SELF)
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        assert self._r0 is not None
        self.wall_s = t1 - self._t0
        self.cpu_user_s = r1.ru_utime - self._r0.ru_utime
        self.cpu_sys_s = r1.ru_stime - self._r0.ru_stime

    def measurement(self, units: float, **info: Any) -> Measurement:
        return Measurement(
            units=units,
            wall_s=self.wall_s,
            cpu_user_s=self.cpu_user_s,
            cpu_sys_s=self.cpu_sys_s,
            info=info,
        )


def check(condition: bool, message: str) -> None:
    """A correctness check inside a client function (never about timing)."""
    if not condition:
        raise RuntimeError(message)


def require_attr(module: Any, name: str, hint: str) -> Any:
    """``getattr(module, name)``, or a clear :class:`MissingClient` error."""
    value = getattr(module, name, None)
    if value is None:
        where = getattr(module, "__file__", "?")
        raise MissingClient(f"{module.__name__}.{name} is missing ({where}); {hint}")
    return value


class Progress:
    """Completed-request counter shared by the tasks of an async run."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0


async def run_guarded(
    work: Coroutine[Any, Any, None], progress: Progress, stall_s: float, limit_s: float
) -> str | None:
    """Run ``work``; return ``None`` when it finished, or why it was given up.

    It is given up when no request completed for ``stall_s`` seconds (a deadlock) or when it
    ran longer than ``limit_s``. Exceptions from ``work`` propagate.
    """
    task = asyncio.ensure_future(work)
    start = last_change = time.monotonic()
    last_done = -1
    poll_s = max(0.05, min(0.5, stall_s / 4))
    while not task.done():
        await asyncio.wait({task}, timeout=poll_s)
        now = time.monotonic()
        if progress.done != last_done:
            last_done, last_change = progress.done, now
        elif now - last_change >= stall_s and not task.done():
            return (
                f"no request completed for {stall_s:g} s; "
                f"{progress.done:,}/{progress.total:,} requests had completed"
            )
        if now - start >= limit_s and not task.done():
            return f"time limit {limit_s:g} s; {progress.done:,}/{progress.total:,} completed"
    task.result()
    return None


async def concurrent_gets(
    cfg: ChildConfig, get: Callable[[], Awaitable[tuple[int, int]]]
) -> Measurement:
    """``tasks`` tasks each doing requests/tasks ``get()`` in sequence, watched by
    ``run_guarded``; every one must answer (200, ``SMALL_BODY_SIZE``)."""
    tasks = cfg.int("tasks")
    per_task = cfg.int("requests") // tasks
    progress = Progress(per_task * tasks)
    totals = {"bytes": 0, "bad": 0}

    async def worker() -> None:
        for _ in range(per_task):
            status, size = await get()
            totals["bytes"] += size
            totals["bad"] += status != 200 or size != SMALL_BODY_SIZE
            progress.done += 1

    async def all_workers() -> None:
        await asyncio.gather(*(worker() for _ in range(tasks)))

    with Stopwatch() as sw:
        stalled = await run_guarded(
            all_workers(), progress, cfg.float("stall_s"), cfg.float("limit_s")
        )
    if stalled is not None:
        abandon(Measurement.failed("deadlock", stalled))
    expected = progress.total * SMALL_BODY_SIZE
    check(totals["bad"] == 0 and totals["bytes"] == expected, f"bad results: {totals}")
    return sw.measurement(progress.total)


def emit(result: Measurement) -> None:
    """Print the child's result line (the driver reads the last such line)."""
    versions: dict[str, str] = {}
    from importlib import metadata

    for dist in REPORTED_DISTS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    payload = asdict(result)
    payload["python"] = platform.python_version()
    payload["versions"] = versions
    sys.stdout.write(RESULT_PREFIX + json.dumps(payload) + "\n")
    sys.stdout.flush()


def abandon(result: Measurement) -> NoReturn:
    """Report ``result`` and exit at once, leaving a deadlocked event loop or pool behind."""
    emit(result)
    sys.stderr.flush()
    os._exit(0)


# --------------------------------------------------------------------------------------
# Scenario description
# --------------------------------------------------------------------------------------

ClientFn = Callable[[ChildConfig], Any]  # returns a Measurement, or a coroutine of one


@dataclass(frozen=True)
class Case:
    """One client in one mode (``group`` is "sync" or "async")."""

    group: str
    peer: str
    fn: ClientFn
    api: str  # what is benchmarked, for the table
    # The peer of the same group this case's ratio columns divide: ``ours`` by default; the
    # TLS cases of (d) use ``ours-h1-tls`` (like with like). A reference has no ratio itself.
    reference: str = REFERENCE_PEER

    @property
    def key(self) -> str:
        return f"{self.group}/{self.peer}"


# (d) and (e): a run moves the 50 MiB body ``repeat`` times; results are in MiB.
LARGE_BODY_RUNS: dict[str, Any] = {
    "params": {"repeat": 20},
    "quick_params": {"repeat": 1},
    "units_param": "repeat",
    "unit_scale": LARGE_BODY_SIZE / MIB,
    "rounds": 7,
    "child_timeout_s": 240,
    "quick_child_timeout_s": 60,
}


def api012_cases(group: str, client: Callable[[str], ClientFn], api: str) -> tuple[Case, ...]:
    """Ours and httpcore 0.12.3: one 0.12 API, so one client function and one description."""
    return tuple(
        Case(group, peer, client(peer), api) for peer in (REFERENCE_PEER, "httpcore-0.12.3")
    )


@dataclass(frozen=True)
class Scenario:
    name: str  # file stem of the results, e.g. "a_sync_sequential"
    title: str
    unit: str  # "req" or "MiB"
    cases: tuple[Case, ...]
    params: dict[str, float]  # full run
    quick_params: dict[str, float]  # --quick
    units_param: str  # which param * unit_scale is the number of units per measurement
    unit_scale: float = 1.0
    rounds: int = 5
    child_timeout_s: float = 300.0
    quick_child_timeout_s: float = 60.0
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------
# nginx
# --------------------------------------------------------------------------------------

NGINX_CONF = """\
# Generated by benchmarks/harness.py; lives in a temporary prefix.
worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log error;
user {user};

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    # Since nginx 1.19.7 these two also bound HTTP/2 connections (http2_max_requests and
    # http2_idle_timeout are obsolete), so the TLS port's one connection is never closed.
    keepalive_timeout 300s;
    keepalive_requests 1000000000;
    http2_max_concurrent_streams 128;  # nginx's default, stated: scenario (c) uses 100 streams
    open_file_cache max=16 inactive=600s;
    open_file_cache_valid 600s;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    server {{
        listen {host}:{port} reuseport;
        listen {host}:{tls_port} ssl http2;
        server_name localhost;
        ssl_certificate {prefix}/cert.pem;
        ssl_certificate_key {prefix}/key.pem;
        root {prefix}/www;
        client_max_body_size 1g;  # here: the mirror and error_page locations check it too

        # 2,000-byte body
        location = / {{
            try_files /small.bin =404;
        }}

        # 50 MiB body
        location = /large {{
            try_files /large.bin =404;
        }}

        # Upload sink. `return 200` alone would answer before the body is read (nginx then
        # discards it in the background), so the core mirror module reads the whole body
        # first (mirror_request_body on; spooled to client_body_temp_path, on tmpfs) and only
        # then the static handler runs; it refuses POST with 405, which error_page turns into
        # a 200 from /_ok.
        location = /upload {{
            client_body_buffer_size 1m;
            mirror /_sink;
            mirror_request_body on;
            try_files /upload.txt =404;
            error_page 405 =200 /_ok;
        }}
        location = /_sink {{
            internal;
            return 204;
        }}
        location = /_ok {{
            internal;
            default_type text/plain;
            return 200 "ok\\n";
        }}

        location = /_status {{
            stub_status;
        }}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _proc_cpu_seconds(pid: int) -> float:
    """user+sys CPU seconds of one process, from /proc (0.0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    """A running nginx: ports, certificate and its process."""

    prefix: Path
    port: int
    tls_port: int
    ca_file: Path
    process: subprocess.Popen[bytes]
    version: str

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its workers."""
        return sum(_proc_cpu_seconds(pid) for pid in [self.process.pid, *self.worker_pids()])

    def accepted_connections(self) -> int:
        """nginx's `accepts` counter (includes the connection that asks)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            conn.request("GET", "/_status")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        return int(text.splitlines()[2].split()[0])


def _make_certificate(prefix: Path) -> None:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "7",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(prefix / "key.pem"),
            "-out",
            str(prefix / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode} at start")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            if sock.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {HOST}:{port} within {timeout_s} s")


def _self_check(server: Server) -> None:
    """The server answers as the scenarios expect (sizes, upload sink, TLS: h2 and http/1.1)."""
    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        body = resp.read()
        check(resp.status == 200 and len(body) == SMALL_BODY_SIZE, "GET / is not 2,000 bytes")
        conn.request("HEAD", "/large")
        resp = conn.getresponse()
        resp.read()
        large_length = resp.getheader("Content-Length")
        check(large_length == str(LARGE_BODY_SIZE), f"/large has Content-Length {large_length}")
        conn.request("POST", "/upload", body=b"x" * 100_000)
        resp = conn.getresponse()
        check(resp.status == 200 and resp.read() == b"ok\n", "POST /upload is not 200 ok")
    finally:
        conn.close()
    # The sink must not answer before it has the whole body (larger than its memory buffer).
    length = 3 * MIB
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        head = f"POST /upload HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {length}\r\n\r\n"
        sock.sendall(head.encode() + b"x" * (length - 10))
        sock.settimeout(0.3)
        try:
            early = sock.recv(100)
        except TimeoutError:
            early = b""
        check(early == b"", f"/upload answered before the body was complete: {early!r}")
        sock.settimeout(10)
        sock.sendall(b"x" * 10)
        check(sock.recv(100).startswith(b"HTTP/1.1 200"), "/upload did not answer 200")
    # TLS with ALPN h2, verified against the generated certificate.
    # The same port speaks HTTP/1.1 to a client offering only http/1.1 (scenario d's *-tls).
    for offered, expected in ((["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1")):
        context = ssl.create_default_context(cafile=str(server.ca_file))
        context.set_alpn_protocols(offered)
        with (
            socket.create_connection((HOST, server.tls_port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=HOST) as tls,
        ):
            alpn = tls.selected_alpn_protocol()
            check(alpn == expected, f"TLS port negotiated {alpn!r} for {offered}, not {expected}")


@contextlib.contextmanager
def nginx_server() -> Iterator[Server]:
    """Start nginx (1 worker, 127.0.0.1 only) from a temporary prefix; stop it on exit."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise SystemExit("nginx not found: apt-get install -y nginx (then: service nginx stop)")
    if not shutil.which("openssl"):
        raise SystemExit("openssl not found: apt-get install -y openssl")
    version = subprocess.run(
        [binary, "-v"], capture_output=True, text=True, timeout=30, check=False
    ).stderr.strip()
    # tmpfs when there is one: the 50 MiB file and the upload sink's spool stay off the disk
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="bench-nginx-", dir=base) as tmp:
        prefix = Path(tmp)
        prefix.chmod(0o755)  # the worker may run as an unprivileged user
        www = prefix / "www"
        www.mkdir(mode=0o755)
        (www / "small.bin").write_bytes(b"s" * SMALL_BODY_SIZE)
        (www / "upload.txt").write_bytes(b"upload sink\n")
        block = os.urandom(MIB)
        with (www / "large.bin").open("wb") as fh:
            for _ in range(LARGE_BODY_SIZE // MIB):
                fh.write(block)
        _make_certificate(prefix)
        port, tls_port = _free_port(), _free_port()
        user = "nobody nogroup" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
        conf = NGINX_CONF.format(prefix=prefix, host=HOST, port=port, tls_port=tls_port, user=user)
        if os.geteuid() != 0:
            conf = conf.replace(f"user {user};\n", "")
        (prefix / "nginx.conf").write_text(conf)
        process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_for_port(port, process, timeout_s=15)
            _wait_for_port(tls_port, process, timeout_s=15)
            server = Server(prefix, port, tls_port, prefix / "cert.pem", process, version)
            _self_check(server)
            yield server
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
    if process.stderr is not None:
        errors = process.stderr.read().decode(errors="replace").strip()
        process.stderr.close()
        if errors:
            print(f"nginx stderr:\n{errors[-2000:]}", file=sys.stderr)


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------


def env_python(peer: str) -> Path:
    return ENVS_DIR / PEER_ENVS[peer] / "bin" / "python"


def machine_info() -> dict[str, Any]:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    git = subprocess.run(
        ["git", "-C", str(BENCH_DIR), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return {
        "repo_commit": git.stdout.strip() or "?",
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "driver_python": platform.python_version(),
    }


def run_child(
    script: Path, case: Case, config: ChildConfig, timeout_s: float, server: Server
) -> dict[str, Any]:
    """Run one measurement of ``case`` in its env; return the child's result as a dict."""
    python = env_python(case.peer)
    if not python.exists():
        return asdict(Measurement.failed("missing", f"no env {python.parent.parent}: run setup"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = [str(python), str(script), "--child", case.key, "--config", json.dumps(asdict(config))]
    accepts0 = server.accepted_connections()
    cpu0 = server.cpu_seconds()
    busy0, own0, t0 = _system_busy_seconds(), _own_cpu_seconds(), time.monotonic()
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout_s, cwd=BENCH_DIR, env=env
        )
    except subprocess.TimeoutExpired as exc:
        tail = exc.stderr or ""
        if isinstance(tail, bytes):
            tail = tail.decode(errors="replace")
        timed_out = asdict(Measurement.failed("timeout", f"killed after {timeout_s:g} s"))
        timed_out["stderr"] = tail[-1500:]
        return timed_out
    busy1, own1, t1 = _system_busy_seconds(), _own_cpu_seconds(), time.monotonic()
    server_cpu_s = server.cpu_seconds() - cpu0
    connections = server.accepted_connections() - accepts0 - 1
    # CPU that neither the client, nginx nor this driver used while the child ran: noise.
    others_cpu_s = max(0.0, (busy1 - busy0) - (own1 - own0) - server_cpu_s)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if not lines:
        failed = asdict(Measurement.failed("error", f"exit code {proc.returncode}, no result"))
        failed["stderr"] = proc.stderr[-3000:]
        return failed
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result["server_cpu_s"] = server_cpu_s
    result["connections"] = connections
    result["others_cpu_of_wall"] = others_cpu_s / max(t1 - t0, 1e-9)
    if result["status"] != "ok" and proc.stderr:
        result["stderr"] = proc.stderr[-3000:]
    return result


def _system_busy_seconds() -> float:
    """Busy CPU time of the whole machine (all cores, steal included), from /proc/stat.

    Interrupt time is left out: the kernel's loopback TCP work for our own traffic is
    accounted there rather than to the client or nginx processes.
    """
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (int(f) for f in fields)
    return (user + nice + system + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    """CPU time of this driver and of its finished children (the client processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def wait_for_quiet(max_wait_s: float, threshold: float = 0.2, sample_s: float = 0.25) -> float:
    """Wait (at most ``max_wait_s``) until other processes use < ``threshold`` of a core.

    Between measurements only nginx (idle) and this driver run, so the machine's busy time is
    other processes' work. Returns the busy fraction of the last sample.
    """
    deadline = time.monotonic() + max_wait_s
    busy = 0.0
    while True:
        busy0, own0 = _system_busy_seconds(), _own_cpu_seconds()
        time.sleep(sample_s)
        busy = max(0.0, _system_busy_seconds() - busy0 - (_own_cpu_seconds() - own0)) / sample_s
        if busy < threshold or time.monotonic() >= deadline:
            return busy


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize(scenario: Scenario, case: Case, runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r["status"] == "ok"]
    failed = [r for r in runs if r["status"] != "ok"]
    summary: dict[str, Any] = {
        "key": case.key,
        "group": case.group,
        "peer": case.peer,
        "api": case.api,
        "reference": case.reference,
        "rounds_ok": len(ok),
        "rounds_failed": len(failed),
    }
    versions: dict[str, str] = next((r["versions"] for r in runs if r.get("versions")), {})
    summary["version"] = versions.get(MAIN_DIST[case.peer], "?")
    if MAIN_DIST[case.peer] == "python":
        summary["version"] = next((str(r["python"]) for r in runs if r.get("python")), "?")
    summary["versions"] = versions
    if failed:
        first = failed[0]
        summary["failure"] = f"{first['status']}: {first['detail']}"
        summary["failure_status"] = first["status"]
    if ok:
        rates = [r["units"] / r["wall_s"] for r in ok]
        cpu = [r["cpu_user_s"] + r["cpu_sys_s"] for r in ok]
        summary.update(
            wall_s=_median([r["wall_s"] for r in ok]),
            rate=_median(rates),
            rate_min=min(rates),
            rate_max=max(rates),
            cpu_per_unit_s=_median([c / r["units"] for c, r in zip(cpu, ok, strict=True)]),
            cpu_of_wall=_median([c / r["wall_s"] for c, r in zip(cpu, ok, strict=True)]),
            server_cpu_of_wall=_median([r["server_cpu_s"] / r["wall_s"] for r in ok]),
            others_cpu_of_wall=_median([r["others_cpu_of_wall"] for r in ok]),
            connections=_median([r["connections"] for r in ok]),
        )
    return summary


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _fmt_cpu(scenario: Scenario, seconds: float) -> str:
    if scenario.unit == "req":
        return f"{seconds * 1e6:,.1f}"
    return f"{seconds * 1e3:,.2f}"


def reference_of(s: Mapping[str, Any], summaries: Sequence[Mapping[str, Any]]) -> Any:
    """The summary that ``s``'s ratios divide (its reference, same group); None for a reference.

    Results stored before references existed have none: ``ours`` then, as it was.
    """
    peer = s.get("reference", REFERENCE_PEER)
    if s["peer"] == peer:
        return None
    return next((x for x in summaries if x["group"] == s["group"] and x["peer"] == peer), None)


def render_table(scenario: Scenario, summaries: list[dict[str, Any]]) -> str:
    """A Markdown table with absolute numbers and ratios to each case's reference (``ours``)."""
    rate_unit = "req/s" if scenario.unit == "req" else "MiB/s"
    cpu_unit = "CPU µs/req" if scenario.unit == "req" else "CPU ms/MiB"
    head = (
        f"| mode | client | version | wall s | {rate_unit} (min..max) | {cpu_unit} "
        f"| client CPU | nginx CPU | other CPU | conns | ours ÷ client, {rate_unit} "
        f"| ours ÷ client, {cpu_unit} |"
    )
    lines = [head, "|" + "---|" * 12]
    for s in summaries:
        ref = reference_of(s, summaries)
        name = f"{s['peer']}"
        if "rate" not in s:
            status = s.get("failure_status", "error")
            label = "deadlock/timeout" if status in ("deadlock", "timeout") else status
            if s["peer"] == s.get("reference", REFERENCE_PEER) and status == "missing":
                label = "pending (pool not available)"
            elif status == "unsupported":
                label = "pending (not supported yet)"
            cells = [s["group"], name, s["version"], label, *[""] * 8]
            lines.append("| " + " | ".join(cells) + " |")
            continue
        rate_cell = (
            f"{_fmt_rate(s['rate'])} ({_fmt_rate(s['rate_min'])}..{_fmt_rate(s['rate_max'])})"
        )
        if s["rounds_failed"]:
            rate_cell += f" [{s['rounds_failed']} round(s) failed]"
        ratio_rate = ratio_cpu = "—"
        if ref is not None and "rate" in ref:
            ratio_rate = f"{ref['rate'] / s['rate']:.2f}x"
            ratio_cpu = f"{ref['cpu_per_unit_s'] / s['cpu_per_unit_s']:.2f}x"
        cells = [
            s["group"],
            name,
            s["version"],
            f"{s['wall_s']:.3f}",
            rate_cell,
            _fmt_cpu(scenario, s["cpu_per_unit_s"]),
            f"{s['cpu_of_wall']:.0%}",
            f"{s['server_cpu_of_wall']:.0%}",
            f"{s['others_cpu_of_wall']:.0%}",
            f"{s['connections']:g}",
            ratio_rate,
            ratio_cpu,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratio_lines(scenario: Scenario, summaries: list[dict[str, Any]]) -> list[str]:
    """E.g. ``sync: ours / urllib3 = 1.62x req/s, 0.70x CPU per request``."""
    rate_unit = "req/s" if scenario.unit == "req" else "MiB/s"
    per = "request" if scenario.unit == "req" else "MiB"
    out: list[str] = []
    for s in summaries:
        ref = reference_of(s, summaries)
        if ref is None:
            continue
        prefix = f"{s['group']}: {ref['peer']} / {s['peer']}"
        if "rate" not in ref:
            out.append(f"{prefix}: pending, ours has no result ({ref.get('failure_status')})")
        elif "rate" not in s:
            out.append(f"{prefix}: {s['peer']} has no number ({s.get('failure', '?')})")
        else:
            out.append(
                f"{prefix} = {ref['rate'] / s['rate']:.2f}x {rate_unit}, "
                f"{ref['cpu_per_unit_s'] / s['cpu_per_unit_s']:.2f}x CPU per {per}"
            )
    return out


def _parse_args(scenario: Scenario, argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=scenario.title)
    parser.add_argument("--quick", action="store_true", help="few requests, 1 round (smoke test)")
    parser.add_argument("--rounds", type=int, default=None, help=f"default {scenario.rounds}")
    parser.add_argument("--peers", default="", help="comma-separated clients (default: all)")
    parser.add_argument("--groups", default="", help="comma-separated: sync, async")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"override a parameter ({', '.join(scenario.params)})",
    )
    parser.add_argument("--timeout", type=float, default=None, help="hard limit per measurement")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=15.0,
        metavar="S",
        help="before each measurement wait up to S seconds for other processes to go idle",
    )
    parser.add_argument("--output", type=Path, default=None, help="results JSON path")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--config", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _select(scenario: Scenario, args: argparse.Namespace) -> list[Case]:
    peers = {p for p in args.peers.split(",") if p}
    groups = {g for g in args.groups.split(",") if g}
    unknown = peers - set(PEER_ENVS)
    if unknown:
        raise SystemExit(f"unknown peer(s) {sorted(unknown)}; known: {sorted(PEER_ENVS)}")
    return [
        c
        for c in scenario.cases
        if (not peers or c.peer in peers) and (not groups or c.group in groups)
    ]


def drive(scenario: Scenario, script: Path, args: argparse.Namespace) -> int:
    cases = _select(scenario, args)
    if not cases:
        raise SystemExit("no case selected")
    params = dict(scenario.quick_params if args.quick else scenario.params)
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in params:
            raise SystemExit(f"unknown parameter {name!r}; known: {sorted(params)}")
        params[name] = float(value)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else scenario.rounds)
    rounds = max(1, min(rounds, 1000))
    timeout_s = args.timeout or (
        scenario.quick_child_timeout_s if args.quick else scenario.child_timeout_s
    )
    output = args.output or RESULTS_DIR / (
        f"{scenario.name}-quick.json" if args.quick else f"{scenario.name}.json"
    )
    units = params[scenario.units_param] * scenario.unit_scale
    print(f"# {scenario.title}", flush=True)
    print(
        f"params {params}, {units:g} {scenario.unit} per measurement, {rounds} round(s)", flush=True
    )
    load_before = os.getloadavg()
    if load_before[0] > 0.5:
        print(
            f"warning: load average {load_before[0]:.2f} before the start: other processes use "
            "the CPU, numbers will be noisy (see the 'other CPU' column)",
            flush=True,
        )
    started = time.time()
    runs: dict[str, list[dict[str, Any]]] = {c.key: [] for c in cases}
    skip: set[str] = set()
    with nginx_server() as server:
        config = ChildConfig(HOST, server.port, server.tls_port, str(server.ca_file), params)
        for rnd in range(rounds):
            shift = rnd % len(cases)
            for case in cases[shift:] + cases[:shift]:  # rotate the order every round
                if case.key in skip:
                    continue
                if args.quiet_wait > 0:
                    wait_for_quiet(args.quiet_wait)
                result = run_child(script, case, config, timeout_s, server)
                result["round"] = rnd + 1
                runs[case.key].append(result)
                if result["status"] in ("missing", "timeout", "unsupported"):
                    skip.add(case.key)  # a hard timeout costs the full limit each time
                _progress(scenario, case, rnd, rounds, result)
        nginx_version = server.version
    duration = time.time() - started
    summaries = [summarize(scenario, c, runs[c.key]) for c in cases]
    table = render_table(scenario, summaries)
    ratios = ratio_lines(scenario, summaries)
    print()
    print(table)
    print()
    for line in ratios:
        print(line)
    for s in summaries:
        if "failure" in s:
            print(f"{s['key']}: {s['failure']}")
    print(f"\n{scenario.name}: {duration:.0f} s; results in {output}")
    output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "scenario": scenario.name,
        "title": scenario.title,
        "unit": scenario.unit,
        "notes": list(scenario.notes),
        "quick": args.quick,
        "params": params,
        "rounds": rounds,
        "child_timeout_s": timeout_s,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_s": round(duration, 1),
        "machine": {
            **machine_info(),
            "nginx": nginx_version,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "summary": summaries,
        "table_markdown": table,
        "ratios": ratios,
        "runs": runs,
    }
    output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _progress(
    scenario: Scenario, case: Case, rnd: int, rounds: int, result: Mapping[str, Any]
) -> None:
    where = f"[round {rnd + 1}/{rounds}] {case.key:<24}"
    if result["status"] != "ok":
        print(f"{where} {result['status']}: {result['detail']}", flush=True)
        return
    rate = result["units"] / result["wall_s"]
    cpu = (result["cpu_user_s"] + result["cpu_sys_s"]) / result["units"]
    unit = "req/s" if scenario.unit == "req" else "MiB/s"
    print(
        f"{where} {result['wall_s']:8.3f} s  {_fmt_rate(rate):>9} {unit}  "
        f"cpu {_fmt_cpu(scenario, cpu)} {'µs/req' if scenario.unit == 'req' else 'ms/MiB'}  "
        f"conns {result['connections']}  others {result['others_cpu_of_wall']:.0%}",
        flush=True,
    )


# --------------------------------------------------------------------------------------
# Child
# --------------------------------------------------------------------------------------


def _child(scenario: Scenario, key: str, config_json: str) -> int:
    case = next((c for c in scenario.cases if c.key == key), None)
    if case is None:
        print(f"unknown case {key}", file=sys.stderr)
        return 2
    raw = json.loads(config_json)
    config = ChildConfig(**raw)
    try:
        outcome = case.fn(config)
        if inspect.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
        if not isinstance(outcome, Measurement):
            raise TypeError(f"{key} returned {outcome!r}")
        result = outcome
    except MissingClient as exc:
        result = Measurement.failed("missing", str(exc))
    except Unsupported as exc:
        result = Measurement.failed("unsupported", str(exc))
    except Exception as exc:
        traceback.print_exc()
        result = Measurement.failed("error", f"{type(exc).__name__}: {exc}")
    emit(result)
    return 0


def main(scenario: Scenario, script: str, argv: Sequence[str] | None = None) -> int:
    """Entry point of a scenario script (pass its ``__file__``): driver, or child with --child."""
    args = _parse_args(scenario, sys.argv[1:] if argv is None else argv)
    if args.child:
        return _child(scenario, args.child, args.config or "{}")
    return drive(scenario, Path(script).resolve(), args)
