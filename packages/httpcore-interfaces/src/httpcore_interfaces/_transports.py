"""Transport base classes: the one call every HTTP transport answers.

A transport takes a request as plain values (method, URL tuple, header list, body stream,
``ext``) and returns ``(status_code, headers, stream, ext)``. Sync and async bases have no
state and no ``__init__``, so one class may inherit both.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar

from ._streams import AsyncByteStream, SyncByteStream
from ._types import URL, Headers

__all__ = ["AsyncHTTPTransport", "SyncHTTPTransport"]

_AsyncSelf = TypeVar("_AsyncSelf", bound="AsyncHTTPTransport")
_SyncSelf = TypeVar("_SyncSelf", bound="SyncHTTPTransport")


class AsyncHTTPTransport:
    """Sends HTTP requests; subclasses implement ``arequest`` and may override ``aclose``."""

    async def arequest(
        self,
        method: bytes,
        url: URL,
        headers: Headers | None = None,
        stream: AsyncByteStream | None = None,
        ext: dict[str, Any] | None = None,
    ) -> tuple[int, Headers, AsyncByteStream, dict[str, Any]]:
        """Send one request and return ``(status_code, headers, stream, ext)``.

        The caller must close the returned stream. Failures are raised as the exceptions
        of this package.

        Args:
            method: The request method, such as ``b"GET"``.
            url: ``(scheme, host, port, target)``: bytes but the port, an ``int`` or
                ``None`` for the scheme's default; the target holds path and query.
            headers: ``(name, value)`` byte pairs, sent in this order and casing.
            stream: The request body, an async iterable of bytes; ``None``: no body.
            ext: Optional extensions. ``ext["timeout"]`` maps ``"connect"``, ``"read"``,
                ``"write"`` and ``"pool"`` to seconds or ``None`` (no limit); unknown keys
                are ignored.

        Returns:
            The status code (``200``), the response headers as byte pairs, the body
                stream (read it, then ``aclose()``) and the response ``ext``:
                ``{"http_version": "HTTP/1.1", "reason": "OK"}`` or
                ``{"http_version": "HTTP/2"}``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement arequest()")

    async def aclose(self) -> None:
        """Close open response streams and every kept-alive connection."""

    async def __aenter__(self: _AsyncSelf) -> _AsyncSelf:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()


class SyncHTTPTransport:
    """Sends HTTP requests; subclasses implement ``request`` and may override ``close``."""

    def request(
        self,
        method: bytes,
        url: URL,
        headers: Headers | None = None,
        stream: SyncByteStream | None = None,
        ext: dict[str, Any] | None = None,
    ) -> tuple[int, Headers, SyncByteStream, dict[str, Any]]:
        """Send one request and return ``(status_code, headers, stream, ext)``.

        The caller must close the returned stream. Failures are raised as the exceptions
        of this package.

        Args:
            method: The request method, such as ``b"GET"``.
            url: ``(scheme, host, port, target)``: bytes but the port, an ``int`` or
                ``None`` for the scheme's default; the target holds path and query.
            headers: ``(name, value)`` byte pairs, sent in this order and casing.
            stream: The request body, an iterable of bytes; ``None``: no body.
            ext: Optional extensions. ``ext["timeout"]`` maps ``"connect"``, ``"read"``,
                ``"write"`` and ``"pool"`` to seconds or ``None`` (no limit); unknown keys
                are ignored.

        Returns:
            The status code (``200``), the response headers as byte pairs, the body
                stream (read it, then ``close()``) and the response ``ext``:
                ``{"http_version": "HTTP/1.1", "reason": "OK"}`` or
                ``{"http_version": "HTTP/2"}``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement request()")

    def close(self) -> None:
        """Close open response streams and every kept-alive connection."""

    def __enter__(self: _SyncSelf) -> _SyncSelf:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()
