"""HTTP/1.1 for the client side, sans-I/O: request framing out, responses parsed in.

Why not h11 itself: per request h11 cost about 45 µs of the 60 µs of Python a keep-alive
GET takes (per-header regexes, event objects, a state machine for both roles, a copy of
every body byte), which kept the pool from its speed targets. This module is only the
client half, parses a response head with a few C-level passes, and hands body bytes on
without copying them when it can.

The rules are h11's (RFC 9112 as h11 0.14-0.16 applies them: the same accepted grammar,
framing and keep-alive decisions), and the tests hold it to that: they feed generated
responses, split at random points, to both and compare (``test_http11_protocol.py``).
Where it differs, on purpose: the response headers are returned as received but for
Content-Length, made one header of one value as h11 did (h11 also lowercased
Transfer-Encoding); a response that cannot be a status line fails as soon as its first
bytes show it, not once a whole head has arrived; and a response with both Content-Length
and Transfer-Encoding, read as chunked, ends the connection (RFC 9112 §6.3), where h11
kept it.

``NEED_DATA`` asks for ``receive_data()``; ``receive_data(b"")`` reports the server's close.
"""

from __future__ import annotations

import re
from typing import Final

from httpcore_interfaces import Headers, LocalProtocolError, RemoteProtocolError

__all__ = ["END", "NEED_DATA", "HTTP11Protocol", "ResponseHead"]


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: ``next_event()``: more bytes are needed.
NEED_DATA: Final = _Sentinel("NEED_DATA")
#: ``next_event()``: the response body is complete.
END: Final = _Sentinel("END")

_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_FIELD_VALUE = rb"[^\x00\s]+(?:[ \t]+[^\x00\s]+)*"
# A whole header line once line endings are plain "\n"; the value group is empty when
# absent. Anchored at line starts, so each match is one line and a bad line matches nothing.
# Blanks before the value and after it can never be matched both ways (the value starts
# and ends with a non-blank, and trailing blanks follow a value only): a line that fails
# is given up in linear time, however many blanks a server sends.
_HEADER_LINE = re.compile(
    rb"^(" + _TOKEN + rb"):[ \t]*(?:(" + _FIELD_VALUE + rb")[ \t]*)?\n", re.MULTILINE
)
# The common case, matched in half the time: the same grammar for a value with no
# whitespace at its end (no nested group to backtrack over). A line it misses (trailing
# whitespace, a continuation line, a bad line) sends the block to ``_HEADER_LINE``.
_PLAIN_HEADER_LINE = re.compile(
    rb"^(" + _TOKEN + rb"):[ \t]*((?:[^\x00\s](?:[^\x00\n\r\x0b\x0c]*[^\x00\s])?)?)\n",
    re.MULTILINE,
)
# len(b"connection"), len(b"content-length"), len(b"transfer-encoding"): a cheap filter.
_FRAMING_NAME_LENGTHS = frozenset({10, 14, 17})
_STATUS_LINE = re.compile(rb"HTTP/([0-9]\.[0-9]) ([0-9]{3})(?: ([^\x00\n\r\f\v]*))?")
_CHUNK_HEADER = re.compile(rb"([0-9A-Fa-f]{1,20})(?:;[^\n]*)?[ \t]*\r\n")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_OBS_FOLD = re.compile(rb"\n[ \t]+")
_MAX_LENGTH_DIGITS = 20

# Where the response stands.
_HEAD, _BODY, _DONE = range(3)
# How its body is framed.
_LENGTH, _CHUNKED, _UNTIL_CLOSE = range(3)
# Where a chunked body stands.
_CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER = range(4)


class ResponseHead:
    """A final (non-1xx) response's status line and headers, as the server sent them."""

    __slots__ = ("headers", "http_version", "reason", "status_code")

    def __init__(
        self, http_version: bytes, status_code: int, reason: bytes, headers: Headers
    ) -> None:
        self.http_version = http_version
        self.status_code = status_code
        self.reason = reason
        self.headers = headers


class HTTP11Protocol:
    """One connection's HTTP/1.1 exchanges, one request/response cycle at a time.

    Per cycle: ``request_head()``, ``request_body()`` for each chunk, ``end_request()``;
    then ``receive_data()`` and ``next_event()`` until ``END``: first a ``ResponseHead``,
    then body chunks as ``bytes``. ``reusable()`` tells whether another cycle may follow
    (``start_next_cycle()``).
    """

    def __init__(self, max_head_size: int) -> None:
        self._max_head_size = max_head_size
        self._buffer: bytes | bytearray = b""
        self._pos = 0
        #: Where the search for the line or head end being waited for resumes.
        self._scan_from = 0
        self._closed_by_server = False
        self.start_next_cycle()

    def start_next_cycle(self) -> None:
        # Request side.
        self._request_done = False
        self._send_chunked = False
        self._send_remaining = 0
        self._keep_alive = True
        self._head_request = self._connect_request = self._upgrade_asked = False
        # Response side.
        self._state = _HEAD
        self._framing = _LENGTH
        self._remaining = self._expected = 0
        self._chunk_state = _CHUNK_SIZE
        #: The status line of the head being received, once complete and checked: its
        #: length (up to its LF) and the version, code and reason.
        self._status_line: tuple[int, bytes, bytes, bytes | None] | None = None
        self._received = False

    # -- the request ---------------------------------------------------------------------

    def request_head(self, method: bytes, target: bytes, headers: Headers, host: bytes) -> bytes:
        """The request head on the wire, the caller's headers in their order and casing,
        with ``Host: host`` first unless the headers have one.

        The headers must be checked already (``_models.check_headers``); this checks only
        what decides the framing: Content-Length, Transfer-Encoding, Host and Connection.
        """
        parts = [method, b" ", target, b" HTTP/1.1\r\n"]
        hosts = 0
        framing = False  # a header that may be one of _framing_of's: most GETs have none
        for name, value in headers:
            parts += (name, b": ", value, b"\r\n")
            size = len(name)
            if size == 4 and name.lower() == b"host":
                hosts += 1
            elif size == 7 and name.lower() == b"upgrade" and _has_a_token(value):
                self._upgrade_asked = True
            elif size in _FRAMING_NAME_LENGTHS:
                framing = True
        if framing:
            length, self._send_chunked, close, _ = _framing_of(headers, LocalProtocolError)
            if close:
                self._keep_alive = False
        else:
            length = None
        if hosts > 1:
            raise LocalProtocolError("Found multiple Host headers")
        if not hosts:
            parts[4:4] = (b"Host: ", host, b"\r\n")
        parts.append(b"\r\n")
        if not self._send_chunked and length is not None:
            self._send_remaining = int(length)
        self._head_request = method == b"HEAD"
        self._connect_request = method == b"CONNECT"
        return b"".join(parts)

    def request_body(self, data: bytes) -> bytes:
        """``data`` framed for the wire; too much for the Content-Length is an error."""
        if self._send_chunked:
            if not data:  # an empty chunk would end the body
                return b""
            return b"".join((b"%x\r\n" % len(data), data, b"\r\n"))
        remaining = self._send_remaining - len(data)
        if remaining < 0:
            raise LocalProtocolError("Too much data for declared Content-Length")
        self._send_remaining = remaining
        return data

    def end_request(self) -> bytes:
        """The bytes that end the request body; too little for the Content-Length is an error."""
        self._request_done = True
        if self._send_chunked:
            return b"0\r\n\r\n"
        if self._send_remaining:
            raise LocalProtocolError("Too little data for declared Content-Length")
        return b""

    # -- the response --------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Bytes from the server; ``b""`` when it closed the connection."""
        if not data:
            self._closed_by_server = True
            return
        self._received = True
        buffer, pos = self._buffer, self._pos
        if pos == len(buffer):
            self._buffer = data  # the common case: nothing left over, nothing copied
            self._pos = self._scan_from = 0
            return
        # Bytes are waiting for the rest of a line or head: collect them in a bytearray,
        # so a head trickling in byte by byte costs linear time, not quadratic.
        if isinstance(buffer, bytearray):
            del buffer[:pos]
        else:
            buffer = self._buffer = bytearray(memoryview(buffer)[pos:])
        buffer += data
        self._scan_from = max(self._scan_from - pos, 0)
        self._pos = 0

    def next_event(self) -> ResponseHead | bytes | _Sentinel:
        """The next piece of the response: ``ResponseHead``, body ``bytes``, ``END``, or
        ``NEED_DATA``. 1xx responses are skipped. Raises ``RemoteProtocolError``."""
        state = self._state
        if state == _BODY:
            if self._framing == _LENGTH:
                return self._read_length()
            if self._framing == _CHUNKED:
                return self._read_chunked()
            return self._read_until_close()
        if state == _HEAD:
            if self._pos == len(self._buffer) and not self._closed_by_server:
                return NEED_DATA
            return self._read_head()
        return END

    def finish_buffered(self) -> None:
        """Read through what is already buffered (a body received whole, say), no I/O."""
        while self._state != _DONE:
            try:
                if self.next_event() is NEED_DATA:
                    return
            except RemoteProtocolError:
                return

    def reusable(self) -> bool:
        """Both messages complete, both sides keep the connection, nothing extra received."""
        return (
            self._request_done
            and self._state == _DONE
            and self._keep_alive
            and self._pos == len(self._buffer)
            and not self._closed_by_server
        )

    def unread(self) -> bytes:
        """What was received beyond what has been parsed: after a 2xx answer to CONNECT,
        the first bytes of the tunnel."""
        return bytes(self._buffer[self._pos :])

    def _read_head(self) -> ResponseHead | _Sentinel:
        while True:
            buffer, pos = self._buffer, self._pos
            if buffer.startswith((b"\n", b"\r\n"), pos):
                raise RemoteProtocolError(
                    "no response line received: the head began with a blank line"
                )
            scan_from = self._scan_from if self._scan_from > pos else pos
            status = self._status_line
            if status is None:  # checked as soon as it is complete
                line_end = buffer.find(b"\n", scan_from)
                if line_end < 0:
                    self._scan_from = len(buffer)
                    return self._head_incomplete()
                end = line_end - 1 if buffer[line_end - 1] == 13 else line_end
                match = _STATUS_LINE.fullmatch(buffer, pos, end)
                if match is None:
                    raise RemoteProtocolError(f"illegal status line: {bytes(buffer[pos:end])!r}")
                version, code, reason = match.groups()
                status = self._status_line = (line_end - pos, version, code, reason)
                scan_from = self._scan_from = line_end
            blank_line = _BLANK_LINE.search(buffer, scan_from)
            if blank_line is None:
                self._scan_from = max(pos, len(buffer) - 2)
                return self._head_incomplete()
            self._pos = blank_line.end()
            self._status_line = None
            line_length, version, code, reason = status
            block = bytes(buffer[pos + line_length + 1 : blank_line.start() + 1])
            if b"\r" in block:
                block = block.replace(b"\r\n", b"\n")
            headers = _parse_header_block(block)
            length, chunked, close, merge_lengths = _framing_of(headers, RemoteProtocolError)
            status_code = int(code)
            if status_code < 100:
                raise RemoteProtocolError(f"illegal status code {status_code}")
            if status_code == 101:
                if self._upgrade_asked:
                    raise RemoteProtocolError(
                        "101 Switching Protocols to the upgrade asked for, "
                        "but switching protocols is not supported"
                    )
                raise RemoteProtocolError("101 Switching Protocols, but no upgrade was asked for")
            if status_code >= 200:
                self._start_body(version, status_code, length, chunked, close)
                if merge_lengths:
                    assert length is not None
                    headers = _with_one_content_length(headers, length)
                return ResponseHead(version, status_code, reason or b"", headers)

    def _head_incomplete(self) -> _Sentinel:
        """NEED_DATA, or the error that more data cannot cure."""
        buffer, pos = self._buffer, self._pos
        size = len(buffer) - pos
        if size and not buffer.startswith(b"HTTP/"[:size], pos, pos + 5):
            line = bytes(buffer[pos : pos + 80]).split(b"\n", 1)[0]
            raise RemoteProtocolError(f"illegal status line: {line!r}")
        if size > self._max_head_size:
            raise RemoteProtocolError(f"Response head larger than {self._max_head_size} bytes")
        if self._closed_by_server:
            if not self._received:
                raise RemoteProtocolError("Server disconnected without sending a response.")
            raise RemoteProtocolError("Server disconnected in the middle of the response head")
        return NEED_DATA

    def _start_body(
        self, version: bytes, status_code: int, length: bytes | None, chunked: bool, close: bool
    ) -> None:
        """The framing of the body that follows this head (RFC 9112 §6.3), and whether the
        connection stays open after it."""
        if close or version < b"1.1" or (chunked and length is not None):
            self._keep_alive = False
        self._state = _BODY
        if self._connect_request and 200 <= status_code < 300:
            # A tunnel: what follows belongs to it, never to another request here.
            self._framing, self._remaining = _LENGTH, 0
            self._keep_alive = False
        elif status_code in (204, 304) or self._head_request:
            self._framing, self._remaining = _LENGTH, 0
        elif chunked:
            self._framing, self._chunk_state = _CHUNKED, _CHUNK_SIZE
        elif length is not None:
            self._framing = _LENGTH
            self._remaining = self._expected = int(length)
        else:
            self._framing = _UNTIL_CLOSE
            self._keep_alive = False

    def _take(self, limit: int) -> bytes:
        """Up to ``limit`` buffered bytes (at least one must be there); the received
        object itself when it is all of them."""
        buffer, pos = self._buffer, self._pos
        end = pos + limit
        if pos == 0 and end >= len(buffer) and type(buffer) is bytes:
            self._buffer = b""
            return buffer
        data = buffer[pos:end] if type(buffer) is bytes else bytes(memoryview(buffer)[pos:end])
        self._pos = pos + len(data)
        return data

    def _read_length(self) -> bytes | _Sentinel:
        remaining = self._remaining
        if not remaining:
            self._state = _DONE
            return END
        if self._pos == len(self._buffer):
            if self._closed_by_server:
                raise RemoteProtocolError(
                    "Server disconnected before the end of the response body "
                    f"(received {self._expected - remaining} of {self._expected} bytes)"
                )
            return NEED_DATA
        data = self._take(remaining)
        self._remaining = remaining - len(data)
        return data

    def _read_until_close(self) -> bytes | _Sentinel:
        if self._pos < len(self._buffer):
            return self._take(len(self._buffer))
        if self._closed_by_server:
            self._state = _DONE
            return END
        return NEED_DATA

    def _read_chunked(self) -> bytes | _Sentinel:
        while True:
            buffer, pos = self._buffer, self._pos
            available = len(buffer) - pos
            state = self._chunk_state
            if state == _CHUNK_DATA:
                if not available:
                    return self._chunked_incomplete()
                data = self._take(self._remaining)
                self._remaining -= len(data)
                if not self._remaining:
                    self._chunk_state = _CHUNK_END
                return data
            if state == _CHUNK_END:
                if buffer[pos : pos + 2] != b"\r\n"[:available]:
                    raise RemoteProtocolError(
                        f"malformed chunk footer: {bytes(buffer[pos : pos + 2])!r}, "
                        "not the CRLF that ends a chunk"
                    )
                if available < 2:
                    return self._chunked_incomplete()
                self._pos = pos + 2
                self._chunk_state = _CHUNK_SIZE
            elif state == _CHUNK_SIZE:
                line_end = buffer.find(b"\r\n", max(pos, self._scan_from))
                if line_end < 0:
                    self._scan_from = max(pos, len(buffer) - 1)
                    return self._chunked_incomplete()
                match = _CHUNK_HEADER.fullmatch(buffer, pos, line_end + 2)
                if match is None:
                    raise RemoteProtocolError(
                        f"illegal chunk header: {bytes(buffer[pos : line_end + 2])!r}"
                    )
                self._pos = line_end + 2
                self._remaining = int(match.group(1), 16)
                self._chunk_state = _CHUNK_DATA if self._remaining else _TRAILER
            else:  # the trailer section, read and dropped as h11 did
                if buffer.startswith((b"\n", b"\r\n"), pos):
                    self._pos = pos + (1 if buffer[pos] == 10 else 2)
                else:
                    end = _BLANK_LINE.search(buffer, max(pos, self._scan_from))
                    if end is None:
                        self._scan_from = max(pos, len(buffer) - 2)
                        return self._chunked_incomplete()
                    self._pos = end.end()
                    trailer = bytes(buffer[pos : end.start() + 1]).replace(b"\r\n", b"\n")
                    _framing_of(_parse_header_block(trailer), RemoteProtocolError)
                self._state = _DONE
                return END

    def _chunked_incomplete(self) -> _Sentinel:
        if len(self._buffer) - self._pos > self._max_head_size:
            raise RemoteProtocolError("chunk header or trailer section too long")
        if self._closed_by_server:
            raise RemoteProtocolError(
                "Server disconnected before the end of the response body (incomplete chunked read)"
            )
        return NEED_DATA


def _parse_header_block(block: bytes) -> Headers:
    """``(name, value)`` pairs from header lines each ending in ``\\n``; obsolete line
    folding is undone, as h11 did."""
    if block[:1] in (b" ", b"\t"):
        raise RemoteProtocolError("continuation line at start of headers")
    fields: Headers = _PLAIN_HEADER_LINE.findall(block)
    if len(fields) == block.count(b"\n"):  # each line matched: none was folded
        return fields
    if b"\n " in block or b"\n\t" in block:
        block = _OBS_FOLD.sub(b" ", block)
    fields = _HEADER_LINE.findall(block)
    if len(fields) != block.count(b"\n"):
        for line in block.split(b"\n"):
            if not _HEADER_LINE.fullmatch(line + b"\n"):
                raise RemoteProtocolError(f"illegal header line: {line!r}")
    return fields


def _framing_of(
    headers: Headers, error: type[LocalProtocolError | RemoteProtocolError]
) -> tuple[bytes | None, bool, bool, bool]:
    """What a head's headers say of the framing: (Content-Length, chunked, Connection:
    close, whether Content-Length is repeated or a list, so h11 would have made it one
    header of one value). Checked in every head, 1xx and trailers included, as h11 did."""
    length: bytes | None = None
    chunked = close = merge_lengths = False
    for name, value in headers:
        if len(name) not in _FRAMING_NAME_LENGTHS:
            continue
        lowered = name.lower()
        if lowered == b"content-length":
            if length is None and value.isdigit() and len(value) <= _MAX_LENGTH_DIGITS:
                length = value
            else:
                length = _content_length(value, length, error)
                merge_lengths = True
        elif lowered == b"transfer-encoding":
            if chunked:
                raise error("multiple Transfer-Encoding headers")
            if value.lower() != b"chunked":
                raise error(f"Transfer-Encoding {value!r} is not supported: only chunked is")
            chunked = True
        elif lowered == b"connection" and _has_token(value, b"close"):
            close = True
    return length, chunked, close, merge_lengths


def _content_length(
    value: bytes, seen: bytes | None, error: type[LocalProtocolError | RemoteProtocolError]
) -> bytes:
    """A repeated or comma-separated Content-Length value, checked against an earlier
    one (``seen``), as digits."""
    values = {part.strip() for part in value.split(b",")}
    if len(values) != 1 or (seen is not None and seen not in values):
        raise error("conflicting Content-Length headers")
    length = values.pop()
    if not length.isdigit() or len(length) > _MAX_LENGTH_DIGITS:
        raise error(f"bad Content-Length {value!r}")
    return length


def _with_one_content_length(headers: Headers, length: bytes) -> Headers:
    """``headers`` with their Content-Length headers made one, the first, holding
    ``length``: what h11 returned, and httpx users ``int()`` that value."""
    merged: Headers = []
    seen = False
    for name, value in headers:
        if len(name) == 14 and name.lower() == b"content-length":
            if seen:
                continue
            seen = True
            value = length
        merged.append((name, value))
    return merged


def _has_a_token(value: bytes) -> bool:
    """Whether the comma-separated list ``value`` holds anything: h11 took an Upgrade
    header for an upgrade asked for only then."""
    return any(part.strip() for part in value.split(b","))


def _has_token(value: bytes, token: bytes) -> bool:
    """Whether the comma-separated list ``value`` holds ``token``, ignoring case."""
    if b"," not in value:  # values come without surrounding whitespace
        return value.lower() == token
    return any(part.strip() == token for part in value.lower().split(b","))
