"""(a) sync: sequential GETs of a 2,000-byte body on one keep-alive connection.

python benchmarks/bench_a_sync_sequential.py [--quick] [--rounds N] [--peers ours,urllib3]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import api012
import harness
from harness import Case, ChildConfig, Measurement, Scenario, Stopwatch, check

Get = Callable[[], tuple[int, int]]


def sequential(cfg: ChildConfig, get: Get) -> Measurement:
    """One warm-up request (opens the connection), then the timed sequential loop."""
    check(get() == (200, harness.SMALL_BODY_SIZE), "warm-up GET / failed")
    n = cfg.int("requests")
    total = bad = 0
    with Stopwatch() as sw:
        for _ in range(n):
            status, size = get()
            total += size
            bad += status != 200
    check(bad == 0 and total == n * harness.SMALL_BODY_SIZE, f"{bad} bad statuses, {total} B")
    return sw.measurement(n)


def api012_client(peer: str) -> Callable[[ChildConfig], Measurement]:
    def run(cfg: ChildConfig) -> Measurement:
        httpcore = api012.load(peer, "SyncConnectionPool")
        target, hdrs = api012.url(cfg, "/"), api012.headers(cfg)
        pool: Any = httpcore.SyncConnectionPool()
        try:
            return sequential(cfg, lambda: api012.request(pool, b"GET", target, hdrs))
        finally:
            pool.close()

    return run


def httpcore_1(cfg: ChildConfig) -> Measurement:
    import httpcore

    url = cfg.url("/")
    with httpcore.ConnectionPool() as pool:

        def get() -> tuple[int, int]:
            response = pool.request("GET", url)
            return response.status, len(response.content)

        return sequential(cfg, get)


def urllib3_client(cfg: ChildConfig) -> Measurement:
    import urllib3

    pool = urllib3.HTTPConnectionPool(cfg.host, cfg.port, maxsize=1)
    try:

        def get() -> tuple[int, int]:
            response = pool.request("GET", "/")
            return response.status, len(response.data)

        return sequential(cfg, get)
    finally:
        pool.close()


def socket_floor(cfg: ChildConfig) -> Measurement:
    """Not a client: one socket, a fixed request, the response read up to nginx's
    Content-Length with no parsing or checks. Its rate is what the kernel, loopback and
    nginx allow on this machine; what a client adds is its own cost."""
    import socket

    sock = socket.create_connection((cfg.host, cfg.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = b"GET / HTTP/1.1\r\nHost: " + cfg.authority.encode("ascii") + b"\r\n\r\n"

    def get() -> tuple[int, int]:
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            check(bool(chunk), "nginx closed the connection")
            data += chunk
            end = data.find(b"\r\n\r\n")
            if end >= 0:
                start = data.index(b"Content-Length: ", 0, end) + 16
                length = int(data[start : data.index(b"\r\n", start)])
                if len(data) >= end + 4 + length:
                    return int(data[9:12]), len(data) - end - 4

    try:
        return sequential(cfg, get)
    finally:
        sock.close()


SCENARIO = Scenario(
    name="a_sync_sequential",
    title="(a) sync, sequential GETs (2,000-byte body) on one keep-alive connection",
    unit="req",
    cases=(
        *harness.api012_cases("sync", api012_client, "SyncConnectionPool().request"),
        Case("sync", "httpcore-1.0.9", httpcore_1, "ConnectionPool().request"),
        Case("sync", "urllib3", urllib3_client, "HTTPConnectionPool(maxsize=1).request"),
        Case("sync", "socket-floor", socket_floor, "a bare socket: sendall + recv, no parsing"),
    ),
    params={"requests": 5_000},
    quick_params={"requests": 300},
    units_param="requests",
    rounds=5,
    child_timeout_s=180,
    quick_child_timeout_s=60,
)

if __name__ == "__main__":
    sys.exit(harness.main(SCENARIO, __file__))
