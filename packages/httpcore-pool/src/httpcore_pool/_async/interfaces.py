"""What the pool needs of a connection, whatever protocol it speaks.

The pool never looks inside a connection: it hands it requests, asks whether it may be
reused, and closes it. HTTP/1.1 (``http11.py``) and HTTP/2 (``http2.py``)
implement it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from httpcore_interfaces import AsyncByteStream, Headers, Origin

from .._models import Request

__all__ = ["AsyncConnectionInterface"]


class AsyncConnectionInterface(ABC):
    origin: Origin
    #: Set once any byte of the current response arrived. A failure before that, on a
    #: reused connection, means the server had already closed it: the request may be
    #: retried on a new connection.
    response_started: bool

    @abstractmethod
    async def handle_request(
        self, request: Request
    ) -> tuple[int, Headers, AsyncByteStream, dict[str, Any]]:
        """Send ``request``; on any failure the connection closes itself and re-raises."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close at once; safe to call twice."""

    @abstractmethod
    def keeps_alive(self) -> bool:
        """Open, and able to carry another request once its current ones are done."""

    def capacity(self) -> int:
        """Requests it may carry at once now (multiplexed connections override this)."""
        return 1

    def is_reusable(self) -> bool:
        """Idle, and the server has neither closed it nor sent anything since (checked
        before an idle HTTP/1.1 connection is handed out again)."""
        return self.keeps_alive()

    @abstractmethod
    def info(self) -> str:
        """A summary for ``get_connection_info()``, such as ``"HTTP/1.1, IDLE"``."""
