"""A response body as both connections hand it out, read chunk by chunk."""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from httpcore_interfaces import AsyncByteStream

from .._models import Request
from .._trace import BodyTrace

__all__ = ["AsyncResponseStream"]


class AsyncResponseStream(AsyncByteStream):
    """Its own iterator, so no generator is left to the garbage collector when a caller
    stops reading early; traced from the first read to its end, a failure, or an early
    close. A connection gives how a chunk is read (``receive(*receive_args)``: the next
    chunk, None at the end) and what closing does (``_release``)."""

    __slots__ = ("_closed", "_ended", "_receive", "_receive_args", "_request", "_trace")

    def __init__(
        self,
        request: Request,
        trace_name: str,
        logger: logging.Logger,
        receive: Callable[..., Awaitable[bytes | None]],
        *receive_args: Any,
    ) -> None:
        self._request = request
        self._receive = receive  # with its arguments, not a wrapper: no extra coroutine
        self._receive_args = receive_args
        self._closed = False
        self._ended = False
        self._trace = BodyTrace(trace_name, logger, request.trace)

    def __aiter__(self) -> AsyncResponseStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed or self._ended:
            raise StopAsyncIteration
        self._trace.reading()
        try:
            chunk = await self._receive(*self._receive_args)
        except BaseException as exc:
            self._trace.ended(exc)
            await self.aclose()
            raise
        if chunk is None:
            self._ended = True
            self._trace.ended()
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._trace.closed()
            await self._release()

    @abstractmethod
    async def _release(self) -> None:
        """The response is over, read whole (``self._ended``) or not: give the
        connection back, or what of it this response held."""
