"""Worker threads for the tests that drive a sync pool or connection from many threads.

A thread that raises would only print a warning; a thread that hangs would hang the test.
``Workers`` keeps what each thread raised for the test to assert on, and ``join`` fails the
test when a thread is still running once the time is up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any


class Workers:
    """One thread per argument tuple, each calling ``target(*args)``."""

    def __init__(self, target: Callable[..., object], args: Iterable[tuple[Any, ...]]) -> None:
        self.failures: list[BaseException] = []

        def run(*arguments: Any) -> None:
            try:
                target(*arguments)
            except BaseException as exc:
                self.failures.append(exc)

        self._threads = [threading.Thread(target=run, args=each) for each in args]

    def start(self) -> Workers:
        for thread in self._threads:
            thread.start()
        return self

    def join(self, timeout: float) -> list[BaseException]:
        """Wait ``timeout`` seconds at most for every thread; what they raised."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [thread.name for thread in self._threads if thread.is_alive()]
        assert alive == [], f"still running after {timeout} s: {alive}"
        return self.failures


def run_in_threads(
    target: Callable[..., object], args: Iterable[tuple[Any, ...]], timeout: float
) -> list[BaseException]:
    """``target(*args)`` in one thread per tuple, all at once; what they raised."""
    return Workers(target, args).start().join(timeout)
