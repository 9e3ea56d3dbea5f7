"""Split what an HTTP/2 connection receives into what h2 gets and what we take, sans-I/O.

Two kinds of frame are taken out of the byte stream before h2 sees it:

- GOAWAY: h2 treats its connection as closed once it receives one, and then refuses the
  frames of the streams the server still answers (RFC 9113 §6.8 lets the server finish
  streams up to the last stream id). The protocol handles GOAWAY itself.
- DATA, whole: h2 spends far more on each frame (parsing into objects, an eagerly built
  debug text, an event per frame) than a download can afford. The protocol takes the
  frames it can account for exactly as h2 would, and hands the others back to h2.

Frames often span reads (a DATA frame of 16 KiB in TLS records of 16 KiB): a DATA or
GOAWAY frame is held back until it is whole, and so is a frame header cut by a read;
every other frame is passed on as it came, cut or not, since h2 keeps the rest itself.

Inside a header block (HEADERS or PUSH_PROMISE without END_HEADERS, until the
CONTINUATION that ends it) nothing is taken out: no other frame may come there (RFC 9113
§6.10), and h2 must see one that does, to fail the connection.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DataFrame", "FrameSplitter", "GoAway"]

HEADER_SIZE = 9
_DATA = 0x0
_HEADERS = 0x1
_PUSH_PROMISE = 0x5
_GOAWAY = 0x7
_CONTINUATION = 0x9
END_STREAM = 0x1
_END_HEADERS = 0x4
PADDED = 0x8


class GoAway(NamedTuple):
    last_stream_id: int
    error_code: int


class DataFrame(NamedTuple):
    """A whole DATA frame: ``frame`` is all of it, header included."""

    stream_id: int
    flags: int
    frame: memoryview

    @property
    def payload(self) -> memoryview:
        return self.frame[HEADER_SIZE:]


class FrameSplitter:
    __slots__ = ("_held", "_in_header_block", "_passing")

    def __init__(self) -> None:
        self._held = b""  # the start of a frame header, or of a DATA or GOAWAY frame
        self._passing = 0  # bytes of the current frame still to pass on to h2
        self._in_header_block = False  # a header block awaits its CONTINUATION

    def feed(self, data: bytes) -> list[bytes | GoAway | DataFrame]:
        """What ``data`` completes, in order: bytes for h2 (runs of other frames, whole
        or not), GOAWAY frames, and whole DATA frames."""
        if self._held:
            data, self._held = self._held + data, b""
        size = len(data)
        if self._passing >= size:
            self._passing -= size
            return [data]
        view = memoryview(data)
        pieces: list[bytes | GoAway | DataFrame] = []
        position, self._passing = self._passing, 0
        passed_from = 0  # the start of the bytes for h2 not yet in ``pieces``
        while True:
            if size - position < HEADER_SIZE:
                self._held = data[position:]
                break
            length = int.from_bytes(data[position : position + 3], "big")
            kind = data[position + 3]
            end = position + HEADER_SIZE + length
            if self._in_header_block or kind in (_HEADERS, _PUSH_PROMISE):
                taken = False
                self._in_header_block = not data[position + 4] & _END_HEADERS
            else:  # h2 rejects a GOAWAY too short to read
                taken = kind == _DATA or (kind == _GOAWAY and length >= 8)
            if not taken:
                if end >= size:
                    self._passing = end - size
                    position = size
                    break
                position = end
                continue
            if end > size:  # hold it back until it is whole
                self._held = data[position:]
                break
            if passed_from < position:
                pieces.append(data[passed_from:position])
            if kind == _DATA:
                stream_id = int.from_bytes(data[position + 5 : position + 9], "big") & 0x7FFFFFFF
                pieces.append(DataFrame(stream_id, data[position + 4], view[position:end]))
            else:
                payload = position + HEADER_SIZE
                last = int.from_bytes(data[payload : payload + 4], "big") & 0x7FFFFFFF
                pieces.append(GoAway(last, int.from_bytes(data[payload + 4 : payload + 8], "big")))
            passed_from = position = end
        if passed_from == 0 and position == size:
            return [data]  # nothing taken out: passed on uncopied
        if passed_from < position:
            pieces.append(data[passed_from:position])
        return pieces
