"""One HTTP/1.1 connection, driven by h11: send a request, stream its response back.

States: ACTIVE while a request is in flight, IDLE between requests (reusable), CLOSED.
Any failure, cancellation, or a response not read to the end closes the connection, since
its framing can no longer be trusted. h11 errors become ``LocalProtocolError`` (our
request broke the protocol) or ``RemoteProtocolError`` (the server did).
"""

from __future__ import annotations

import enum
from typing import Any

import h11

from httpcore_interfaces import (
    AsyncByteStream,
    Headers,
    LocalProtocolError,
    Origin,
    ReadError,
    RemoteProtocolError,
)

from .._backends.base import READ_SIZE, AsyncNetworkStream
from .._exceptions import describe
from .._models import Request
from .._synchronization import AsyncShieldCancellation
from .._trace import BodyTrace, Trace, get_logger
from .interfaces import AsyncConnectionInterface

__all__ = ["AsyncHTTP11Connection"]

logger = get_logger(__name__)

#: Largest response head accepted, as h11's default; larger is a RemoteProtocolError.
MAX_HEAD_SIZE = 64 * 1024


class State(enum.Enum):
    ACTIVE = "ACTIVE"
    IDLE = "IDLE"
    CLOSED = "CLOSED"


class AsyncHTTP11Connection(AsyncConnectionInterface):
    http_version = "HTTP/1.1"

    def __init__(self, origin: Origin, stream: AsyncNetworkStream) -> None:
        self.origin = origin
        self.stream = stream
        self.state = State.ACTIVE
        #: Set once any byte of the current response arrived: a failure before that, on a
        #: reused connection, means the server had closed it, and the request may be retried.
        self.response_started = False
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_SIZE)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.info()}>"

    def info(self) -> str:
        return f"{self.http_version}, {self.state.value}"

    def keeps_alive(self) -> bool:
        return self.state is State.IDLE

    def is_reusable(self) -> bool:
        """Idle, and the server has neither closed nor written anything since."""
        return self.state is State.IDLE and not self.stream.is_readable()

    async def handle_request(
        self, request: Request
    ) -> tuple[int, Headers, AsyncByteStream, dict[str, Any]]:
        self.state = State.ACTIVE
        self.response_started = False
        try:
            await self._send_request(request)
            with Trace("http11.receive_response_headers", logger, request.trace) as trace:
                response = await self._receive_response_head(request.timeouts.read)
                trace.info["status_code"] = response.status_code
        except BaseException:
            await self.close_for(request)
            raise
        ext = {
            "http_version": "HTTP/" + response.http_version.decode("ascii"),
            "reason": response.reason.decode("ascii", errors="replace"),
        }
        headers = list(response.headers.raw_items())
        return response.status_code, headers, HTTP11ResponseStream(self, request), ext

    async def close_for(self, request: Request) -> None:
        """Close the connection in the course of ``request``, reported to its trace."""
        if self.state is not State.CLOSED:
            with Trace("http11.close", logger, request.trace):
                await self.aclose()

    async def aclose(self) -> None:
        if self.state is not State.CLOSED:
            self.state = State.CLOSED
            with AsyncShieldCancellation():
                await self.stream.aclose()

    # -- sending -----------------------------------------------------------------------

    async def _send_request(self, request: Request) -> None:
        headers = request.headers
        if not any(name.lower() == b"host" for name, _ in headers):
            headers = [(b"Host", request.host_header()), *headers]
        timeout = request.timeouts.write
        with Trace("http11.send_request_headers", logger, request.trace):
            # h11 tracks the message framing; the head itself is written here, because
            # h11 would move Host first and the caller's order must go out unchanged.
            try:
                head = h11.Request(method=request.method, target=request.target, headers=headers)
            except h11.LocalProtocolError as exc:
                raise LocalProtocolError(describe(exc)) from exc
            self._send_event(head)
            await self.stream.write(_serialize_head(request, headers), timeout)
        with Trace("http11.send_request_body", logger, request.trace):
            if request.stream is not None:
                await self._send_request_body(request.stream, timeout)
            data = self._send_event(h11.EndOfMessage())
            if data:
                await self.stream.write(data, timeout)

    def _send_event(self, event: Any) -> bytes:
        """Feed ``event`` to h11: the bytes to write, or LocalProtocolError if it breaks
        the framing (a body longer than its Content-Length, say)."""
        try:
            pieces = self._h11.send_with_data_passthrough(event) or []
        except h11.LocalProtocolError as exc:
            raise LocalProtocolError(describe(exc)) from exc
        # With a Content-Length the body chunk comes back as the only piece: no copy.
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    async def _send_request_body(self, stream: Any, timeout: float | None) -> None:
        iterator = stream.__aiter__()
        try:
            async for chunk in iterator:
                if not isinstance(chunk, bytes):
                    raise TypeError(
                        f"request body chunks must be bytes, not {type(chunk).__name__}"
                    )
                if chunk:
                    data = self._send_event(h11.Data(data=chunk))
                    if data:
                        await self.stream.write(data, timeout)
        finally:
            # A generator left suspended by an error would be finalized by the garbage
            # collector, outside any event loop: close it here instead.
            close = getattr(iterator, "aclose", None)
            if close is not None:
                with AsyncShieldCancellation():
                    await close()

    # -- receiving ---------------------------------------------------------------------

    async def _next_event(self, timeout: float | None) -> Any:
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise RemoteProtocolError(describe(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await self.stream.read(READ_SIZE, timeout)
            except ReadError:
                self._check_not_closed_by_us()
                raise
            if not data:
                self._check_not_closed_by_us()
            if data:
                self.response_started = True
            elif self._h11.their_state is h11.SEND_RESPONSE and not self.response_started:
                raise RemoteProtocolError("Server disconnected without sending a response.")
            self._h11.receive_data(data)

    def _check_not_closed_by_us(self) -> None:
        if self.state is State.CLOSED:
            raise ReadError("The connection was closed (the pool was closed) during the read.")

    async def _receive_response_head(self, timeout: float | None) -> h11.Response:
        while True:
            event = await self._next_event(timeout)
            if isinstance(event, h11.Response):
                return event
            if not isinstance(event, h11.InformationalResponse):  # pragma: no cover
                raise RemoteProtocolError(f"Unexpected {type(event).__name__} from the server")

    async def receive_body_chunk(self, timeout: float | None) -> bytes | None:
        """The next piece of the response body, or None at its end."""
        event = await self._next_event(timeout)
        if isinstance(event, h11.Data):
            return bytes(event.data)
        if isinstance(event, h11.EndOfMessage):
            return None
        raise RemoteProtocolError(  # pragma: no cover - h11 emits only Data or EndOfMessage
            f"Unexpected {type(event).__name__} in the body"
        )

    async def response_closed(self, request: Request) -> None:
        """Reuse the connection if both sides completed their message and the server sent
        nothing more, else close it."""
        self._finish_buffered_response()
        connection = self._h11
        if (
            connection.our_state is h11.DONE
            and connection.their_state is h11.DONE
            and not connection.trailing_data[0]
        ):
            connection.start_next_cycle()
            self.state = State.IDLE
        else:
            await self.close_for(request)

    def _finish_buffered_response(self) -> None:
        """Let h11 reach the end of a response already in its buffer (a HEAD, 204 or 304
        closed without reading, or a body received whole), without any I/O."""
        connection = self._h11
        while connection.their_state is h11.SEND_BODY:
            try:
                event = connection.next_event()
            except h11.RemoteProtocolError:
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return


class HTTP11ResponseStream(AsyncByteStream):
    """The response body; its own iterator, so no generator is left to the garbage
    collector when a caller stops reading early."""

    __slots__ = ("_closed", "_connection", "_request", "_trace")

    def __init__(self, connection: AsyncHTTP11Connection, request: Request) -> None:
        self._connection = connection
        self._request = request
        self._closed = False
        self._trace = BodyTrace("http11.receive_response_body", logger, request.trace)

    def __aiter__(self) -> HTTP11ResponseStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        self._trace.reading()
        try:
            chunk = await self._connection.receive_body_chunk(self._request.timeouts.read)
        except BaseException as exc:
            self._trace.ended(exc)
            await self.aclose()
            raise
        if chunk is None:
            self._trace.ended()
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._trace.closed()
            with Trace("http11.response_closed", logger, self._request.trace):
                await self._connection.response_closed(self._request)


def _serialize_head(request: Request, headers: Headers) -> bytes:
    parts = [request.method, b" ", request.target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)
