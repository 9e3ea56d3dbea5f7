from __future__ import annotations

import httpcore_proxy
from tests.helpers.public_api import public_names


def test_all_is_exactly_the_two_proxies() -> None:
    assert httpcore_proxy.__all__ == ["AsyncHTTPProxy", "SyncHTTPProxy"]


def test_nothing_else_is_public() -> None:
    assert public_names(httpcore_proxy) == set(httpcore_proxy.__all__)


def test_public_classes_report_the_public_module() -> None:
    for name in httpcore_proxy.__all__:
        assert getattr(httpcore_proxy, name).__module__ == "httpcore_proxy"
