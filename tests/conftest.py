"""Shared fixtures: every async test runs once on asyncio and once on trio.

The test servers' fixtures come from one plugin, :mod:`tests.servers.fixtures`, offered to
every test package from here (pytest takes ``pytest_plugins`` from the root conftest only).
"""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.servers.fixtures"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend
