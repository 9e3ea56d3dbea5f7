"""The soak's misbehaving servers: HTTP/1.1 (cleartext and TLS) on raw asyncio streams and
HTTP/2 (TLS, ALPN h2) on the ``h2`` state machine, all on 127.0.0.1.

    python benchmarks/soak_servers.py --cert-chain PEM --key PEM --max-seconds S
        [--faults h1:stall,h2:refuse] [--seed N]

They run in a process of their own so the soak measures the client's fds and RSS alone.
Each request draws a fault (or ``ok``) by weight; ``--faults`` keeps only the named ones.
Once listening the process prints one JSON line of ports; on SIGTERM, after
``--max-seconds`` or when its parent is gone, it prints one JSON line of counters (faults
injected, the client's protocol violations) and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import ssl
import struct
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import h2.events
import h2.exceptions
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from hyperframe.frame import GoAwayFrame
from soak_wire import Digest, body, parse_target

H1_FAULTS: Mapping[str, int] = {
    "ok": 60,
    "close_after_response": 6,  # keep-alive not announced otherwise: a stale connection
    "idle_close": 6,  # close 0-300 ms after the response, racing the next request
    "close_no_response": 5,
    "close_unread_body": 3,  # an upload: close before reading its body (a reset)
    "drop_mid_body": 5,
    "reset_mid_body": 4,  # TCP RST (SO_LINGER 0)
    "stall": 3,
    "stall_mid_body": 3,
}
H2_FAULTS: Mapping[str, int] = {
    "ok": 60,
    "refuse": 5,  # RST_STREAM REFUSED_STREAM on arrival: safe for the client to retry
    "reset": 4,  # RST_STREAM INTERNAL_ERROR on arrival
    "reset_mid_body": 4,  # RST_STREAM CANCEL after part of the body
    "goaway": 4,  # graceful: GOAWAY(NO_ERROR, this stream), finish, close
    "goaway_error": 3,  # GOAWAY(INTERNAL_ERROR, an earlier stream), close at once
    "close": 3,  # the TCP connection closes (FIN or RST) as the stream arrives
    "drop_mid_body": 4,  # the TCP connection closes after part of the body
    "stall": 3,
    "stall_mid_body": 3,
}
_WINDOW = 16 * 1024 * 1024
_MAX_REQUEST_HEAD = 64 * 1024
_LINGER = 5.0  # after a graceful GOAWAY's last stream, for the client to close first


class Faults:
    """Draws a fault per request from a weighted menu, and counts what it drew."""

    def __init__(self, prefix: str, menu: Mapping[str, int], only: set[str], seed: int) -> None:
        kept = {name for name in menu if f"{prefix}:{name}" in only} if only else set(menu)
        self.names = [name for name in menu if name == "ok" or name in kept]
        self.weights = [menu[name] for name in self.names]
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()

    def draw(self) -> str:
        name = self.rng.choices(self.names, self.weights)[0]
        self.counts[f"{self.prefix}:{name}"] += 1
        return name

    def cut(self, length: int) -> int:
        """Where a mid-body fault strikes: before the last byte."""
        return self.rng.randrange(length) if length else 0


def _reset(transport: asyncio.WriteTransport) -> None:
    """End the connection with a TCP RST rather than a FIN."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _answer(method: str, target: bytes, upload: Digest) -> tuple[int, bytes]:
    path, size, seed = parse_target(target)
    if method == "GET" and path == "/get" and size >= 0:
        return 200, body(size, seed)
    if method == "POST" and path == "/post" and seed >= 0:
        return 200, upload.reply()
    return 404, b"not found"


# HTTP/1.1 --------------------------------------------------------------------------------


class Misbehaving:
    """What each server keeps: the faults it draws from, the violations of the client it
    counts, and the live transports, to end every connection on the way out."""

    def __init__(
        self, faults: Faults, violations: Counter[str], live: set[asyncio.WriteTransport]
    ) -> None:
        self.faults = faults
        self.violations = violations
        self.live = live


class H1Server(Misbehaving):
    """One coroutine per connection; reads each whole request, then misbehaves or not."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.live.add(writer.transport)
        try:
            while await self._exchange(reader, writer):
                pass
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away mid-request: its business
        except ValueError as exc:
            self.violations[f"h1: {exc}"] += 1
        finally:
            self.live.discard(writer.transport)
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One request; False once the connection is to end."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # closed between requests
        request_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        fault = self.faults.draw()
        if fault == "close_unread_body" and method == "POST":
            _reset(writer.transport)
            return False
        upload = Digest()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            await _read_chunked(reader, upload)
        else:
            upload.update(await reader.readexactly(int(headers.get("content-length", "0"))))
        if fault in ("close_no_response", "close_unread_body"):
            return False
        if fault == "stall":
            await _stall(reader)
            return False
        status, payload = _answer(method, target.encode("latin-1"), upload)
        head_out = f"HTTP/1.1 {status} X\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
        if fault.endswith("_mid_body"):
            writer.write(head_out + payload[: self.faults.cut(len(payload))])
            await writer.drain()
            if fault == "reset_mid_body":
                _reset(writer.transport)
            elif fault == "stall_mid_body":
                await _stall(reader)
            return False
        writer.write(head_out + payload)
        await writer.drain()
        if fault == "idle_close":
            await asyncio.sleep(self.faults.rng.uniform(0, 0.3))
        return fault == "ok"


async def _read_chunked(reader: asyncio.StreamReader, upload: Digest) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return
        upload.update(await reader.readexactly(size))
        await reader.readexactly(2)


async def _stall(reader: asyncio.StreamReader) -> None:
    """Say nothing until the client closes (the process's lifetime bounds the wait)."""
    while await reader.read(65536):
        pass


# HTTP/2 ----------------------------------------------------------------------------------


@dataclass
class _Stream:
    method: str = ""
    target: bytes = b""
    fault: str = "ok"
    upload: Digest = field(default_factory=Digest)
    payload: bytes = b""
    sent: int = 0
    stop_at: int = 0  # a mid-body fault strikes once this much is sent
    responding: bool = False  # headers sent


class H2Protocol(Misbehaving, asyncio.Protocol):
    """One HTTP/2 connection: h2 events in, frames (and faults) out."""

    def __init__(
        self, faults: Faults, violations: Counter[str], live: set[asyncio.WriteTransport]
    ) -> None:
        super().__init__(faults, violations, live)
        self.h2 = H2Connection(H2Configuration(client_side=False, header_encoding=None))
        self.transport: asyncio.Transport | None = None  # None once we closed it
        self.connection: asyncio.WriteTransport | None = None  # kept for connection_lost
        self.streams: dict[int, _Stream] = {}
        self.goaway_last: int | None = None  # after a graceful GOAWAY
        self.acted_on = 0  # the highest stream answered or reset: an abrupt GOAWAY's last

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = self.connection = transport
        self.live.add(transport)
        self.h2.initiate_connection()
        self.h2.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
        self.h2.increment_flow_control_window(_WINDOW - 65535)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.connection is not None:
            self.live.discard(self.connection)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if self.transport is None:
            return
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            self.violations[f"h2: {exc}"] += 1
            self._flush()
            self._close(rst=False)
            return
        for event in events:
            try:
                self._on_event(event)
            except h2.exceptions.StreamClosedError as exc:
                self._finish(exc.stream_id)  # the client reset it in the same read
            except h2.exceptions.ProtocolError:
                self._close(rst=False)  # the client's GOAWAY came in the same read
            if self.closed:
                return
        self._pump()
        self._flush()

    @property
    def closed(self) -> bool:
        return self.transport is None

    def _on_event(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self._on_request(event.stream_id, event.headers or [])
        elif isinstance(event, h2.events.DataReceived):
            if event.stream_id in self.streams:
                self.streams[event.stream_id].upload.update(event.data or b"")
            if event.flow_controlled_length:  # ignored streams too: the window is shared
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded) and event.stream_id in self.streams:
            self._respond(event.stream_id)
        elif isinstance(event, h2.events.StreamReset) and event.stream_id in self.streams:
            self._finish(event.stream_id)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._close(rst=False)

    def _on_request(self, stream_id: int, headers: list[tuple[bytes, bytes]]) -> None:
        fields = dict(headers)
        stream = _Stream(fields[b":method"].decode("latin-1"), fields[b":path"])
        if self.goaway_last is not None:
            self.faults.counts["h2:ignored_after_goaway"] += 1
            return  # above the GOAWAY's last stream: the client must retry it elsewhere
        self.streams[stream_id] = stream
        stream.fault = fault = self.faults.draw()
        if fault == "refuse":  # not acted on: the client may send it again
            self.h2.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
            self._finish(stream_id)
        elif fault == "reset":
            self.acted_on = stream_id
            self.h2.reset_stream(stream_id, ErrorCodes.INTERNAL_ERROR)
            self._finish(stream_id)
        elif fault == "goaway":
            self.goaway_last = stream_id
            self._send_goaway(stream_id, ErrorCodes.NO_ERROR)
        elif fault == "goaway_error":
            self._send_goaway(self.acted_on, ErrorCodes.INTERNAL_ERROR)
            self._close(rst=False)
        elif fault == "close":
            self._close(rst=self.faults.rng.random() < 0.5)

    def _send_goaway(self, last_stream_id: int, code: ErrorCodes) -> None:
        """Written by hand: h2's own GOAWAY would stop it sending the streams still due."""
        frame = GoAwayFrame(0)
        frame.last_stream_id = last_stream_id
        frame.error_code = code
        self._flush()
        if self.transport is not None:
            self.transport.write(frame.serialize())

    def _respond(self, stream_id: int) -> None:
        stream = self.streams[stream_id]
        if stream.fault == "stall":
            return
        stream.responding = True
        self.acted_on = stream_id
        status, stream.payload = _answer(stream.method, stream.target, stream.upload)
        stream.stop_at = len(stream.payload)
        if stream.fault.endswith("_mid_body"):
            stream.stop_at = self.faults.cut(len(stream.payload))
        length = str(len(stream.payload)).encode("ascii")
        self.h2.send_headers(
            stream_id,
            [(b":status", str(status).encode("ascii")), (b"content-length", length)],
            end_stream=not stream.payload and not stream.fault.endswith("_mid_body"),
        )
        if not stream.payload and not stream.fault.endswith("_mid_body"):
            self._finish(stream_id)

    def _pump(self) -> None:
        """Send what the client's flow-control windows allow; strike mid-body faults."""
        for stream_id, stream in list(self.streams.items()):
            if not stream.responding or self.transport is None:
                continue
            while stream.sent < stream.stop_at:
                try:
                    room = self.h2.local_flow_control_window(stream_id)
                except h2.exceptions.StreamClosedError:
                    self._finish(stream_id)
                    break
                size = min(room, self.h2.max_outbound_frame_size, stream.stop_at - stream.sent)
                if size <= 0:
                    break
                chunk = stream.payload[stream.sent : stream.sent + size]
                stream.sent += size
                self.h2.send_data(stream_id, chunk, end_stream=stream.sent == len(stream.payload))
            if stream_id not in self.streams or stream.sent < stream.stop_at:
                continue
            if stream.sent == len(stream.payload) and not stream.fault.endswith("_mid_body"):
                self._finish(stream_id)
            elif stream.fault == "reset_mid_body":
                self.h2.reset_stream(stream_id, ErrorCodes.CANCEL)
                self._finish(stream_id)
            elif stream.fault == "drop_mid_body":
                self._flush()
                self._close(rst=self.faults.rng.random() < 0.5)

    def _finish(self, stream_id: int) -> None:
        self.streams.pop(stream_id, None)
        if self.goaway_last is not None and not any(
            sid <= self.goaway_last for sid in self.streams
        ):
            # A graceful close lingers, as nginx's does: closing at once could reset the
            # connection under bytes the client has yet to read.
            asyncio.get_running_loop().call_later(_LINGER, self._close, False)

    def _flush(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None:
            self.transport.write(data)

    def _close(self, rst: bool) -> None:
        if self.transport is None:
            return
        transport, self.transport = self.transport, None
        _reset(transport) if rst else transport.close()


# The process -------------------------------------------------------------------------------


def _tls(chain: str, key: str, alpn: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    context.set_alpn_protocols([alpn])
    return context


async def serve(args: argparse.Namespace) -> dict[str, object]:
    """Listen, print the ports, serve until told to stop; the counters."""
    only = set(filter(None, args.faults.split(",")))
    unknown = only - {f"h1:{n}" for n in H1_FAULTS} - {f"h2:{n}" for n in H2_FAULTS}
    if unknown:
        raise SystemExit(f"unknown faults: {sorted(unknown)}")
    violations: Counter[str] = Counter()
    live: set[asyncio.WriteTransport] = set()  # to end every connection on the way out
    h1_faults = Faults("h1", H1_FAULTS, only, args.seed)
    h2_faults = Faults("h2", H2_FAULTS, only, args.seed + 1)
    h1 = H1Server(h1_faults, violations, live)
    loop = asyncio.get_running_loop()
    plain = await asyncio.start_server(h1.handle, "127.0.0.1", 0, limit=_MAX_REQUEST_HEAD)
    secure = await asyncio.start_server(
        h1.handle,
        "127.0.0.1",
        0,
        ssl=_tls(args.cert_chain, args.key, "http/1.1"),
        limit=_MAX_REQUEST_HEAD,
    )
    multiplexed = await loop.create_server(
        lambda: H2Protocol(h2_faults, violations, live),
        "127.0.0.1",
        0,
        ssl=_tls(args.cert_chain, args.key, "h2"),
    )
    ports = {
        name: server.sockets[0].getsockname()[1]
        for name, server in (("h1", plain), ("h1-tls", secure), ("h2", multiplexed))
    }
    print(json.dumps(ports), flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    parent = os.getppid()
    deadline = loop.time() + args.max_seconds
    while not stop.is_set() and loop.time() < deadline and os.getppid() == parent:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    for server in (plain, secure, multiplexed):
        server.close()
    for transport in list(live):
        transport.abort()
    await asyncio.sleep(0.2)  # the handlers see their connections end and return
    return {
        "faults": dict(sorted((h1_faults.counts + h2_faults.counts).items())),
        "client_protocol_violations": dict(violations),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert-chain", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--max-seconds", type=float, required=True)
    parser.add_argument("--faults", default="", help="keep only these, e.g. h2:refuse")
    parser.add_argument("--seed", type=int, default=0)
    counters = asyncio.run(serve(parser.parse_args()))
    print(json.dumps(counters), flush=True)
    sys.stdout.close()


if __name__ == "__main__":
    main()
