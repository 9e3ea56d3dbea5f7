"""HPACK decoding that remembers header blocks which mean the same whatever came before.

A server answers many requests with the same response headers, and many encode them
without referring to the dynamic table: static-table references and Huffman-coded
literals, some of them added to the table as they go (nginx sends `server`, `date`,
`content-type` that way on every response). Such a block decodes to the same headers
every time, and changes the table the same way, yet hpack decodes it from scratch,
Huffman and all: for small responses the largest cost of a request after TLS. So the
headers of such a block are kept with the entries it adds; when it comes again, those
entries are added to the table as hpack would add them, and the kept headers returned.
Any other block (one that refers to the dynamic table or resizes it) is decoded by
hpack as ever, and so is anything malformed, so errors stay hpack's.
"""

from __future__ import annotations

from typing import Any

import hpack

__all__ = ["CachingDecoder"]

#: Entries of the static table (RFC 7541 Appendix A); indexes above it are dynamic.
_STATIC_ENTRIES = 61
#: Blocks kept per connection; the cache is emptied when it is full (a Date header
#: changes every second, so old blocks stop coming).
MAX_BLOCKS = 32


class CachingDecoder(hpack.Decoder):
    """hpack's decoder, with the decoded headers of context-free blocks kept."""

    def __init__(self, max_header_list_size: int) -> None:
        super().__init__(max_header_list_size=max_header_list_size)
        #: block -> (its headers, the entries it adds to the table, its decoded size)
        self._blocks: dict[bytes, tuple[list[Any], list[Any], int]] = {}

    def decode(self, data: Any, raw: bool = False) -> Any:
        key = bytes(data)
        kept = self._blocks.get(key) if raw else None
        if (
            kept is not None
            and kept[2] <= self.max_header_list_size
            and self.header_table_size <= self.max_allowed_table_size
        ):
            headers, added, _ = kept
            for name, value in added:
                self.header_table.add(name, value)
            return list(headers)
        headers = list(super().decode(data, raw))
        positions = added_entries(key) if raw else None
        if positions is not None:
            if len(self._blocks) >= MAX_BLOCKS:
                self._blocks.clear()
            size = sum(len(name) + len(value) + 32 for name, value in headers)
            added = [headers[i] for i in positions]
            self._blocks[key] = (list(headers), added, size)
        return headers


def added_entries(block: bytes) -> list[int] | None:
    """If ``block`` decodes the same whatever the decoder's dynamic table holds (only
    static-table references and literals), the positions of its fields that it adds to
    the table; else None (it refers to the dynamic table, or resizes it)."""
    added: list[int] = []
    position, end, field = 0, len(block), 0
    while position < end:
        first = block[position]
        if first & 0x80:  # indexed field
            index, position = _integer(block, position, 7)
            if not 0 < index <= _STATIC_ENTRIES:
                return None
            field += 1
            continue
        if first & 0x40:  # literal, added to the table
            index, position = _integer(block, position, 6)
            added.append(field)
        elif first & 0x20:  # a table size update
            return None
        else:  # literal, not added (or never)
            index, position = _integer(block, position, 4)
        if index > _STATIC_ENTRIES:
            return None
        if index == 0:
            position = _skip_string(block, position)
        position = _skip_string(block, position)
        field += 1
    return added if position == end else None


def _integer(block: bytes, position: int, prefix_bits: int) -> tuple[int, int]:
    """An HPACK integer (RFC 7541 §5.1) at ``position``, and where the next field starts;
    a value past the end of the block is reported as too large to be static."""
    mask = (1 << prefix_bits) - 1
    value = block[position] & mask
    position += 1
    if value < mask:
        return value, position
    shift = 0
    while position < len(block):
        byte = block[position]
        position += 1
        value += (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position
    return 1 << 62, len(block)


def _skip_string(block: bytes, position: int) -> int:
    """Where the string literal (RFC 7541 §5.2) at ``position`` ends."""
    if position >= len(block):
        return len(block) + 1  # cut short: not a block to keep
    length, position = _integer(block, position, 7)
    return position + length
