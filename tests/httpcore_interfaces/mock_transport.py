"""A mock transport written the way a mocking library would: on httpcore_interfaces alone.

It proves the interface-only use: no pool, no streams package, no third-party code; the
exceptions it raises are the very classes ``httpcore`` exports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpcore_interfaces as hi

Route = tuple[int, hi.Headers, bytes] | Exception


class BodyStream(hi.AsyncByteStream, hi.SyncByteStream):
    """A response body of our own; records whether the consumer closed it."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class MockTransport(hi.AsyncHTTPTransport, hi.SyncHTTPTransport):
    """Answers from a table of routes keyed by ``(method, url)``; records request bodies."""

    def __init__(self, routes: dict[tuple[bytes, hi.URL], Route]) -> None:
        self.routes = routes
        self.received: list[bytes] = []
        self.is_closed = False

    def _answer(
        self, method: bytes, url: hi.URL, body: bytes
    ) -> tuple[int, hi.Headers, BodyStream, dict[str, Any]]:
        if self.is_closed:
            raise hi.LocalProtocolError("transport is closed")
        if url[0] not in (b"http", b"https"):
            raise hi.UnsupportedProtocol(f"unsupported scheme {url[0]!r}")
        self.received.append(body)
        route = self.routes.get((method, url))
        if route is None:
            raise hi.ConnectError(f"no route to {url[1].decode()}")
        if isinstance(route, Exception):
            raise route
        status, headers, content = route
        return status, headers, BodyStream(content), {"http_version": "HTTP/1.1", "reason": "OK"}

    def request(
        self,
        method: bytes,
        url: hi.URL,
        headers: hi.Headers | None = None,
        stream: hi.SyncByteStream | None = None,
        ext: dict[str, Any] | None = None,
    ) -> tuple[int, hi.Headers, hi.SyncByteStream, dict[str, Any]]:
        body = b"" if stream is None else b"".join(stream)
        return self._answer(method, url, body)

    async def arequest(
        self,
        method: bytes,
        url: hi.URL,
        headers: hi.Headers | None = None,
        stream: hi.AsyncByteStream | None = None,
        ext: dict[str, Any] | None = None,
    ) -> tuple[int, hi.Headers, hi.AsyncByteStream, dict[str, Any]]:
        body = b"" if stream is None else b"".join([chunk async for chunk in stream])
        return self._answer(method, url, body)

    def close(self) -> None:
        self.is_closed = True

    async def aclose(self) -> None:
        self.is_closed = True
