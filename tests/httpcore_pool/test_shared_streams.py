"""One reader and one writer on one stream at once, as HTTP/2 uses a connection: neither
may block the other or leak its timeout into it. Found by review: a writer's
``settimeout()`` timed out a reader with no timeout, and a TLS-in-TLS reader queued behind
a writer blocked on a full transport."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time

import pytest

from httpcore_interfaces import ReadTimeout, WriteError, WriteTimeout
from httpcore_pool._backends._async.tls_in_tls import AsyncTLSInTLSStream
from httpcore_pool._backends._sync.tls_in_tls import SyncTLSInTLSStream
from httpcore_pool._backends.asyncio_backend import _open, _StreamProtocol
from httpcore_pool._backends.sync_backend import SyncSocketStream
from tests.servers.tls import TLSMaterial

#: More than any socket buffer holds: a writer of this much blocks until the peer reads.
BIG = 16 * 1024 * 1024


class FloodingServer:
    """A TLS server on a socketpair that sends ``BIG`` bytes at once and reads nothing
    until released, as a server whose own write is blocked stops reading."""

    def __init__(self, tls_material: TLSMaterial) -> None:
        self.client_sock, server_sock = socket.socketpair()
        context = tls_material.server_context(alpn=None)
        self.ready, self.release = threading.Event(), threading.Event()

        def serve() -> None:
            tls = context.wrap_socket(server_sock, server_side=True)
            self.ready.set()
            try:
                with contextlib.suppress(OSError):
                    tls.sendall(b"x" * BIG)
                    self.release.wait(20)
            finally:
                tls.close()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    def sync_tls_in_tls(self, tls_material: TLSMaterial) -> SyncTLSInTLSStream:
        """The client side: TLS in memory over a socket stream, shared as HTTP/2 does."""
        stream = SyncTLSInTLSStream.handshake(
            SyncSocketStream(self.client_sock), tls_material.client_context(), "localhost", 5.0
        )
        stream.share()
        self.ready.wait(5)
        return stream

    def stop(self) -> None:
        self.release.set()
        self.thread.join(10)


def test_read_without_timeout_is_not_timed_out_by_a_concurrent_writer(
    tls_material: TLSMaterial,
) -> None:
    a, b = socket.socketpair()
    ctx = tls_material.server_context(alpn=None)
    stop = threading.Event()

    def server() -> None:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
        b.settimeout(0.01)

        def pump_in() -> None:
            try:
                data = b.recv(65536)
            except TimeoutError:
                return
            if not data:
                stop.set()
            else:
                incoming.write(data)

        while not stop.is_set():
            try:
                tls.do_handshake()
                b.sendall(outgoing.read())
                break
            except ssl.SSLWantReadError:
                out = outgoing.read()
                if out:
                    b.sendall(out)
                pump_in()
        while not stop.is_set():
            pump_in()
            try:
                while tls.read(65536):
                    pass
            except ssl.SSLError:
                pass
            tls.write(b"z" * 100)
            record = outgoing.read()
            b.sendall(record[:3])  # a record in two pieces: SSL_read needs two recv()s
            time.sleep(0.003)
            b.sendall(record[3:])
        b.close()

    def safe_server() -> None:
        try:
            with contextlib.suppress(OSError):  # the client hung up first
                server()
        finally:
            b.close()

    t = threading.Thread(target=safe_server, daemon=True)
    t.start()
    stream = SyncSocketStream(a).start_tls(tls_material.client_context(), "localhost", 5.0)
    stream.share()  # as an HTTP/2 connection does
    errors: list[BaseException] = []

    def writer() -> None:
        while not stop.is_set():
            try:
                stream.write(b"w", 2.0)
            except Exception as exc:
                errors.append(exc)
                return
            time.sleep(0.0005)

    w = threading.Thread(target=writer, daemon=True)
    w.start()
    failure = None
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            stream.read(65536, None)
    except ReadTimeout as exc:
        failure = exc
    finally:
        stop.set()
        w.join(5)
        stream.close()
        t.join(5)
    assert failure is None, f"spurious {failure!r} (writer: {errors})"


def test_reader_is_not_blocked_by_a_writer_stuck_on_a_full_transport(
    tls_material: TLSMaterial,
) -> None:
    server = FloodingServer(tls_material)
    stream = server.sync_tls_in_tls(tls_material)

    write_result: list[object] = []

    def writer() -> None:
        try:
            stream.write(b"y" * BIG, 3.0)  # blocks: the server is not reading
            write_result.append("ok")
        except Exception as exc:  # WriteTimeout after 3 s
            write_result.append(exc)

    w = threading.Thread(target=writer, daemon=True)
    w.start()
    time.sleep(0.5)  # the writer now holds _send_lock, blocked in sendall
    started = time.monotonic()
    data = stream.read(65536, 10.0)  # data IS available from the server right now
    elapsed = time.monotonic() - started
    server.release.set()
    w.join(10)
    stream.close()
    server.stop()
    assert data
    assert elapsed < 1.0, f"read waited {elapsed:.1f}s for the blocked writer ({write_result})"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_async_reader_not_blocked_by_stuck_writer(tls_material: TLSMaterial) -> None:
    server = FloodingServer(tls_material)
    loop = asyncio.get_running_loop()
    connecting = loop.create_connection(_StreamProtocol, sock=server.client_sock)
    transport = await _open(connecting, "pair", 5)
    stream = await AsyncTLSInTLSStream.handshake(
        transport, tls_material.client_context(), "localhost", 5.0
    )

    async def writer() -> None:
        with contextlib.suppress(WriteTimeout):  # the server never reads it all
            await stream.write(b"y" * BIG, 3.0)

    task = asyncio.ensure_future(writer())
    await asyncio.sleep(0.5)
    started = time.monotonic()
    data = await stream.read(65536, 10.0)
    elapsed = time.monotonic() - started
    server.release.set()
    await task
    await stream.aclose()
    server.stop()
    assert data
    assert elapsed < 1.0, f"read waited {elapsed:.1f}s for the blocked writer"


def test_tls_in_tls_reader_never_sends_the_writers_records(tls_material: TLSMaterial) -> None:
    # The writer is preempted between encrypting and sending its records; a reader must
    # not pick them up and block on the full transport in its place.
    server = FloodingServer(tls_material)
    stream = server.sync_tls_in_tls(tls_material)
    real_flush = stream._flush
    writer_paused, resume_writer = threading.Event(), threading.Event()

    def flush(timeout: float | None) -> None:
        if threading.current_thread().name == "writer" and not writer_paused.is_set():
            writer_paused.set()
            resume_writer.wait(10)
        real_flush(timeout)

    stream._flush = flush  # type: ignore[method-assign]
    outcome: list[object] = []

    def writer() -> None:
        try:
            stream.write(b"y" * BIG, 3.0)
            outcome.append("ok")
        except (WriteTimeout, WriteError) as exc:  # the server never reads it all
            outcome.append(exc)

    thread_w = threading.Thread(target=writer, name="writer", daemon=True)
    thread_w.start()
    writer_paused.wait(5)
    started = time.monotonic()
    try:
        data = stream.read(65536, 3.0)
    finally:
        elapsed = time.monotonic() - started
        resume_writer.set()
        server.release.set()
        thread_w.join(10)
        stream.close()
        server.stop()
    assert data
    assert elapsed < 1.0, f"read waited {elapsed:.1f}s for the writer ({outcome})"
    assert outcome, "the writer did not finish"
    assert outcome[0] != "ok", "the writer's data never all went out, yet it said ok"
