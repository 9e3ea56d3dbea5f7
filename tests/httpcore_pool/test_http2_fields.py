"""Our checks of received HTTP/2 fields give h2's verdicts (h2's own are switched off for
speed), plus a :status of three digits, which h2 leaves to its user."""

from __future__ import annotations

import h2
import h2.config
import h2.connection
import pytest
from h2.exceptions import ProtocolError
from h2.utilities import HeaderValidationFlags, validate_headers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from httpcore_pool._http2_fields import content_length_problem, response_fields_problem

names = st.one_of(
    st.sampled_from(
        [b":status", b":path", b":method", b":authority", b":scheme", b":protocol", b":custom"]
    ),
    st.sampled_from([b"content-type", b"te", b"connection", b"upgrade", b"x-a", b"cookie"]),
    st.sampled_from([b"", b"Content-Type", b"a b", b"a:b", b"x\x00", b"\xff", b"\x7f", b":"]),
    st.binary(min_size=0, max_size=6),
)
values = st.one_of(
    st.sampled_from([b"", b"200", b"204", b"trailers", b"gzip", b" x", b"x ", b"a\tb", b"\t"]),
    st.sampled_from([b"a\rb", b"a\nb", b"a\x00b", b"TRAILERS", b"x\x01y", b"\xffok"]),
    st.binary(max_size=6),
)
fields = st.lists(st.tuples(names, values), max_size=5)


def h2_accepts(headers: list[tuple[bytes, bytes]], trailers: bool) -> bool:
    flags = HeaderValidationFlags(
        is_client=True, is_trailer=trailers, is_response_header=not trailers, is_push_promise=False
    )
    try:
        list(validate_headers(headers, flags))
    except ProtocolError:
        return False
    return True


def status_is_valid(headers: list[tuple[bytes, bytes]]) -> bool:
    return all(len(v) == 3 and v.isdigit() for n, v in headers if n == b":status")


@pytest.mark.skipif(
    int(h2.__version__.split(".")[0]) < 4,
    reason="the reference is h2 4's validate_headers; h2 3's raises IndexError on an empty "
    "field name instead of a verdict",
)
@settings(max_examples=3000, deadline=None)
@given(fields, st.booleans())
@example([(b":status", b"200"), (b"content-type", b"text/plain")], False)
@example([(b"content-type", b"text/plain"), (b":status", b"200")], False)
@example([(b":status", b"200"), (b":status", b"200")], False)
@example([(b":status", b"200"), (b"te", b"trailers")], False)
@example([(b"x-checksum", b"abc")], True)
def test_the_same_verdicts_as_h2(headers: list[tuple[bytes, bytes]], trailers: bool) -> None:
    problem = response_fields_problem(headers, trailers)
    expected = h2_accepts(headers, trailers) and (trailers or status_is_valid(headers))
    assert (problem is None) == expected, problem


def test_problems_say_what_is_wrong() -> None:
    assert response_fields_problem([(b":status", b"200"), (b"X-A", b"1")], False) == (
        "invalid field name b'X-A'"
    )
    assert response_fields_problem([(b"content-length", b"1")], False) == (
        "response without a :status pseudo-header field"
    )
    assert response_fields_problem([(b":status", b"2xx")], False) == "invalid :status b'2xx'"


def h2_takes_content_length(values: list[bytes]) -> str | None:
    """What h2 says of a response carrying these content-length values: None if it takes
    them, else its error. A real exchange, since h2 checks them in its stream state."""
    client = h2.connection.H2Connection(  # configured as the pool configures it
        h2.config.H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_outbound_headers=False,
            validate_inbound_headers=False,
            normalize_inbound_headers=False,
        )
    )
    server = h2.connection.H2Connection(
        h2.config.H2Configuration(
            client_side=False, validate_outbound_headers=False, normalize_outbound_headers=False
        )
    )
    client.initiate_connection()
    server.initiate_connection()
    request = [
        (b":method", b"GET"),
        (b":path", b"/"),
        (b":scheme", b"https"),
        (b":authority", b"a"),
    ]
    client.send_headers(1, request, end_stream=True)
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    server.send_headers(1, [(b":status", b"200")] + [(b"content-length", v) for v in values])
    try:
        client.receive_data(server.data_to_send())
    except ProtocolError as exc:
        return str(exc)
    return None


lengths = st.lists(
    st.one_of(
        st.sampled_from([b"0", b"5", b"05", b"+5", b"-5", b" 5", b"5 ", b"", b"1_0", b"\xd9\xa5"]),
        st.integers(0, 12).map(lambda n: str(n).encode()),
        st.binary(max_size=3),
    ),
    max_size=3,
)


@pytest.mark.skipif(
    tuple(int(part) for part in h2.__version__.split(".")[:2]) < (4, 3),
    reason="h2 3.2 to 4.2 take the first content-length as int() reads it: h2 4.3's rule is the one"
    " we apply on every h2",
)
@settings(max_examples=1000, deadline=None)
@given(lengths)
@example([b"5", b"6"])
@example([b"+5"])
@example([b"5", b"05"])
def test_content_length_verdicts_are_h2_4_3s(values: list[bytes]) -> None:
    fields = [(b":status", b"200")] + [(b"content-length", v) for v in values]
    assert content_length_problem(fields) == h2_takes_content_length(values)


def test_content_length_problems_say_what_is_wrong() -> None:
    assert content_length_problem([(b"content-length", b"5"), (b"x", b"1")]) is None
    assert content_length_problem([(b"content-length", b"5"), (b"content-length", b"5")]) is None
    assert content_length_problem([(b"content-length", b"+5")]) == (
        "Invalid content-length header: b'+5'"
    )
    assert content_length_problem([(b"content-length", b"5"), (b"content-length", b"6")]) == (
        "Conflicting content-length headers: 5 and 6"
    )
