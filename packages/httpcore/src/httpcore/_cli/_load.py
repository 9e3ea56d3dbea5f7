"""``--repeat N --concurrency C``: N requests from C tasks through one async pool, then
throughput, latency percentiles, statuses, and how many connections carried them."""

from __future__ import annotations

import signal
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import anyio

import httpcore

from ._errors import exit_code
from ._settings import Settings, async_transport

__all__ = ["LoadReport", "run_load"]

#: What a request of the load may fail with: counted, not fatal (bad usage still is).
_FAILURES = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.ProxyError,
)
_CONNECT_EVENTS = ("connection.connect_tcp.complete", "connection.connect_unix_socket.complete")


@dataclass
class LoadReport:
    requests: int
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)
    connections_opened: int = 0
    first_error: BaseException | None = None

    def lines(self) -> list[str]:
        done = len(self.latencies)
        rate = done / self.seconds if self.seconds else 0.0
        lines = [
            f"{_count(self.requests, 'request')}, {self.concurrency} at a time, "
            f"in {self.seconds:.2f} s: {rate:.1f} requests/s"
        ]
        if done >= 2:
            p50, p90, p99 = (
                statistics.quantiles(self.latencies, n=100, method="inclusive")[i] * 1000
                for i in (49, 89, 98)
            )
            lines.append(f"latency p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms")
        elif done == 1:
            lines.append(f"latency {self.latencies[0] * 1000:.1f} ms")
        lines.append(
            "outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        )
        versions = ", ".join(f"{k}" for k in sorted(self.versions)) or "none"
        reused = max(done - self.connections_opened, 0)
        lines.append(
            f"connections opened: {self.connections_opened} ({versions}); "
            f"requests on a connection already open: {reused}"
        )
        return lines

    @property
    def exit_code(self) -> int:
        return 0 if self.first_error is None else exit_code(self.first_error)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def run_load(settings: Settings) -> LoadReport:
    """Raises ``KeyboardInterrupt`` on Ctrl-C, once the pool is closed: the signal
    cancels the load inside the event loop, so no task ends with the interrupt itself
    (asyncio on Python 3.10 would log each such task on the way out)."""
    interrupted = False

    async def load_until_interrupted() -> LoadReport | None:
        nonlocal interrupted
        async with anyio.create_task_group() as tasks:

            async def on_ctrl_c() -> None:
                nonlocal interrupted
                with anyio.open_signal_receiver(signal.SIGINT) as signals:
                    async for _ in signals:
                        interrupted = True
                        tasks.cancel_scope.cancel()

            tasks.start_soon(on_ctrl_c)
            report = await _load(settings)
            tasks.cancel_scope.cancel()
            return report
        return None  # cancelled by Ctrl-C

    report = anyio.run(load_until_interrupted)
    if interrupted or report is None:
        raise KeyboardInterrupt
    return report


async def _load(settings: Settings) -> LoadReport:
    report = LoadReport(settings.repeat, settings.concurrency)
    headers = settings.request_headers()
    remaining = iter(range(settings.repeat))

    def trace(event: str, info: dict[str, Any]) -> None:
        if event in _CONNECT_EVENTS:
            report.connections_opened += 1

    ext = {"timeout": settings.timeouts, "trace": trace}

    async def worker(transport: httpcore.AsyncHTTPTransport) -> None:
        for _ in remaining:
            body = None
            if settings.body is not None:
                body = httpcore.PlainByteStream(b"".join(settings.body.chunks()))
            started = time.perf_counter()
            try:
                status, _, stream, response_ext = await transport.arequest(
                    settings.method, settings.url, headers, body, ext
                )
                try:
                    async for _chunk in stream:
                        pass
                finally:
                    await stream.aclose()
            except _FAILURES as exc:
                _failed(report, exc)
            else:
                report.latencies.append(time.perf_counter() - started)
                report.statuses[str(status)] += 1
                report.versions[response_ext.get("http_version", "?")] += 1

    started = time.perf_counter()
    async with async_transport(settings) as transport, anyio.create_task_group() as tasks:
        for _ in range(settings.concurrency):
            tasks.start_soon(worker, transport)
    report.seconds = time.perf_counter() - started
    return report


def _failed(report: LoadReport, exc: BaseException) -> None:
    report.statuses[type(exc).__name__] += 1
    if report.first_error is None:
        report.first_error = exc
