"""The HTTP/2 rules for the fields of a response (RFC 9113 §8.2 and §8.3), sans-I/O.

h2 can check received fields itself, through a chain of generators per field; for a
small response that chain costs more than everything else we do with it. The connection
switches h2's checks off and applies the same rules here, once per field with compiled
patterns (tests hold the two to the same verdicts). A response that breaks them is
malformed: a stream error (§8.1.1), so only its own request fails.

Content-Length is the exception. h2 4.3 and later reject a value that is not digits, or
two values that differ, as an error of the whole connection, before we see the fields;
h2 3.2 to 4.2 take the first value, read as ``int()`` reads it (``+9``, `` 9``, ``1_0``).
:func:`content_length_problem` applies h2 4.3's rule for every h2 in our range, so the
outcome does not depend on which one is installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["content_length_problem", "response_fields_problem"]

# Field names: no controls, space, colon, uppercase, DEL or non-ASCII (§8.2.1).
_NAME = re.compile(rb"[\x21-\x39\x3b-\x40\x5b-\x7e]+")
# Field values: no NUL, CR or LF, and no space or tab at either end (§8.2.1).
_VALUE = re.compile(rb"[^\x00\n\r\t ](?:[^\x00\n\r]*[^\x00\n\r\t ])?")
_STATUS = re.compile(rb"[0-9]{3}")
# Connection-specific fields (§8.2.2); TE is allowed with "trailers" only.
_CONNECTION_SPECIFIC = frozenset(
    {b"connection", b"proxy-connection", b"keep-alive", b"transfer-encoding", b"upgrade"}
)


def response_fields_problem(fields: Iterable[tuple[bytes, bytes]], trailers: bool) -> str | None:
    """What makes a response's (or its trailers') fields malformed, or None."""
    status = None
    regular = False
    for name, value in fields:
        if name[:1] == b":":
            if trailers:
                return f"pseudo-header field {name!r} in trailers"
            if name != b":status":
                return f"pseudo-header field {name!r} in a response"
            if regular:
                return "pseudo-header field :status after a regular field"
            if status is not None:
                return "duplicate :status pseudo-header field"
            if not _STATUS.fullmatch(value):
                return f"invalid :status {value!r}"
            status = value
            continue
        regular = True
        if not _NAME.fullmatch(name):
            return f"invalid field name {name!r}"
        if name in _CONNECTION_SPECIFIC:
            return f"connection-specific field {name!r}"
        if name == b"te" and value.lower() != b"trailers":
            return f"invalid TE field {value!r}"
        if value and not _VALUE.fullmatch(value):
            return f"invalid value for field {name!r}: {value!r}"
    if status is None and not trailers:
        return "response without a :status pseudo-header field"
    return None


def content_length_problem(fields: Iterable[tuple[bytes, bytes]]) -> str | None:
    """What makes the Content-Length of a field block unusable (a value that is not
    1*DIGIT, or two that differ), or None. Worded as h2 4.3 words it."""
    length = None
    for name, value in fields:
        if name != b"content-length":
            continue
        if not value.isdigit():
            return f"Invalid content-length header: {value!r}"
        parsed = int(value)
        if length is None:
            length = parsed
        elif parsed != length:
            return f"Conflicting content-length headers: {length} and {parsed}"
    return None
