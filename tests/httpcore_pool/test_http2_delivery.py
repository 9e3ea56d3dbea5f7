"""HTTP/2 on asyncio, where the stream delivers what arrives to the connection (no task
reads): what must still hold back the server."""

from __future__ import annotations

import socket
import threading

import anyio
import h2.config
import h2.connection
import pytest

from httpcore_pool._async.http2 import AsyncHTTP2Connection
from httpcore_pool._backends.asyncio_backend import open_asyncio_tcp_stream
from tests.helpers.h2_memory import make_request

PING = b"\x00\x00\x08\x06\x00\x00\x00\x00\x00" + b"12345678"  # a PING frame, stream 0


def flood_with_pings(listener: socket.socket, count: int, done: threading.Event) -> None:
    """Open the connection, then send ``count`` PINGs and never read again."""
    sock, _ = listener.accept()
    with sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        server.initiate_connection()
        sock.sendall(server.data_to_send())
        sock.settimeout(5)
        server.receive_data(sock.recv(65536))  # the client's preface and SETTINGS
        sock.sendall(server.data_to_send())  # their acknowledgement
        sock.sendall(PING * count)
        done.wait(10)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_acknowledgements_do_not_pile_up_while_the_server_reads_nothing() -> None:
    # 200,000 PINGs (3.4 MB) from a server that reads nothing: the acknowledgements must
    # not all wait in our write buffer; reading stops until the server reads again.
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        done = threading.Event()
        thread = threading.Thread(target=flood_with_pings, args=(listener, 200_000, done))
        thread.start()
        try:
            stream = await open_asyncio_tcp_stream("127.0.0.1", listener.getsockname()[1], 5, None)
            transport = stream._transport  # type: ignore[attr-defined]
            transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            connection = AsyncHTTP2Connection((b"http", b"127.0.0.1", 80), stream)
            try:
                await connection.initialize(make_request(b"/"))
                await anyio.sleep(1.5)  # the flood arrives
                assert transport.get_write_buffer_size() < 1024 * 1024
            finally:
                await connection.aclose()
        finally:
            done.set()
            thread.join(10)
