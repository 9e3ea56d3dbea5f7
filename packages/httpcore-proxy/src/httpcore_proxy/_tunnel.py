"""The CONNECT exchange that opens a tunnel, sans-I/O, on the pool's HTTP/1.1 protocol.

The caller sends :meth:`TunnelSetup.request_bytes`, then feeds what the proxy answers to
:meth:`TunnelSetup.receive_data` until it returns the status. Every way the answer can be
wrong (a refusal, garbage, an early close, bytes after the answer) raises ``ProxyError``.
"""

from __future__ import annotations

import re

from httpcore_interfaces import (
    Headers,
    LocalProtocolError,
    Origin,
    ProxyError,
    RemoteProtocolError,
)
from httpcore_pool.extension import NEED_DATA, HTTP11Protocol, ResponseHead, authority

__all__ = ["TunnelSetup"]

#: A proxy's answer head may not grow beyond this: garbage must not fill memory.
MAX_ANSWER_SIZE = 64 * 1024
#: A request target is visible ASCII (a tab in a host, say, would break the request line).
_TARGET = re.compile(rb"[\x21-\x7e]+")


class TunnelSetup:
    """One ``CONNECT host:port`` request and the proxy's answer to it."""

    __slots__ = ("_headers", "_protocol", "target")

    def __init__(self, origin: Origin, proxy_headers: Headers) -> None:
        self.target = authority(origin)
        self._protocol = HTTP11Protocol(MAX_ANSWER_SIZE)
        self._headers = proxy_headers  # Host goes first unless they have one; theirs win

    def request_bytes(self) -> bytes:
        if not _TARGET.fullmatch(self.target):
            raise LocalProtocolError(
                f"Cannot ask for a tunnel to {self.target!r}: not a valid request target"
            )
        protocol = self._protocol
        head = protocol.request_head(b"CONNECT", self.target, self._headers, self.target)
        return head + protocol.end_request()

    def receive_data(self, data: bytes) -> int | None:
        """The 2xx status once the whole answer head arrived, else None (feed more).
        ``b""`` means the proxy closed the connection."""
        self._protocol.receive_data(data)
        try:
            event = self._protocol.next_event()
        except RemoteProtocolError as exc:
            if not data:
                raise ProxyError(
                    "The proxy closed the connection before answering CONNECT"
                ) from exc
            raise ProxyError(f"The proxy sent an invalid answer to CONNECT: {exc}") from exc
        if event is NEED_DATA:
            return None
        assert isinstance(event, ResponseHead)  # before its head, nothing else comes
        return self._accept(event)

    def _accept(self, response: ResponseHead) -> int:
        reason = response.reason.decode("ascii", "replace")
        if not 200 <= response.status_code < 300:
            raise ProxyError(
                f"The proxy refused CONNECT {self.target.decode('ascii')}: "
                f"{response.status_code} {reason}".rstrip()
            )
        leftover = self._protocol.unread()
        if leftover:
            # Neither TLS nor HTTP lets the target speak first: someone broke protocol.
            raise ProxyError(
                f"The proxy sent {len(leftover)} unexpected bytes after its answer to CONNECT, "
                "before anything was sent through the tunnel"
            )
        return response.status_code
