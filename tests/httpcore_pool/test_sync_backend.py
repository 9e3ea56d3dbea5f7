"""The sync backend's socket stream on its own, one thread at a time and shared (HTTP/2's
way): each operation keeps its own deadline."""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time

import pytest

from httpcore_interfaces import ConnectTimeout, ReadError, ReadTimeout, WriteTimeout
from httpcore_pool._backends.sync_backend import SyncSocketStream
from tests.servers.tls import TLSMaterial


@pytest.mark.parametrize("shared", [False, True])
def test_write_to_a_peer_that_does_not_read_times_out(shared: bool) -> None:
    ours, theirs = socket.socketpair()
    stream = SyncSocketStream(ours)
    if shared:
        stream.share()
    with theirs, pytest.raises(WriteTimeout, match=r"after 0\.2s"):
        stream.write(b"x" * (16 << 20), 0.2)
    stream.close()


@pytest.mark.parametrize("shared", [False, True])
def test_read_times_out_then_reads_what_arrives(shared: bool) -> None:
    ours, theirs = socket.socketpair()
    stream = SyncSocketStream(ours)
    if shared:
        stream.share()
    with theirs:
        with pytest.raises(ReadTimeout, match=r"after 0\.1s"):
            stream.read(100, 0.1)
        theirs.sendall(b"late")
        assert stream.read(100, 1.0) == b"late"
        theirs.shutdown(socket.SHUT_WR)
        assert stream.read(100, 1.0) == b""
    stream.close()


@pytest.mark.parametrize("shared", [False, True])
def test_a_closed_stream_reports_a_read_error(shared: bool) -> None:
    ours, theirs = socket.socketpair()
    stream = SyncSocketStream(ours)
    if shared:
        stream.share()
    stream.close()
    with theirs, pytest.raises(ReadError):
        stream.read(100, 1.0)


def test_tls_handshake_with_a_silent_peer_times_out_and_closes(tls_material: TLSMaterial) -> None:
    ours, theirs = socket.socketpair()
    with theirs, pytest.raises(ConnectTimeout, match="TLS handshake timed out"):
        SyncSocketStream(ours).start_tls(tls_material.client_context(), "localhost", 0.2)
    assert ours.fileno() == -1


def _tls_pair(tls_material: TLSMaterial) -> tuple[SyncSocketStream, ssl.SSLSocket]:
    """A client stream over TLS, and the server's end of it."""
    ours, theirs = socket.socketpair()
    server: list[ssl.SSLSocket] = []
    context = tls_material.server_context(alpn=None)
    thread = threading.Thread(
        target=lambda: server.append(context.wrap_socket(theirs, server_side=True))
    )
    thread.start()
    stream = SyncSocketStream(ours).start_tls(tls_material.client_context(), "localhost", 5.0)
    thread.join(5)
    assert isinstance(stream, SyncSocketStream)
    return stream, server[0]


@pytest.mark.parametrize("shared", [False, True])
def test_a_timeout_beyond_what_poll_takes_still_waits(shared: bool) -> None:
    # poll() takes at most 2**31 - 1 ms (24.8 days); longer timeouts are valid too.
    ours, theirs = socket.socketpair()
    stream = SyncSocketStream(ours)
    if shared:
        stream.share()
    timer = threading.Timer(0.2, lambda: theirs.sendall(b"ok"))
    timer.start()
    with theirs:
        assert stream.read(100, 30 * 86400.0) == b"ok"
    timer.join()
    stream.close()


def test_close_racing_a_wait_is_a_read_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another thread's close() lands between the wait's check of the socket and poll().
    ours, theirs = socket.socketpair()
    stream = SyncSocketStream(ours)
    stream.share()
    real_poll = select.poll

    def poll_after_close() -> select.poll:
        stream.close()
        return real_poll()

    monkeypatch.setattr(select, "poll", poll_after_close)
    with theirs, pytest.raises(ReadError):
        stream.read(100, 1.0)


@pytest.mark.parametrize("shared", [False, True])
def test_a_read_racing_close_never_gets_tls_records(
    tls_material: TLSMaterial, shared: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # close() is shutdown() then close(); a reader may run in between. SSLSocket's own
    # shutdown() drops the TLS state first, and recv() then returned raw records.
    stream, server = _tls_pair(tls_material)
    if shared:
        stream.share()
    with server:
        server.sendall(b"secret plaintext")
        time.sleep(0.1)
        with monkeypatch.context() as patch:
            patch.setattr(ssl.SSLSocket, "close", lambda self: None)  # the first half only
            stream.close()
        try:
            data = stream.read(65536, 1.0)
        except ReadError:
            data = None
        assert data in (None, b"", b"secret plaintext")
    stream.close()
