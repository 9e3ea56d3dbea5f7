"""The async lock, event and checkpoint the connections use, on asyncio and on trio, and
the silent trace of steps nobody listens to."""

from __future__ import annotations

import asyncio
import logging

import anyio
import pytest

from httpcore_pool._synchronization import AsyncEvent, AsyncLock, checkpoint
from httpcore_pool._trace import TRACE_LOG_LEVEL, traced

pytestmark = pytest.mark.anyio


async def settle() -> None:
    """Let every ready task run: trio runs a batch of ready tasks in random order, so one
    checkpoint may come back before a task started with it ran; two never do."""
    await checkpoint()
    await checkpoint()


async def test_lock_excludes_and_serves_waiters_in_order() -> None:
    lock = AsyncLock()
    order: list[int] = []
    inside = 0

    async def take(n: int) -> None:
        nonlocal inside
        async with lock:
            inside += 1
            assert inside == 1
            order.append(n)
            await checkpoint()
            await checkpoint()
            inside -= 1

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for n in range(5):
                tg.start_soon(take, n)
                await settle()  # each queues before the next starts
    assert order == [0, 1, 2, 3, 4]


async def test_a_cancelled_waiter_leaves_the_lock_usable() -> None:
    lock = AsyncLock()
    await lock.__aenter__()
    entered = False
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:

            async def wait_for_lock() -> None:
                nonlocal entered
                async with lock:
                    entered = True

            tg.start_soon(wait_for_lock)
            await settle()
            tg.cancel_scope.cancel()
        await lock.__aexit__(None, None, None)
        async with lock:  # neither held nor handed to the cancelled waiter
            pass
    assert not entered


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_waiter_cancelled_as_the_lock_is_handed_to_it_passes_it_on() -> None:
    # A plain asyncio task.cancel() can land after the hand-over (anyio and trio wait
    # for the next checkpoint instead): the waiter must pass the lock on, not keep it.
    lock = AsyncLock()
    await lock.__aenter__()
    entered = False

    async def wait_for_lock() -> None:
        nonlocal entered
        async with lock:
            entered = True

    waiter = asyncio.ensure_future(wait_for_lock())
    await asyncio.sleep(0)
    await lock.__aexit__(None, None, None)  # handed to the waiter...
    waiter.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not entered
    with anyio.fail_after(5):
        async with lock:
            pass


async def test_event_wakes_its_waiter_and_times_out() -> None:
    event = AsyncEvent()
    assert not event.is_set()
    with anyio.fail_after(5):
        assert await event.wait(0.01) is False
        async with anyio.create_task_group() as tg:
            results: list[bool] = []

            async def wait() -> None:
                results.append(await event.wait(None))

            tg.start_soon(wait)
            await settle()
            event.set()
    assert results == [True]
    with anyio.fail_after(5):
        assert event.is_set()
        assert await event.wait(0.01) is True  # set already: no waiting


async def test_setting_an_event_whose_waiter_was_cancelled_is_harmless() -> None:
    event = AsyncEvent()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(event.wait, None)
            await settle()
            tg.cancel_scope.cancel()
    event.set()  # after the waiter has gone: no error


async def test_checkpoint_lets_other_ready_tasks_run() -> None:
    ran: list[str] = []

    async def other() -> None:
        ran.append("other")

    async with anyio.create_task_group() as tg:
        tg.start_soon(other)
        await settle()
        ran.append("after checkpoints")
    assert ran == ["other", "after checkpoints"]


def test_a_step_nobody_listens_to_shares_one_silent_trace() -> None:
    logger = logging.getLogger("httpcore.test_silent")
    first = traced("step", logger, None)
    with first as trace:
        trace.info["status_code"] = 200  # dropped
    assert traced("other", logger, None) is first
    assert first.info == {}


def test_tracing_turned_on_later_takes_effect(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("httpcore.test_later")
    events: list[tuple[str, dict[str, object]]] = []
    with traced("step", logger, lambda event, info: events.append((event, info))) as trace:
        trace.info["status_code"] = 200
    assert [name for name, _ in events] == ["step.started", "step.complete"]
    assert events[1][1]["status_code"] == 200
    with (
        caplog.at_level(TRACE_LOG_LEVEL, logger="httpcore.test_later"),
        traced("logged", logger, None),
    ):
        pass
    assert [r.getMessage().split()[0] for r in caplog.records] == [
        "logged.started",
        "logged.complete",
    ]
