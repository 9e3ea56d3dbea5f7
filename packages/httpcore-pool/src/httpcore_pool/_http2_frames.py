"""Split what an HTTP/2 connection receives into what h2 gets and what we take, sans-I/O.

Two kinds of frame are taken out of the byte stream before h2 sees it:

- GOAWAY: h2 treats its connection as closed once it receives one, and then refuses the
  frames of the streams the server still answers (RFC 9113 §6.8 lets the server finish
  streams up to the last stream id). The protocol handles GOAWAY itself.
- DATA, whole: h2 spends far more on each frame (parsing into objects, an eagerly built
  debug text, an event per frame) than a download can afford. The protocol takes the
  frames it can account for exactly as h2 would, and hands the others back to h2.

A DATA frame longer than 16 KiB is left to h2 as it comes: we never allow more (the
least SETTINGS_MAX_FRAME_SIZE), so h2 refuses it at its header, and it is never held.

Frames often span reads (a DATA frame of 16 KiB in TLS records of 16 KiB): a DATA or
GOAWAY frame is held back until it is whole, and so is a frame header cut by a read;
every other frame is passed on as it came, cut or not, since h2 keeps the rest itself.

Inside a header block (HEADERS or PUSH_PROMISE without END_HEADERS, until the
CONTINUATION that ends it) nothing is taken out: no other frame may come there (RFC 9113
§6.10), and h2 must see one that does, to fail the connection.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

__all__ = ["DataRun", "FrameSplitter", "GoAway"]

HEADER_SIZE = 9
_DATA = 0x0
_HEADERS = 0x1
_PUSH_PROMISE = 0x5
_GOAWAY = 0x7
_CONTINUATION = 0x9
END_STREAM = 0x1
_END_HEADERS = 0x4
PADDED = 0x8
_PLAIN_MAX = 16_384  # SETTINGS_MAX_FRAME_SIZE can be no less (RFC 9113 §6.5.2)


class GoAway(NamedTuple):
    last_stream_id: int
    error_code: int


class DataRun:
    """Whole DATA frames of one stream, in a row: ``frames`` is all of them, headers
    included; ``length`` the sum of their payloads (padding included: what flow control
    counts). Only the first may have flags (END_STREAM, PADDED...); frames that follow
    it join only if it and they have none. Each is at most 16 KiB (see the module
    docstring), so none is a frame h2 would refuse for its size."""

    __slots__ = ("_start", "_view", "end", "flags", "length", "payloads", "stream_id")

    def __init__(self, view: memoryview, start: int, end: int, stream_id: int, flags: int):
        self._view = view
        self._start = start
        self.end = end  # where the last frame ends (frames join in FrameSplitter.feed)
        self.stream_id = stream_id
        self.flags = flags
        self.length = end - start - HEADER_SIZE
        self.payloads = [view[start + HEADER_SIZE : end]]

    @property
    def frames(self) -> memoryview:
        return self._view[self._start : self.end]


#: A frame header: (length << 8 | type, flags, stream id with its reserved bit).
_HEADER = struct.Struct(">IBI")
#: The start of a GOAWAY's payload: last stream id (with its reserved bit), error code.
_GOAWAY_HEAD = struct.Struct(">II")


class FrameSplitter:
    __slots__ = ("_held", "_in_header_block", "_passing")

    def __init__(self) -> None:
        self._held = b""  # the start of a frame header, or of a DATA or GOAWAY frame
        self._passing = 0  # bytes of the current frame still to pass on to h2
        self._in_header_block = False  # a header block awaits its CONTINUATION

    def feed(self, data: bytes) -> list[bytes | GoAway | DataRun]:
        """What ``data`` completes, in order: bytes for h2 (runs of other frames, whole
        or not), GOAWAY frames, and runs of whole DATA frames."""
        if self._held:
            data, self._held = self._held + data, b""
        size = len(data)
        if self._passing >= size:
            self._passing -= size
            return [data]
        view = memoryview(data)
        pieces: list[bytes | GoAway | DataRun] = []
        position, self._passing = self._passing, 0
        passed_from = 0  # the start of the bytes for h2 not yet in ``pieces``
        in_header_block = self._in_header_block
        unpack = _HEADER.unpack_from
        run: DataRun | None = None  # the run the next plain DATA frame may join
        run_stream = -1  # its stream id as on the wire: -1 while there is no such run
        while True:  # once per frame: kept lean, a download has thousands
            if size - position < HEADER_SIZE:
                self._held = data[position:]
                break
            length_kind, flags, stream_id = unpack(data, position)
            length = length_kind >> 8
            kind = length_kind & 0xFF
            end = position + HEADER_SIZE + length
            if kind == _DATA and not in_header_block and length <= _PLAIN_MAX:
                if end > size:  # hold it back until it is whole
                    self._held = data[position:]
                    break
                if (
                    stream_id == run_stream
                    and passed_from == position
                    and not flags
                    and run is not None
                ):
                    run.length += length  # joins the run
                    run.payloads.append(view[position + HEADER_SIZE : end])
                    run.end = end
                else:
                    if passed_from < position:
                        pieces.append(data[passed_from:position])
                    run = DataRun(view, position, end, stream_id & 0x7FFFFFFF, flags)
                    pieces.append(run)
                    run_stream = -1 if flags else stream_id
                passed_from = position = end
                continue
            if in_header_block or kind in (_HEADERS, _PUSH_PROMISE):
                in_header_block = not flags & _END_HEADERS
            elif kind == _GOAWAY and length >= 8:  # h2 rejects a short one
                if end > size:  # hold it back until it is whole
                    self._held = data[position:]
                    break
                if passed_from < position:
                    pieces.append(data[passed_from:position])
                last, error_code = _GOAWAY_HEAD.unpack_from(data, position + HEADER_SIZE)
                pieces.append(GoAway(last & 0x7FFFFFFF, error_code))
                run_stream = -1
                passed_from = position = end
                continue
            if end >= size:
                self._passing = end - size
                position = size
                break
            position = end
        self._in_header_block = in_header_block
        if passed_from == 0 and position == size:
            return [data]  # nothing taken out: passed on uncopied
        if passed_from < position:
            pieces.append(data[passed_from:position])
        return pieces
