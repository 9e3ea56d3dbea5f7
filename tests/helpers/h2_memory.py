"""An HTTP/2 server in memory, for driving one HTTP/2 connection of the pool directly.

The connection gets a network stream whose writes go straight into a server-side h2
connection and whose reads return what that server answered, so tests can hold writes,
fail them, or answer by hand at exact points, with no socket and no timing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import anyio
import h2.config
import h2.connection
import h2.events
import h2.exceptions

from httpcore_interfaces import Origin, ReadTimeout, WriteTimeout
from httpcore_pool._backends.base import AsyncNetworkStream, SyncNetworkStream
from httpcore_pool._models import Request

ORIGIN: Origin = (b"https", b"example.com", 443)


def make_request(
    path: bytes,
    method: bytes = b"GET",
    *,
    read: float | None = 3.0,
    write: float | None = 3.0,
    stream: Any = None,
) -> Request:
    return Request(
        method,
        (b"https", b"example.com", 443, path),
        stream=stream,
        ext={"timeout": {"read": read, "write": write}},
    )


class MemoryH2Server:
    """Server-side h2. Each complete request goes to ``on_request(server, stream_id)``;
    by default it is answered at once with ``200`` and ``b"ok"``."""

    def __init__(self, on_request: Callable[[MemoryH2Server, int], None] | None = None):
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.h2 = h2.connection.H2Connection(config)
        self.h2.initiate_connection()
        self.on_request = on_request if on_request is not None else MemoryH2Server.respond
        self.requests: list[int] = []  # stream ids, as their requests completed
        self.lock = threading.Lock()

    def respond(self, stream_id: int, body: bytes = b"ok") -> None:
        try:
            self.h2.send_headers(stream_id, [(b":status", b"200")])
            self.h2.send_data(stream_id, body, end_stream=True)
        except h2.exceptions.StreamClosedError:
            pass  # reset by the client meanwhile

    def answer(self, *stream_ids: int) -> bytes:
        """Respond to ``stream_ids`` by hand; the bytes for the client."""
        with self.lock:
            for stream_id in stream_ids:
                self.respond(stream_id)
            return self.h2.data_to_send()

    def feed(self, data: bytes) -> bytes:
        """What the client wrote; returns the server's answer bytes."""
        with self.lock:
            for event in self.h2.receive_data(data):
                if isinstance(event, h2.events.StreamEnded) or (
                    isinstance(event, h2.events.RequestReceived) and event.stream_ended
                ):
                    self._complete(event.stream_id)
                elif isinstance(event, h2.events.DataReceived):
                    self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            return self.h2.data_to_send()

    def _complete(self, stream_id: int) -> None:
        if stream_id not in self.requests:
            self.requests.append(stream_id)
            self.on_request(self, stream_id)


class AsyncMemoryStream(AsyncNetworkStream):
    """Writes go to the server, which answers into ``inbox``; ``hold_writes`` makes a
    write wait for ``write_gate`` (a server that stopped reading) until its timeout."""

    def __init__(self, server: MemoryH2Server) -> None:
        self.server = server
        self.inbox = bytearray()
        self._changed = anyio.Event()
        self.hold_writes = False
        self.write_gate = anyio.Event()
        self.held_writes = 0  # writes waiting for write_gate now
        self.push(server.h2.data_to_send())

    def push(self, data: bytes) -> None:
        if data:
            self.inbox += data
            self._changed.set()
            self._changed = anyio.Event()

    async def read(self, max_bytes: int, timeout: float | None) -> bytes:
        with anyio.move_on_after(timeout):
            while not self.inbox:
                await self._changed.wait()
            data = bytes(self.inbox[:max_bytes])
            del self.inbox[:max_bytes]
            return data
        raise ReadTimeout("read timed out (in memory)")

    async def write(self, data: bytes, timeout: float | None) -> None:
        if self.hold_writes:
            self.held_writes += 1
            try:
                with anyio.move_on_after(timeout):
                    await self.write_gate.wait()
            finally:
                self.held_writes -= 1
            if not self.write_gate.is_set():
                raise WriteTimeout("write timed out (in memory)")
        self.push(self.server.feed(data))

    async def start_tls(self, *args: Any, **kwargs: Any) -> AsyncNetworkStream:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass

    def is_readable(self) -> bool:
        return False

    def get_extra_info(self, name: str) -> Any:
        return None


class SyncMemoryStream(SyncNetworkStream):
    def __init__(self, server: MemoryH2Server) -> None:
        self.server = server
        self.inbox = bytearray()
        self.cond = threading.Condition()
        self.push(server.h2.data_to_send())

    def push(self, data: bytes) -> None:
        with self.cond:
            self.inbox += data
            self.cond.notify_all()

    def read(self, max_bytes: int, timeout: float | None) -> bytes:
        with self.cond:
            if not self.cond.wait_for(lambda: bool(self.inbox), timeout):
                raise ReadTimeout("read timed out (in memory)")
            data = bytes(self.inbox[:max_bytes])
            del self.inbox[:max_bytes]
            return data

    def write(self, data: bytes, timeout: float | None) -> None:
        self.push(self.server.feed(data))

    def start_tls(self, *args: Any, **kwargs: Any) -> SyncNetworkStream:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def is_readable(self) -> bool:
        return False

    def get_extra_info(self, name: str) -> Any:
        return None
