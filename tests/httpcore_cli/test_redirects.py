"""``-L``: following redirects as curl does, against scripted raw servers that record
every request they were sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers.raw import OK_RESPONSE, RawServerFactory, response

from .helpers import Scripted, httpcore, redirect

pytest.importorskip("click")
pytest.importorskip("rich")


def test_without_location_a_redirect_is_the_answer(raw_server: RawServerFactory) -> None:
    script = Scripted({"/": redirect(302, "/end"), "/end": OK_RESPONSE})
    server = raw_server(script).server
    result = httpcore(f"http://{server.authority}/")
    assert (result.returncode, result.stdout) == (0, b"moved")
    assert script.seen() == [(b"GET", b"/")]


def test_follows_each_redirect_status(raw_server: RawServerFactory) -> None:
    script = Scripted(
        {
            "/301": redirect(301, "/302"),
            "/302": redirect(302, "/303"),
            "/303": redirect(303, "/307"),
            "/307": redirect(307, "/308"),
            "/308": redirect(308, "end?x=1"),  # relative to the path
            "/end?x=1": OK_RESPONSE,
        }
    )
    server = raw_server(script).server
    result = httpcore("-L", f"http://{server.authority}/301")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"Hello, world!", b"")
    targets = [target for _, target in script.seen()]
    assert targets == [b"/301", b"/302", b"/303", b"/307", b"/308", b"/end?x=1"]
    assert len({r.header("host") for r in script.requests}) == 1


@pytest.mark.parametrize(
    ("status", "method", "then"),
    [
        (301, "POST", b"GET"),
        (302, "POST", b"GET"),
        (303, "POST", b"GET"),
        (303, "PUT", b"GET"),
        (301, "PUT", b"PUT"),
        (302, "PUT", b"PUT"),
        (307, "POST", b"POST"),
        (308, "POST", b"POST"),
    ],
)
def test_a_redirect_keeps_or_drops_the_body_as_curl_does(
    raw_server: RawServerFactory, tmp_path: Path, status: int, method: str, then: bytes
) -> None:
    script = Scripted({"/form": redirect(status, "/done"), "/done": OK_RESPONSE})
    server = raw_server(script).server
    payload = tmp_path / "payload"
    payload.write_bytes(b"a=1&b=2" * 1000)
    result = httpcore(
        "-L", "-X", method, "-d", f"@{payload}", "-H", "Content-Type: text/x-mine",
        f"http://{server.authority}/form",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first, second = script.requests
    assert (first.method, first.body_length) == (method.encode(), 7000)
    assert (second.method, second.target) == (then, b"/done")
    if then == b"GET":  # the body and what described it are gone
        assert second.body_length == 0
        for name in ("content-length", "content-type", "transfer-encoding"):
            assert second.header(name) is None, name
    else:  # sent again, whole
        assert (second.body, second.header("content-type")) == (first.body, b"text/x-mine")


def test_head_stays_head_after_a_303(raw_server: RawServerFactory) -> None:
    script = Scripted({"/": redirect(303, "/end"), "/end": OK_RESPONSE})
    server = raw_server(script).server
    result = httpcore("-I", "-L", f"http://{server.authority}/")
    assert result.returncode == 0, result.stderr
    assert script.seen() == [(b"HEAD", b"/"), (b"HEAD", b"/end")]
    heads = result.stdout.split(b"\r\n\r\n")
    assert heads[0].startswith(b"HTTP/1.1 303")
    assert heads[1].startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("status", [307, 308])
def test_stdin_cannot_be_sent_twice(raw_server: RawServerFactory, status: int) -> None:
    script = Scripted({"/": redirect(status, "/again"), "/again": OK_RESPONSE})
    server = raw_server(script).server
    result = httpcore("-L", "-d", "@-", f"http://{server.authority}/", stdin=b"once")
    assert result.returncode == 65
    shown = result.stderr.decode()
    assert shown.startswith(f"httpcore: {status} redirect to http://{server.authority}/again")
    assert "stdin (-d @-) cannot be read twice: use -d @FILE" in shown
    assert script.seen() == [(b"POST", b"/")]  # no second request, with or without a body


def test_stdin_is_dropped_with_the_method_change(raw_server: RawServerFactory) -> None:
    script = Scripted({"/": redirect(303, "/again"), "/again": OK_RESPONSE})
    server = raw_server(script).server
    result = httpcore("-L", "-d", "@-", f"http://{server.authority}/", stdin=b"once")
    assert (result.returncode, result.stdout) == (0, b"Hello, world!")
    assert script.seen() == [(b"POST", b"/"), (b"GET", b"/again")]


def test_credentials_stay_with_their_origin(raw_server: RawServerFactory) -> None:
    other = Scripted({"/landing": redirect(302, "/back"), "/back": OK_RESPONSE})
    other_server = raw_server(other).server
    home = Scripted(
        {
            "/": redirect(301, "/same"),
            "/same": redirect(302, f"http://{other_server.authority}/landing"),
        }
    )
    home_server = raw_server(home).server
    result = httpcore(
        "-L", "-H", "Authorization: Bearer secret", "-H", "Cookie: session=1",
        "-H", "X-Kept: yes", f"http://{home_server.authority}/",
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (0, b"Hello, world!")
    for request in home.requests:  # the origin the user named: sent
        assert request.header("authorization") == b"Bearer secret"
        assert request.header("cookie") == b"session=1"
    assert [r.target for r in other.requests] == [b"/landing", b"/back"]
    for request in other.requests:  # another port is another origin: never sent
        assert request.header("authorization") is None
        assert request.header("cookie") is None
        assert request.header("x-kept") == b"yes"
        assert request.header("host") == other_server.authority.encode()


def test_another_host_on_the_same_port_is_another_origin(raw_server: RawServerFactory) -> None:
    script = Scripted({"/end": OK_RESPONSE})
    server = raw_server(script).server
    script.routes["/"] = redirect(302, f"http://localhost:{server.port}/end")
    result = httpcore("-L", "-H", "Authorization: x", f"http://{server.authority}/")
    assert result.returncode == 0, result.stderr
    first, second = script.requests
    assert first.header("authorization") == b"x"
    assert second.header("authorization") is None
    assert second.header("host") == f"localhost:{server.port}".encode()


@pytest.mark.parametrize(("limit", "requests"), [(None, 51), ("3", 4), ("0", 1)])
def test_too_many_redirects_exit_47(
    raw_server: RawServerFactory, limit: str | None, requests: int
) -> None:
    script = Scripted({"/loop": redirect(302, "/loop")})
    server = raw_server(script).server
    options = [] if limit is None else ["--max-redirs", limit]
    result = httpcore("-L", *options, f"http://{server.authority}/loop")
    expected = "50" if limit is None else limit
    assert result.returncode == 47
    assert result.stdout == b""
    assert result.stderr.decode() == (
        f"httpcore: stopped after {expected} redirects (--max-redirs {expected})\n"
    )
    assert len(script.requests) == requests


def test_verbose_shows_each_hop(raw_server: RawServerFactory) -> None:
    script = Scripted({"/": redirect(302, "/end"), "/end": OK_RESPONSE})
    server = raw_server(script).server
    result = httpcore("-v", "-L", f"http://{server.authority}/")
    lines = result.stderr.decode().splitlines()
    follow = f"* Following the 302 redirect to http://{server.authority}/end"
    assert follow in lines
    hop = lines.index(follow)
    assert "> GET / HTTP/1.1" in lines[:hop]
    assert "< HTTP/1.1 302 Moved" in lines[:hop]
    assert "> GET /end HTTP/1.1" in lines[hop:]
    assert "< HTTP/1.1 200 OK" in lines[hop:]
    assert f"> Host: {server.authority}" in lines[hop:]


def test_include_prints_each_head_and_the_last_body(raw_server: RawServerFactory) -> None:
    script = Scripted({"/": redirect(307, "/end"), "/end": OK_RESPONSE})
    server = raw_server(script).server
    result = httpcore("-i", "-L", f"http://{server.authority}/")
    first, second, body = result.stdout.split(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 307 Moved")
    assert second.startswith(b"HTTP/1.1 200 OK")
    assert body == b"Hello, world!"


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("ftp://example.org/", "only http:// and https://"),
        ("http://:80/", "has no host"),
    ],
)
def test_a_redirect_that_cannot_be_followed_is_named(
    raw_server: RawServerFactory, location: str, message: str
) -> None:
    script = Scripted({"/": redirect(302, location)})
    server = raw_server(script).server
    result = httpcore("-L", f"http://{server.authority}/")
    shown = result.stderr.decode()
    assert result.returncode == 1, shown
    assert shown.startswith(f"httpcore: cannot follow the redirect from http://{server.authority}/")
    assert message in shown


def test_a_location_with_a_space_is_percent_encoded(raw_server: RawServerFactory) -> None:
    script = Scripted({"/": redirect(302, "/a b"), "/a%20b": OK_RESPONSE})
    server = raw_server(script).server
    result = httpcore("-L", f"http://{server.authority}/")
    assert (result.returncode, result.stdout) == (0, b"Hello, world!")


def test_a_redirect_without_location_is_the_answer(raw_server: RawServerFactory) -> None:
    script = Scripted({"/": response(302, b"nowhere", reason="Found")})
    server = raw_server(script).server
    result = httpcore("-L", f"http://{server.authority}/")
    assert (result.returncode, result.stdout) == (0, b"nowhere")
