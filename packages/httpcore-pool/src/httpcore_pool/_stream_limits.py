"""Stream limits an HTTP/2 pool learns per origin, and forgets.

A server that closes a connection without a GOAWAY after answering N streams, while others
were still waiting, most likely serves N per connection: the next connections open no more
than that, so the waiting requests are not cut off again. That is evidence about one server
process at one time; a reload or a restart makes it stale, so a limit expires. A graceful
GOAWAY teaches nothing: it is how a server says it is going away, not what it can carry.
"""

from __future__ import annotations

import time

from httpcore_interfaces import Origin

__all__ = ["LEARNED_LIMIT_TTL", "StreamLimits"]

#: Seconds a learned limit holds.
LEARNED_LIMIT_TTL = 60.0


class StreamLimits:
    """Per origin: the learned limit and until when it holds (an expired one is left to
    be overwritten). Shared by a pool's HTTP/2 connections, and threads: each operation
    is one dict call."""

    __slots__ = ("_limits", "_ttl")

    def __init__(self, ttl: float = LEARNED_LIMIT_TTL) -> None:
        self._ttl = ttl
        self._limits: dict[Origin, tuple[int, float]] = {}

    def learn(self, origin: Origin, limit: int) -> None:
        self._limits[origin] = (limit, time.monotonic() + self._ttl)

    def get(self, origin: Origin) -> int | None:
        """The limit for ``origin`` while it holds, else None."""
        entry = self._limits.get(origin)
        if entry is None:
            return None
        limit, until = entry
        return None if time.monotonic() >= until else limit
