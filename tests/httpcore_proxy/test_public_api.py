from __future__ import annotations

import types

import httpcore_proxy


def test_all_is_exactly_the_two_proxies() -> None:
    assert httpcore_proxy.__all__ == ["AsyncHTTPProxy", "SyncHTTPProxy"]


def test_nothing_else_is_public() -> None:
    public = {
        name
        for name, value in vars(httpcore_proxy).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(httpcore_proxy.__all__)


def test_public_classes_report_the_public_module() -> None:
    for name in httpcore_proxy.__all__:
        assert getattr(httpcore_proxy, name).__module__ == "httpcore_proxy"
