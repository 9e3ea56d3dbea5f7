"""PoolState under random sequences of operations: its invariants always hold.

A hypothesis state machine plays requests that acquire, connect (as HTTP/1.1 or as a
multiplexed connection of small capacity), fail to connect, release (reusable or not),
give up while waiting, see a connection start going away, and let time pass, across two
origins. After every step the bookkeeping must add up.
"""

from __future__ import annotations

import itertools

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from httpcore_pool._pool_state import PoolState, Waiter

ORIGINS = [(b"http", b"a.example", 80), (b"http", b"b.example", 80)]


class Conn:
    _ids = itertools.count()

    def __init__(self) -> None:
        self.id = next(self._ids)

    def __repr__(self) -> str:
        return f"Conn({self.id})"


class PoolStateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state: PoolState[Conn] | None = None
        self.now = 0.0
        self.waiting: list[Waiter[Conn]] = []  # queued, not granted yet
        self.connecting: list[Waiter[Conn]] = []  # granted a slot, connecting
        self.busy: list[Conn] = []  # one entry per request a connection carries
        self.closed: set[Conn] = set()
        self.capacity: dict[Conn, int] = {}  # multiplexed connections only
        self.http2: set[int] = set()  # id() of waiters whose request offered HTTP/2
        self.pool_http2 = False

    @rule(
        max_connections=st.integers(1, 4) | st.none(),
        max_idle=st.integers(0, 3) | st.none(),
        expiry=st.sampled_from([None, 1.0, 5.0]),
    )
    @precondition(lambda self: self.state is None)
    def make_pool(
        self, max_connections: int | None, max_idle: int | None, expiry: float | None
    ) -> None:
        self.state = PoolState(
            max_connections, max_idle, expiry, capacity=lambda conn: self.capacity[conn]
        )

    def _settle(self, to_close: list[Conn], woken: list[Waiter[Conn]]) -> None:
        for connection in to_close:
            assert connection not in self.closed, "closed twice"
            assert connection not in self.busy, "closed while carrying a request"
            self.closed.add(connection)
        for waiter in woken:
            assert waiter.granted
            self.waiting.remove(waiter)
            self._granted(waiter)

    def _granted(self, waiter: Waiter[Conn]) -> None:
        if waiter.connection is None:
            self.connecting.append(waiter)
        else:
            assert waiter.connection not in self.closed
            self.busy.append(waiter.connection)

    @rule(origin=st.sampled_from(ORIGINS), reuse=st.booleans())
    @precondition(lambda self: self.state is not None)
    def request(self, origin: tuple[bytes, bytes, int], reuse: bool) -> None:
        """Only the first origin offers HTTP/2 (https), and only if the pool does."""
        assert self.state is not None
        may_multiplex = self.pool_http2 and origin == ORIGINS[0]
        waiter, to_close = self.state.acquire(
            origin, self.now, reuse=reuse, may_multiplex=may_multiplex
        )
        if may_multiplex:
            self.http2.add(id(waiter))
        self._settle(to_close, [])
        if waiter.granted:
            self._granted(waiter)
        else:
            self.waiting.append(waiter)

    @rule(data=st.data(), success=st.booleans(), streams=st.sampled_from([0, 2, 3]))
    @precondition(lambda self: self.state is not None and self.connecting)
    def finish_connecting(self, data: st.DataObject, success: bool, streams: int) -> None:
        """``streams`` 0: the connection is HTTP/1.1; else its multiplexing capacity."""
        assert self.state is not None
        waiter = data.draw(st.sampled_from(self.connecting))
        self.connecting.remove(waiter)
        may_multiplex = id(waiter) in self.http2
        multiplexed = may_multiplex and streams > 0
        if success:
            connection = Conn()
            if multiplexed:
                self.capacity[connection] = streams
            woken = self.state.connected(connection, waiter.origin, multiplexed, may_multiplex)
            self.busy.append(connection)
            self._settle([], woken)
        else:
            self._settle(*self.state.connect_failed(waiter.origin, may_multiplex))

    @rule(data=st.data())
    @precondition(lambda self: self.state is not None and self.capacity)
    def start_going_away(self, data: st.DataObject) -> None:
        connection = data.draw(st.sampled_from(sorted(self.capacity, key=lambda c: c.id)))
        self.capacity[connection] = 0

    @rule(data=st.data(), reusable=st.booleans())
    @precondition(lambda self: self.state is not None and self.busy)
    def finish_request(self, data: st.DataObject, reusable: bool) -> None:
        assert self.state is not None
        connection = data.draw(st.sampled_from(self.busy))
        self.busy.remove(connection)
        if self.capacity.get(connection) == 0:
            reusable = False  # a connection going away is not reusable
        self._settle(*self.state.release(connection, reusable, self.now))

    @rule(data=st.data())
    @precondition(lambda self: self.state is not None and self.waiting)
    def give_up(self, data: st.DataObject) -> None:
        assert self.state is not None
        waiter = data.draw(st.sampled_from(self.waiting))
        self.waiting.remove(waiter)
        self._settle(*self.state.cancel(waiter, self.now))

    @rule(seconds=st.sampled_from([0.5, 2.0, 6.0]))
    @precondition(lambda self: self.state is not None)
    def time_passes(self, seconds: float) -> None:
        assert self.state is not None
        self.now += seconds
        self._settle(self.state.expire(self.now), [])

    @invariant()
    def bookkeeping_adds_up(self) -> None:
        state = self.state
        if state is None:
            return
        open_connections = state.connections()
        assert state.slots_in_use == len(open_connections) + len(self.connecting)
        if state.max_connections is not None:
            assert state.slots_in_use <= state.max_connections
        if state.max_idle is not None:
            assert state.idle_count <= state.max_idle
        assert not set(open_connections) & self.closed
        assert set(self.busy) <= set(open_connections)
        for connection in open_connections:
            carried = self.busy.count(connection)
            if connection in self.capacity:
                assert state.requests_on(connection) == carried
                assert (
                    carried <= max(self.capacity[connection], 1) or self.capacity[connection] == 0
                )
            else:
                assert carried <= 1
        idle = [c for c in open_connections if c not in self.busy]
        assert state.idle_count == len(idle)
        assert state.waiting_count == len(self.waiting)
        # Nobody waits while a connection sits idle or a slot is free, except requests
        # holding back for a multiplexed connection being opened to their origin.
        held_back = any(
            w.origin == ORIGINS[0] and state._opening_multiplexed.get(ORIGINS[0])
            for w in self.waiting
        )
        if self.waiting and not held_back:
            assert state.idle_count == 0
            assert state.max_connections is not None
            assert state.slots_in_use == state.max_connections


PoolStateMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=40, deadline=None
)
test_pool_state_machine = PoolStateMachine.TestCase
