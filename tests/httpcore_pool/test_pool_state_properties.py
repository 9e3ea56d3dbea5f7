"""PoolState under random sequences of operations: its invariants always hold.

A hypothesis state machine plays requests that acquire, connect, fail to connect,
release (reusable or not), give up while waiting, and let time pass, across two origins.
After every step the bookkeeping must add up.
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
        self.busy: list[Conn] = []  # carrying a request
        self.closed: set[Conn] = set()

    @rule(
        max_connections=st.integers(1, 4) | st.none(),
        max_idle=st.integers(0, 3) | st.none(),
        expiry=st.sampled_from([None, 1.0, 5.0]),
    )
    @precondition(lambda self: self.state is None)
    def make_pool(
        self, max_connections: int | None, max_idle: int | None, expiry: float | None
    ) -> None:
        self.state = PoolState(max_connections, max_idle, expiry)

    def _settle(self, to_close: list[Conn], woken: list[Waiter[Conn]]) -> None:
        for connection in to_close:
            assert connection not in self.closed, "closed twice"
            self.closed.add(connection)
            if connection in self.busy:
                self.busy.remove(connection)
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
        assert self.state is not None
        waiter, to_close = self.state.acquire(origin, self.now, reuse=reuse)
        self._settle(to_close, [])
        if waiter.granted:
            self._granted(waiter)
        else:
            self.waiting.append(waiter)

    @rule(data=st.data(), success=st.booleans())
    @precondition(lambda self: self.state is not None and self.connecting)
    def finish_connecting(self, data: st.DataObject, success: bool) -> None:
        assert self.state is not None
        waiter = data.draw(st.sampled_from(self.connecting))
        self.connecting.remove(waiter)
        if success:
            connection = Conn()
            self.state.connected(connection, waiter.origin)
            self.busy.append(connection)
        else:
            self._settle(*self.state.connect_failed())

    @rule(data=st.data(), reusable=st.booleans())
    @precondition(lambda self: self.state is not None and self.busy)
    def finish_request(self, data: st.DataObject, reusable: bool) -> None:
        assert self.state is not None
        connection = data.draw(st.sampled_from(self.busy))
        self.busy.remove(connection)
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
        assert state.idle_count == len(open_connections) - len(self.busy)
        assert state.waiting_count == len(self.waiting)
        # Nobody waits while a connection sits idle or a slot is free.
        if self.waiting:
            assert state.idle_count == 0
            assert state.max_connections is not None
            assert state.slots_in_use == state.max_connections


PoolStateMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=40, deadline=None
)
test_pool_state_machine = PoolStateMachine.TestCase
