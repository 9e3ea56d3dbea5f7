"""(c) async: GETs of a 2,000-byte body from 100 tasks over ONE HTTP/2 connection (TLS).

    python benchmarks/bench_c_http2_concurrent.py [--quick] [--rounds N] [--peers ours,h2-minimal]

Every client multiplexes all requests as streams of the single connection that its warm-up
request opened on nginx's TLS port (ALPN h2; nginx allows 128 concurrent streams). `h2-minimal`
is a minimal asyncio client written directly on the sans-I/O `h2` library: the practical
ceiling of any client built on h2. Runs are watched for stalls as in (b).
"""

from __future__ import annotations

import asyncio
import collections
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import api012
import harness
from harness import Case, ChildConfig, Measurement, Scenario, check

WINDOW = 2**24  # 16 MiB receive windows (connection and each stream)


# ----- httpcore 0.12 API (ours, httpcore 0.12.3) ----------------------------------------


def api012_client(peer: str) -> Callable[[ChildConfig], Awaitable[Measurement]]:
    async def run(cfg: ChildConfig) -> Measurement:
        httpcore = api012.load(peer, "AsyncConnectionPool")
        pool = api012.http2_pool(httpcore, cfg)
        target, hdrs = api012.tls_url(cfg, "/"), api012.tls_headers(cfg)
        await api012.check_http2(pool, target, hdrs)

        async def get() -> tuple[int, int]:
            return await api012.arequest(pool, b"GET", target, hdrs)

        result = await harness.concurrent_gets(cfg, get)
        await pool.aclose()
        return result

    return run


# ----- httpcore 1.0.9 -------------------------------------------------------------------


async def httpcore_1(cfg: ChildConfig) -> Measurement:
    import httpcore

    url = cfg.tls_url("/")
    async with httpcore.AsyncConnectionPool(http2=True, ssl_context=cfg.ssl_context()) as pool:

        async def get() -> tuple[int, int]:
            response = await pool.request("GET", url)
            return response.status, len(response.content)

        warm_up = await pool.request("GET", url)
        check(len(warm_up.content) == harness.SMALL_BODY_SIZE, "warm-up GET / failed")
        version = warm_up.extensions["http_version"]
        check(version == b"HTTP/2", f"the warm-up response came over {version!r}, not HTTP/2")
        return await harness.concurrent_gets(cfg, get)


# ----- h2-minimal: the h2 state machine on an asyncio protocol ---------------------------


class _Stream:
    __slots__ = ("chunks", "done", "status")

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done
        self.status = 0
        self.chunks: list[bytes] = []


class H2Client(asyncio.Protocol):
    """One HTTP/2 connection. `data_received` is the reader: it feeds h2 and dispatches."""

    def __init__(self, authority: str) -> None:
        import h2.config
        import h2.connection
        import h2.events
        import h2.settings

        self.ev = h2.events
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.h2 = h2.connection.H2Connection(config)
        codes = h2.settings.SettingCodes
        self.h2.local_settings = h2.settings.Settings(
            client=True, initial_values={codes.ENABLE_PUSH: 0, codes.INITIAL_WINDOW_SIZE: WINDOW}
        )
        self.authority = authority.encode("ascii")
        self.loop = asyncio.get_running_loop()
        self.transport: Any = None
        self.streams: dict[int, _Stream] = {}
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.error: Exception | None = None
        self.flush_pending = False

    @classmethod
    async def open(cls, cfg: ChildConfig) -> H2Client:
        _, client = await asyncio.get_running_loop().create_connection(
            lambda: cls(cfg.tls_authority), cfg.host, cfg.tls_port, ssl=cfg.ssl_context()
        )
        alpn = client.transport.get_extra_info("ssl_object").selected_alpn_protocol()
        check(alpn == "h2", f"ALPN negotiated {alpn!r}, not h2")
        return client

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.h2.initiate_connection()
        self.h2.increment_flow_control_window(WINDOW - 65_535)  # connection window: 16 MiB
        transport.write(self.h2.data_to_send())

    def _flush(self) -> None:
        self.flush_pending = False
        data = self.h2.data_to_send()
        if data and self.error is None:
            self.transport.write(data)

    async def get(self, path: bytes) -> tuple[int, bytes]:
        # Respect the server's SETTINGS_MAX_CONCURRENT_STREAMS: wait for a stream to end.
        while len(self.streams) >= self.h2.remote_settings.max_concurrent_streams:
            waiter = self.loop.create_future()
            self.waiters.append(waiter)
            await waiter
        if self.error is not None:
            raise self.error
        stream_id = self.h2.get_next_available_stream_id()
        stream = self.streams[stream_id] = _Stream(self.loop.create_future())
        headers = [(b":method", b"GET"), (b":scheme", b"https")]
        headers += [(b":authority", self.authority), (b":path", path)]
        self.h2.send_headers(stream_id, headers, end_stream=True)
        if not self.flush_pending:  # one write for the HEADERS of every task ready now
            self.flush_pending = True
            self.loop.call_soon(self._flush)
        await stream.done
        return stream.status, b"".join(stream.chunks)

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except Exception as exc:
            self._fail(exc)
            return
        ev = self.ev
        for event in events:
            if isinstance(event, ev.DataReceived):
                self.streams[event.stream_id].chunks.append(event.data)
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, ev.ResponseReceived):
                self.streams[event.stream_id].status = int(dict(event.headers)[b":status"])
            elif isinstance(event, (ev.StreamEnded, ev.StreamReset)):
                stream = self.streams.pop(event.stream_id)
                if isinstance(event, ev.StreamReset):
                    stream.done.set_exception(ConnectionError(f"reset: {event.error_code!r}"))
                else:
                    stream.done.set_result(None)
            elif isinstance(event, ev.ConnectionTerminated):
                self._fail(ConnectionError(f"GOAWAY: {event.error_code!r}"))
                return
        self._wake()
        self._flush()  # acknowledgements (WINDOW_UPDATE), SETTINGS ACK, PING ACK

    def _wake(self) -> None:
        free = self.h2.remote_settings.max_concurrent_streams - len(self.streams)
        while self.waiters and (free > 0 or self.error is not None):
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1

    def _fail(self, exc: Exception) -> None:
        self.error = self.error or exc
        for stream in self.streams.values():
            if not stream.done.done():
                stream.done.set_exception(self.error)
        self.streams.clear()
        self._wake()
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("connection closed"))

    def close(self) -> None:
        if self.error is None:
            self.h2.close_connection()
            self._flush()
            self.transport.close()


async def h2_minimal(cfg: ChildConfig) -> Measurement:
    client = await H2Client.open(cfg)
    try:

        async def get() -> tuple[int, int]:
            status, body = await client.get(b"/")
            return status, len(body)

        check(await get() == (200, harness.SMALL_BODY_SIZE), "warm-up GET / failed")
        return await harness.concurrent_gets(cfg, get)
    finally:
        client.close()


SCENARIO = Scenario(
    name="c_http2_concurrent",
    title="(c) async (asyncio), 100 tasks share ONE HTTP/2 connection (TLS), GET 2,000 bytes",
    unit="req",
    cases=(
        *harness.api012_cases("async", api012_client, "AsyncConnectionPool(http2=True)"),
        Case("async", "httpcore-1.0.9", httpcore_1, "AsyncConnectionPool(http2=True)"),
        Case("async", "h2-minimal", h2_minimal, "h2 + asyncio.Protocol, one connection"),
    ),
    params={"requests": 20_000, "tasks": 100, "stall_s": 10, "limit_s": 240},
    quick_params={"requests": 2_000, "tasks": 100, "stall_s": 5, "limit_s": 50},
    units_param="requests",
    rounds=5,
    child_timeout_s=300,
    quick_child_timeout_s=60,
    notes=(
        "One TLS connection with ALPN h2; nginx's http2_max_concurrent_streams is 128.",
        "A run in which no request completes for stall_s seconds is reported as a deadlock.",
    ),
)

if __name__ == "__main__":
    sys.exit(harness.main(SCENARIO, __file__))
