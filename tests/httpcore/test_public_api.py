"""The meta-package as a user of the 0.12 API sees it."""

from __future__ import annotations

import subprocess
import sys

import pytest

import httpcore
import httpcore_interfaces
import httpcore_pool
import httpcore_proxy
import httpcore_streams

#: The 26 documented names of the httpcore 0.12 API (SPEC §2).
DOCUMENTED = {
    "AsyncByteStream", "AsyncConnectionPool", "AsyncHTTPProxy", "AsyncHTTPTransport",
    "AsyncIteratorByteStream", "CloseError", "ConnectError", "ConnectTimeout",
    "IteratorByteStream", "LocalProtocolError", "NetworkError", "PlainByteStream",
    "PoolTimeout", "ProtocolError", "ProxyError", "ReadError", "ReadTimeout",
    "RemoteProtocolError", "SyncByteStream", "SyncConnectionPool", "SyncHTTPProxy",
    "SyncHTTPTransport", "TimeoutException", "UnsupportedProtocol", "WriteError",
    "WriteTimeout",
}  # fmt: skip
#: Names whose components have not landed yet; each issue that lands one removes it here.
COMPONENTS = (httpcore_interfaces, httpcore_streams, httpcore_pool, httpcore_proxy)


def test_all_is_sorted_and_holds_exactly_the_documented_names() -> None:
    assert len(DOCUMENTED) == 26
    assert httpcore.__all__ == sorted(httpcore.__all__)
    assert set(httpcore.__all__) == DOCUMENTED


def test_nothing_undocumented_is_public() -> None:
    public = {name for name in vars(httpcore) if not name.startswith("_")}
    assert public - {"__version__"} <= set(httpcore.__all__)


def test_every_name_is_the_components_own_object() -> None:
    for name in httpcore.__all__:
        owners = [c for c in COMPONENTS if name in c.__all__]
        assert len(owners) == 1, name
        assert getattr(httpcore, name) is getattr(owners[0], name), name
        assert getattr(httpcore, name).__module__ == owners[0].__name__


def test_top_level_exceptions_are_exactly_the_fifteen() -> None:
    exceptions = {
        name
        for name in dir(httpcore)
        if isinstance(obj := getattr(httpcore, name), type) and issubclass(obj, BaseException)
    }
    assert len(exceptions) == 15
    assert all(getattr(httpcore, name) is getattr(httpcore_interfaces, name) for name in exceptions)


def test_version_is_in_the_0_12_series_above_0_12_3() -> None:
    parts = tuple(int(p) for p in httpcore.__version__.split("."))
    assert parts[:2] == (0, 12)
    assert parts > (0, 12, 3)


def test_importing_httpcore_changes_nothing_for_component_users() -> None:
    code = (
        "import httpcore_interfaces as hi, httpcore_streams as hs, httpcore_pool as hp\n"
        "def snap(): return {n: (getattr(m, n).__module__, getattr(m, n).__qualname__)"
        " for m in (hi, hs, hp) for n in m.__all__ if isinstance(getattr(m, n), type)}\n"
        "before = snap()\n"
        "import httpcore\n"
        "assert snap() == before, (snap(), before)\n"
        "print(len(before))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 24


def test_exceptions_caught_through_the_meta_package() -> None:
    with pytest.raises(httpcore.NetworkError, match=r"\[Errno 111\] Connection refused"):
        raise httpcore_interfaces.ConnectError("[Errno 111] Connection refused")
