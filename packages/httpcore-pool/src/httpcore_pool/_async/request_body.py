"""A request body as the connections send it: chunk by chunk, bytes only, and always
closed, since a generator left suspended by an error would otherwise be finalized by the
garbage collector, outside any event loop."""

from __future__ import annotations

from typing import Any

from .._synchronization import AsyncShieldCancellation

__all__ = ["AsyncRequestBody"]


class AsyncRequestBody:
    __slots__ = ("_iterator",)

    def __init__(self, stream: Any) -> None:
        self._iterator = stream.__aiter__()

    def __aiter__(self) -> AsyncRequestBody:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._iterator.__anext__()
        if not isinstance(chunk, bytes):
            raise TypeError(f"request body chunks must be bytes, not {type(chunk).__name__}")
        return chunk

    async def aclose(self) -> None:
        close = getattr(self._iterator, "aclose", None)
        if close is not None:
            with AsyncShieldCancellation():
                await close()
