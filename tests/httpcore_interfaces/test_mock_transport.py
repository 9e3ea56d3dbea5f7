"""The interface-only use: a mock transport on httpcore_interfaces, driven sync and async."""

from __future__ import annotations

import subprocess
import sys

import pytest

import httpcore_interfaces as hi

from .mock_transport import BodyStream, MockTransport

URL: hi.URL = (b"https", b"example.org", None, b"/items?page=2")
DOWN: hi.URL = (b"https", b"down.example.org", None, b"/")


def make_transport() -> MockTransport:
    return MockTransport(
        {
            (b"GET", URL): (200, [(b"Content-Type", b"text/plain")], b"two"),
            (b"POST", URL): (201, [], b""),
            (b"GET", DOWN): hi.ReadTimeout("timed out"),
        }
    )


class UploadStream(hi.SyncByteStream, hi.AsyncByteStream):
    def __iter__(self):  # type: ignore[no-untyped-def]
        yield b"a"
        yield b"b"

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield b"a"
        yield b"b"


def test_sync_mock_answers_and_raises_real_exceptions() -> None:
    with make_transport() as transport:
        status, headers, stream, ext = transport.request(b"GET", URL)
        assert (status, headers) == (200, [(b"Content-Type", b"text/plain")])
        assert ext["http_version"] == "HTTP/1.1"
        assert b"".join(stream) == b"two"
        stream.close()
        assert isinstance(stream, BodyStream)
        assert stream.closed

        transport.request(b"POST", URL, stream=UploadStream())
        assert transport.received[-1] == b"ab"

        with pytest.raises(hi.TimeoutException, match="timed out"):
            transport.request(b"GET", DOWN)
        with pytest.raises(hi.NetworkError):
            transport.request(b"DELETE", URL)
        with pytest.raises(hi.UnsupportedProtocol):
            transport.request(b"GET", (b"ftp", b"example.org", None, b"/"))
    with pytest.raises(hi.LocalProtocolError, match="closed"):
        transport.request(b"GET", URL)


@pytest.mark.anyio
async def test_async_mock_answers_and_raises_real_exceptions() -> None:
    async with make_transport() as transport:
        status, _, stream, _ = await transport.arequest(b"GET", URL, headers=[], ext={})
        assert status == 200
        assert b"".join([chunk async for chunk in stream]) == b"two"
        await stream.aclose()

        await transport.arequest(b"POST", URL, stream=UploadStream())
        assert transport.received[-1] == b"ab"

        with pytest.raises(hi.ReadTimeout):
            await transport.arequest(b"GET", DOWN)
    assert transport.is_closed


def test_interfaces_import_pulls_in_no_third_party_module() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import httpcore_interfaces\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "extra = new - set(sys.stdlib_module_names) - {'httpcore_interfaces'}\n"
        "print(','.join(sorted(extra)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert result.stdout.strip() == ""
