"""The CONNECT exchange that opens a tunnel, as a sans-I/O object over h11.

The caller sends :meth:`TunnelSetup.request_bytes`, then feeds what the proxy answers to
:meth:`TunnelSetup.receive_data` until it returns the status. Every way the answer can be
wrong (a refusal, garbage, an early close, bytes after the answer) raises ``ProxyError``.
"""

from __future__ import annotations

import h11

from httpcore_interfaces import Headers, LocalProtocolError, Origin, ProxyError

__all__ = ["TunnelSetup", "authority"]

#: A proxy's answer head may not grow beyond this: garbage must not fill memory.
MAX_ANSWER_SIZE = 64 * 1024


def authority(origin: Origin) -> bytes:
    """``host:port`` of the CONNECT request line, IPv6 literals bracketed."""
    _, host, port = origin
    if b":" in host:
        host = b"[" + host + b"]"
    return host + b":" + str(port).encode("ascii")


class TunnelSetup:
    """One ``CONNECT host:port`` request and the proxy's answer to it."""

    __slots__ = ("_h11", "_headers", "target")

    def __init__(self, origin: Origin, proxy_headers: Headers) -> None:
        self.target = authority(origin)
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_ANSWER_SIZE)
        # Host first, then the proxy headers (Proxy-Authorization, ...); theirs win.
        names = {name.lower() for name, _ in proxy_headers}
        self._headers = [(b"Host", self.target)] if b"host" not in names else []
        self._headers += proxy_headers

    def request_bytes(self) -> bytes:
        try:
            head = self._h11.send(
                h11.Request(method=b"CONNECT", target=self.target, headers=self._headers)
            )
            tail = self._h11.send(h11.EndOfMessage())
        except h11.LocalProtocolError as exc:  # e.g. a tab in the host
            raise LocalProtocolError(f"Cannot ask for a tunnel to {self.target!r}: {exc}") from exc
        return (head or b"") + (tail or b"")

    def receive_data(self, data: bytes) -> int | None:
        """The 2xx status once the whole answer head arrived, else None (feed more).
        ``b""`` means the proxy closed the connection."""
        self._h11.receive_data(data)
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                if not data:
                    raise ProxyError(
                        "The proxy closed the connection before answering CONNECT"
                    ) from exc
                raise ProxyError(f"The proxy sent an invalid answer to CONNECT: {exc}") from exc
            if event is h11.NEED_DATA:
                return None
            if isinstance(event, h11.InformationalResponse):
                continue
            if isinstance(event, h11.Response):
                return self._accept(event)
            raise ProxyError(f"Unexpected answer to CONNECT: {event!r}")  # pragma: no cover

    def _accept(self, response: h11.Response) -> int:
        reason = response.reason.decode("ascii", "replace")
        if not 200 <= response.status_code < 300:
            raise ProxyError(
                f"The proxy refused CONNECT {self.target.decode('ascii')}: "
                f"{response.status_code} {reason}".rstrip()
            )
        leftover, _ = self._h11.trailing_data
        if leftover:
            # Neither TLS nor HTTP lets the target speak first: someone broke protocol.
            raise ProxyError(
                f"The proxy sent {len(leftover)} unexpected bytes after its answer to CONNECT, "
                "before anything was sent through the tunnel"
            )
        return response.status_code
