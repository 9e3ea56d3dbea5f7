"""HTTP/1.1 framing faults through the pool, from raw-socket servers that commit them.

``scripts/unasync.py`` generates the sync twin of this file in ``../_sync/``.
"""

from __future__ import annotations

import pytest

from httpcore_interfaces import RemoteProtocolError
from httpcore_pool import AsyncConnectionPool
from tests.helpers._async.exchange import connection_states, fetch
from tests.servers.raw import KeepAlive, RawServerFactory, SwitchingProtocols

FRAMED_BOTH_WAYS = (
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"b\r\nhello world\r\n0\r\n\r\n"
)


@pytest.mark.anyio
async def test_a_response_framed_both_ways_is_read_chunked_and_its_connection_closed(
    raw_server: RawServerFactory,
) -> None:
    """RFC 9112 §6.3: Content-Length with Transfer-Encoding may be a smuggling attempt,
    so nothing after it on the connection can be trusted."""
    handler = KeepAlive(response=FRAMED_BOTH_WAYS)
    server = raw_server(handler)
    async with AsyncConnectionPool() as pool:
        for _ in range(2):
            status, _, body, _ = await fetch(pool, server.url())
            assert (status, body) == (200, b"hello world")
            assert await pool.get_connection_info() == {}
    assert (handler.connections, handler.requests) == (2, 2)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "lengths",
    [b"Content-Length: 5\r\ncontent-length: 5\r\n", b"Content-Length: 5, 5\r\n"],
    ids=["repeated", "listed"],
)
async def test_identical_content_lengths_come_back_as_one_header(
    raw_server: RawServerFactory, lengths: bytes
) -> None:
    """As h11 gave them: httpx users ``int()`` the value."""
    server = raw_server(KeepAlive(response=b"HTTP/1.1 200 OK\r\n" + lengths + b"\r\nhello"))
    async with AsyncConnectionPool() as pool:
        status, headers, body, _ = await fetch(pool, server.url())
        assert (status, headers, body) == (200, [(b"Content-Length", b"5")], b"hello")
        assert await connection_states(pool) == ["HTTP/1.1, IDLE"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([], "no upgrade was asked for"),
        ([(b"Connection", b"Upgrade"), (b"Upgrade", b"websocket")], "not supported"),
    ],
    ids=["not-asked", "asked"],
)
async def test_a_101_answer_fails_saying_whether_an_upgrade_was_asked_for(
    raw_server: RawServerFactory, headers: list[tuple[bytes, bytes]], message: str
) -> None:
    server = raw_server(SwitchingProtocols())
    async with AsyncConnectionPool() as pool:
        with pytest.raises(RemoteProtocolError, match=message):
            await pool.arequest(b"GET", server.url(), headers=headers, ext={"timeout": {"read": 5}})
        assert await pool.get_connection_info() == {}
