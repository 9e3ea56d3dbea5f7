"""Whether a request may go again: only if its body can be sent again from the start.

A request refused unprocessed (an HTTP/2 ``REFUSED_STREAM``, a GOAWAY below its stream),
or lost with its connection, is sent again; a one-shot body that the first attempt
consumed would then go out empty or cut short, and the server would act on that. A body
may go again when it is absent, a ``PlainByteStream``, a stream whose ``can_replay()``
says so (httpx 0.16's streams do), or a one-shot stream of which nothing was taken yet or
which was taken whole and recorded on the way out (up to ``REPLAY_LIMIT`` bytes: the
chunks are kept by reference, so a body of bytes costs no copy).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from httpcore_interfaces import AsyncByteStream, SyncByteStream
from httpcore_streams import PlainByteStream

__all__ = ["REPLAY_LIMIT", "RecordedBody", "can_replay", "replayable"]

#: Bytes of a one-shot body kept so that it can go again.
REPLAY_LIMIT = 1024 * 1024


def replayable(stream: Any) -> Any:
    """``stream`` as it should be sent: as it is if it can go again by itself, else a
    ``RecordedBody`` around it."""
    if stream is None or isinstance(stream, PlainByteStream) or _says_it_can(stream):
        return stream
    return RecordedBody(stream)


def can_replay(stream: Any) -> bool:
    """Whether ``stream`` (as returned by ``replayable``) can be sent again from the start."""
    return not isinstance(stream, RecordedBody) or stream.can_replay()


def _says_it_can(stream: Any) -> bool:
    can = getattr(stream, "can_replay", None)
    return callable(can) and can() is True


class RecordedBody(AsyncByteStream, SyncByteStream):
    """A one-shot body, kept as it goes out so that it can go again."""

    __slots__ = ("_chunks", "_size", "_started", "_stream", "_whole")

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._chunks: list[bytes] | None = []  # None once past REPLAY_LIMIT
        self._size = 0
        self._started = False
        self._whole = False

    def can_replay(self) -> bool:
        return not self._started or self._whole

    def _record(self, chunk: Any) -> None:
        if self._chunks is None or not isinstance(chunk, bytes):
            return
        self._size += len(chunk)
        if self._size > REPLAY_LIMIT:
            self._chunks = None
        else:
            self._chunks.append(chunk)

    def _replay(self) -> list[bytes] | None:
        """The recorded chunks, if the body went out whole before; marks it started."""
        if self._whole:
            assert self._chunks is not None
            return self._chunks
        if self._started:
            raise RuntimeError("a one-shot request body cannot be sent twice")
        self._started = True
        return None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        recorded = self._replay()
        if recorded is not None:
            for chunk in recorded:
                yield chunk
            return
        iterator = self._stream.__aiter__()
        try:
            async for chunk in iterator:
                self._record(chunk)
                yield chunk
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()
        self._whole = self._chunks is not None

    def __iter__(self) -> Iterator[bytes]:
        recorded = self._replay()
        if recorded is not None:
            yield from recorded
            return
        iterator = iter(self._stream)
        try:
            for chunk in iterator:
                self._record(chunk)
                yield chunk
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        self._whole = self._chunks is not None
