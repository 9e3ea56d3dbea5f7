"""The sync backend's socket stream on its own, one thread at a time and shared (HTTP/2's
way): each operation keeps its own deadline."""

from __future__ import annotations

import socket

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
