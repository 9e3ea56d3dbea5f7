"""Soak: mixed traffic through our public pools against local servers that misbehave at
random, to find what only shows over time: wrong bytes, leaked fds, growing memory,
undocumented exceptions.

    python benchmarks/soak.py [--minutes 10 | --seconds 60] [--concurrency 20]
        [--runners asyncio,trio,threads] [--faults h2:refuse,...] [--seed N]

Runs from the repository root in the default hatch env (``hatch run python
benchmarks/soak.py --seconds 60``). Prints a row every minute (every 15 s in runs under
five minutes) and a summary; exits 1 if any check failed (see ``verdict``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import soak_clients
import trustme
from soak_clients import Runner, Tally

RSS_GROWTH_LIMIT = 0.30  # second half's median RSS over the first's, after warm-up
WARM_UP = 0.2  # of the run: caches, pools and allocator arenas fill up first
JOIN_GRACE = soak_clients.HARD_LIMIT + 15.0  # runners finish their last requests
SERVERS = Path(__file__).with_name("soak_servers.py")


class Incidents(logging.Handler):
    """Everything that goes wrong outside a request: asyncio's loop exception handler
    (it logs to the ``asyncio`` logger), exceptions in threads, unraisable exceptions
    (``__del__``, finalizers) and ResourceWarnings (sockets collected unclosed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.guard = threading.Lock()  # not ``lock``: logging.Handler's own, held in emit
        self.counts: Counter[str] = Counter()
        self.samples: dict[str, str] = {}

    def add(self, kind: str, message: str) -> None:
        with self.guard:
            self.counts[kind] += 1
            self.samples.setdefault(kind, message)

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        self.add(f"asyncio log {record.levelname}", f"{record.getMessage()} {error!r}")

    def install(self) -> None:
        logger = logging.getLogger("asyncio")
        logger.addHandler(self)
        logger.propagate = False
        threading.excepthook = lambda args: self.add(
            "thread exception", f"{args.thread.name if args.thread else '?'}: {args.exc_value!r}"
        )
        sys.unraisablehook = lambda args: self.add(
            "unraisable",
            f"{args.err_msg or 'Exception ignored in'} {args.object!r}: {args.exc_value!r}",
        )
        warnings.simplefilter("always", ResourceWarning)
        warnings.showwarning = lambda message, category, *_: self.add(
            category.__name__, str(message)
        )


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def fd_targets() -> Counter[str]:
    """What the open fds are (socket:[inode], pipe:[...], paths), for a leak report."""
    targets: Counter[str] = Counter()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            targets[os.readlink(f"/proc/self/fd/{fd}")] += 1
    return targets


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class Servers:
    """The misbehaving servers' process, with a throwaway CA trusted by the client."""

    def __init__(self, directory: Path, duration: float, faults: str, seed: int) -> None:
        ca = trustme.CA()
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        chain, key = directory / "chain.pem", directory / "key.pem"
        chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        leaf.private_key_pem.write_to_path(str(key))
        self.ssl_context = ssl.create_default_context()
        ca.configure_trust(self.ssl_context)
        self.process = subprocess.Popen(
            [
                *(sys.executable, str(SERVERS), "--cert-chain", str(chain), "--key", str(key)),
                *("--max-seconds", str(duration + JOIN_GRACE + 30), "--faults", faults),
                *("--seed", str(seed)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(10)
            raise SystemExit(f"the soak servers did not start (exit {self.process.returncode})")
        self.ports: dict[str, int] = json.loads(line)

    def stop(self) -> dict[str, Any]:
        """SIGTERM; the counters the servers print on the way out."""
        self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        counters: dict[str, Any] = json.loads(out or "{}")
        return counters


def start_runners(
    names: list[str], servers: Servers, tally: Tally, args: argparse.Namespace, deadline: float
) -> list[threading.Thread]:
    entries: dict[str, Callable[[Runner], None]] = {
        "asyncio": lambda runner: soak_clients.run_async(runner, "asyncio"),
        "trio": lambda runner: soak_clients.run_async(runner, "trio"),
        "threads": soak_clients.run_threads,
    }
    threads = []
    for index, name in enumerate(names):
        runner = Runner(
            name,
            servers.ports,
            servers.ssl_context,
            tally,
            deadline,
            args.concurrency,
            args.seed * 1000 + index * 100,
        )
        thread = threading.Thread(target=entries[name], args=(runner,), name=name, daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def row(elapsed: float, tally: Tally, rss: float) -> str:
    with tally.lock:
        outcomes = dict(tally.outcomes)
        errors = " ".join(f"{kind}={n}" for kind, n in tally.errors.most_common())
        done = tally.requests
    return (
        f"{elapsed:7.0f} {done:9d} {outcomes.get('ok', 0):8d} {outcomes.get('cancelled', 0):6d}"
        f" {outcomes.get('CORRUPT', 0):7d} {open_fds():5d} {rss:8.1f}  {errors or '-'}"
    )


HEADER = f"{'elapsed':>7} {'requests':>9} {'ok':>8} {'cancel':>6} {'CORRUPT':>7} {'fds':>5}"
HEADER += f" {'RSS MiB':>8}  errors by type"


def rss_growth(samples: list[tuple[float, float]], duration: float) -> tuple[float, float, float]:
    """(first half's median, second half's median, growth) of RSS after the warm-up."""
    warm = [rss for at, rss in samples if at >= duration * WARM_UP]
    if len(warm) < 4:
        return 0.0, 0.0, 0.0
    first = statistics.median(warm[: len(warm) // 2])
    second = statistics.median(warm[len(warm) // 2 :])
    return first, second, second / first - 1


def settle_fds(baseline: int, timeout: float = 5.0) -> int:
    """Open fds once closed sockets are collected (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        count = open_fds()
        if count <= baseline or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def verdict(
    tally: Tally,
    incidents: Incidents,
    server_counters: dict[str, Any],
    fds: tuple[int, int],
    growth: float,
    hung: list[str],
    runners: list[str],
) -> list[str]:
    """Why the soak failed (empty: it passed)."""
    failures = []
    if tally.corrupt:
        failures.append(f"{len(tally.corrupt)} CORRUPT response(s): silent data loss")
    for kind, count in tally.errors.items():
        if kind in tally.undocumented:
            failures.append(f"{count} undocumented exception(s) {kind}")
    if tally.outcomes["HANG"]:
        failures.append(f"{tally.outcomes['HANG']} request(s) past {soak_clients.HARD_LIMIT}s")
    failures += [f"runner {name} did not stop" for name in hung]
    if tally.busy:
        failures.append(f"{len(tally.busy)} connection(s) busy after the last request")
    for kind, count in incidents.counts.items():
        failures.append(f"{count} x {kind} outside any request")
    violations = server_counters.get("client_protocol_violations", {})
    if violations:
        failures.append(f"the servers saw {sum(violations.values())} client protocol violation(s)")
    baseline, end = fds
    if end > baseline:
        failures.append(f"fd leak: {end - baseline} more open fds than at the start")
    if growth > RSS_GROWTH_LIMIT:
        failures.append(f"RSS grew {growth:.0%} from the first half to the second")
    for name in runners:
        for origin in soak_clients.ORIGINS:
            if not tally.by_runner[name, origin, "ok"]:
                failures.append(f"no request succeeded on {name} {origin}")
    return failures


def summary(tally: Tally, incidents: Incidents, server_counters: dict[str, Any]) -> None:
    print("\nby runner and origin:")
    keys = sorted({(runner, origin) for runner, origin, _ in tally.by_runner})
    for runner, origin in keys:
        parts = [
            f"{outcome}={n}"
            for (r, o, outcome), n in sorted(tally.by_runner.items())
            if (r, o) == (runner, origin)
        ]
        print(f"  {runner:8} {origin:7} {' '.join(parts)}")
    print("first message of each error type:")
    for kind, message in sorted(tally.samples.items()):
        print(f"  {kind}: {message}")
    for kind, trace in tally.undocumented.items():
        print(f"\nUNDOCUMENTED {kind}, first traceback:\n{trace}")
    for problem in tally.corrupt[:10]:
        print(f"CORRUPT {problem}")
    for connection in tally.busy:
        print(f"BUSY after the last request: {connection}")
    for kind, message in incidents.samples.items():
        print(f"INCIDENT {kind} x{incidents.counts[kind]}, first: {message}")
    print(f"servers: {json.dumps(server_counters)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, default=10.0)
    length.add_argument("--seconds", type=float)
    parser.add_argument("--concurrency", type=int, default=20, help="workers per runner")
    parser.add_argument("--runners", default="asyncio,trio,threads")
    parser.add_argument("--faults", default="", help="only these, e.g. h2:refuse,h1:stall")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    args = parser.parse_args()
    duration = args.seconds if args.seconds is not None else args.minutes * 60
    interval = 60.0 if duration >= 300 else 15.0
    names = [name for name in args.runners.split(",") if name]

    incidents = Incidents()
    incidents.install()
    tally = Tally()
    print(f"soak: {duration:.0f}s, runners {names}, {args.concurrency} workers each,")
    print(f"      faults {args.faults or 'all'}, seed {args.seed} (pid {os.getpid()})")
    gc.collect()
    baseline, baseline_targets = open_fds(), fd_targets()
    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="soak-") as directory:
        servers = Servers(Path(directory), duration, args.faults, args.seed)
        started = time.monotonic()
        threads = start_runners(names, servers, tally, args, started + duration)
        print(HEADER)
        next_row = started + interval
        while any(thread.is_alive() for thread in threads):
            now = time.monotonic()
            if now > started + duration + JOIN_GRACE:
                break
            if now <= started + duration:
                samples.append((now - started, rss_mib()))
            if now >= next_row:
                print(row(now - started, tally, rss_mib()), flush=True)
                next_row += interval
            time.sleep(1.0)
        hung = [thread.name for thread in threads if thread.is_alive()]
        print(row(time.monotonic() - started, tally, rss_mib()), flush=True)
        server_counters = servers.stop()
    end_fds = settle_fds(baseline)
    first, second, growth = rss_growth(samples, duration)
    summary(tally, incidents, server_counters)
    print(f"fds: {baseline} at the start, {end_fds} at the end")
    if end_fds > baseline:
        print(f"  not there at the start: {dict(fd_targets() - baseline_targets)}")
    print(f"RSS after warm-up: first half {first:.1f} MiB, second half {second:.1f} MiB")
    failures = verdict(tally, incidents, server_counters, (baseline, end_fds), growth, hung, names)
    print("\nFAIL:\n  " + "\n  ".join(failures) if failures else "\nPASS")
    sys.stdout.flush()
    if hung:
        os._exit(1)  # a stuck runner thread would keep the interpreter from exiting
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
