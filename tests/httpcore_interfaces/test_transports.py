from __future__ import annotations

import inspect
from typing import Any

import pytest

from httpcore_interfaces import (
    AsyncByteStream,
    AsyncHTTPTransport,
    SyncByteStream,
    SyncHTTPTransport,
)


class RecordingTransport(AsyncHTTPTransport, SyncHTTPTransport):
    """Both bases at once, as the seed allows; counts how often each close ran."""

    def __init__(self) -> None:
        self.closed = 0
        self.aclosed = 0

    def close(self) -> None:
        self.closed += 1

    async def aclose(self) -> None:
        self.aclosed += 1


def test_request_signatures_match_the_seed() -> None:
    for method in (AsyncHTTPTransport.arequest, SyncHTTPTransport.request):
        parameters = inspect.signature(method).parameters
        assert list(parameters) == ["self", "method", "url", "headers", "stream", "ext"]
        assert [p.default for p in list(parameters.values())[3:]] == [None, None, None]
    assert inspect.iscoroutinefunction(AsyncHTTPTransport.arequest)
    assert inspect.iscoroutinefunction(AsyncHTTPTransport.aclose)
    assert not inspect.iscoroutinefunction(SyncHTTPTransport.request)


def test_sync_request_must_be_implemented() -> None:
    with pytest.raises(NotImplementedError, match="SyncHTTPTransport must implement request"):
        SyncHTTPTransport().request(b"GET", (b"http", b"example.org", None, b"/"))


@pytest.mark.anyio
async def test_async_request_must_be_implemented() -> None:
    with pytest.raises(NotImplementedError, match="must implement arequest"):
        await AsyncHTTPTransport().arequest(b"GET", (b"http", b"example.org", None, b"/"))


def test_base_close_does_nothing_and_can_repeat() -> None:
    transport = SyncHTTPTransport()
    transport.close()
    transport.close()


def test_sync_context_manager_returns_self_and_closes() -> None:
    transport = RecordingTransport()
    with transport as entered:
        assert entered is transport
    assert (transport.closed, transport.aclosed) == (1, 0)


def test_sync_context_manager_closes_on_error() -> None:
    transport = RecordingTransport()
    with pytest.raises(RuntimeError), transport:
        raise RuntimeError("boom")
    assert transport.closed == 1


@pytest.mark.anyio
async def test_async_context_manager_returns_self_and_acloses() -> None:
    transport = RecordingTransport()
    async with transport as entered:
        assert entered is transport
    assert (transport.closed, transport.aclosed) == (0, 1)


@pytest.mark.anyio
async def test_async_context_manager_acloses_on_error() -> None:
    transport = RecordingTransport()
    with pytest.raises(RuntimeError):
        async with transport:
            raise RuntimeError("boom")
    assert transport.aclosed == 1


@pytest.mark.anyio
async def test_base_stream_aclose_is_a_no_op() -> None:
    await AsyncByteStream().aclose()
    SyncByteStream().close()


def test_base_streams_must_be_implemented() -> None:
    with pytest.raises(NotImplementedError, match="SyncByteStream must implement __iter__"):
        iter(SyncByteStream())
    with pytest.raises(NotImplementedError, match="AsyncByteStream must implement __aiter__"):
        AsyncByteStream().__aiter__()


def test_subclass_names_itself_in_the_error() -> None:
    class Incomplete(SyncByteStream):
        pass

    with pytest.raises(NotImplementedError, match="Incomplete must implement"):
        list(Incomplete())


def test_types_are_usable_in_annotations() -> None:
    from httpcore_interfaces import URL, Headers, Origin, TimeoutDict

    url: URL = (b"https", b"example.org", None, b"/")
    headers: Headers = [(b"Host", b"example.org")]
    origin: Origin = (b"https", b"example.org", 443)
    timeout: TimeoutDict = {"connect": 5.0, "read": None}
    values: list[Any] = [url, headers, origin, timeout]
    assert len(values) == 4
