"""PoolState under random sequences of operations: its invariants always hold.

A hypothesis state machine plays requests that acquire, connect (as HTTP/1.1 or as a
multiplexed connection of small capacity), fail to connect, release (reusable or not),
give up while waiting, see a connection start going away, and let time pass, across two
origins. After every step the bookkeeping must add up.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from httpcore_pool._pool_state import Outcome, PoolState, Waiter
from tests.helpers.fake_connection import FakeConnection as Conn

ORIGINS = [(b"http", b"a.example", 80), (b"http", b"b.example", 80)]


class PoolStateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state: PoolState[Conn] | None = None
        self.now = 0.0
        self.waiting: list[Waiter[Conn]] = []  # queued, not granted yet
        self.connecting: list[Waiter[Conn]] = []  # granted a slot, connecting
        self.busy: list[Conn] = []  # one entry per request a connection carries
        self.closed: set[Conn] = set()
        self.multiplexed: set[Conn] = set()
        self.http2: set[int] = set()  # id() of waiters whose request offered HTTP/2
        # id() of connecting waiters that acquire() gave a slot for a connection that may
        # be multiplexed, to an origin not known to answer HTTP/1.1: while one connects,
        # no other request that offered HTTP/2 to its origin may get a slot.
        self.openers: set[int] = set()
        self.single: set[tuple[bytes, bytes, int]] = set()  # answered HTTP/1.1 to HTTP/2
        self.pool_http2 = False

    @rule(
        max_connections=st.integers(1, 4) | st.none(),
        max_idle=st.integers(0, 3) | st.none(),
        expiry=st.sampled_from([None, 1.0, 5.0]),
        http2=st.booleans(),
    )
    @precondition(lambda self: self.state is None)
    def make_pool(
        self, max_connections: int | None, max_idle: int | None, expiry: float | None, http2: bool
    ) -> None:
        self.pool_http2 = http2
        self.state = PoolState(
            max_connections=max_connections, max_idle=max_idle, keepalive_expiry=expiry
        )

    def _settle(self, outcome: Outcome[Conn]) -> None:
        self._close(outcome.to_close)
        for waiter in outcome.to_wake:
            assert waiter.granted
            self.waiting.remove(waiter)
            self._not_let_go_early(waiter)
            self._granted(waiter)

    def _not_let_go_early(self, waiter: Waiter[Conn]) -> None:
        """A request that offered HTTP/2 gets no slot while another opens a connection to
        its origin that may turn out multiplexed."""
        if (
            waiter.connection is None
            and id(waiter) in self.http2
            and waiter.origin not in self.single
        ):
            assert not any(
                w.origin == waiter.origin and id(w) in self.openers for w in self.connecting
            ), "let go while another request opens a connection that may be multiplexed"

    def _leaves_connecting(self, waiter: Waiter[Conn]) -> None:
        self.connecting.remove(waiter)
        self.openers.discard(id(waiter))

    def _close(self, to_close: list[Conn]) -> None:
        for connection in to_close:
            assert connection not in self.closed, "closed twice"
            assert connection not in self.busy, "closed while carrying a request"
            self.closed.add(connection)

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
        acquired = self.state.acquire(
            origin, now=self.now, reuse=reuse, may_multiplex=may_multiplex
        )
        waiter = acquired.waiter
        if may_multiplex:
            self.http2.add(id(waiter))
        self._close(acquired.to_close)
        if waiter.granted:
            self._not_let_go_early(waiter)
            if may_multiplex and waiter.connection is None and origin not in self.single:
                self.openers.add(id(waiter))
            self._granted(waiter)
        else:
            self.waiting.append(waiter)

    @rule(data=st.data(), success=st.booleans(), streams=st.sampled_from([0, 2, 3]))
    @precondition(lambda self: self.state is not None and self.connecting)
    def finish_connecting(self, data: st.DataObject, success: bool, streams: int) -> None:
        """``streams`` 0: the connection is HTTP/1.1; else its multiplexing capacity."""
        assert self.state is not None
        waiter = data.draw(st.sampled_from(self.connecting))
        self._leaves_connecting(waiter)
        may_multiplex = id(waiter) in self.http2
        multiplexed = may_multiplex and streams > 0
        if success:
            connection = Conn(streams=streams if multiplexed else 1)
            if multiplexed:
                self.multiplexed.add(connection)
            elif may_multiplex:
                self.single.add(waiter.origin)
            outcome = self.state.connected(waiter, connection, multiplexed=multiplexed)
            self.busy.append(connection)
            self._settle(outcome)
        else:
            self._settle(self.state.connect_failed(waiter))

    @rule(data=st.data())
    @precondition(lambda self: self.state is not None and self.multiplexed)
    def start_going_away(self, data: st.DataObject) -> None:
        connection = data.draw(st.sampled_from(sorted(self.multiplexed, key=lambda c: c.id)))
        connection.streams = 0

    @rule(data=st.data(), reusable=st.booleans())
    @precondition(lambda self: self.state is not None and self.busy)
    def finish_request(self, data: st.DataObject, reusable: bool) -> None:
        assert self.state is not None
        connection = data.draw(st.sampled_from(self.busy))
        self.busy.remove(connection)
        # A connection going away is not reusable.
        connection.alive = reusable and connection.streams > 0
        self._settle(self.state.release(connection, now=self.now))

    @rule(data=st.data())
    @precondition(lambda self: self.state is not None and self.waiting)
    def give_up(self, data: st.DataObject) -> None:
        assert self.state is not None
        waiter = data.draw(st.sampled_from(self.waiting))
        self.waiting.remove(waiter)
        self._settle(self.state.cancel(waiter, now=self.now))

    @rule(data=st.data())
    @precondition(lambda self: self.state is not None and self.connecting)
    def give_up_before_connecting(self, data: st.DataObject) -> None:
        """Cancelled holding a slot (while closing what ``acquire`` returned, say)."""
        assert self.state is not None
        waiter = data.draw(st.sampled_from(self.connecting))
        self._leaves_connecting(waiter)
        self._settle(self.state.cancel(waiter, now=self.now))

    @rule(seconds=st.sampled_from([0.5, 2.0, 6.0]))
    @precondition(lambda self: self.state is not None)
    def time_passes(self, seconds: float) -> None:
        assert self.state is not None
        self.now += seconds
        self._close(self.state.expire(now=self.now))

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
            if connection in self.multiplexed:
                assert state.requests_on(connection) == carried
                assert carried <= max(connection.streams, 1) or connection.streams == 0
            else:
                assert carried <= 1
        idle = [c for c in open_connections if c not in self.busy]
        assert state.idle_count == len(idle)
        assert state.waiting_count == len(self.waiting)
        # A slot counted as opening a multiplexed connection belongs to a request
        # connecting now, else later requests to its origin would hold back forever.
        opening = state._opening_multiplexed.get(ORIGINS[0], 0)
        # The count is the waiters marked as counted, one at most: each of them is
        # connecting, offered HTTP/2 and is taken off it once, by its own end.
        counted = [w for w in self.connecting if w.opening_multiplexed]
        assert all(w.origin == ORIGINS[0] and id(w) in self.http2 for w in counted)
        assert opening == len(counted) <= 1
        assert not state._opening_multiplexed.get(ORIGINS[1], 0)
        # Nor does it count less than the requests opening such a connection now.
        assert opening >= sum(id(w) in self.openers for w in self.connecting), (
            "a request opening a connection that may be multiplexed is not counted"
        )
        if opening:
            assert any(w.origin == ORIGINS[0] and id(w) in self.http2 for w in self.connecting), (
                "held back for a multiplexed connection that nobody is opening"
            )
        # Nobody waits while a connection sits idle or a slot is free, except requests that
        # offered HTTP/2 and wait for a multiplexed connection to their origin: being
        # opened, or full (they wait for its capacity).
        multiplexing = opening > 0 or any(
            c in self.multiplexed and origin == ORIGINS[0] for c, origin in open_connections.items()
        )
        if any(not (multiplexing and id(w) in self.http2) for w in self.waiting):
            assert state.idle_count == 0
            assert state.max_connections is not None
            assert state.slots_in_use == state.max_connections


PoolStateMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=40, deadline=None
)
test_pool_state_machine = PoolStateMachine.TestCase
