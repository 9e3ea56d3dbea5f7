"""A stand-in connection for the tests of the pool's bookkeeping (``PoolState``)."""

from __future__ import annotations

import itertools


class FakeConnection:
    """Answers what the state asks, as it is told to: ``streams`` is its capacity (1 for
    HTTP/1.1, more for a multiplexed one, 0 once that one is going away)."""

    _ids = itertools.count()

    def __init__(self, name: str | None = None, *, streams: int = 1) -> None:
        self.id = next(self._ids)
        self.name = name if name is not None else f"FakeConnection({self.id})"
        self.streams = streams
        self.alive = True
        self.reusable = True

    def capacity(self) -> int:
        return self.streams

    def keeps_alive(self) -> bool:
        return self.alive

    def is_reusable(self) -> bool:
        return self.reusable

    def __repr__(self) -> str:
        return self.name
