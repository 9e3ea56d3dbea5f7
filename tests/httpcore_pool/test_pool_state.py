"""The pool's bookkeeping on its own: no sockets, no event loop."""

from __future__ import annotations

import pytest

from httpcore_pool._pool_state import PoolState

A = (b"http", b"a.example", 80)
B = (b"http", b"b.example", 80)


class Conn:
    """Stands in for a connection: the state only needs it hashable."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def open_connection(state: PoolState[Conn], origin: tuple[bytes, bytes, int], name: str) -> Conn:
    waiter, to_close = state.acquire(origin, now=0.0)
    assert waiter.granted
    assert waiter.connection is None
    assert to_close == []
    conn = Conn(name)
    state.connected(conn, origin)
    return conn


def test_idle_connection_is_reused_last_in_first_out() -> None:
    state: PoolState[Conn] = PoolState()
    first, second = open_connection(state, A, "1"), open_connection(state, A, "2")
    assert state.release(first, reusable=True, now=1.0) == ([], [])
    assert state.release(second, reusable=True, now=2.0) == ([], [])
    waiter, _ = state.acquire(A, now=3.0)
    assert waiter.connection is second
    assert state.slots_in_use == 2
    assert state.idle_count == 1


def test_unusable_idle_connection_is_dropped_and_the_next_tried() -> None:
    state: PoolState[Conn] = PoolState()
    old, fresh = open_connection(state, A, "old"), open_connection(state, A, "fresh")
    state.release(old, reusable=True, now=1.0)
    state.release(fresh, reusable=True, now=2.0)
    waiter, to_close = state.acquire(A, now=3.0, is_usable=lambda c: c is old)
    assert to_close == [fresh]
    assert waiter.connection is old
    assert state.slots_in_use == 1


def test_max_connections_queues_requests_in_order() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "1")
    first, _ = state.acquire(A, now=0.0)
    second, _ = state.acquire(A, now=0.0)
    assert not first.granted
    assert not second.granted
    assert state.waiting_count == 2
    to_close, woken = state.release(conn, reusable=True, now=1.0)
    assert (to_close, woken) == ([], [first])
    assert first.connection is conn
    assert state.waiting_count == 1


def test_released_connection_goes_to_a_waiter_of_its_origin_first() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    wants_b, _ = state.acquire(B, now=0.0)
    wants_a, _ = state.acquire(A, now=0.0)
    assert state.release(conn, reusable=True, now=1.0) == ([], [wants_a])
    assert wants_a.connection is conn
    assert not wants_b.granted


def test_released_connection_of_another_origin_is_closed_to_free_the_slot() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    wants_b, _ = state.acquire(B, now=0.0)
    assert state.release(conn, reusable=True, now=1.0) == ([conn], [wants_b])
    assert wants_b.granted
    assert wants_b.connection is None
    assert state.slots_in_use == 1
    assert state.idle_count == 0


def test_a_full_pool_evicts_the_oldest_idle_connection_of_another_origin() -> None:
    state: PoolState[Conn] = PoolState(max_connections=2)
    a1, a2 = open_connection(state, A, "a1"), open_connection(state, A, "a2")
    state.release(a1, reusable=True, now=1.0)
    state.release(a2, reusable=True, now=2.0)
    waiter, to_close = state.acquire(B, now=3.0)
    assert to_close == [a1]
    assert waiter.granted
    assert waiter.connection is None
    assert state.slots_in_use == 2


def test_closed_connection_frees_its_slot_or_passes_it_on() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    assert state.release(conn, reusable=False, now=1.0) == ([conn], [])
    assert state.slots_in_use == 0
    conn = open_connection(state, A, "a")
    waiter, _ = state.acquire(A, now=0.0)
    assert state.release(conn, reusable=False, now=1.0) == ([conn], [waiter])
    assert waiter.granted
    assert state.slots_in_use == 1


def test_failed_connect_passes_the_slot_on() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    holder, _ = state.acquire(A, now=0.0)
    waiter, _ = state.acquire(A, now=0.0)
    assert holder.granted
    assert not waiter.granted
    assert state.connect_failed() == ([], [waiter])
    assert state.connect_failed() == ([], [])
    assert state.slots_in_use == 0


def test_keepalive_limit_counts_idle_connections_only() -> None:
    state: PoolState[Conn] = PoolState(max_connections=10, max_idle=1)
    conns = [open_connection(state, A, str(i)) for i in range(3)]
    assert state.slots_in_use == 3
    assert state.release(conns[0], reusable=True, now=1.0) == ([], [])
    assert state.release(conns[1], reusable=True, now=2.0) == ([conns[0]], [])
    assert state.slots_in_use == 2
    assert state.idle_count == 1


def test_zero_keepalive_closes_every_released_connection() -> None:
    state: PoolState[Conn] = PoolState(max_idle=0)
    conn = open_connection(state, A, "a")
    assert state.release(conn, reusable=True, now=1.0) == ([conn], [])
    assert state.slots_in_use == 0


def test_idle_connections_expire() -> None:
    state: PoolState[Conn] = PoolState(keepalive_expiry=5.0)
    old, young = open_connection(state, A, "old"), open_connection(state, B, "young")
    state.release(old, reusable=True, now=0.0)
    state.release(young, reusable=True, now=4.0)
    assert state.expire(now=4.9) == []
    assert state.expire(now=5.0) == [old]
    waiter, to_close = state.acquire(B, now=9.5)
    assert to_close == [young]
    assert waiter.connection is None
    assert state.slots_in_use == 1


def test_cancelled_waiter_leaves_the_queue() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    waiter, _ = state.acquire(A, now=0.0)
    assert state.cancel(waiter, now=0.0) == ([], [])
    assert state.waiting_count == 0
    assert state.release(conn, reusable=True, now=1.0) == ([], [])
    assert state.idle_count == 1


def test_cancelled_waiter_that_was_granted_gives_the_grant_back() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    late, _ = state.acquire(A, now=0.0)
    next_in_line, _ = state.acquire(A, now=0.0)
    state.release(conn, reusable=True, now=1.0)
    assert late.connection is conn
    assert state.cancel(late, now=1.0) == ([], [next_in_line])
    assert next_in_line.connection is conn

    holder, _ = state.acquire(B, now=0.0)
    assert state.waiting_count == 1
    assert state.release(conn, reusable=False, now=2.0) == ([conn], [holder])
    assert holder.granted
    assert state.cancel(holder, now=2.0) == ([], [])
    assert state.slots_in_use == 0


def test_close_all_returns_every_connection_and_waiter() -> None:
    state: PoolState[Conn] = PoolState(max_connections=2)
    busy, idle = open_connection(state, A, "busy"), open_connection(state, A, "idle")
    state.release(idle, reusable=True, now=0.0)
    waiter, _ = state.acquire(B, now=0.0)
    assert waiter.granted  # the idle connection was evicted for it
    third, _ = state.acquire(B, now=0.0)
    connections, waiters = state.close_all()
    assert set(connections) == {busy}
    assert waiters == [third]
    assert state.release(busy, reusable=True, now=1.0) == ([], [])


@pytest.mark.parametrize("reusable", [True, False])
def test_release_after_close_closes(reusable: bool) -> None:
    state: PoolState[Conn] = PoolState()
    conn = open_connection(state, A, "a")
    other = open_connection(state, A, "b")
    state.close_all()
    state.connected(conn, A)  # a connect that finished after close_all
    assert state.release(conn, reusable=reusable, now=0.0) == ([conn], [])
    assert state.release(other, reusable=reusable, now=0.0) == ([], [])


def test_an_idle_multiplexed_connection_going_away_is_dropped_when_next_looked_for() -> None:
    capacity = {"h2": 100}
    state: PoolState[Conn] = PoolState(capacity=lambda conn: capacity[conn.name])
    waiter, _ = state.acquire(A, now=0.0, may_multiplex=True)
    conn = Conn("h2")
    state.connected(conn, A, multiplexed=True, may_multiplex=True)
    assert state.release(conn, reusable=True, now=1.0) == ([], [])
    capacity["h2"] = 0  # the server closed it while idle
    waiter, to_close = state.acquire(A, now=2.0, may_multiplex=True)
    assert to_close == [conn]  # closed, and its slot goes to a new connection
    assert waiter.granted
    assert waiter.connection is None
    assert state.slots_in_use == 1
    assert conn not in state.connections()
