"""Waiting and locking primitives, in async and sync flavours with the same shape.

The ``_async`` code uses the ``Async*`` names and ``scripts/unasync.py`` rewrites them to
the ``Sync*`` names, so both pools share one source. The async pool needs no lock: its
bookkeeping never awaits, so each decision runs to completion on the event loop without
yielding; ``AsyncPoolLock`` is therefore free. The sync pool is shared between threads and
takes a real lock.
"""

from __future__ import annotations

import threading
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
    """Mutual exclusion across awaits: one HTTP/2 reader, or one writer, at a time."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        # No trip through the event loop when nobody else holds it.
        self._lock = anyio.Lock(fast_acquire=True)

    async def __aenter__(self) -> None:
        await self._lock.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()


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


#: The sync pool's bookkeeping lock: a plain lock, as threads share the pool.
SyncPoolLock = SyncLock


class AsyncEvent:
    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = anyio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout: float | None) -> bool:
        """Wait until set; False if ``timeout`` seconds passed first."""
        if timeout is None:
            await self._event.wait()
            return True
        with anyio.move_on_after(timeout):
            await self._event.wait()
            return True
        return False


class SyncEvent:
    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

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
    await anyio.lowlevel.checkpoint()


def sync_checkpoint() -> None:
    """Threads run anyway: nothing to wait for."""
