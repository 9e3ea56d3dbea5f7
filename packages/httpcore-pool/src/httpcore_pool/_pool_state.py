"""The pool's bookkeeping, without I/O: which request gets which connection or slot.

Design rules:

- A *slot* is the right to hold one connection; ``max_connections`` bounds slots across
  all origins. A slot is taken before connecting and given back when its connection
  closes, or passed straight on to the first waiter.
- A connection carries one request at a time (HTTP/1.1) or several (HTTP/2, a
  *multiplexed* connection, up to the capacity the I/O layer reports for it). It is idle
  when it carries none; idle connections expire, and count against the keep-alive limit.
- Idle HTTP/1.1 connections are kept per origin and reused last-in first-out (the most
  recently used is the most likely still open); across origins all idle connections are
  ordered by age, so expiry and eviction look only at the oldest.
- Whenever a request is waiting, no connection stays idle: a released connection goes to
  the first waiter of its origin, or is closed so that its slot goes to the first waiter.
  So requests queue only when every slot is taken, and are served first-in first-out.
  One exception: while a connection that may turn out multiplexed is being opened to an
  origin, later requests for that origin wait for it rather than open more connections;
  a slot given back meanwhile goes to the first waiter not held back so, or to the pool.
  One request at a time counts as opening such a connection to an origin: the one given
  a slot while none did. Its waiter says so, and only its end (connected, failed or
  given up) ends the holding back.
- Every decision is O(1) apart from scanning an origin's multiplexed connections (one,
  usually) and finding a waiter of a released connection's origin, which stops at the
  first match. Nothing here blocks or awaits; the async pool calls it between awaits and
  the sync pool under a lock.

Methods return named outcomes: the connections the caller must close (outside any lock)
and the waiters it must wake. The state asks connections only what ``Connection`` lists;
it asks under the pool's lock, so the answers must not block.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from httpcore_interfaces import Origin

from ._models import check_seconds

__all__ = ["Acquired", "Connection", "Outcome", "PoolState", "Waiter"]


class Connection(Protocol):
    """What the state asks of a connection it keeps (hashable, as any object is)."""

    def capacity(self) -> int:
        """Requests a multiplexed connection may carry at once now; 0 once going away."""

    def keeps_alive(self) -> bool:
        """Open, and able to carry another request once its current ones are done."""

    def is_reusable(self) -> bool:
        """Asked of an idle HTTP/1.1 connection before it is handed out again."""


C = TypeVar("C", bound=Connection)


class Waiter(Generic[C]):
    """A request waiting for, or holding, a connection or a slot.

    ``granted`` with ``connection`` set: use that connection. ``granted`` with
    ``connection`` None: a slot is reserved; open a new connection. ``event`` belongs to
    the I/O layer, which uses it to wake the request. ``may_multiplex`` as given to
    ``acquire``. ``opening_multiplexed``: its slot is counted as opening a connection
    that may be multiplexed, which later requests to its origin wait for.
    """

    __slots__ = ("connection", "event", "granted", "may_multiplex", "opening_multiplexed", "origin")

    def __init__(self, origin: Origin, *, may_multiplex: bool = False) -> None:
        self.origin = origin
        self.may_multiplex = may_multiplex
        self.opening_multiplexed = False
        self.granted = False
        self.connection: C | None = None
        self.event: Any = None

    def _grant(self, connection: C | None) -> None:
        self.granted = True
        self.connection = connection


# Dataclasses, not NamedTuples: a generic NamedTuple needs Python 3.11.
@dataclass(frozen=True)
class Outcome(Generic[C]):
    """What the caller must do after a change of state."""

    to_close: list[C] = field(default_factory=list)
    to_wake: list[Waiter[C]] = field(default_factory=list)


@dataclass(frozen=True)
class Acquired(Generic[C]):
    """A request's ``waiter`` (granted, or queued), and the connections to close."""

    waiter: Waiter[C]
    to_close: list[C]


class PoolState(Generic[C]):
    def __init__(
        self,
        *,
        max_connections: int | None = None,
        max_idle: int | None = None,
        keepalive_expiry: float | None = None,
    ) -> None:
        """A NaN ``keepalive_expiry`` is refused: it would expire every idle connection
        at once."""
        self.max_connections = max_connections
        self.max_idle = max_idle
        self.keepalive_expiry = check_seconds("keepalive_expiry", keepalive_expiry)
        self.is_closed = False
        self._slots_in_use = 0
        self._connections: dict[C, Origin] = {}
        self._idle: dict[Origin, list[C]] = {}  # idle HTTP/1.1 connections, newest last
        self._idle_since: dict[C, float] = {}  # every idle connection; insertion order is age
        self._multiplexed: dict[Origin, list[C]] = {}
        self._in_use: dict[C, int] = {}  # requests on each multiplexed connection
        self._opening_multiplexed: dict[Origin, int] = {}
        self._single_origins: set[Origin] = set()  # answered without multiplexing
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

    def requests_on(self, connection: C) -> int:
        """Requests a multiplexed connection carries now (0 for HTTP/1.1 connections)."""
        return self._in_use.get(connection, 0)

    # -- requests ----------------------------------------------------------------------

    def acquire(
        self, origin: Origin, *, now: float, reuse: bool = True, may_multiplex: bool = False
    ) -> Acquired[C]:
        """Grant a request a connection or a slot at once, or queue it.

        An idle HTTP/1.1 connection that is not ``is_reusable()`` (the server closed it)
        is dropped and the next is tried. With ``reuse`` False the request gets a slot for
        a new connection, never an open one. ``may_multiplex``: a new connection for this
        request could turn out multiplexed (HTTP/2 offered by ALPN).
        """
        to_close = self._expire(now)
        waiter: Waiter[C] = Waiter(origin, may_multiplex=may_multiplex)
        if reuse:
            multiplexed = self._multiplexed.get(origin)
            for connection in list(multiplexed) if multiplexed else ():
                capacity = connection.capacity()
                if self._in_use[connection] < capacity:
                    self._take(connection)
                    waiter._grant(connection)
                    return Acquired(waiter, to_close)
                if capacity == 0 and not self._in_use[connection]:
                    # Idle and going away (the server closed it, say): drop it now.
                    to_close.append(self._drop(connection))
            idle = self._idle.get(origin)
            while idle:
                connection = idle.pop()
                del self._idle_since[connection]
                if connection.is_reusable():
                    waiter._grant(connection)
                    break
                to_close.append(self._drop(connection))
            if idle is not None and not idle:
                self._idle.pop(origin, None)
            if waiter.granted:
                return Acquired(waiter, to_close)
        if self._must_wait_for_multiplexed(origin, may_multiplex):
            self._waiters.append(waiter)
        elif self._has_free_slot():
            self._slots_in_use += 1
            self._grant_slot(waiter)
        elif self._idle_since:
            to_close.append(self._evict_oldest_idle())
            self._grant_slot(waiter)
        else:
            self._waiters.append(waiter)
        return Acquired(waiter, to_close)

    def connected(
        self, waiter: Waiter[C], connection: C, *, multiplexed: bool = False
    ) -> Outcome[C]:
        """The slot granted to ``waiter`` now holds ``connection``, which carries its
        first request.

        The waiters to wake: those of the same origin that can now share it, or that
        were holding back for it and may now open connections of their own (for which
        idle connections may have to close).
        """
        origin = waiter.origin
        self._connections[connection] = origin
        self._opening_done(waiter)
        if multiplexed:
            self._multiplexed.setdefault(origin, []).append(connection)
            self._in_use[connection] = 1
            return Outcome(to_wake=self._share(connection, origin))
        if waiter.may_multiplex:
            self._single_origins.add(origin)
            return self._release_held_back(origin)
        return Outcome()

    def connect_failed(self, waiter: Waiter[C]) -> Outcome[C]:
        """The slot granted to ``waiter`` could not be turned into a connection: pass it
        on. Requests held back for it, if it was the one opening its origin's connection
        that may be multiplexed, now open connections of their own."""
        woken = self._free_slot()
        if not self._opening_done(waiter):
            return Outcome(to_wake=woken)
        released = self._release_held_back(waiter.origin)
        return Outcome(released.to_close, woken + released.to_wake)

    def release(self, connection: C, *, now: float) -> Outcome[C]:
        """A request on ``connection`` is over. It is kept if it ``keeps_alive()`` (for a
        multiplexed one: it is open and not going away), else closed."""
        origin = self._connections.get(connection)
        if origin is None:
            return Outcome()  # already dropped by close_all()
        reusable = connection.keeps_alive() and not self.is_closed
        if connection in self._in_use:
            self._in_use[connection] -= 1
            if reusable:
                woken = self._share(connection, origin)
                if self._in_use[connection] > 0:
                    return Outcome(to_wake=woken)
                return self._now_idle(connection, origin, now, woken)
            if self._in_use[connection] > 0:
                self._stop_sharing(connection, origin)  # no new requests on it
                return Outcome()
            return self._close(connection)
        if not reusable:
            return self._close(connection)
        for waiter in self._waiters:
            if waiter.origin == origin:
                self._waiters.remove(waiter)
                waiter._grant(connection)
                return Outcome(to_wake=[waiter])
        return self._now_idle(connection, origin, now, [])

    def cancel(self, waiter: Waiter[C], *, now: float) -> Outcome[C]:
        """The request behind ``waiter`` gave up (timeout, cancellation, error) before it
        used its grant, or while still queued."""
        if not waiter.granted:
            self._waiters.remove(waiter)
            return Outcome()
        waiter.granted = False
        if waiter.connection is None:
            # As if its connect failed: later requests may be held back for it.
            return self.connect_failed(waiter)
        connection, waiter.connection = waiter.connection, None
        return self.release(connection, now=now)

    def close_all(self) -> Outcome[C]:
        """Close the pool: every connection to close, every waiter to wake (ungranted)."""
        self.is_closed = True
        outcome = Outcome(to_close=list(self._connections), to_wake=list(self._waiters))
        self._connections.clear()
        self._idle.clear()
        self._idle_since.clear()
        self._multiplexed.clear()
        self._in_use.clear()
        self._waiters.clear()
        return outcome

    def expire(self, *, now: float) -> list[C]:
        """Idle connections that have outlived ``keepalive_expiry``, removed and returned."""
        return self._expire(now)

    # -- internals ---------------------------------------------------------------------

    def _take(self, connection: C) -> None:
        self._in_use[connection] += 1
        self._idle_since.pop(connection, None)

    def _share(self, connection: C, origin: Origin) -> list[Waiter[C]]:
        """Hand ``connection``'s free capacity to waiters of its origin, in order."""
        woken: list[Waiter[C]] = []
        capacity = connection.capacity()
        for waiter in list(self._waiters):
            if self._in_use[connection] >= capacity:
                break
            if waiter.origin == origin:
                self._waiters.remove(waiter)
                self._take(connection)
                waiter._grant(connection)
                woken.append(waiter)
        return woken

    def _now_idle(
        self, connection: C, origin: Origin, now: float, woken: list[Waiter[C]]
    ) -> Outcome[C]:
        """``connection`` carries nothing now: keep it idle, unless someone waits for a
        slot (not held back for a multiplexed connection)."""
        if self._first_free_to_open() is not None:
            closed = self._close(connection)
            return Outcome(closed.to_close, woken + closed.to_wake)
        if connection not in self._in_use:
            self._idle.setdefault(origin, []).append(connection)
        self._idle_since[connection] = now
        to_close = self._expire(now)
        while self.max_idle is not None and len(self._idle_since) > self.max_idle:
            to_close.append(self._drop(next(iter(self._idle_since))))
        return Outcome(to_close=to_close, to_wake=woken)

    def _must_wait_for_multiplexed(self, origin: Origin, may_multiplex: bool) -> bool:
        return (
            may_multiplex
            and origin not in self._single_origins
            and self._opening_multiplexed.get(origin, 0) > 0
        )

    def _first_free_to_open(self) -> Waiter[C] | None:
        """The first waiter that may take a slot: not held back for a multiplexed
        connection being opened to its origin."""
        for waiter in self._waiters:
            if not self._must_wait_for_multiplexed(waiter.origin, waiter.may_multiplex):
                return waiter
        return None

    def _grant_slot(self, waiter: Waiter[C]) -> None:
        """Give ``waiter`` a slot; it counts as opening its origin's connection that may
        be multiplexed if it may be (nobody else does: the caller checked)."""
        if waiter.may_multiplex and waiter.origin not in self._single_origins:
            self._opening_multiplexed[waiter.origin] = (
                self._opening_multiplexed.get(waiter.origin, 0) + 1
            )
            waiter.opening_multiplexed = True
        waiter._grant(None)

    def _opening_done(self, waiter: Waiter[C]) -> bool:
        """``waiter``'s connect is over; whether it was counted as opening a connection
        that may be multiplexed (only then does the count go down)."""
        if not waiter.opening_multiplexed:
            return False
        waiter.opening_multiplexed = False
        count = self._opening_multiplexed.get(waiter.origin, 0) - 1
        if count > 0:
            self._opening_multiplexed[waiter.origin] = count
        else:
            self._opening_multiplexed.pop(waiter.origin, None)
        return True

    def _release_held_back(self, origin: Origin) -> Outcome[C]:
        """Waiters of ``origin`` held back for a multiplexed connection that did not come:
        they take free slots now, or those of idle connections, as a new request would
        (the rest keep waiting as usual). None of them counts as opening: they all try
        at once, rather than one after another (a server that is down would fail each
        in turn)."""
        outcome: Outcome[C] = Outcome()
        for waiter in list(self._waiters):
            if waiter.origin != origin:
                continue
            if self._has_free_slot():
                self._slots_in_use += 1
            elif self._idle_since:
                outcome.to_close.append(self._evict_oldest_idle())
            else:
                break
            self._waiters.remove(waiter)
            waiter._grant(None)
            outcome.to_wake.append(waiter)
        return outcome

    def _has_free_slot(self) -> bool:
        return self.max_connections is None or self._slots_in_use < self.max_connections

    def _free_slot(self, *, pass_on: bool = True) -> list[Waiter[C]]:
        """The one place a slot is given back: to the first waiter not held back if
        ``pass_on``, else to the pool. Not passed on while a request is itself being
        granted (it takes the slot), nor on expiry (the only waiters then are held back
        on purpose)."""
        waiter = self._first_free_to_open() if pass_on else None
        if waiter is not None:
            self._waiters.remove(waiter)
            self._grant_slot(waiter)
            return [waiter]
        self._slots_in_use -= 1
        return []

    def _close(self, connection: C) -> Outcome[C]:
        """Forget ``connection`` for the caller to close; its slot goes to the first waiter."""
        self._forget(connection)
        return Outcome(to_close=[connection], to_wake=self._free_slot())

    def _drop(self, connection: C) -> C:
        """Forget ``connection`` for the caller to close; its slot goes back to the pool."""
        self._forget(connection)
        self._free_slot(pass_on=False)
        return connection

    def _forget(self, connection: C) -> None:
        origin = self._connections.pop(connection, None)
        idle = self._idle_since.pop(connection, None) is not None
        if origin is None:
            return
        if connection in self._in_use:
            del self._in_use[connection]
            self._stop_sharing(connection, origin)
        elif idle:
            self._idle[origin].remove(connection)
            if not self._idle[origin]:
                del self._idle[origin]

    def _stop_sharing(self, connection: C, origin: Origin) -> None:
        shared = self._multiplexed.get(origin)
        if shared is not None and connection in shared:
            shared.remove(connection)
            if not shared:
                del self._multiplexed[origin]

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
            expired.append(self._drop(connection))
        return expired
