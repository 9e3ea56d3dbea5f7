from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from httpcore_interfaces import AsyncByteStream, SyncByteStream
from httpcore_streams import AsyncIteratorByteStream, IteratorByteStream


async def produce() -> AsyncIterator[bytes]:
    yield b"Hello, "
    yield b"world!"


def generate() -> Iterator[bytes]:
    yield b"Hello, "
    yield b"world!"


@pytest.mark.anyio
async def test_async_stream_yields_the_iterator_chunks() -> None:
    stream = AsyncIteratorByteStream(produce())
    assert isinstance(stream, AsyncByteStream)
    assert [chunk async for chunk in stream] == [b"Hello, ", b"world!"]
    await stream.aclose()


@pytest.mark.anyio
async def test_async_stream_accepts_keywords_and_closes_once() -> None:
    calls: list[str] = []

    async def on_close() -> None:
        calls.append("closed")

    stream = AsyncIteratorByteStream(aiterator=produce(), aclose_func=on_close)
    assert b"".join([chunk async for chunk in stream]) == b"Hello, world!"
    await stream.aclose()
    await stream.aclose()
    assert calls == ["closed"]


@pytest.mark.anyio
async def test_async_stream_positional_close_function() -> None:
    calls: list[str] = []

    async def on_close() -> None:
        calls.append("closed")

    stream = AsyncIteratorByteStream(produce(), on_close)
    await stream.aclose()
    assert calls == ["closed"]


@pytest.mark.anyio
async def test_async_stream_errors_from_the_producer_propagate() -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ValueError("producer failed")

    stream = AsyncIteratorByteStream(failing())
    with pytest.raises(ValueError, match="producer failed"):
        [chunk async for chunk in stream]


def test_sync_stream_yields_the_iterator_chunks() -> None:
    stream = IteratorByteStream(generate())
    assert isinstance(stream, SyncByteStream)
    assert list(stream) == [b"Hello, ", b"world!"]
    stream.close()


def test_sync_stream_accepts_keywords_and_closes_once() -> None:
    calls: list[str] = []
    stream = IteratorByteStream(iterator=iter([b"a", b"b"]), close_func=lambda: calls.append("x"))
    assert b"".join(stream) == b"ab"
    stream.close()
    stream.close()
    assert calls == ["x"]


def test_sync_stream_positional_close_function() -> None:
    calls: list[str] = []
    stream = IteratorByteStream([b"a"], lambda: calls.append("x"))
    stream.close()
    assert calls == ["x"]


def test_sync_stream_accepts_any_iterable() -> None:
    stream = IteratorByteStream([b"a", b"b"])
    assert list(stream) == [b"a", b"b"]


def test_wrong_argument_types_name_the_argument() -> None:
    with pytest.raises(TypeError, match="aiterator must be an async iterable of bytes, not list"):
        AsyncIteratorByteStream([b"x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="aclose_func must be callable, not str"):
        AsyncIteratorByteStream(produce(), "nope")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iterator must be an iterable of bytes, not int"):
        IteratorByteStream(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="close_func must be callable, not int"):
        IteratorByteStream([b"x"], 3)  # type: ignore[arg-type]
