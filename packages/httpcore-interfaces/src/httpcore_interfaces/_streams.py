"""Byte-stream base classes: how request and response bodies cross the interface.

A stream is iterated once by its consumer and then closed. Closing is how a response
tells the transport that its connection may be reused or must be dropped, so consumers
close every stream they receive, read to the end or not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

__all__ = ["AsyncByteStream", "SyncByteStream"]


class AsyncByteStream:
    """A body read with ``async for``.

    Subclasses implement ``__aiter__`` and may override ``aclose``.
    """

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield the body as chunks of bytes."""
        raise NotImplementedError(f"{type(self).__name__} must implement __aiter__()")

    async def aclose(self) -> None:
        """Release what the stream holds; consumers call it once they are done."""


class SyncByteStream:
    """A body read with ``for``.

    Subclasses implement ``__iter__`` and may override ``close``.
    """

    def __iter__(self) -> Iterator[bytes]:
        """Yield the body as chunks of bytes."""
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__()")

    def close(self) -> None:
        """Release what the stream holds; consumers call it once they are done."""
