"""Many tasks at once, for the tests that load one pool or connection from many tasks."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import anyio


async def run_in_tasks(
    count: int, function: Callable[..., Coroutine[Any, Any, object]], *args: object, timeout: float
) -> None:
    """Await ``function(*args)`` in ``count`` tasks at once; the test fails when they have
    not all finished within ``timeout`` seconds, and with the first error one of them raised."""
    with anyio.fail_after(timeout):
        async with anyio.create_task_group() as tg:
            for _ in range(count):
                tg.start_soon(function, *args)
