"""Bodies produced by a caller's (async) iterator, with an optional close callback.

The callback is how a producer learns that its consumer is done, so it must run exactly
once even when close is called again, from a ``finally`` and from a context exit alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator

from httpcore_interfaces import AsyncByteStream, SyncByteStream

__all__ = ["AsyncIteratorByteStream", "IteratorByteStream"]


class AsyncIteratorByteStream(AsyncByteStream):
    """Yields the chunks of ``aiterator``; ``aclose()`` awaits ``aclose_func`` at most once."""

    def __init__(
        self,
        aiterator: AsyncIterable[bytes],
        aclose_func: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if not hasattr(aiterator, "__aiter__"):
            raise TypeError(
                f"aiterator must be an async iterable of bytes, not {type(aiterator).__name__}"
            )
        if aclose_func is not None and not callable(aclose_func):
            raise TypeError(f"aclose_func must be callable, not {type(aclose_func).__name__}")
        self._aiterator = aiterator
        self._aclose_func = aclose_func

    def __aiter__(self) -> AsyncIterator[bytes]:
        # The caller's own iterator, not a generator around it: whoever stops reading
        # early can close it directly.
        return self._aiterator.__aiter__()

    async def aclose(self) -> None:
        aclose_func, self._aclose_func = self._aclose_func, None
        if aclose_func is not None:
            await aclose_func()


class IteratorByteStream(SyncByteStream):
    """Yields the chunks of ``iterator``; ``close()`` calls ``close_func`` at most once."""

    def __init__(
        self,
        iterator: Iterable[bytes],
        close_func: Callable[[], None] | None = None,
    ) -> None:
        if not hasattr(iterator, "__iter__"):
            raise TypeError(f"iterator must be an iterable of bytes, not {type(iterator).__name__}")
        if close_func is not None and not callable(close_func):
            raise TypeError(f"close_func must be callable, not {type(close_func).__name__}")
        self._iterator = iterator
        self._close_func = close_func

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._iterator)

    def close(self) -> None:
        close_func, self._close_func = self._close_func, None
        if close_func is not None:
            close_func()
