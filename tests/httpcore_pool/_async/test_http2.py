"""HTTP/2 in the async pool (and, generated, the sync pool): one connection, many
requests, and the server's rules and failures handled per stream."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest
from h2.errors import ErrorCodes

from httpcore_interfaces import (
    ConnectError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
)
from httpcore_pool import AsyncConnectionPool
from httpcore_streams import AsyncIteratorByteStream, PlainByteStream
from tests.helpers._async.exchange import one_shot, read_all
from tests.servers.base import Server
from tests.servers.fixtures import HypercornFactory
from tests.servers.h2server import H2Behaviour, H2ServerFactory
from tests.servers.tls import TLSMaterial


async def fetch(pool: AsyncConnectionPool, url: Any, **kwargs: Any) -> tuple[int, bytes, str]:
    status, _, stream, ext = await pool.arequest(kwargs.pop("method", b"GET"), url, **kwargs)
    return status, await read_all(stream), ext["http_version"]


@pytest.mark.anyio
async def test_http2_by_alpn_with_hypercorn(
    hypercorn_https: Server, h2_context: ssl.SSLContext
) -> None:
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        status, headers, stream, ext = await pool.arequest(b"GET", hypercorn_https.url("/"))
        assert await read_all(stream) == b"Hello, world!"
        assert (status, ext) == (200, {"http_version": "HTTP/2"})
        assert all(name == name.lower() for name, _ in headers)
        body = PlainByteStream(b"hello")
        assert await fetch(pool, hypercorn_https.url("/echo"), method=b"POST", stream=body) == (
            200,
            b"hello",
            "HTTP/2",
        )
        info = await pool.get_connection_info()
        assert info == {hypercorn_https.origin: ["HTTP/2, IDLE, 0 streams"]}


@pytest.mark.anyio
async def test_http2_offers_h2_on_the_callers_context(
    hypercorn_https: Server, tls_material: TLSMaterial
) -> None:
    # httpx 0.16 and 0.17 pass a context offering http/1.1 only and rely on this.
    context = tls_material.client_context(alpn=["http/1.1"])
    async with AsyncConnectionPool(http2=True, ssl_context=context) as pool:
        assert (await fetch(pool, hypercorn_https.url("/")))[2] == "HTTP/2"
    # Without http2=True, the caller's context is left exactly as it is.
    context = tls_material.client_context(alpn=["http/1.1"])
    async with AsyncConnectionPool(ssl_context=context) as pool:
        assert (await fetch(pool, hypercorn_https.url("/")))[2] == "HTTP/1.1"


@pytest.mark.anyio
async def test_server_without_h2_gets_http11(
    hypercorn_server: HypercornFactory, client_ssl_context: ssl.SSLContext
) -> None:
    server = hypercorn_server(tls=True, alpn=["http/1.1"])
    async with AsyncConnectionPool(http2=True, ssl_context=client_ssl_context) as pool:
        assert (await fetch(pool, server.url("/")))[2] == "HTTP/1.1"
        assert await pool.get_connection_info() == {server.origin: ["HTTP/1.1, IDLE"]}


@pytest.mark.anyio
async def test_authority_and_lowercase_names(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()
    headers = [(b"Host", b"example.org"), (b"X-Mixed", b"1"), (b"Connection", b"keep-alive")]
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        assert (await fetch(pool, server.url("/"), headers=headers))[0] == 200
    request = server.requests[0]
    assert request.authority == b"example.org"
    assert (b"x-mixed", b"1") in request.headers
    assert all(name != b"connection" for name, _ in request.headers)


@pytest.mark.anyio
async def test_reset_stream_fails_only_its_own_request(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server(H2Behaviour(reset_paths={"/reset"}, reset_code=ErrorCodes.INTERNAL_ERROR))
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with pytest.raises(RemoteProtocolError, match="reset by the server"):
            await fetch(pool, server.url("/reset"))
        assert (await fetch(pool, server.url("/")))[:2] == (200, b"Hello, world!")
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_an_early_answer_and_reset_stop_the_upload_and_are_returned(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server(H2Behaviour(answer_early_paths={"/early"}))
    sent = []

    async def produce() -> AsyncIterator[bytes]:
        for _ in range(100):  # 6.4 MB: more than the server's window lets through unread
            sent.append(1)
            yield b"x" * 65536

    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        status, body, _ = await fetch(
            pool, server.url("/early"), method=b"POST", stream=AsyncIteratorByteStream(produce())
        )
        assert (status, body) == (200, b"early")
        assert len(sent) < 100  # the upload stopped once the stream was closed
        assert (await fetch(pool, server.url("/")))[:2] == (200, b"Hello, world!")
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_refused_streams_are_retried_then_reported(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server(H2Behaviour(reset_paths={"/refuse"}))  # REFUSED_STREAM
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with pytest.raises(RemoteProtocolError, match="refused"):
            await fetch(pool, server.url("/refuse"))
    assert server.stats.streams_received == 11  # the request and its ten retries


@pytest.mark.anyio
async def test_goaway_streams_above_the_last_id_are_retried(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server(H2Behaviour(goaway_after=2))
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        for _ in range(5):
            assert (await fetch(pool, server.url("/")))[:2] == (200, b"Hello, world!")
    assert server.stats.connections >= 2


@pytest.mark.anyio
async def test_upload_through_small_windows(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server(H2Behaviour(initial_window_size=16384, connection_window_stays_small=True))
    size = 100 * 1024 * 1024

    async def produce() -> AsyncIterator[bytes]:
        chunk = b"x" * 65536
        for _ in range(size // 65536):
            yield chunk

    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        status, _, stream, _ = await pool.arequest(
            b"POST",
            server.url("/echo"),
            headers=[(b"content-length", str(size).encode())],
            stream=AsyncIteratorByteStream(produce()),
        )
        await stream.aclose()
    assert status == 200
    assert server.stats.request_body_bytes == size


@pytest.mark.anyio
async def test_read_timeout_fails_only_its_stream(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with pytest.raises(ReadTimeout):
            await fetch(pool, server.url("/slow?delay=1"), ext={"timeout": {"read": 0.2}})
        assert (await fetch(pool, server.url("/")))[:2] == (200, b"Hello, world!")
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_an_unread_response_does_not_stall_the_others(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        _, _, unread, _ = await pool.arequest(b"GET", server.url("/bytes?size=4000000"))
        for _ in range(3):
            assert (await fetch(pool, server.url("/bytes?size=100000")))[0] == 200
        assert len(await read_all(unread)) == 4000000
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_early_close_resets_the_stream_and_keeps_the_connection(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # More than the stream window (4 MiB): the server cannot have sent the whole body
    # and ended its side before our reset arrives, which it would then not count.
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        _, _, stream, _ = await pool.arequest(b"GET", server.url("/bytes?size=20000000"))
        async for _chunk in stream:
            break
        await stream.aclose()
        assert (await fetch(pool, server.url("/")))[0] == 200
        info = await pool.get_connection_info()
    assert server.stats.connections == 1
    assert list(info.values()) == [["HTTP/2, IDLE, 0 streams"]]
    server.wait_for(lambda server: server.stats.resets_received == 1)


@pytest.mark.anyio
async def test_garbage_frames_fail_the_connection_and_the_pool_moves_on(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    broken = h2_server(H2Behaviour(garbage_after_headers=True, tolerate_protocol_errors=True))
    healthy = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with pytest.raises(RemoteProtocolError):
            await fetch(pool, broken.url("/"), ext={"timeout": {"read": 5}})
        assert await pool.get_connection_info() == {}
        assert (await fetch(pool, healthy.url("/")))[0] == 200


@pytest.mark.anyio
async def test_connection_info_counts_open_streams(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        _, _, first, _ = await pool.arequest(b"GET", server.url("/bytes?size=100000"))
        _, _, second, _ = await pool.arequest(b"GET", server.url("/bytes?size=100000"))
        info = await pool.get_connection_info()
        assert list(info.values()) == [["HTTP/2, ACTIVE, 2 streams"]]
        await read_all(first)
        await read_all(second)


@pytest.mark.anyio
async def test_body_chunks_must_be_bytes(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()

    async def produce() -> AsyncIterator[Any]:
        yield "text"

    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with pytest.raises(TypeError, match="request body chunks must be bytes, not str"):
            await pool.arequest(
                b"POST", server.url("/echo"), stream=AsyncIteratorByteStream(produce())
            )
        assert (await fetch(pool, server.url("/")))[0] == 200


@pytest.mark.anyio
async def test_server_gone_mid_request(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        assert (await fetch(pool, server.url("/")))[0] == 200
        _, _, stream, _ = await pool.arequest(b"GET", server.url("/bytes?size=3000000"))
        server.stop()
        with pytest.raises((RemoteProtocolError, ReadError)):
            await read_all(stream)
        with pytest.raises(ConnectError):
            await fetch(pool, server.url("/"))
        assert await pool.get_connection_info() == {}


@pytest.mark.anyio
async def test_responses_closed_unfinished_give_their_window_back(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # 24 bodies of 1 MB read but closed before their end: without crediting the bytes
    # back, the 16 MiB connection window would run dry and the next response stall.
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        for _ in range(24):
            _, _, stream, _ = await pool.arequest(b"GET", server.url("/bytes?size=1000000"))
            received = 0
            async for chunk in stream:
                received += len(chunk)
                if received >= 1000000:
                    break
            await stream.aclose()
        ext = {"timeout": {"read": 5}}
        assert (await fetch(pool, server.url("/bytes?size=2000000"), ext=ext))[0] == 200
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_trace_reports_each_http2_step(
    hypercorn_https: Server, h2_context: ssl.SSLContext
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []

    def trace(event: str, info: dict[str, Any]) -> None:
        events.append((event, info))

    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        status, _, stream, _ = await pool.arequest(
            b"GET", hypercorn_https.url("/"), ext={"trace": trace}
        )
        assert (status, await read_all(stream)) == (200, b"Hello, world!")
        _, _, early, _ = await pool.arequest(
            b"GET", hypercorn_https.url("/bytes?size=300000"), ext={"trace": trace}
        )
        async for _chunk in early:
            break
        await early.aclose()
    names = [name for name, _ in events]
    assert names[:4] == [
        "connection.connect_tcp.started",
        "connection.connect_tcp.complete",
        "connection.start_tls.started",
        "connection.start_tls.complete",
    ]
    first = names[: names.index("http2.response_closed.complete") + 1]
    assert first[4:] == [
        "http2.send_request_headers.started",
        "http2.send_request_headers.complete",
        "http2.send_request_body.started",
        "http2.send_request_body.complete",
        "http2.receive_response_headers.started",
        "http2.receive_response_headers.complete",
        "http2.receive_response_body.started",
        "http2.receive_response_body.complete",
        "http2.response_closed.started",
        "http2.response_closed.complete",
    ]
    bodies = [info for name, info in events if name == "http2.receive_response_body.complete"]
    assert [info.get("closed_early", False) for info in bodies] == [False, True]


@pytest.mark.anyio
async def test_a_ping_mid_connection_is_acknowledged(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # The server answers /ping only once its PING is acknowledged: with nobody reading
    # for the connection between requests (asyncio delivers to it), the acknowledgement
    # must still go out.
    server = h2_server(H2Behaviour(ping_paths={"/ping"}))
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        assert (await fetch(pool, server.url("/")))[0] == 200
        for _ in range(3):
            status, body, _ = await fetch(pool, server.url("/ping"), ext={"timeout": {"read": 5}})
            assert (status, body) == (200, b"Hello, world!")
    assert server.stats.pings_sent == server.stats.ping_acks_received == 3
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_a_connection_reset_fails_its_requests_and_the_pool_moves_on(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server(H2Behaviour(abort_paths={"/abort"}))
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        assert (await fetch(pool, server.url("/")))[0] == 200
        # Not idempotent: not retried elsewhere, so the connection's error shows (a write
        # may meet the reset first, and the read then the end of the stream).
        with pytest.raises((ReadError, RemoteProtocolError)):
            await fetch(pool, server.url("/abort"), method=b"POST", ext={"timeout": {"read": 5}})
        assert await pool.get_connection_info() == {}
        assert (await fetch(pool, server.url("/")))[0] == 200
    assert server.stats.connections == 2


@pytest.mark.anyio
async def test_a_malformed_response_fails_only_its_own_request(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # An uppercase field name makes a response malformed (RFC 9113 §8.2.1): a stream
    # error, so the request fails and the connection carries on.
    server = h2_server(H2Behaviour(malformed_paths={"/malformed"}))
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        assert (await fetch(pool, server.url("/")))[0] == 200
        with pytest.raises(RemoteProtocolError, match=r"Malformed response.*X-Uppercase"):
            await fetch(pool, server.url("/malformed"), ext={"timeout": {"read": 5}})
        assert (await fetch(pool, server.url("/")))[0] == 200
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_te_other_than_trailers_is_not_sent_over_http2(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server()
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        for te in (b"gzip", b"trailers"):
            url = server.url("/")
            assert (await fetch(pool, url, headers=[(b"TE", te)]))[0] == 200
    sent = [request.header(b"te") for request in server.requests]
    assert sent == [None, b"trailers"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (
            H2Behaviour(conflicting_length_paths={"/bad"}, tolerate_protocol_errors=True),
            r"Conflicting content-length headers: (\d+) and (?!\1)\d+",
        ),
        (
            H2Behaviour(signed_length_paths={"/bad"}, tolerate_protocol_errors=True),
            r"Invalid content-length header: b'\+\d+'",
        ),
    ],
    ids=["conflicting", "signed"],
)
async def test_a_request_whose_connection_fails_before_any_answer_goes_once_more(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext, behaviour: H2Behaviour, message: str
) -> None:
    # An unusable content-length is an error of the whole connection, whichever h2 is
    # installed (h2 3.2 to 4.2 took the first value, and read "+9" as 9), so the request looks
    # like one lost with its connection: it goes once more, on a new connection, and
    # then fails; it does not open connection after connection.
    server = h2_server(behaviour)
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with pytest.raises(RemoteProtocolError, match=message):
            await fetch(pool, server.url("/bad"), ext={"timeout": {"read": 5}})
        assert (await fetch(pool, server.url("/")))[0] == 200
    assert server.stats.connections == 3  # the request twice, then the next one


@pytest.mark.anyio
@pytest.mark.parametrize(
    "behaviour",
    [
        H2Behaviour(conflicting_length_paths={"/bytes"}),
        H2Behaviour(signed_length_paths={"/bytes"}),
    ],
    ids=["conflicting", "signed"],
)
async def test_the_content_length_of_a_head_response_is_not_checked(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext, behaviour: H2Behaviour
) -> None:
    # As in every h2: a HEAD response's Content-Length describes a body never sent.
    server = h2_server(behaviour)
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        assert await fetch(pool, server.url("/bytes?size=0"), method=b"HEAD") == (
            200,
            b"",
            "HTTP/2",
        )
        assert (await fetch(pool, server.url("/")))[0] == 200
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_a_refused_one_shot_body_goes_again_whole_or_not_at_all(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # The server refuses each path's first stream once the whole body arrived. A small
    # one-shot body was kept as it went out and goes again whole; a large one cannot go
    # again, and the request fails rather than resend it emptied.
    server = h2_server(H2Behaviour(refuse_once_paths={"/echo"}))
    small = b"0123456789" * 1000
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        echoed = await fetch(pool, server.url("/echo"), method=b"POST", stream=one_shot(small))
        assert echoed[:2] == (200, small)
    assert [r.body_length for r in server.requests] == [len(small), len(small)]

    server = h2_server(H2Behaviour(refuse_once_paths={"/echo"}))
    large = b"x" * (3 * 1024 * 1024)
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with pytest.raises(RemoteProtocolError, match="refused"):
            await fetch(pool, server.url("/echo"), method=b"POST", stream=one_shot(large))
        assert (await fetch(pool, server.url("/")))[:2] == (200, b"Hello, world!")
    assert [r.body_length for r in server.requests if r.method == b"POST"] == [len(large)]


@pytest.mark.anyio
async def test_a_refused_plain_body_goes_again(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server(H2Behaviour(refuse_once_paths={"/echo"}))
    body = b"y" * (3 * 1024 * 1024)
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        echoed = await fetch(
            pool, server.url("/echo"), method=b"POST", stream=PlainByteStream(body)
        )
    assert echoed[:2] == (200, body)


@pytest.mark.anyio
async def test_requests_lost_to_a_recycling_server_go_again(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # Like hypercorn recycling a connection: GOAWAY, then nothing more, then the close.
    # The request is lost twice; the server was going away each time, so it goes again.
    server = h2_server(
        H2Behaviour(goaway_after=1, goaway_connections={0, 1}, abandon_on_goaway=True)
    )
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        assert (await fetch(pool, server.url("/")))[:2] == (200, b"Hello, world!")
    assert server.stats.connections == 3


@pytest.mark.anyio
async def test_a_lost_request_with_a_spent_body_is_not_sent_again(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    server = h2_server(H2Behaviour(goaway_after=1, goaway_connections={0}, abandon_on_goaway=True))
    large = b"z" * (3 * 1024 * 1024)
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with pytest.raises(RemoteProtocolError, match="disconnected"):
            await fetch(pool, server.url("/echo"), method=b"PUT", stream=one_shot(large))
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_a_graceful_goaway_teaches_no_stream_limit(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # A reload: one stream answered, then GOAWAY naming it. The next connection must
    # still carry many requests at once, not one each.
    server = h2_server(H2Behaviour(goaway_after=1, goaway_connections={0}))
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        assert (await fetch(pool, server.url("/")))[0] == 200
        for _ in range(3):
            assert (await fetch(pool, server.url("/")))[0] == 200
    assert server.stats.connections == 2


@pytest.mark.anyio
async def test_a_large_response_left_unread_does_not_stall_the_others(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # The unread response may fill its own stream window, not the connection's.
    server = h2_server()
    size = 24 * 1024 * 1024
    read = {"timeout": {"read": 10}}
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        _, _, unread, _ = await pool.arequest(b"GET", server.url(f"/bytes?size={size}"), ext=read)
        iterator = unread.__aiter__()
        first = await iterator.__anext__()
        for _ in range(5):
            status, body, _ = await fetch(pool, server.url("/bytes?size=1048576"), ext=read)
            assert (status, len(body)) == (200, 1048576)
        rest = [chunk async for chunk in iterator]
        await unread.aclose()
        assert len(first) + sum(map(len, rest)) == size
    assert server.stats.connections == 1


@pytest.mark.anyio
async def test_a_goaway_with_an_error_is_no_recycling(
    h2_server: H2ServerFactory, h2_context: ssl.SSLContext
) -> None:
    # GOAWAY(ENHANCE_YOUR_CALM), then silence, then the close, on every connection: the
    # server asks us to back off, so the lost request goes once more, not a hundred times.
    server = h2_server(
        H2Behaviour(
            goaway_after=1, goaway_code=ErrorCodes.ENHANCE_YOUR_CALM, abandon_on_goaway=True
        )
    )
    async with AsyncConnectionPool(http2=True, ssl_context=h2_context) as pool:
        with pytest.raises(RemoteProtocolError, match="disconnected"):
            await fetch(pool, server.url("/"))
    assert server.stats.connections == 2
