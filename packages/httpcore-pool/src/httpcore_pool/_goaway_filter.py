"""Keep GOAWAY frames from h2, sans-I/O.

h2 treats its connection as closed once it receives a GOAWAY, and then refuses the frames
of the streams the server still answers (RFC 9113 §6.8 lets the server finish streams up
to the last stream id). The HTTP/2 connection therefore feeds what it receives through
``GoAwayFilter`` and handles GOAWAY itself.

Frames often span reads (a DATA frame of 16 KiB in TLS records of 16 KiB): only a frame
header cut by a read, or a GOAWAY frame, is held back; everything else is passed on as
it came, uncopied when the read holds no GOAWAY.
"""

from __future__ import annotations

__all__ = ["GoAwayFilter"]

_HEADER_SIZE = 9
_GOAWAY = 0x7


class GoAwayFilter:
    __slots__ = ("_held", "_passing")

    def __init__(self) -> None:
        self._held = b""  # the start of a frame header, or of a GOAWAY frame
        self._passing = 0  # bytes of the current frame still to pass through

    def feed(self, data: bytes) -> tuple[bytes, list[tuple[int, int]]]:
        """The bytes for h2, and the GOAWAY frames completed: (last stream id, error code)."""
        if self._held:
            data, self._held = self._held + data, b""
        size = len(data)
        if self._passing >= size:
            self._passing -= size
            return data, []
        position, self._passing = self._passing, 0
        goaways: list[tuple[int, int]] = []
        kept: list[bytes] = []  # pieces for h2, once a GOAWAY was cut out
        kept_from = 0
        while True:
            if size - position < _HEADER_SIZE:
                self._held = data[position:]
                break
            length = int.from_bytes(data[position : position + 3], "big")
            end = position + _HEADER_SIZE + length
            if data[position + 3] != _GOAWAY or length < 8:  # h2 rejects a short one
                if end >= size:
                    self._passing = end - size
                    position = size
                    break
                position = end
                continue
            if end > size:  # hold the GOAWAY back until it is whole
                self._held = data[position:]
                break
            payload_start = position + _HEADER_SIZE
            last = int.from_bytes(data[payload_start : payload_start + 4], "big")
            error_code = int.from_bytes(data[payload_start + 4 : payload_start + 8], "big")
            goaways.append((last & 0x7FFFFFFF, error_code))
            kept.append(data[kept_from:position])
            kept_from = position = end
        if not kept:
            return (data if position == size else data[:position]), goaways
        kept.append(data[kept_from:position])
        return b"".join(kept), goaways
