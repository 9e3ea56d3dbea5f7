"""Waiting and locking primitives, in async and sync flavours with the same shape.

The ``_async`` code uses the ``Async*`` names and ``scripts/unasync.py`` rewrites them to
the ``Sync*`` names, so both pools share one source. The async pool needs no lock: its
bookkeeping never awaits, so each decision runs to completion on the event loop without
yielding; ``AsyncPoolLock`` is therefore free. The sync pool is shared between threads and
takes a real lock.

These run on every request, so the async ones avoid anyio's per-call backend lookup where
they can: on an asyncio task an event is a bare future and a checkpoint a ``sleep(0)``;
under trio they are anyio's. Cancellation reaches both the same way.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from types import TracebackType

import anyio
import anyio.lowlevel

__all__ = [
    "AsyncEvent",
    "AsyncLock",
    "AsyncPoolLock",
    "AsyncShieldCancellation",
    "SyncEvent",
    "SyncLock",
    "SyncPoolLock",
    "SyncShieldCancellation",
    "checkpoint",
    "sync_checkpoint",
]


class AsyncPoolLock:
    """A no-op: code between two awaits is atomic on an event loop."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


class AsyncLock:
    """Mutual exclusion across awaits: one HTTP/2 reader, or one writer, at a time.

    Taking it when free costs no trip through the event loop; a release hands it straight
    to the first waiter, so waiters are served in order."""

    __slots__ = ("_locked", "_waiters")

    def __init__(self) -> None:
        self._locked = False
        self._waiters: deque[AsyncEvent] = deque()

    async def __aenter__(self) -> None:
        if not self._locked:
            self._locked = True
            return
        handed = AsyncEvent()
        self._waiters.append(handed)
        try:
            await handed.wait(None)
        except BaseException:
            if handed.is_set():  # handed over as we were cancelled: pass it on
                self.release()
            else:
                self._waiters.remove(handed)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def acquire_for_cleanup(self, timeout: float) -> bool:
        """For clean-up, which must not hang: take it if it is free, else False at once
        (the holder is under way and sees to what clean-up left; the sync twin waits up
        to ``timeout``, threads being no cancellation's concern). ``release()`` after."""
        if self._locked:
            return False
        self._locked = True
        return True

    def release(self) -> None:
        if self._waiters:
            self._waiters.popleft().set()  # still locked: it belongs to that waiter now
        else:
            self._locked = False


class SyncLock:
    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()

    def acquire_for_cleanup(self, timeout: float) -> bool:
        """Take it within ``timeout`` seconds; ``release()`` after."""
        return self._lock.acquire(timeout=timeout)

    def release(self) -> None:
        self._lock.release()


#: The sync pool's bookkeeping lock: a plain lock, as threads share the pool.
SyncPoolLock = SyncLock


class AsyncEvent:
    """Set once, awaited by one task at a time. A timed-out or cancelled wait leaves it
    usable: the flag is the truth, the future or anyio event only the wake-up."""

    __slots__ = ("_is_set", "_waiter")

    def __init__(self) -> None:
        self._is_set = False
        self._waiter: asyncio.Future[None] | anyio.Event | None = None

    def set(self) -> None:
        self._is_set = True
        waiter = self._waiter
        if isinstance(waiter, anyio.Event):
            waiter.set()
        elif waiter is not None and not waiter.done():  # done if its wait was cancelled
            waiter.set_result(None)

    def is_set(self) -> bool:
        return self._is_set

    async def wait(self, timeout: float | None) -> bool:
        """Wait until set; False if ``timeout`` seconds passed first."""
        if self._is_set:
            return True
        if timeout is None:
            loop = _asyncio_loop()
            if loop is None:
                await self._wait()
            else:  # as _wait, one coroutine fewer: every queued request waits here
                future: asyncio.Future[None] = loop.create_future()
                self._waiter = future
                await future
            return True
        with anyio.move_on_after(timeout):
            await self._wait()
            return True
        return False

    async def _wait(self) -> None:
        loop = _asyncio_loop()
        if loop is not None:
            future: asyncio.Future[None] = loop.create_future()
            self._waiter = future
            await future
        else:
            event = self._waiter = anyio.Event()
            await event.wait()


def _asyncio_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop if an asyncio task is running now (not trio, nor trio
    in guest mode on an asyncio loop, whose tasks are not asyncio tasks)."""
    loop = asyncio.events._get_running_loop()
    if loop is None or asyncio.current_task(loop) is None:
        return None
    return loop


class SyncEvent:
    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None) -> bool:
        """Wait until set; False if ``timeout`` seconds passed first."""
        return self._event.wait(timeout)


class AsyncShieldCancellation:
    """Clean-up (closing sockets, releasing slots) must finish even when cancelled."""

    __slots__ = ("_scope",)

    def __init__(self) -> None:
        self._scope = anyio.CancelScope(shield=True)

    def __enter__(self) -> None:
        self._scope.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._scope.__exit__(exc_type, exc_value, traceback)


class SyncShieldCancellation:
    """Threads are not cancelled: nothing to shield."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


async def checkpoint() -> None:
    """Let the other tasks that are ready run before going on."""
    if _asyncio_loop() is not None:
        await asyncio.sleep(0)
    else:
        await anyio.lowlevel.checkpoint()


def sync_checkpoint() -> None:
    """Threads run anyway: nothing to wait for."""
