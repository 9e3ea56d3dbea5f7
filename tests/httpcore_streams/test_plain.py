from __future__ import annotations

import pytest

from httpcore_interfaces import AsyncByteStream, SyncByteStream
from httpcore_streams import PlainByteStream


def test_is_both_a_sync_and_an_async_stream() -> None:
    stream = PlainByteStream(b"123")
    assert isinstance(stream, SyncByteStream)
    assert isinstance(stream, AsyncByteStream)


@pytest.mark.parametrize("content", [b"123", b"", b"x" * 100_000])
def test_sync_iteration_yields_the_content_each_time(content: bytes) -> None:
    stream = PlainByteStream(content)
    assert list(stream) == [content]
    assert list(stream) == [content]
    stream.close()


@pytest.mark.anyio
async def test_async_iteration_yields_the_content_each_time() -> None:
    stream = PlainByteStream(content=b"abc")
    assert [chunk async for chunk in stream] == [b"abc"]
    assert [chunk async for chunk in stream] == [b"abc"]
    await stream.aclose()


@pytest.mark.parametrize("content", ["text", bytearray(b"x"), None, 1])
def test_content_must_be_bytes(content: object) -> None:
    with pytest.raises(TypeError, match=r"content must be bytes, not \w+"):
        PlainByteStream(content)  # type: ignore[arg-type]


def test_repr_shows_the_size() -> None:
    assert repr(PlainByteStream(b"12345")) == "<PlainByteStream [5 bytes]>"
