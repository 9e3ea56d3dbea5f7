"""The proxy's constructor: settings checked before any byte goes out, the attributes
0.12.3 exposed, and the CONNECT exchange as a sans-I/O object."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from httpcore_interfaces import (
    AsyncHTTPTransport,
    LocalProtocolError,
    ProxyError,
    SyncHTTPTransport,
    UnsupportedProtocol,
)
from httpcore_pool import AsyncConnectionPool, SyncConnectionPool
from httpcore_proxy import AsyncHTTPProxy, SyncHTTPProxy
from httpcore_proxy._tunnel import TunnelSetup

PROXY_URL = (b"http", b"proxy.example", 3128, b"/")


@pytest.mark.parametrize("cls", [AsyncHTTPProxy, SyncHTTPProxy])
def test_attributes_of_0_12_3(cls: Any) -> None:
    proxy = cls(
        proxy_url=(b"https", b"proxy.example", None, b"/"),
        proxy_headers=[(b"Proxy-Authorization", b"Basic dTpw")],
        proxy_mode="TUNNEL_ONLY",
    )
    assert proxy.proxy_origin == (b"https", b"proxy.example", 443)
    assert proxy.proxy_headers == [(b"Proxy-Authorization", b"Basic dTpw")]
    assert proxy.proxy_mode == "TUNNEL_ONLY"
    plain = cls(proxy_url=(b"http", b"proxy.example", None, b"/"))
    assert (plain.proxy_origin, plain.proxy_headers, plain.proxy_mode) == (
        (b"http", b"proxy.example", 80),
        [],
        "DEFAULT",
    )


def test_the_proxies_are_pools_and_transports() -> None:
    assert issubclass(AsyncHTTPProxy, AsyncConnectionPool)
    assert issubclass(AsyncHTTPProxy, AsyncHTTPTransport)
    assert issubclass(SyncHTTPProxy, SyncConnectionPool)
    assert issubclass(SyncHTTPProxy, SyncHTTPTransport)


@pytest.mark.parametrize("cls", [AsyncHTTPProxy, SyncHTTPProxy])
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"proxy_url": "http://proxy:3128"}, TypeError, "proxy_url must be a tuple"),
        ({"proxy_url": (b"http", b"proxy", 3128)}, TypeError, "of length 3"),
        ({"proxy_url": ("http", b"proxy", 3128, b"/")}, TypeError, "proxy_url scheme"),
        ({"proxy_url": (b"socks5", b"proxy", 1080, b"/")}, UnsupportedProtocol, "socks5"),
        ({"proxy_url": (b"http", b"", 3128, b"/")}, ValueError, "Missing host in proxy_url"),
        ({"proxy_url": (b"http", b"a b", 3128, b"/")}, ValueError, "Invalid host b'a b' in proxy"),
        ({"proxy_url": (b"http", b"proxy", 0, b"/")}, ValueError, "proxy_url port"),
        ({"proxy_url": (b"http", b"proxy", "3128", b"/")}, TypeError, "proxy_url port"),
        ({"proxy_headers": {b"a": b"b"}}, TypeError, "proxy_headers"),
        ({"proxy_headers": [(b"X-A", b"1\r\nX-B: 2")]}, LocalProtocolError, "proxy_headers"),
        ({"proxy_headers": [(b"Content-Length", b"5")]}, ValueError, "Content-Length"),
        ({"proxy_headers": [(b"transfer-encoding", b"chunked")]}, ValueError, "transfer-enc"),
        ({"proxy_mode": "TUNNEL"}, ValueError, "proxy_mode 'TUNNEL'"),
        ({"proxy_mode": b"DEFAULT"}, TypeError, "proxy_mode must be a str"),
        ({"max_connections": 0}, ValueError, "max_connections"),
        ({"backend": "gevent"}, ValueError, "backend"),
        ({"proxy_ssl_context": "ctx"}, TypeError, "proxy_ssl_context"),
    ],
)
def test_bad_settings_are_refused_naming_the_argument(
    cls: Any, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    if cls is SyncHTTPProxy and kwargs.get("backend") == "gevent":
        kwargs = {"backend": "asyncio"}  # also unknown to the sync pool
    with pytest.raises(error, match=match):
        cls(**{"proxy_url": PROXY_URL, **kwargs})


@pytest.mark.parametrize("cls", [AsyncHTTPProxy, SyncHTTPProxy])
@pytest.mark.parametrize(
    ("proxy_url", "error", "match"),
    [
        (
            (b"socks5", b"proxy", 0, b"/"),
            UnsupportedProtocol,
            r"^Unsupported proxy_url scheme 'socks5': only 'http' and 'https' proxies are "
            r"supported$",
        ),
        ((b"http", b"bad host", "8080", b"/"), ValueError, "Invalid host b'bad host'"),
        ((b"http", b"", 99999, b"/"), ValueError, "Missing host in proxy_url"),
        ((b"ftp", b"", True, None), UnsupportedProtocol, "'ftp'"),
        ((b"http", b"proxy", True, None), TypeError, "proxy_url port"),
    ],
)
def test_a_proxy_url_with_several_faults_is_refused_as_before_1_1(
    cls: Any, proxy_url: Any, error: type[Exception], match: str
) -> None:
    """The scheme, then the host, then the port, as the proxy checked before it used the
    pool's ``check_origin``: the first fault decides the exception's type. The path is
    never checked."""
    with pytest.raises(error, match=match):
        cls(proxy_url=proxy_url)


@pytest.mark.parametrize("cls", [AsyncHTTPProxy, SyncHTTPProxy])
def test_max_keepalive_warns_at_the_callers_line(cls: Any) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cls(proxy_url=PROXY_URL, max_keepalive=3)
    (warning,) = caught
    assert warning.category is DeprecationWarning
    assert warning.filename == __file__


def test_tunnel_setup_waits_for_the_whole_answer() -> None:
    setup = TunnelSetup((b"https", b"example.org", 443), [(b"Proxy-Authorization", b"x")])
    assert setup.request_bytes() == (
        b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n"
        b"Proxy-Authorization: x\r\n\r\n"
    )
    assert setup.receive_data(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n") is None
    assert setup.receive_data(b"Via: test\r\n\r\n") == 200


def test_tunnel_setup_lets_proxy_headers_name_the_host() -> None:
    setup = TunnelSetup((b"https", b"example.org", 443), [(b"host", b"alias:443")])
    assert setup.request_bytes().split(b"\r\n")[1:3] == [b"host: alias:443", b""]


def test_tunnel_setup_refuses_an_endless_answer_head() -> None:
    setup = TunnelSetup((b"https", b"example.org", 443), [])
    setup.request_bytes()
    setup.receive_data(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises(ProxyError, match="invalid answer"):
        setup.receive_data(b"X-Filler: " + b"a" * 100_000 + b"\r\n")
