"""One HTTP/1.1 connection: send a request, stream its response back.

The protocol itself (framing, parsing, keep-alive) is ``_http11_protocol``, sans-I/O; this
module moves its bytes. States: ACTIVE while a request is in flight, IDLE between requests
(reusable), CLOSED. Any failure, cancellation, or a response not read to the end closes
the connection, since its framing can no longer be trusted.
"""

from __future__ import annotations

import enum
from typing import Any

from httpcore_interfaces import AsyncByteStream, Headers, Origin, ReadError

from .._backends.base import READ_SIZE, AsyncNetworkStream
from .._http11_protocol import END, NEED_DATA, HTTP11Protocol, ResponseHead
from .._models import Request
from .._synchronization import AsyncShieldCancellation
from .._trace import get_logger, traced
from .interfaces import AsyncConnectionInterface
from .request_body import AsyncRequestBody
from .response_stream import AsyncResponseStream

__all__ = ["AsyncHTTP11Connection"]

logger = get_logger(__name__)

#: Largest response head accepted; larger is a RemoteProtocolError. Not h11's default:
#: h11 (``max_incomplete_event_size``) allows 16 KiB, and only of a head still incomplete,
#: so there a longer head passed or failed by how it was split into reads.
MAX_HEAD_SIZE = 64 * 1024


_HTTP_VERSIONS = {b"1.1": "HTTP/1.1", b"1.0": "HTTP/1.0"}


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
        self.response_started = False
        self._protocol = HTTP11Protocol(MAX_HEAD_SIZE)

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
        protocol = self._protocol
        write_timeout = request.timeouts.write
        try:
            # Sending, here rather than in a coroutine of its own: this runs per request.
            with traced("http11.send_request_headers", logger, request.trace):
                data = protocol.request_head(
                    request.method, request.target, request.headers, request.host_header()
                )
                await self.stream.write(data, write_timeout)
            with traced("http11.send_request_body", logger, request.trace):
                if request.stream is not None:
                    await self._send_request_body(request.stream, write_timeout)
                data = protocol.end_request()
                if data:
                    await self.stream.write(data, write_timeout)
            with traced("http11.receive_response_headers", logger, request.trace) as trace:
                head = await self._next_event(request.timeouts.read)
                assert isinstance(head, ResponseHead)
                trace.info["status_code"] = head.status_code
        except BaseException:
            await self.close_for(request)
            raise
        ext = {
            "http_version": _HTTP_VERSIONS.get(head.http_version)
            or "HTTP/" + head.http_version.decode("ascii"),
            "reason": head.reason.decode("ascii", errors="replace"),
        }
        return head.status_code, head.headers, HTTP11ResponseStream(self, request), ext

    async def close_for(self, request: Request) -> None:
        """Close the connection in the course of ``request``, reported to its trace."""
        if self.state is not State.CLOSED:
            with traced("http11.close", logger, request.trace):
                await self.aclose()

    async def aclose(self) -> None:
        if self.state is not State.CLOSED:
            self.state = State.CLOSED
            with AsyncShieldCancellation():
                await self.stream.aclose()

    # -- sending -----------------------------------------------------------------------

    async def _send_request_body(self, stream: Any, timeout: float | None) -> None:
        body = AsyncRequestBody(stream)
        try:
            async for chunk in body:
                if chunk:
                    await self.stream.write(self._protocol.request_body(chunk), timeout)
        finally:
            await body.aclose()

    # -- receiving ---------------------------------------------------------------------

    async def _next_event(self, timeout: float | None) -> ResponseHead | bytes | object:
        """The protocol's next event, reading until it has one."""
        protocol = self._protocol
        while True:
            event = protocol.next_event()
            if event is not NEED_DATA:
                return event
            try:
                data = await self.stream.read(READ_SIZE, timeout)
            except ReadError:
                self._check_not_closed_by_us()
                raise
            if data:
                self.response_started = True
            else:
                self._check_not_closed_by_us()
            protocol.receive_data(data)

    def _check_not_closed_by_us(self) -> None:
        if self.state is State.CLOSED:
            raise ReadError("The connection was closed (the pool was closed) during the read.")

    async def receive_body_chunk(self, timeout: float | None) -> bytes | None:
        """The next piece of the response body, or None at its end."""
        event: object = self._protocol.next_event()  # mostly buffered already: no coroutine
        if event is NEED_DATA:
            event = await self._next_event(timeout)
        if event is END:
            return None
        assert isinstance(event, bytes)
        return event

    def keep_for_next_request(self) -> bool:
        """Whether the connection is idle again, ready for reuse: both sides completed
        their message and the server sent nothing more. If not, it must be closed."""
        protocol = self._protocol
        protocol.finish_buffered()
        if protocol.reusable():
            protocol.start_next_cycle()
            self.state = State.IDLE
            return True
        return False


class HTTP11ResponseStream(AsyncResponseStream):
    """The response body; closing it keeps the connection for the next request if the
    exchange completed, else closes it."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncHTTP11Connection, request: Request) -> None:
        super().__init__(
            request,
            "http11.receive_response_body",
            logger,
            connection.receive_body_chunk,
            request.timeouts.read,
        )
        self._connection = connection

    async def _release(self) -> None:
        with traced("http11.response_closed", logger, self._request.trace):
            if not self._connection.keep_for_next_request():
                await self._connection.close_for(self._request)
