"""The soak's traffic: checked requests through the public API, one pool per runner.

Every runner (asyncio, trio, threads) runs ``concurrency`` workers that draw requests from
the same mix until the deadline: GETs of various sizes, uploads as bytes
(``PlainByteStream``) or as one-shot generators (with Content-Length, or chunked), some
responses abandoned after their first chunk and, on the async runners, some requests
cancelled midway. Each outcome goes to the :class:`Tally`; bodies are checked against
:mod:`soak_wire`, so a response that parses but carries the wrong bytes is ``CORRUPT``.
"""

from __future__ import annotations

import itertools
import random
import ssl
import threading
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import soak_wire

import httpcore

# Every documented exception: anything else a request raises is a defect.
DOCUMENTED = tuple(
    obj
    for name in httpcore.__all__
    if isinstance(obj := getattr(httpcore, name), type) and issubclass(obj, Exception)
)
READ_TIMEOUT = 1.5  # the servers' stalls last until the client gives up
TIMEOUTS = {"connect": 5.0, "read": READ_TIMEOUT, "write": 5.0, "pool": 10.0}
HARD_LIMIT = 60.0  # no request may take longer, whatever the pool's timeouts say
GET_SIZES = (0, 1, 1000, 16_384, 65_537, 300_000, 1 << 20)
UPLOAD_SIZES = (0, 10, 5000, 70_000, 300_000)
UPLOADS = ("bytes", "generator", "generator+length")
ORIGINS = ("h1", "h1-tls", "h2")  # the servers' ports, by name


@dataclass(frozen=True)
class Plan:
    """One request: what to send, what must come back, how the client behaves."""

    origin: str
    url: tuple[bytes, bytes, int, bytes]
    upload: str | None  # one of UPLOADS, or None for a GET
    content: bytes  # the upload, or the expected response body
    abandon: bool  # close the response after its first chunk
    cancel_after: float | None  # async runners: cancel the request after this long

    @classmethod
    def draw(cls, rng: random.Random, ports: dict[str, int], cancels: bool) -> Plan:
        origin = rng.choice(ORIGINS)
        seed = rng.getrandbits(32)
        upload = rng.choice(UPLOADS) if rng.random() < 0.4 else None
        if upload is None:
            size = rng.choice(GET_SIZES)
            target, content = soak_wire.get_target(size, seed), soak_wire.body(size, seed)
        else:
            target = soak_wire.post_target(seed)
            content = soak_wire.body(rng.choice(UPLOAD_SIZES), seed)
        scheme = b"http" if origin == "h1" else b"https"
        return cls(
            origin,
            (scheme, b"127.0.0.1", ports[origin], target),
            upload,
            content,
            abandon=rng.random() < 0.03,
            cancel_after=rng.uniform(0.0, 0.5) if cancels and rng.random() < 0.03 else None,
        )

    @property
    def method(self) -> bytes:
        return b"GET" if self.upload is None else b"POST"

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """Framing as httpx sets it: the 0.12 API (like h11) takes a request without
        either header as bodiless."""
        if self.upload in ("bytes", "generator+length"):
            return [(b"content-length", str(len(self.content)).encode("ascii"))]
        if self.upload == "generator":
            return [(b"transfer-encoding", b"chunked")]
        return []

    def chunks(self, rng: random.Random) -> list[bytes]:
        """The upload cut at random places, for the generators."""
        cuts = sorted(rng.randrange(len(self.content) + 1) for _ in range(rng.randrange(4)))
        bounds = [0, *cuts, len(self.content)]
        return [self.content[a:b] for a, b in itertools.pairwise(bounds) if b > a]

    def check(self, status: int, received: bytes) -> str | None:
        """What is wrong with the response, or None."""
        expected = self.content if self.upload is None else soak_wire.digest_reply(self.content)
        if status != 200:
            return f"status {status}"
        if received == expected or (self.abandon and expected.startswith(received)):
            return None
        where = next(
            (i for i, (a, b) in enumerate(zip(received, expected, strict=False)) if a != b), None
        )
        return f"{self}: got {len(received)} bytes, first difference at {where}" + (
            f"; server says {received.decode('latin-1')}" if self.upload else ""
        )

    def __str__(self) -> str:
        upload = f" upload={self.upload}" if self.upload else ""
        target = self.url[3].decode()
        return f"{self.method.decode()} {self.origin} {target}{upload} size={len(self.content)}"


class Tally:
    """Outcomes of every runner, shared across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.outcomes: Counter[str] = Counter()  # ok, abandoned, cancelled, CORRUPT, HANG
        self.errors: Counter[str] = Counter()  # by exception type
        self.by_runner: Counter[tuple[str, str, str]] = Counter()  # (runner, origin, outcome)
        self.samples: dict[str, str] = {}  # first message of each error type
        self.undocumented: dict[str, str] = {}  # first traceback of each undocumented type
        self.corrupt: list[str] = []
        self.busy: list[str] = []  # connections not idle once every request has ended

    def drained(self, runner: str, info: dict[str, list[str]]) -> None:
        """The pool's connections after the last request: an orphan stream (or a
        connection never given back) keeps one from being idle."""
        with self.lock:
            self.busy += [
                f"{runner} {origin}: {summary}"
                for origin, summaries in info.items()
                for summary in summaries
                if "IDLE" not in summary
            ]

    def record(self, runner: str, plan: Plan, outcome: str) -> None:
        with self.lock:
            self.requests += 1
            self.outcomes[outcome] += 1
            self.by_runner[runner, plan.origin, outcome] += 1

    def failed(self, runner: str, plan: Plan, exc: Exception) -> None:
        kind = type(exc).__name__
        if not isinstance(exc, DOCUMENTED):
            kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
        elif type(exc) not in DOCUMENTED:  # a private subclass: caught, but named oddly
            public = next(cls for cls in type(exc).__mro__ if cls in DOCUMENTED)
            kind = f"{kind}({public.__name__})"
        with self.lock:
            self.requests += 1
            self.errors[kind] += 1
            self.by_runner[runner, plan.origin, kind] += 1
            self.samples.setdefault(kind, f"{runner} {plan}: {exc}")
            if not isinstance(exc, DOCUMENTED) and kind not in self.undocumented:
                self.undocumented[kind] = "".join(traceback.format_exception(exc))

    def corrupted(self, runner: str, plan: Plan, problem: str) -> None:
        self.record(runner, plan, "CORRUPT")
        with self.lock:
            self.corrupt.append(f"{runner}: {problem}")


@dataclass
class Runner:
    """What every worker of one runner shares."""

    name: str
    ports: dict[str, int]
    ssl_context: ssl.SSLContext
    tally: Tally
    deadline: float
    concurrency: int
    seed: int

    def pool_options(self) -> dict[str, Any]:
        return {
            "ssl_context": self.ssl_context,
            "http2": True,
            "max_connections": 12,
            "keepalive_expiry": 5.0,
        }


# async (asyncio and trio, through anyio) ----------------------------------------------------


def run_async(runner: Runner, backend: str) -> None:
    """One event loop of ``backend`` in the calling thread, until the deadline."""
    anyio.run(_async_main, runner, backend=backend)


async def _async_main(runner: Runner) -> None:
    async with httpcore.AsyncConnectionPool(**runner.pool_options()) as pool:
        async with anyio.create_task_group() as group:
            for index in range(runner.concurrency):
                group.start_soon(_async_worker, runner, pool, random.Random(runner.seed + index))
        runner.tally.drained(runner.name, await pool.get_connection_info())


async def _async_worker(
    runner: Runner, pool: httpcore.AsyncConnectionPool, rng: random.Random
) -> None:
    while time.monotonic() < runner.deadline:
        plan = Plan.draw(rng, runner.ports, cancels=True)
        with anyio.move_on_after(HARD_LIMIT) as hard:
            with anyio.move_on_after(plan.cancel_after or HARD_LIMIT * 2) as soft:
                try:
                    status, received = await _async_exchange(pool, plan, rng)
                except Exception as exc:
                    runner.tally.failed(runner.name, plan, exc)
                    continue
            if soft.cancelled_caught:
                runner.tally.record(runner.name, plan, "cancelled")
                continue
            problem = plan.check(status, received)
            if problem is None:
                runner.tally.record(runner.name, plan, "abandoned" if plan.abandon else "ok")
            else:
                runner.tally.corrupted(runner.name, plan, problem)
        if hard.cancelled_caught:
            runner.tally.record(runner.name, plan, "HANG")


async def _async_exchange(
    pool: httpcore.AsyncConnectionPool, plan: Plan, rng: random.Random
) -> tuple[int, bytes]:
    stream: httpcore.AsyncByteStream | None = None
    if plan.upload == "bytes":
        stream = httpcore.PlainByteStream(plan.content)
    elif plan.upload is not None:
        stream = httpcore.AsyncIteratorByteStream(_agen(plan.chunks(rng)))
    status, _, body, _ = await pool.arequest(
        plan.method, plan.url, plan.headers, stream, {"timeout": TIMEOUTS}
    )
    received = bytearray()
    try:
        async for chunk in body:
            received += chunk
            if plan.abandon:
                break
    finally:
        await body.aclose()
    return status, bytes(received)


async def _agen(chunks: list[bytes]) -> AsyncIterator[bytes]:
    """A one-shot body: it can be iterated once only."""
    for chunk in chunks:
        yield chunk


# sync (threads) ----------------------------------------------------------------------------


def run_threads(runner: Runner) -> None:
    """``concurrency`` threads sharing one pool, until the deadline."""
    with httpcore.SyncConnectionPool(**runner.pool_options()) as pool:
        workers = [
            threading.Thread(
                target=_sync_worker,
                args=(runner, pool, random.Random(runner.seed + index)),
                name=f"soak {runner.name} {index}",
                daemon=True,
            )
            for index in range(runner.concurrency)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        runner.tally.drained(runner.name, pool.get_connection_info())


def _sync_worker(runner: Runner, pool: httpcore.SyncConnectionPool, rng: random.Random) -> None:
    while time.monotonic() < runner.deadline:
        plan = Plan.draw(rng, runner.ports, cancels=False)
        started = time.monotonic()
        try:
            status, received = _sync_exchange(pool, plan, rng)
        except Exception as exc:
            runner.tally.failed(runner.name, plan, exc)
            continue
        problem = plan.check(status, received)
        if time.monotonic() - started > HARD_LIMIT:
            runner.tally.record(runner.name, plan, "HANG")
        elif problem is None:
            runner.tally.record(runner.name, plan, "abandoned" if plan.abandon else "ok")
        else:
            runner.tally.corrupted(runner.name, plan, problem)


def _sync_exchange(
    pool: httpcore.SyncConnectionPool, plan: Plan, rng: random.Random
) -> tuple[int, bytes]:
    stream: httpcore.SyncByteStream | None = None
    if plan.upload == "bytes":
        stream = httpcore.PlainByteStream(plan.content)
    elif plan.upload is not None:
        stream = httpcore.IteratorByteStream(_gen(plan.chunks(rng)))
    status, _, body, _ = pool.request(
        plan.method, plan.url, plan.headers, stream, {"timeout": TIMEOUTS}
    )
    received = bytearray()
    try:
        for chunk in body:
            received += chunk
            if plan.abandon:
                break
    finally:
        body.close()
    return status, bytes(received)


def _gen(chunks: list[bytes]) -> Iterator[bytes]:
    """A one-shot body: it can be iterated once only."""
    yield from chunks
