"""A body held in memory, readable as a sync and as an async stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from httpcore_interfaces import AsyncByteStream, SyncByteStream

__all__ = ["PlainByteStream"]


class PlainByteStream(AsyncByteStream, SyncByteStream):
    """Yields ``content`` as one chunk on each iteration, so it can be sent again."""

    def __init__(self, content: bytes) -> None:
        if not isinstance(content, bytes):
            raise TypeError(f"content must be bytes, not {type(content).__name__}")
        self._content = content

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{len(self._content)} bytes]>"

    def __iter__(self) -> Iterator[bytes]:
        yield self._content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._content
