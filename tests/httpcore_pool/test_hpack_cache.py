"""CachingDecoder: the same headers, table and errors as hpack's decoder, block by block."""

from __future__ import annotations

from typing import Any

import hpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from httpcore_pool._hpack_cache import CachingDecoder, added_entries


def integer(value: int, prefix_bits: int, first: int) -> bytes:
    """An HPACK integer with ``first``'s high bits (RFC 7541 §5.1)."""
    mask = (1 << prefix_bits) - 1
    if value < mask:
        return bytes([first | value])
    out = [first | mask]
    value -= mask
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def string(text: bytes, huffman: bool) -> bytes:
    if huffman:
        encoded = hpack.huffman.HuffmanEncoder(
            hpack.huffman_constants.REQUEST_CODES, hpack.huffman_constants.REQUEST_CODES_LENGTH
        ).encode(text)
        return integer(len(encoded), 7, 0x80) + encoded
    return integer(len(text), 7, 0) + text


names = st.sampled_from([b"server", b"date", b"x-a", b"content-type", b"etag"])
values = st.binary(min_size=0, max_size=12).filter(lambda v: b"\n" not in v)
fields = st.one_of(
    st.builds(lambda i: integer(i, 7, 0x80), st.integers(1, 70)),  # static or dynamic index
    st.builds(  # literal, added, with an indexed name (static or dynamic) or a new one
        lambda i, n, v, h: integer(i, 6, 0x40) + (string(n, h) if i == 0 else b"") + string(v, h),
        st.integers(0, 66),
        names,
        values,
        st.booleans(),
    ),
    st.builds(  # literal not added (0x00) or never indexed (0x10)
        lambda flag, i, n, v, h: (
            integer(i, 4, flag) + (string(n, h) if i == 0 else b"") + string(v, h)
        ),
        st.sampled_from([0x00, 0x10]),
        st.integers(0, 66),
        names,
        values,
        st.booleans(),
    ),
    st.builds(lambda size: integer(size, 5, 0x20), st.integers(0, 5000)),  # table size update
)
blocks = st.lists(fields, min_size=1, max_size=6).map(b"".join)


def decoded(decoder: hpack.Decoder, block: bytes) -> Any:
    try:
        headers = [tuple(h) for h in decoder.decode(block, raw=True)]
    except Exception as exc:
        return type(exc)
    return headers, list(decoder.header_table.dynamic_entries), decoder.header_table_size


@settings(max_examples=300, deadline=None)
@given(st.lists(blocks, min_size=1, max_size=5), st.lists(st.integers(0, 4), max_size=25))
def test_the_cache_decodes_as_hpack_does_block_after_block(
    distinct: list[bytes], order: list[int]
) -> None:
    """Blocks come again and again, in any order, valid or not: each leaves both decoders
    with the same headers (or the same error), the same dynamic table and size."""
    plain = hpack.Decoder()
    caching = CachingDecoder(plain.max_header_list_size)
    for index in [*range(len(distinct)), *order]:
        block = distinct[index % len(distinct)]
        expected = decoded(plain, block)
        assert decoded(caching, block) == expected
        if not isinstance(expected, tuple):
            break  # a connection error: h2 stops decoding


def test_a_block_that_refers_to_the_dynamic_table_is_never_kept() -> None:
    static = integer(8, 7, 0x80)  # :status 200
    added = integer(54, 6, 0x40) + string(b"nginx", True)  # server, added to the table
    assert added_entries(static + added) == [1]
    assert added_entries(static + integer(62, 7, 0x80)) is None  # the dynamic table
    assert added_entries(integer(0, 5, 0x20) + static) is None  # a size update
    # a size update, then a literal with an empty name and value: read as one literal
    # more, it would look complete
    assert added_entries(integer(0, 5, 0x20) + b"\x00" + string(b"", False)) is None
    assert added_entries(static[:0] + integer(54, 6, 0x40)) is None  # cut short


def test_a_kept_block_is_not_decoded_again() -> None:
    block = integer(8, 7, 0x80) + integer(54, 6, 0x40) + string(b"nginx", True)
    decoder = CachingDecoder(65536)
    first = decoder.decode(block, raw=True)
    calls: list[Any] = []

    def decode_literal(data: Any, should_index: bool) -> Any:
        calls.append(data)
        raise AssertionError("decoded again")

    decoder._decode_literal = decode_literal  # type: ignore[method-assign]
    assert decoder.decode(block, raw=True) == first
    assert calls == []
    assert len(decoder.header_table.dynamic_entries) == 2  # added again, as hpack would


def test_the_header_list_limit_still_holds_for_a_kept_block() -> None:
    block = integer(54, 6, 0x40) + string(b"x" * 100, False)
    decoder = CachingDecoder(65536)
    decoder.decode(block, raw=True)
    decoder.max_header_list_size = 50
    with pytest.raises(hpack.exceptions.OversizedHeaderListError):
        decoder.decode(block, raw=True)


def test_a_name_from_the_dynamic_table_is_looked_up_every_time() -> None:
    """A literal whose name refers to the dynamic table means what the table holds now."""
    plain = hpack.Decoder()
    caching = CachingDecoder(plain.max_header_list_size)
    first = integer(0, 6, 0x40) + string(b"x-a", False) + string(b"1", False)
    second = integer(0, 6, 0x40) + string(b"x-b", False) + string(b"2", False)
    uses_newest_name = integer(62, 4, 0x00) + string(b"v", False)
    for block in (first, uses_newest_name, second, uses_newest_name):
        assert decoded(caching, block) == decoded(plain, block)
    assert decoded(caching, uses_newest_name)[0] == [(b"x-b", b"v")]
