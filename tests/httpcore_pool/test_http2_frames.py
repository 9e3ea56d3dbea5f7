"""FrameSplitter: GOAWAY and whole DATA frames are taken out, everything else reaches h2
as it came, whatever the reads' sizes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from httpcore_pool._http2_frames import DataRun, FrameSplitter, GoAway

DATA = 0x0
GOAWAY = 0x7


def frame(kind: int, payload: bytes, stream_id: int = 0, flags: int = 0) -> bytes:
    header = len(payload).to_bytes(3, "big") + bytes([kind, flags])
    return header + stream_id.to_bytes(4, "big") + payload


def is_goaway(raw: bytes) -> bool:
    return raw[3] == GOAWAY and len(raw) >= 9 + 8


frames = st.one_of(
    # DATA, plain mostly (a run of one stream's frames), any flags sometimes, the
    # reserved bit of the stream id set sometimes
    st.builds(
        lambda payload, stream_id, reserved, flags: frame(
            DATA, payload, stream_id | (reserved << 31), flags
        ),
        st.binary(max_size=17_000),
        st.sampled_from([1, 1, 3]) | st.integers(0, 2**31 - 1),
        st.integers(0, 1),
        st.sampled_from([0, 0, 0, 0x1, 0x8]) | st.integers(0, 255),
    ),
    # HEADERS, PUSH_PROMISE, CONTINUATION, PING, WINDOW_UPDATE...: passed through, any
    # length; END_HEADERS set or not
    st.builds(
        frame,
        st.sampled_from([0x1, 0x3, 0x5, 0x6, 0x8, 0x9]),
        st.binary(max_size=40_000),
        st.integers(0, 2**31 - 1),
        st.sampled_from([0x0, 0x4]),
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
@given(st.lists(frames, max_size=12), st.lists(st.integers(1, 50_000), max_size=20))
def test_frames_are_split_the_same_whatever_the_cuts(stream: list[bytes], cuts: list[int]) -> None:
    wire = b"".join(stream)
    expected: list[Any] = []
    joinable = False  # the last item is a run of plain DATA frames that may grow
    in_header_block = False  # nothing is taken out there: h2 must see what comes
    for raw in stream:
        stream_id = int.from_bytes(raw[5:9], "big") & 0x7FFFFFFF
        plain = raw[3] == DATA and raw[4] == 0 and len(raw) - 9 <= 16_384
        too_long = raw[3] == DATA and len(raw) - 9 > 16_384  # left to h2, which refuses it
        if in_header_block or raw[3] in (0x1, 0x5) or too_long:
            if in_header_block or raw[3] in (0x1, 0x5):
                in_header_block = not raw[4] & 0x4
            joinable = False
            if expected and isinstance(expected[-1], bytes):
                expected[-1] += raw
            else:
                expected.append(raw)
        elif plain and joinable and expected[-1][0] == stream_id:
            _, flags, frames, payload = expected[-1]
            expected[-1] = (stream_id, flags, frames + raw, payload + raw[9:])
        elif raw[3] == DATA:
            expected.append((stream_id, raw[4], raw, raw[9:]))
            joinable = plain
        elif is_goaway(raw):
            last = int.from_bytes(raw[9:13], "big") & 0x7FFFFFFF
            expected.append(GoAway(last, int.from_bytes(raw[13:17], "big")))
            joinable = False
        else:
            joinable = False
            if expected and isinstance(expected[-1], bytes):
                expected[-1] += raw
            else:
                expected.append(raw)
    splitter = FrameSplitter()
    got: list[Any] = []
    position = 0
    for cut in [*cuts, len(wire)]:
        piece = wire[position : position + cut]
        position += len(piece)
        for item in splitter.feed(piece):
            if isinstance(item, DataRun):
                assert item.length == sum(len(p) for p in item.payloads)
                payload = b"".join(item.payloads)
                run = (item.stream_id, item.flags, bytes(item.frames), payload)
                if got and type(got[-1]) is tuple and joinable_across_reads(got[-1], run):
                    got[-1] = (run[0], 0, got[-1][2] + run[2], got[-1][3] + run[3])
                else:
                    got.append(run)
            elif isinstance(item, GoAway):
                got.append(item)
            elif got and isinstance(got[-1], bytes):
                got[-1] += item  # a frame for h2 cut by a read, or two in a row
            elif item:
                got.append(item)
    assert got == expected


def joinable_across_reads(previous: tuple[Any, ...], run: tuple[Any, ...]) -> bool:
    """Runs of one stream cut by a read come as two: the model joins them."""
    frames = run[2]
    each_plain = all(
        frames[at + 4] == 0 and int.from_bytes(frames[at : at + 3], "big") <= 16_384
        for at in frame_starts(frames)
    )
    first = previous[2]
    return (
        previous[0] == run[0]
        and each_plain
        and all(
            first[at + 4] == 0 and int.from_bytes(first[at : at + 3], "big") <= 16_384
            for at in frame_starts(first)
        )
    )


def frame_starts(frames: bytes) -> list[int]:
    starts, at = [], 0
    while at < len(frames):
        starts.append(at)
        at += 9 + int.from_bytes(frames[at : at + 3], "big")
    return starts


def test_plain_data_frames_of_one_stream_in_a_row_come_as_one_run() -> None:
    wire = (
        frame(DATA, b"ab", 3)
        + frame(DATA, b"cd", 3)
        + frame(DATA, b"e", 5)  # another stream
        + frame(DATA, b"f", 5, flags=0x1)  # END_STREAM: a run of its own
        + frame(DATA, b"g", 5)
    )
    runs = FrameSplitter().feed(wire)
    assert [(r.stream_id, r.flags, b"".join(r.payloads)) for r in runs] == [  # type: ignore[union-attr]
        (3, 0, b"abcd"),
        (5, 0, b"e"),
        (5, 0x1, b"f"),
        (5, 0, b"g"),
    ]
    first = runs[0]
    assert isinstance(first, DataRun)
    assert bytes(first.frames) == wire[: 2 * 11]
    assert first.length == 4


def test_a_read_with_nothing_taken_out_is_passed_on_uncopied() -> None:
    wire = frame(0x1, b"x" * 100, 1) + frame(0x8, b"y" * 4, 3)
    splitter = FrameSplitter()
    assert splitter.feed(wire)[0] is wire
    head, tail = wire[:50], wire[50:]  # a frame continued in the next read
    assert splitter.feed(head)[0] is head
    assert splitter.feed(tail)[0] is tail


def test_nothing_is_taken_out_inside_a_header_block() -> None:
    """RFC 9113 §6.10: only CONTINUATION may follow HEADERS without END_HEADERS; h2 must
    see any other frame there, to fail the connection."""
    head = frame(0x1, b"h" * 5, 1)  # no END_HEADERS
    inside = frame(DATA, b"d", 3) + frame(GOAWAY, bytes(8))
    end = frame(0x9, b"c", 1, flags=0x4)
    after = frame(DATA, b"e", 3)
    splitter = FrameSplitter()
    pieces = splitter.feed(head + inside + end + after)
    assert pieces[0] == head + inside + end
    assert isinstance(pieces[1], DataRun)
    assert pieces[1].payloads == [b"e"]


def test_a_data_frame_too_long_for_h2_is_passed_on_at_once() -> None:
    """Longer than any frame we allow: h2 refuses it at its header; held back whole (up to
    16 MiB, joined again on every read) it would cost memory and time for nothing."""
    header = (16_385).to_bytes(3, "big") + bytes([DATA, 0]) + (1).to_bytes(4, "big")
    splitter = FrameSplitter()
    assert splitter.feed(header + b"x" * 100) == [header + b"x" * 100]
    assert splitter.feed(b"y" * 100) == [b"y" * 100]
