"""The pool's bookkeeping, without I/O: which request gets which connection or slot.

Design rules:

- A *slot* is the right to hold one connection; ``max_connections`` bounds slots across
  all origins. A slot is taken before connecting and given back when its connection
  closes, or passed straight on to the first waiter.
- Idle connections are kept per origin and reused last-in first-out (the most recently
  used is the most likely still open); across origins they are ordered by age, so
  expiry and eviction look only at the oldest.
- Whenever a request is waiting, no connection stays idle: a released connection goes to
  the first waiter of its origin, or is closed so that its slot goes to the first waiter.
  So a new request never needs to queue behind waiters while an idle connection of its
  origin exists, and queued requests are served first-in first-out.
- Every decision is O(1) apart from finding a waiter of the released connection's origin,
  which stops at the first match. Nothing here blocks or awaits; the async pool calls it
  between awaits and the sync pool under a lock.

Methods return the connections the caller must close (outside any lock) and the waiters it
must wake.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from httpcore_interfaces import Origin

__all__ = ["PoolState", "Waiter"]

C = TypeVar("C", bound=Hashable)


class Waiter(Generic[C]):
    """A request waiting for, or holding, a connection or a slot.

    ``granted`` with ``connection`` set: reuse that connection. ``granted`` with
    ``connection`` None: a slot is reserved; open a new connection. ``event`` belongs to
    the I/O layer, which uses it to wake the request.
    """

    __slots__ = ("connection", "event", "granted", "origin")

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.granted = False
        self.connection: C | None = None
        self.event: Any = None

    def _grant(self, connection: C | None) -> None:
        self.granted = True
        self.connection = connection


Outcome = tuple[list[C], list[Waiter[C]]]


class PoolState(Generic[C]):
    def __init__(
        self,
        max_connections: int | None = None,
        max_idle: int | None = None,
        keepalive_expiry: float | None = None,
    ) -> None:
        self.max_connections = max_connections
        self.max_idle = max_idle
        self.keepalive_expiry = keepalive_expiry
        self.is_closed = False
        self._slots_in_use = 0
        self._connections: dict[C, Origin] = {}
        self._idle: dict[Origin, list[C]] = {}
        self._idle_since: dict[C, float] = {}  # insertion order is age order
        self._waiters: deque[Waiter[C]] = deque()

    # -- observing -------------------------------------------------------------------

    @property
    def slots_in_use(self) -> int:
        """Connections open or being opened."""
        return self._slots_in_use

    @property
    def idle_count(self) -> int:
        return len(self._idle_since)

    @property
    def waiting_count(self) -> int:
        return len(self._waiters)

    def connections(self) -> dict[C, Origin]:
        return dict(self._connections)

    def is_idle(self, connection: C) -> bool:
        return connection in self._idle_since

    # -- requests ----------------------------------------------------------------------

    def acquire(
        self,
        origin: Origin,
        now: float,
        is_usable: Callable[[C], bool] = lambda c: True,
        reuse: bool = True,
    ) -> tuple[Waiter[C], list[C]]:
        """Grant a request an idle connection or a slot at once, or queue it.

        ``is_usable`` is asked of an idle connection before it is handed out; one that
        fails it (the server closed it) is dropped and the next is tried. With ``reuse``
        False the request gets a slot for a new connection, never an idle one.
        """
        to_close = self._expire(now)
        waiter: Waiter[C] = Waiter(origin)
        idle = self._idle.get(origin) if reuse else None
        while idle:
            connection = idle.pop()
            del self._idle_since[connection]
            if is_usable(connection):
                waiter._grant(connection)
                break
            self._forget(connection)
            to_close.append(connection)
            self._slots_in_use -= 1
        if idle is not None and not idle:
            self._idle.pop(origin, None)
        if not waiter.granted:
            if self._has_free_slot():
                self._slots_in_use += 1
                waiter._grant(None)
            elif self._idle_since:
                to_close.append(self._evict_oldest_idle())
                waiter._grant(None)
            else:
                self._waiters.append(waiter)
        return waiter, to_close

    def connected(self, connection: C, origin: Origin) -> None:
        """A granted slot now holds ``connection``, which is busy with its request."""
        self._connections[connection] = origin

    def connect_failed(self) -> Outcome[C]:
        """A granted slot could not be turned into a connection: pass it on."""
        return [], self._free_slot()

    def release(self, connection: C, reusable: bool, now: float) -> Outcome[C]:
        """The request on ``connection`` is over; ``reusable`` if it may carry another."""
        if connection not in self._connections:
            return [], []  # already dropped by close_all()
        if not reusable or self.is_closed:
            self._forget(connection)
            return [connection], self._free_slot()
        origin = self._connections[connection]
        for waiter in self._waiters:
            if waiter.origin == origin:
                self._waiters.remove(waiter)
                waiter._grant(connection)
                return [], [waiter]
        if self._waiters:
            self._forget(connection)
            return [connection], self._pass_slot_to_first_waiter()
        self._idle.setdefault(origin, []).append(connection)
        self._idle_since[connection] = now
        to_close = self._expire(now)
        while self.max_idle is not None and len(self._idle_since) > self.max_idle:
            to_close.append(self._evict_oldest_idle())
            self._slots_in_use -= 1
        return to_close, []

    def cancel(self, waiter: Waiter[C], now: float) -> Outcome[C]:
        """The request behind ``waiter`` gave up (timeout, cancellation, error)."""
        if not waiter.granted:
            self._waiters.remove(waiter)
            return [], []
        waiter.granted = False
        if waiter.connection is None:
            return self.connect_failed()
        connection, waiter.connection = waiter.connection, None
        return self.release(connection, reusable=True, now=now)

    def close_all(self) -> Outcome[C]:
        """Close the pool: every connection to close, every waiter to wake (ungranted)."""
        self.is_closed = True
        connections = list(self._connections)
        waiters = list(self._waiters)
        self._connections.clear()
        self._idle.clear()
        self._idle_since.clear()
        self._waiters.clear()
        return connections, waiters

    def expire(self, now: float) -> list[C]:
        """Idle connections that have outlived ``keepalive_expiry``, removed and returned."""
        return self._expire(now)

    # -- internals ---------------------------------------------------------------------

    def _has_free_slot(self) -> bool:
        return self.max_connections is None or self._slots_in_use < self.max_connections

    def _free_slot(self) -> list[Waiter[C]]:
        if self._waiters:
            return self._pass_slot_to_first_waiter()
        self._slots_in_use -= 1
        return []

    def _pass_slot_to_first_waiter(self) -> list[Waiter[C]]:
        waiter = self._waiters.popleft()
        waiter._grant(None)
        return [waiter]

    def _forget(self, connection: C) -> None:
        origin = self._connections.pop(connection, None)
        if connection in self._idle_since:
            del self._idle_since[connection]
            if origin is not None:
                self._idle[origin].remove(connection)
        if origin is not None and not self._idle.get(origin, True):
            del self._idle[origin]

    def _evict_oldest_idle(self) -> C:
        """Remove the oldest idle connection; its slot stays counted for the caller."""
        connection = next(iter(self._idle_since))
        self._forget(connection)
        return connection

    def _expire(self, now: float) -> list[C]:
        expired: list[C] = []
        if self.keepalive_expiry is None:
            return expired
        deadline = now - self.keepalive_expiry
        while self._idle_since:
            connection, since = next(iter(self._idle_since.items()))
            if since > deadline:
                break
            self._forget(connection)
            self._slots_in_use -= 1
            expired.append(connection)
        return expired
