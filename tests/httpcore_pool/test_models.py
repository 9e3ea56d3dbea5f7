"""Request arguments are checked before anything is sent: the right error, naming the problem."""

from __future__ import annotations

from typing import Any

import pytest

from httpcore_interfaces import LocalProtocolError, UnsupportedProtocol
from httpcore_pool._models import Request, authority, check_origin, origin_to_str

URL = (b"http", b"example.org", None, b"/")


def test_valid_request_fills_in_the_default_port() -> None:
    request = Request(b"GET", (b"https", b"example.org", None, b"/a?b=c"))
    assert request.origin == (b"https", b"example.org", 443)
    assert request.target == b"/a?b=c"
    assert request.host_header() == b"example.org"
    assert request.headers == []
    assert request.timeouts.read is None


def test_host_header_names_a_non_default_port_and_brackets_ipv6() -> None:
    assert Request(b"GET", (b"http", b"::1", 8080, b"/")).host_header() == b"[::1]:8080"
    assert Request(b"GET", (b"http", b"a.b", 80, b"/")).host_header() == b"a.b"


@pytest.mark.parametrize(
    ("origin", "text"),
    [
        ((b"http", b"a.b", 80), "http://a.b"),
        ((b"https", b"a.b", 8443), "https://a.b:8443"),
        ((b"http", b"::1", 81), "http://[::1]:81"),
    ],
)
def test_origin_to_str(origin: tuple[bytes, bytes, int], text: str) -> None:
    assert origin_to_str(origin) == text


def test_authority_of_a_connect_line_always_names_the_port() -> None:
    assert authority((b"https", b"a.b", 443)) == b"a.b:443"
    assert authority((b"https", b"::1", 443)) == b"[::1]:443"
    assert authority((b"https", b"a.b", 443), default_port=False) == b"a.b"


def test_check_origin_names_another_argument_and_raises_its_error() -> None:
    """The proxy's ``proxy_url``: its target is not checked, a bad host is a ValueError."""
    assert check_origin((b"https", b"p", None, None), "proxy_url", ValueError) == (
        b"https",
        b"p",
        443,
    )
    with pytest.raises(ValueError, match=r"^Invalid host b'p\\r' in proxy_url"):
        check_origin((b"http", b"p\r", 1, b"/"), "proxy_url", ValueError)
    with pytest.raises(UnsupportedProtocol, match=r"^Unsupported proxy_url scheme 'ftp'"):
        check_origin((b"ftp", b"p", 1, b"/"), "proxy_url", ValueError)
    with pytest.raises(TypeError, match=r"^proxy_url port must be an int"):
        check_origin((b"http", b"p", 1.0, b"/"), "proxy_url", ValueError)


def test_check_origin_keeps_each_callers_order_and_wording() -> None:
    """The first fault decides: the port before the scheme by default, after the host with
    ``port_last``; ``supported`` names what the schemes are for."""
    two_faults = (b"socks5", b"p", 0, b"/")
    with pytest.raises(ValueError, match="port must be in 1-65535"):
        check_origin(two_faults, "proxy_url", ValueError)
    with pytest.raises(UnsupportedProtocol, match="only 'http' and 'https' proxies are supp"):
        check_origin(two_faults, "proxy_url", ValueError, port_last=True, supported="proxies")
    with pytest.raises(ValueError, match="Invalid host"):
        check_origin((b"http", b"p q", "1", b"/"), "proxy_url", ValueError, port_last=True)
    with pytest.raises(TypeError, match="url target must be bytes"):
        check_origin((b"http", b"p", 0, None), target=True)
    assert check_origin((b"http", b"p", 8080, None), port_last=True) == (b"http", b"p", 8080)


@pytest.mark.parametrize(
    ("url", "error", "message"),
    [
        ((b"http", b"a", 0, "/"), TypeError, "url target must be bytes, not str"),
        ((b"ftp", b"a", None, "/"), TypeError, "url target must be bytes, not str"),
        ((b"http", b"a", True, None), TypeError, "url target must be bytes, not NoneType"),
        ((b"ftp", b"", 0, b"/"), ValueError, "url port must be in 1-65535"),
        ((b"ftp", b"a b", "80", b""), TypeError, "url port must be an int"),
        ((b"ftp", b"", None, b""), UnsupportedProtocol, "only 'http' and 'https' are supported$"),
        ((b"http", b"", None, b""), LocalProtocolError, "Missing host"),
    ],
)
def test_a_url_with_several_faults_is_refused_as_before_1_1(
    url: Any, error: type[Exception], message: str
) -> None:
    """The types (scheme, host, target), then the port, the scheme, the host and the
    target's bytes: the first fault decides the exception's type."""
    with pytest.raises(error, match=message):
        Request(b"GET", url)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "GET"}, TypeError, "method must be bytes, not str"),
        ({"method": b"GE T"}, LocalProtocolError, "Invalid method"),
        ({"method": b"GET\r\n"}, LocalProtocolError, "Invalid method"),
        ({"method": b""}, LocalProtocolError, "Invalid method"),
        ({"url": "http://example.org/"}, TypeError, "url must be a tuple"),
        ({"url": (b"http", b"example.org", b"/")}, TypeError, "of length 3"),
        ({"url": ("http", b"a", None, b"/")}, TypeError, "url scheme must be bytes, not str"),
        ({"url": (b"http", "a", None, b"/")}, TypeError, "url host must be bytes"),
        ({"url": (b"http", b"a", None, "/")}, TypeError, "url target must be bytes, not str"),
        ({"url": (b"http", b"a", "80", b"/")}, TypeError, "url port must be an int or None"),
        ({"url": (b"http", b"a", True, b"/")}, TypeError, "url port must be an int or None"),
        ({"url": (b"http", b"a", 0, b"/")}, ValueError, "url port must be in 1-65535, got 0"),
        ({"url": (b"http", b"a", 65536, b"/")}, ValueError, "got 65536"),
        ({"url": (b"ftp", b"a", None, b"/")}, UnsupportedProtocol, "'ftp'"),
        ({"url": (b"", b"a", None, b"/")}, UnsupportedProtocol, "Unsupported URL scheme"),
        ({"url": (b"http", b"", None, b"/")}, LocalProtocolError, "Missing host"),
        ({"url": (b"http", b"a\r\nb", None, b"/")}, LocalProtocolError, "Invalid host"),
        ({"url": (b"http", "é".encode(), None, b"/")}, LocalProtocolError, "IDNA"),
        ({"url": (b"http", b"a", None, b"/x\r\nX: y")}, LocalProtocolError, "target"),
        ({"url": (b"http", b"a", None, b"/x y")}, LocalProtocolError, "target"),
        ({"url": (b"http", b"a", None, b"/\x00")}, LocalProtocolError, "target"),
        ({"url": (b"http", b"a", None, b"")}, LocalProtocolError, "target"),
        ({"headers": {b"a": b"b"}}, TypeError, "headers must be a list"),
        ({"headers": [(b"a",)]}, TypeError, "pairs, got item"),
        ({"headers": [("a", b"b")]}, TypeError, r"must be bytes, got \(str, bytes\)"),
        ({"headers": [(b"a", "b")]}, TypeError, r"must be bytes, got \(bytes, str\)"),
        ({"headers": [(b"X-A\r\n", b"b")]}, LocalProtocolError, "Invalid header name"),
        ({"headers": [(b"", b"b")]}, LocalProtocolError, "Invalid header name"),
        ({"headers": [(b"X-A\n", b"b")]}, LocalProtocolError, "Invalid header name"),
        ({"method": b"GET\n"}, LocalProtocolError, "Invalid method"),
        ({"headers": [(b"X-A", b"b\r\nInjected: 1")]}, LocalProtocolError, "CR, LF or NUL"),
        ({"headers": [(b"X-A", b"b\x00")]}, LocalProtocolError, "CR, LF or NUL"),
        ({"headers": [(b"X-A", b" b")]}, LocalProtocolError, "whitespace at either end"),
        ({"headers": [(b"X-A", b"b\t")]}, LocalProtocolError, "whitespace at either end"),
        ({"headers": [(b"X-A", b"a\x0bb")]}, LocalProtocolError, "only spaces and tabs inside"),
        ({"url": (b"http", b"a", None, b"/\x7f")}, LocalProtocolError, "visible ASCII"),
        ({"url": (b"http", b"a", None, "/é".encode())}, LocalProtocolError, "visible ASCII"),
        ({"ext": []}, TypeError, "ext must be a dict or None, not list"),
        ({"ext": {"timeout": 5}}, TypeError, r'ext\["timeout"\] must be a mapping'),
        ({"ext": {"timeout": {"read": "5"}}}, TypeError, r'\["read"\] must be a number'),
        ({"ext": {"timeout": {"pool": -1}}}, ValueError, r'\["pool"\] must not be negative'),
        ({"ext": {"trace": "print"}}, TypeError, r'ext\["trace"\] must be callable'),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    arguments: dict[str, Any] = {"method": b"GET", "url": URL, **kwargs}
    with pytest.raises(error, match=message):
        Request(**arguments)


def test_unknown_ext_keys_are_ignored_and_timeouts_read() -> None:
    timeout = {"connect": 1, "read": 2.5, "write": None}
    request = Request(b"GET", URL, ext={"timeout": timeout, "x-custom": object()})
    timeouts = request.timeouts
    assert (timeouts.connect, timeouts.read, timeouts.write, timeouts.pool) == (
        1.0,
        2.5,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("method", "idempotent"), [(b"GET", True), (b"PUT", True), (b"POST", False), (b"PATCH", False)]
)
def test_idempotent_methods(method: bytes, idempotent: bool) -> None:
    assert Request(method, URL).is_idempotent is idempotent
