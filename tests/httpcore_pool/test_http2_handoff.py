"""One HTTP/2 connection shared by many requests: who reads, who writes, and what a
failure or a cancellation in between leaves behind.

One task (or thread) reads for every stream and wakes the others; HEADERS queued in the
same event-loop turn go out in one write. These tests drive a connection over an
in-memory server, so that writes can be held or failed, and answers given, at exact points.

Steps are ordered by synchronisation, not by sleeping: ``anyio.wait_all_tasks_blocked()``
returns once every other task waits (for the socket, a lock, an event), and each test then
asserts the state its next step relies on; threads signal with events and conditions.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import h2.config
import h2.connection
import h2.events
import pytest

from httpcore_interfaces import ReadTimeout, RemoteProtocolError, WriteError, WriteTimeout
from httpcore_pool._async.http2 import AsyncHTTP2Connection
from httpcore_pool._http2_protocol import CONNECTION_WINDOW
from httpcore_pool._models import Request
from httpcore_pool._retry import StreamRefused
from httpcore_pool._sync.http2 import HTTP2ResponseStream, SyncHTTP2Connection
from tests.helpers.h2_memory import (
    ORIGIN,
    AsyncMemoryStream,
    MemoryH2Server,
    SyncMemoryStream,
    make_request,
)
from tests.helpers.threads import run_in_threads


async def fetch(connection: AsyncHTTP2Connection, request: Request) -> tuple[int, bytes]:
    status, _, stream, _ = await connection.handle_request(request)
    body = b"".join([chunk async for chunk in stream])
    await stream.aclose()
    return status, body


async def connect(stream: AsyncMemoryStream) -> AsyncHTTP2Connection:
    connection = AsyncHTTP2Connection(ORIGIN, stream)
    await connection.initialize(make_request(b"/"))
    return connection


@pytest.mark.anyio
async def test_concurrent_requests_share_writes() -> None:
    stream = AsyncMemoryStream(MemoryH2Server())
    connection = await connect(stream)
    writes = 0
    write = stream.write

    async def counting_write(data: bytes, timeout: float | None) -> None:
        nonlocal writes
        writes += 1
        await write(data, timeout)

    stream.write = counting_write  # type: ignore[method-assign]
    results: list[tuple[int, bytes]] = []

    async def one(index: int) -> None:
        results.append(await fetch(connection, make_request(b"/%d" % index)))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            for index in range(20):
                tasks.start_soon(one, index)
    assert results == [(200, b"ok")] * 20
    assert writes < 20  # HEADERS started in one turn go out together


def fetch_in_threads(
    connection: SyncHTTP2Connection, threads: int, each: int
) -> list[tuple[int, bytes]]:
    """``each`` requests in each of ``threads`` threads at once; their (status, body)."""
    results: list[tuple[int, bytes]] = []

    def requests(index: int) -> None:
        for _ in range(each):
            status, _, stream, _ = connection.handle_request(make_request(b"/%d" % index))
            results.append((status, b"".join(stream)))
            stream.close()

    assert run_in_threads(requests, [(index,) for index in range(threads)], timeout=10) == []
    return results


def test_threads_share_a_connection() -> None:
    connection = SyncHTTP2Connection(ORIGIN, SyncMemoryStream(MemoryH2Server()))
    connection.initialize(make_request(b"/"))
    assert fetch_in_threads(connection, 10, 1) == [(200, b"ok")] * 10


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_request_cancelled_before_its_write_leaves_the_others_writing() -> None:
    """A queued its HEADERS and waits for the send lock, held by D's body write; then
    ``task.cancel()``. Later requests on the connection must still go out."""
    server = MemoryH2Server()
    stream = AsyncMemoryStream(server)
    connection = await connect(stream)
    go = asyncio.Event()
    body_waits = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        body_waits.set()
        await go.wait()
        yield b"x" * 10

    with anyio.fail_after(5):
        upload = asyncio.create_task(fetch(connection, make_request(b"/d", b"POST", stream=body())))
        await body_waits.wait()
        await anyio.wait_all_tasks_blocked()
        assert 1 in server.h2.streams  # D's HEADERS are out; its body waits for go
        stream.hold_writes = True  # D's DATA write will hold the send lock
        cancelled = asyncio.create_task(fetch(connection, make_request(b"/a")))
        go.set()
        await anyio.wait_all_tasks_blocked()
        assert stream.held_writes == 1  # D's DATA, under the send lock
        assert 3 not in server.h2.streams
        assert len(connection._send_lock._waiters) == 1
        assert not cancelled.done()  # A queued its HEADERS and waits for the send lock
        cancelled.cancel()
        await asyncio.wait([cancelled])
        stream.write_gate.set()
        stream.hold_writes = False
        assert await upload == (200, b"ok")
        assert await fetch(connection, make_request(b"/e", read=1.0)) == (200, b"ok")


class BreakingStream(AsyncMemoryStream):
    """Once armed, a write hangs (a server that stopped reading) until its timeout; after
    that every write fails at once. Reads stay open, and nothing arrives."""

    armed = False
    broken = False

    async def write(self, data: bytes, timeout: float | None) -> None:
        if not self.armed:
            return await super().write(data, timeout)
        if self.broken:
            raise WriteError("broken pipe (in memory)")
        await anyio.sleep(0.2 if timeout is None else timeout)
        self.broken = True
        raise WriteTimeout("write timed out (in memory)")


@pytest.mark.anyio
@pytest.mark.parametrize("read_timeout", [None, 1.5])
async def test_requests_carried_by_a_failed_write_fail_at_once(
    read_timeout: float | None,
) -> None:
    """A's write carries B's HEADERS too, and times out: neither request was sent, both
    fail at once as safe to retry, without waiting for a read timeout (or for ever)."""
    stream = BreakingStream(MemoryH2Server())
    connection = await connect(stream)
    stream.armed = True
    outcomes: dict[str, float] = {}  # seconds until each failed

    async def run(name: str) -> None:
        start = time.monotonic()
        request = make_request(b"/" + name.encode(), read=read_timeout, write=0.2)
        with pytest.raises(StreamRefused):
            await fetch(connection, request)
        outcomes[name] = time.monotonic() - start

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run, "a")
            tasks.start_soon(run, "b")
    assert len(outcomes) == 2
    assert max(outcomes.values()) < 1.0, outcomes


class FailOnce(AsyncMemoryStream):
    fail_next = False

    async def write(self, data: bytes, timeout: float | None) -> None:
        if self.fail_next:
            self.fail_next = False
            raise WriteTimeout("write timed out (in memory)")
        await super().write(data, timeout)


@pytest.mark.anyio
async def test_a_failed_write_spares_a_request_sent_before_it() -> None:
    """S, a POST, was sent whole and waits for its answer when another request's write
    fails. The server still answers S: S gets its response."""
    server = MemoryH2Server(on_request=lambda server, stream_id: None)
    stream = FailOnce(server)
    connection = await connect(stream)
    outcomes: dict[str, Any] = {}

    async def run(name: str, method: bytes) -> None:
        try:
            outcomes[name] = await fetch(
                connection, make_request(b"/" + name.encode(), method, read=2.0)
            )
        except Exception as exc:
            outcomes[name] = exc

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run, "s", b"POST")
            await anyio.wait_all_tasks_blocked()
            assert server.requests == [1]  # S was sent whole and waits for its answer
            stream.fail_next = True
            tasks.start_soon(run, "t", b"GET")
            await anyio.wait_all_tasks_blocked()
            assert not stream.fail_next  # T's write failed
            assert "s" not in outcomes  # S still waits
            with server.lock:
                server.h2.ping(b"12345678")
                stream.push(server.h2.data_to_send())
            await anyio.wait_all_tasks_blocked()
            assert "s" not in outcomes  # the PING was read; S still waits
            stream.push(server.answer(1))
    assert outcomes["s"] == (200, b"ok"), outcomes
    assert isinstance(outcomes["t"], StreamRefused), outcomes


class DelayedLock:
    """The connection's own lock, except that the first time ``thread`` takes it once
    ``armed``, ``meanwhile()`` runs first: a window opened on purpose between a thread's
    look at its stream and its going to sleep, held open by ``meanwhile`` as long as it
    needs."""

    def __init__(self, lock: Any, meanwhile: Any) -> None:
        self.lock = lock
        self.meanwhile = meanwhile
        self.thread: threading.Thread | None = None
        self.armed = False
        self.fired = False

    def __enter__(self) -> None:
        if threading.current_thread() is self.thread and self.armed and not self.fired:
            self.fired = True
            self.meanwhile()
        self.lock.__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        self.lock.__exit__(*exc_info)


def test_no_wake_up_is_lost_between_a_threads_check_and_its_sleep() -> None:
    """While thread S is about to sleep, the reader R receives both responses and leaves:
    S must still get its response, not wait on the socket for one already received."""
    server = MemoryH2Server(on_request=lambda server, stream_id: None)
    stream = SyncMemoryStream(server)
    connection = SyncHTTP2Connection(ORIGIN, stream)
    connection.initialize(make_request(b"/"))
    results: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            request = make_request(b"/" + name.encode(), read=2.0)
            status, _, body, _ = connection.handle_request(request)
            results[name] = (status, b"".join(body))
        except Exception as exc:
            results[name] = exc

    reads = threading.Event()
    read = stream.read

    def signalling_read(max_bytes: int, timeout: float | None) -> bytes:
        reads.set()
        return read(max_bytes, timeout)

    stream.read = signalling_read  # type: ignore[method-assign]
    reader = threading.Thread(target=run, args=("r",))
    reader.start()
    assert reads.wait(2)
    assert connection._reading

    def answer_both_and_let_the_reader_leave() -> None:
        stream.push(server.answer(1, 3))
        reader.join(2)  # R took both responses and left before S goes to sleep

    delayed = DelayedLock(connection._lock, answer_both_and_let_the_reader_leave)
    connection._lock = delayed  # type: ignore[assignment]
    sleeper = threading.Thread(target=run, args=("s",))
    delayed.thread = sleeper
    has_event = connection._protocol.has_event

    def look(stream_id: int) -> bool:  # S found nothing yet: the window opens next
        found = has_event(stream_id)
        if threading.current_thread() is sleeper and not found:
            delayed.armed = True
        return found

    connection._protocol.has_event = look  # type: ignore[method-assign]
    sleeper.start()
    reader.join(4)
    sleeper.join(4)
    assert results == {"r": (200, b"ok"), "s": (200, b"ok")}


@pytest.mark.anyio
async def test_traffic_for_other_streams_does_not_extend_a_read_timeout() -> None:
    """The server never answers, but keeps the connection busy (a WINDOW_UPDATE every
    50 ms, the kind of frame that wakes every waiting stream): the request still times out
    after its read timeout, not once the traffic stops."""
    server = MemoryH2Server(on_request=lambda server, stream_id: None)
    stream = AsyncMemoryStream(server)
    connection = await connect(stream)

    async def keep_busy() -> None:
        for _ in range(40):  # two seconds of traffic
            with server.lock:
                server.h2.increment_flow_control_window(1)
                stream.push(server.h2.data_to_send())
            await anyio.sleep(0.05)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(keep_busy)
            start = time.monotonic()
            with pytest.raises(ReadTimeout):
                await fetch(connection, make_request(b"/never", read=0.3))
            elapsed = time.monotonic() - start
            tasks.cancel_scope.cancel()
    assert elapsed < 1.5


class EarlyAnswerServer(MemoryH2Server):
    """Answers a request as soon as its HEADERS arrive, with ``413`` and END_STREAM, and
    never opens the window for its body."""

    def __init__(self) -> None:
        super().__init__(on_request=lambda server, stream_id: None)
        self.answered = threading.Event()

    def feed(self, data: bytes) -> bytes:
        with self.lock:
            for event in self.h2.receive_data(data):
                if isinstance(event, h2.events.RequestReceived) and not self.answered.is_set():
                    self.h2.send_headers(event.stream_id, [(b":status", b"413")], end_stream=True)
                    self.answered.set()
            return self.h2.data_to_send()


class ClosingStream(SyncMemoryStream):
    """Once ``closed``, reads return end of file; past 100 of those, ``RuntimeError``: a
    reader looping on the end of file would spin for ever. ``parked`` counts the reads
    waiting with nothing to read (``cond`` is notified when one starts)."""

    closed = False
    eof_reads = 0
    parked = 0

    def read(self, max_bytes: int, timeout: float | None) -> bytes:
        with self.cond:
            self.parked += 1
            self.cond.notify_all()
            try:
                ready = self.cond.wait_for(lambda: bool(self.inbox) or self.closed, timeout)
            finally:
                self.parked -= 1
            if not ready:
                raise ReadTimeout("read timed out (in memory)")
            if self.inbox:
                data = bytes(self.inbox[:max_bytes])
                del self.inbox[:max_bytes]
                return data
            self.eof_reads += 1
            if self.eof_reads > 100:
                raise RuntimeError("the connection reads its end of file in a loop")
            return b""


def test_an_upload_answered_early_stops_and_returns_the_answer() -> None:
    """The server answers a POST (413, END_STREAM) before the body is sent, never opens
    the window for the rest, then closes the connection. The upload stops and the answer
    is returned; nothing loops on the end of file."""
    server = EarlyAnswerServer()
    stream = ClosingStream(server)

    def server_window() -> int:
        with server.lock:
            return server.h2.inbound_flow_control_window

    connection = SyncHTTP2Connection(ORIGIN, stream)
    connection.initialize(make_request(b"/"))
    outcome: list[Any] = []

    def upload() -> None:
        request = make_request(b"/up", b"POST", read=1.0, stream=[b"x" * 200_000])
        try:
            status, _, body, _ = connection.handle_request(request)
            result: Any = (status, b"".join(body))
        except Exception as exc:
            result = exc
        with stream.cond:
            outcome.append(result)
            stream.cond.notify_all()

    thread = threading.Thread(target=upload)
    thread.start()
    assert server.answered.wait(2)
    with stream.cond:
        # The window is used up: the upload either waits for more (reading), or has
        # stopped already and returned the answer; then the connection closes.
        assert stream.cond.wait_for(
            lambda: (
                bool(outcome) or (stream.parked > 0 and not stream.inbox and server_window() == 0)
            ),
            2,
        ), (stream.parked, server_window())
        stream.closed = True
        stream.cond.notify_all()
    thread.join(5)
    assert outcome == [(413, b"")]


class BigAnswerServer(MemoryH2Server):
    """Sends ``size`` bytes on stream 1 once ``start()`` is called, as the client's
    windows allow, more with each WINDOW_UPDATE."""

    def __init__(self, size: int) -> None:
        super().__init__(on_request=lambda server, stream_id: None)
        self.left = 0
        self.size = size

    def start(self) -> bytes:
        with self.lock:
            self.h2.send_headers(1, [(b":status", b"200")])
            self.left = self.size
            self._pump()
            return self.h2.data_to_send()

    def _pump(self) -> None:
        while self.left:
            size = min(
                self.left, self.h2.local_flow_control_window(1), self.h2.max_outbound_frame_size
            )
            if size <= 0:
                return
            self.left -= size
            self.h2.send_data(1, b"x" * size, end_stream=not self.left)

    def feed(self, data: bytes) -> bytes:
        out = super().feed(data)
        with self.lock:
            if self.left:
                self._pump()
            return out + self.h2.data_to_send()


@pytest.mark.anyio
async def test_a_request_spared_by_a_failed_write_still_acknowledges_its_data() -> None:
    """S was sent whole when T's write fails. S's answer is larger than the receive
    windows: its WINDOW_UPDATEs must still go out, or S stalls at 16 MiB."""
    size = 17 * 1024 * 1024
    server = BigAnswerServer(size)
    stream = FailOnce(server)
    connection = await connect(stream)
    outcomes: dict[str, Any] = {}

    async def run(name: str, path: bytes) -> None:
        try:
            status, _, body, _ = await connection.handle_request(make_request(path, read=3.0))
            received = 0
            async for chunk in body:
                received += len(chunk)
            await body.aclose()
            outcomes[name] = (status, received)
        except Exception as exc:
            outcomes[name] = exc

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run, "s", b"/big")
            await anyio.wait_all_tasks_blocked()
            assert server.requests == [1]  # S was sent whole
            stream.fail_next = True
            tasks.start_soon(run, "t", b"/t")  # its HEADERS write fails
            await anyio.wait_all_tasks_blocked()
            assert not stream.fail_next
            assert isinstance(outcomes.get("t"), StreamRefused)
            stream.push(server.start())
    assert outcomes["s"] == (200, size)
    assert isinstance(outcomes["t"], StreamRefused)


class EarlyHeadersServer(MemoryH2Server):
    """Sends ``200`` HEADERS as soon as a request with a body starts, and reads on."""

    def feed(self, data: bytes) -> bytes:
        with self.lock:
            for event in self.h2.receive_data(data):
                if isinstance(event, h2.events.RequestReceived) and not event.stream_ended:
                    self.h2.send_headers(event.stream_id, [(b":status", b"200")])
                elif isinstance(event, h2.events.DataReceived):
                    self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            return self.h2.data_to_send()


@pytest.mark.anyio
async def test_an_upload_on_a_failed_connection_gets_an_httpcore_error() -> None:
    """U's answer began while its body is still going out; then the connection fails (a
    frame h2 refuses). U's next chunk fails with an httpcore exception, not h2's."""
    server = EarlyHeadersServer(on_request=lambda server, stream_id: None)
    stream = AsyncMemoryStream(server)
    connection = await connect(stream)
    next_chunk = anyio.Event()
    outcomes: dict[str, Any] = {}

    async def body() -> AsyncIterator[bytes]:
        yield b"first"
        await next_chunk.wait()
        yield b"second"

    async def run(name: str, request: Request) -> None:
        try:
            outcomes[name] = await fetch(connection, request)
        except Exception as exc:
            outcomes[name] = exc

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run, "g", make_request(b"/g", read=3.0))
            await anyio.wait_all_tasks_blocked()
            assert connection._reading  # G reads for everyone
            tasks.start_soon(run, "u", make_request(b"/u", b"POST", read=3.0, stream=body()))
            await anyio.wait_all_tasks_blocked()
            assert not stream.inbox
            assert server.h2.streams[3].state_machine.headers_sent
            assert not outcomes  # U's 200 HEADERS are in; its body waits for next_chunk
            stream.push(b"\x00\x00\x04\x06\x00\x00\x00\x00\x00abcd")  # a PING of 4 bytes
            await anyio.wait_all_tasks_blocked()
            next_chunk.set()
    assert isinstance(outcomes["g"], RemoteProtocolError), outcomes
    assert isinstance(outcomes["u"], RemoteProtocolError), outcomes


class OneAtATime:
    """Stands in for a connection's h2 object and records whether two threads were ever
    inside one of its methods at once (each call lingers a little to show it)."""

    def __init__(self, wrapped: Any) -> None:
        self._wrapped = wrapped
        self._inside = 0
        self._count = threading.Lock()
        self.overlapped = False

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._wrapped, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._count:
                self._inside += 1
                self.overlapped |= self._inside > 1
            try:
                time.sleep(0.001)
                return value(*args, **kwargs)
            finally:
                with self._count:
                    self._inside -= 1

        return call


def test_threads_never_use_the_protocol_at_the_same_time() -> None:
    """The HTTP/2 protocol (and h2 in it) is not thread-safe: the reading thread and the
    writing threads must take turns, acknowledging each other's streams included."""
    connection = SyncHTTP2Connection(ORIGIN, SyncMemoryStream(MemoryH2Server()))
    connection.initialize(make_request(b"/"))
    guard = OneAtATime(connection._protocol)
    connection._protocol = guard  # type: ignore[assignment]
    assert fetch_in_threads(connection, 8, 5) == [(200, b"ok")] * 40
    assert not guard.overlapped


def body_for(stream_id: int) -> bytes:
    """A body of many DATA frames, different for each stream."""
    return bytes([stream_id % 251]) * (20_000 + 7_000 * (stream_id % 5))


def respond_in_frames(server: MemoryH2Server, stream_id: int) -> None:
    body = body_for(stream_id)
    length = str(len(body)).encode()
    server.h2.send_headers(stream_id, [(b":status", b"200"), (b"content-length", length)])
    for start in range(0, len(body), 16384):
        server.h2.send_data(stream_id, body[start : start + 16384])
    server.h2.send_data(stream_id, b"", end_stream=True)


def test_threads_reading_and_closing_early_take_turns_and_give_every_byte_back() -> None:
    """Bodies of many frames, some closed after their first chunk (a reset): the threads
    never use the protocol at once, every body read whole is exact, and everything that
    arrived is given back to the connection window."""
    server = MemoryH2Server(on_request=respond_in_frames)
    connection = SyncHTTP2Connection(ORIGIN, SyncMemoryStream(server))
    connection.initialize(make_request(b"/"))
    guard = OneAtATime(connection._protocol)
    connection._protocol = guard  # type: ignore[assignment]

    def requests(index: int) -> None:
        for number in range(6):
            _, _, stream, _ = connection.handle_request(make_request(b"/", read=10))
            assert isinstance(stream, HTTP2ResponseStream)
            expected = body_for(stream._stream_id)
            if (index + number) % 3 == 0:  # closed early
                assert expected.startswith(next(iter(stream)))
            else:
                assert b"".join(stream) == expected
            stream.close()

    assert run_in_threads(requests, [(index,) for index in range(8)], timeout=30) == []
    assert not guard.overlapped
    assert window_held(connection) == 0


def window_held(connection: AsyncHTTP2Connection | SyncHTTP2Connection) -> int:
    """Connection-window bytes the server spent that we neither gave back nor queued."""
    manager = connection._protocol._h2._inbound_flow_control_window_manager
    return CONNECTION_WINDOW - manager.current_window_size - manager._bytes_processed


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_data_arriving_while_a_closed_stream_waits_to_write_its_reset_is_given_back() -> None:
    server = MemoryH2Server(on_request=lambda server, stream_id: None)  # answered by hand
    stream = AsyncMemoryStream(server)
    connection = AsyncHTTP2Connection(ORIGIN, stream)
    await connection.initialize(make_request(b"/"))
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            result: list[Any] = []

            async def request() -> None:
                result.append(await connection.handle_request(make_request(b"/b")))

            tasks.start_soon(request)
            await anyio.wait_all_tasks_blocked()
            assert server.requests == [1]
            with server.lock:
                server.h2.send_headers(1, [(b":status", b"200")])
                server.h2.send_data(1, b"x" * 1000)
                stream.push(server.h2.data_to_send())
            await anyio.wait_all_tasks_blocked()
            status, _, body, _ = result[0]
            assert status == 200
            gate = anyio.Event()

            async def other_writer() -> None:  # an upload waiting for the socket, say
                async with connection._send_lock:
                    await gate.wait()

            tasks.start_soon(other_writer)
            await anyio.wait_all_tasks_blocked()
            assert connection._send_lock._locked
            tasks.start_soon(body.aclose)  # done with the stream; waits to write its reset
            await anyio.wait_all_tasks_blocked()
            assert server.h2.streams[1].open  # no reset written yet
            with server.lock:  # more of the body was on the wire meanwhile
                for _ in range(6):
                    server.h2.send_data(1, b"y" * 16384)
                data = server.h2.data_to_send()
            with connection._lock:  # as the reader or the delivery callback would
                connection._protocol.receive_data(data)
            gate.set()
    assert window_held(connection) == 0


class TimingOutStream(SyncMemoryStream):
    """Once armed, every write times out: a server that stopped reading."""

    armed = False

    def write(self, data: bytes, timeout: float | None) -> None:
        if self.armed:
            raise WriteTimeout("write timed out (in memory)")
        super().write(data, timeout)


def test_a_request_whose_headers_write_times_out_forgets_its_stream() -> None:
    """The sync twin of a cancellation between queueing HEADERS and writing them: the
    stream must not stay registered, holding the connection ACTIVE with nothing sent."""
    stream = TimingOutStream(MemoryH2Server())
    connection = SyncHTTP2Connection(ORIGIN, stream)
    connection.initialize(make_request(b"/"))
    stream.armed = True
    with pytest.raises(RemoteProtocolError, match="failed before a response"):
        connection.handle_request(make_request(b"/a", write=0.1))
    assert connection.info() == "HTTP/2, IDLE, 0 streams"
