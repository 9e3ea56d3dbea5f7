"""Failures that say a request may go again on another connection.

The connection that fails knows why (a GOAWAY, REFUSED_STREAM, a connection lost before any
answer); the pool decides whether to send again from that reason alone.
"""

from __future__ import annotations

from httpcore_interfaces import RemoteProtocolError

__all__ = ["StreamLost", "StreamRefused"]


class StreamRefused(RemoteProtocolError):
    """The server will not process this stream (above a GOAWAY's last stream id, or
    refused): it is safe to send the request again on another connection.

    ``recycled``: the server was closing a connection that had served streams (a GOAWAY
    whose last stream id is above 0), as servers that recycle connections do; that says
    nothing against this request, so it may go again more often."""

    def __init__(self, message: str, *, recycled: bool = False) -> None:
        super().__init__(message)
        self.recycled = recycled


class StreamLost(StreamRefused):
    """The connection failed before this idempotent request got any answer. If the
    server was recycling the connection, the request may go again like a refused one;
    else once more, not again and again (the failure may have been its own response's,
    a malformed one, say). ``__cause__`` is the failure."""
