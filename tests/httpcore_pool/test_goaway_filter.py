"""GoAwayFilter: everything but GOAWAY frames reaches h2, whatever the reads' sizes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from httpcore_pool._goaway_filter import GoAwayFilter

GOAWAY = 0x7


def frame(kind: int, payload: bytes, stream_id: int = 0) -> bytes:
    return (
        len(payload).to_bytes(3, "big") + bytes([kind, 0]) + stream_id.to_bytes(4, "big") + payload
    )


frames = st.one_of(
    # DATA, HEADERS, PING, WINDOW_UPDATE...: passed through, any length
    st.builds(
        frame,
        st.sampled_from([0x0, 0x1, 0x3, 0x6, 0x8]),
        st.binary(max_size=40_000),
        st.integers(0, 2**31 - 1),
    ),
    # GOAWAY: last stream id (reserved bit set sometimes), error code, debug data
    st.builds(
        lambda last, reserved, code, debug: frame(
            GOAWAY, (last | (reserved << 31)).to_bytes(4, "big") + code.to_bytes(4, "big") + debug
        ),
        st.integers(0, 2**31 - 1),
        st.integers(0, 1),
        st.integers(0, 2**32 - 1),
        st.binary(max_size=30),
    ),
    # too short to be a GOAWAY: left to h2, which rejects it
    st.builds(lambda payload: frame(GOAWAY, payload), st.binary(max_size=7)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(frames, max_size=8), st.lists(st.integers(1, 50_000), max_size=20))
def test_goaway_frames_are_taken_out_and_the_rest_passes_whatever_the_cuts(
    stream: list[bytes], cuts: list[int]
) -> None:
    wire = b"".join(stream)
    expected = b"".join(f for f in stream if not (f[3] == GOAWAY and len(f) >= 9 + 8))
    expected_ids = [
        (int.from_bytes(f[9:13], "big") & 0x7FFFFFFF, int.from_bytes(f[13:17], "big"))
        for f in stream
        if f[3] == GOAWAY and len(f) >= 9 + 8
    ]
    goaway_filter = GoAwayFilter()
    passed: list[bytes] = []
    ids: list[tuple[int, int]] = []
    position = 0
    for cut in [*cuts, len(wire)]:
        piece = wire[position : position + cut]
        position += len(piece)
        data, goaways = goaway_filter.feed(piece)
        passed.append(data)
        ids += goaways
    assert b"".join(passed) == expected
    assert ids == expected_ids


def test_a_read_without_goaway_is_passed_on_uncopied() -> None:
    wire = frame(0x0, b"x" * 100, 1) + frame(0x1, b"y" * 10, 3)
    goaway_filter = GoAwayFilter()
    data, goaways = goaway_filter.feed(wire)
    assert data is wire
    assert goaways == []
    head, tail = wire[:50], wire[50:]  # a frame continued in the next read
    assert goaway_filter.feed(head)[0] is head
    assert goaway_filter.feed(tail)[0] is tail
