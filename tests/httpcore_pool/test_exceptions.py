"""The one table per operation that turns low-level failures into httpcore exceptions."""

from __future__ import annotations

import errno

import pytest

from httpcore_interfaces import (
    ConnectError,
    ConnectTimeout,
    ProxyError,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)
from httpcore_pool._exceptions import (
    CONNECT,
    READ,
    TLS_HANDSHAKE,
    WRITE,
    ExceptionMap,
    describe_os_error,
)


class Broken(Exception):
    """Stands for a library's own stream error, such as anyio's BrokenResourceError."""


def test_the_first_matching_entry_wins_and_the_cause_is_kept() -> None:
    # TimeoutError is an OSError: listed first, a timeout is a timeout, not an error.
    expected = r"^Timed out reading from the server after 2s$"
    with pytest.raises(ReadTimeout, match=expected) as info, READ.mapping(timeout=2):
        raise TimeoutError
    assert isinstance(info.value.__cause__, TimeoutError)
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
    expected = r"^\[Errno \d+\] Connection refused$"
    with pytest.raises(ConnectError, match=expected) as caught, CONNECT.mapping(target="a:1"):
        raise refused
    assert caught.value.__cause__ is refused


@pytest.mark.parametrize(
    ("exception_map", "failure", "expected", "message"),
    [
        (CONNECT, TimeoutError(), ConnectTimeout, "Timed out connecting to a:1 after 3s"),
        (WRITE, TimeoutError(), WriteTimeout, "Timed out writing to the server after 3s"),
        (WRITE, BrokenPipeError(errno.EPIPE, "x"), WriteError, "Broken pipe"),
        (TLS_HANDSHAKE, ReadTimeout("slow"), ConnectTimeout, "TLS handshake timed out after 3s"),
        (TLS_HANDSHAKE, ReadError("reset"), ConnectError, "TLS handshake failed: reset"),
        (TLS_HANDSHAKE, OSError("bad record"), ConnectError, "TLS handshake failed: bad record"),
    ],
)
def test_each_operation_words_its_failures(
    exception_map: ExceptionMap,
    failure: BaseException,
    expected: type[Exception],
    message: str,
) -> None:
    assert isinstance(failure, exception_map.catches)
    error = exception_map.error(failure, target="a:1", timeout=3)
    assert type(error) is expected
    assert message in str(error)


def test_what_the_map_does_not_name_passes_unchanged() -> None:
    with pytest.raises(KeyboardInterrupt), READ.mapping(timeout=1):
        raise KeyboardInterrupt
    with pytest.raises(ValueError, match="a bug"), READ.mapping(timeout=1):
        raise ValueError("a bug")
    with READ.mapping(timeout=1):
        pass
    with pytest.raises(TypeError, match="ValueError is not mapped"):
        READ.error(ValueError("a bug"), timeout=1)


def test_treating_maps_a_library_error_as_another_is_mapped() -> None:
    read = READ.treating(Broken, like=OSError)
    assert Broken not in READ.catches
    with pytest.raises(ReadError, match=r"^gone$"), read.mapping(timeout=1):
        raise Broken("gone")
    with pytest.raises(ReadTimeout), read.mapping(timeout=1):
        raise TimeoutError


def test_a_sibling_words_its_own_failures_with_exc() -> None:
    # The proxy's CONNECT: the pool's exception is already worded, its cause is not repeated.
    connect = ExceptionMap({ReadTimeout: (ProxyError, "No answer: {exc}")})
    timeout = ReadTimeout("Timed out after 1s")
    timeout.__cause__ = TimeoutError()
    with pytest.raises(ProxyError, match=r"^No answer: Timed out after 1s$"), connect.mapping():
        raise timeout


def test_describe_os_error_keeps_the_reason_under_wrappers() -> None:
    wrapper = OSError("All connection attempts failed")
    wrapper.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
    assert describe_os_error(wrapper) == (
        f"All connection attempts failed: [Errno {errno.ECONNREFUSED}] Connection refused"
    )
    assert describe_os_error(Broken()) == "Broken"
