"""A small framework-free ASGI app with the routes the pool tests talk to.

Routes (every one reads the whole request body first, so keep-alive stays usable):

- ``GET /``: 200 ``Hello, world!`` with Content-Length.
- ``/echo``: the request body back, any method.
- ``/headers``: the request headers as a JSON list of ``[name, value]`` pairs, latin-1,
  in the order received (HTTP/1.1 keeps the client's casing; HTTP/2 names are lowercase).
- ``/status/{code}``: an empty response with that status.
- ``/chunked?chunks=N&size=S``: N chunks of S bytes without Content-Length; chunk ``i`` is
  the letter ``"abc…z"[i % 26]`` repeated (see :func:`chunk_payload`).
- ``/bytes?size=N``: N bytes of :func:`pattern` with Content-Length.
- ``/slow?delay=SECONDS``: sleeps, then answers ``slow``.
- ``/slow-body?delay=SECONDS``: sends the response head, sleeps, then the body ``slow body``.
- ``/close``: answers with ``Connection: close`` (HTTP/1.x only: HTTP/2 forbids the header).
- ``/http-version``: the request's ``http_version`` (``1.1`` or ``2``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

__all__ = [
    "HELLO",
    "SLOW_BODY",
    "Receive",
    "Scope",
    "Send",
    "app",
    "chunk_payload",
    "chunked_body",
    "pattern",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HELLO = b"Hello, world!"
SLOW_BODY = b"slow body"
MAX_DELAY = 60.0
_LETTERS = b"abcdefghijklmnopqrstuvwxyz"
_PATTERN = b"0123456789abcdef"
_PIECE = 64 * 1024


def pattern(size: int) -> bytes:
    """The ``/bytes`` payload: a repeating, position-revealing pattern, so truncation or
    reordering shows up in a comparison."""
    repeats = size // len(_PATTERN) + 1
    return (_PATTERN * repeats)[:size]


def chunk_payload(index: int, size: int) -> bytes:
    """Chunk ``index`` of ``/chunked``."""
    return _LETTERS[index % len(_LETTERS) : index % len(_LETTERS) + 1] * size


def chunked_body(chunks: int, size: int) -> bytes:
    """The whole ``/chunked`` body, for comparing."""
    return b"".join(chunk_payload(i, size) for i in range(chunks))


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    values = query.get(name)
    return int(values[0]) if values else default


def _delay_param(query: dict[str, list[str]]) -> float:
    values = query.get("delay")
    delay = float(values[0]) if values else 1.0
    return max(0.0, min(delay, MAX_DELAY))


async def _respond(
    send: Send,
    status: int,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    content_length: bool = True,
) -> None:
    head = list(headers or [])
    if content_length:
        head.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI entry point."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return

    body = await _read_body(receive)
    path: str = scope["path"]
    query = parse_qs(scope["query_string"].decode("latin-1"))
    text = [(b"content-type", b"text/plain")]
    octets = [(b"content-type", b"application/octet-stream")]

    if path == "/":
        await _respond(send, 200, HELLO, text)
    elif path == "/echo":
        await _respond(send, 200, body, octets)
    elif path == "/headers":
        pairs = [
            [bytes(k).decode("latin-1"), bytes(v).decode("latin-1")] for k, v in scope["headers"]
        ]
        payload = json.dumps(pairs).encode("utf-8")
        await _respond(send, 200, payload, [(b"content-type", b"application/json")])
    elif path.startswith("/status/"):
        await _status(send, path.removeprefix("/status/"))
    elif path == "/chunked":
        chunks = _int_param(query, "chunks", 3)
        size = _int_param(query, "size", 10)
        await send({"type": "http.response.start", "status": 200, "headers": octets})
        for index in range(chunks):
            piece = chunk_payload(index, size)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path == "/bytes":
        size = _int_param(query, "size", 1024)
        length = [(b"content-length", str(size).encode("ascii"))]
        await send({"type": "http.response.start", "status": 200, "headers": octets + length})
        data = pattern(size)
        for start in range(0, size, _PIECE):
            piece = data[start : start + _PIECE]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path == "/slow":
        await asyncio.sleep(_delay_param(query))
        await _respond(send, 200, b"slow", text)
    elif path == "/slow-body":
        length = [(b"content-length", str(len(SLOW_BODY)).encode("ascii"))]
        await send({"type": "http.response.start", "status": 200, "headers": text + length})
        await asyncio.sleep(_delay_param(query))
        await send({"type": "http.response.body", "body": SLOW_BODY, "more_body": False})
    elif path == "/close":
        close = [] if scope["http_version"] == "2" else [(b"connection", b"close")]
        await _respond(send, 200, b"closing", text + close)
    elif path == "/http-version":
        await _respond(send, 200, str(scope["http_version"]).encode("ascii"), text)
    else:
        await _respond(send, 404, b"not found", text)


async def _status(send: Send, code_text: str) -> None:
    try:
        code = int(code_text)
    except ValueError:
        code = 0
    if not 200 <= code <= 599:
        await _respond(send, 400, b"status must be 200-599")
    elif code in (204, 304):
        await _respond(send, code, content_length=False)
    else:
        await _respond(send, code)
