from __future__ import annotations

import httpcore_pool
from tests.helpers.public_api import public_names


def test_all_is_exactly_the_two_pools() -> None:
    assert httpcore_pool.__all__ == ["AsyncConnectionPool", "SyncConnectionPool"]


def test_nothing_else_is_public() -> None:
    assert public_names(httpcore_pool) == set(httpcore_pool.__all__)


def test_public_classes_report_the_public_module() -> None:
    for name in httpcore_pool.__all__:
        assert getattr(httpcore_pool, name).__module__ == "httpcore_pool"
