"""The pool's bookkeeping on its own: no sockets, no event loop."""

from __future__ import annotations

import pytest

from httpcore_pool._pool_state import Outcome, PoolState, Waiter
from tests.helpers.fake_connection import FakeConnection as Conn

A = (b"http", b"a.example", 80)
B = (b"http", b"b.example", 80)


def release(state: PoolState[Conn], conn: Conn, *, reusable: bool, now: float) -> Outcome[Conn]:
    conn.alive = reusable
    return state.release(conn, now=now)


def open_connection(state: PoolState[Conn], origin: tuple[bytes, bytes, int], name: str) -> Conn:
    acquired = state.acquire(origin, now=0.0)
    assert acquired.waiter.granted
    assert acquired.waiter.connection is None
    assert acquired.to_close == []
    conn = Conn(name)
    state.connected(acquired.waiter, conn)
    return conn


def test_idle_connection_is_reused_last_in_first_out() -> None:
    state: PoolState[Conn] = PoolState()
    first, second = open_connection(state, A, "1"), open_connection(state, A, "2")
    assert release(state, first, reusable=True, now=1.0) == Outcome[Conn]([], [])
    assert release(state, second, reusable=True, now=2.0) == Outcome[Conn]([], [])
    waiter = state.acquire(A, now=3.0).waiter
    assert waiter.connection is second
    assert state.slots_in_use == 2
    assert state.idle_count == 1


def test_unusable_idle_connection_is_dropped_and_the_next_tried() -> None:
    state: PoolState[Conn] = PoolState()
    old, fresh = open_connection(state, A, "old"), open_connection(state, A, "fresh")
    release(state, old, reusable=True, now=1.0)
    release(state, fresh, reusable=True, now=2.0)
    fresh.reusable = False  # the server closed it while it sat idle
    acquired = state.acquire(A, now=3.0)
    assert acquired.to_close == [fresh]
    assert acquired.waiter.connection is old
    assert state.slots_in_use == 1


def test_max_connections_queues_requests_in_order() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "1")
    first = state.acquire(A, now=0.0).waiter
    second = state.acquire(A, now=0.0).waiter
    assert not first.granted
    assert not second.granted
    assert state.waiting_count == 2
    assert release(state, conn, reusable=True, now=1.0) == Outcome[Conn]([], [first])
    assert first.connection is conn
    assert state.waiting_count == 1


def test_released_connection_goes_to_a_waiter_of_its_origin_first() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    wants_b = state.acquire(B, now=0.0).waiter
    wants_a = state.acquire(A, now=0.0).waiter
    assert release(state, conn, reusable=True, now=1.0) == Outcome[Conn]([], [wants_a])
    assert wants_a.connection is conn
    assert not wants_b.granted


def test_released_connection_of_another_origin_is_closed_to_free_the_slot() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    wants_b = state.acquire(B, now=0.0).waiter
    assert release(state, conn, reusable=True, now=1.0) == Outcome[Conn]([conn], [wants_b])
    assert wants_b.granted
    assert wants_b.connection is None
    assert state.slots_in_use == 1
    assert state.idle_count == 0


def test_a_full_pool_evicts_the_oldest_idle_connection_of_another_origin() -> None:
    state: PoolState[Conn] = PoolState(max_connections=2)
    a1, a2 = open_connection(state, A, "a1"), open_connection(state, A, "a2")
    release(state, a1, reusable=True, now=1.0)
    release(state, a2, reusable=True, now=2.0)
    acquired = state.acquire(B, now=3.0)
    assert acquired.to_close == [a1]
    assert acquired.waiter.granted
    assert acquired.waiter.connection is None
    assert state.slots_in_use == 2


def test_closed_connection_frees_its_slot_or_passes_it_on() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    assert release(state, conn, reusable=False, now=1.0) == Outcome[Conn]([conn], [])
    assert state.slots_in_use == 0
    conn = open_connection(state, A, "a")
    waiter = state.acquire(A, now=0.0).waiter
    assert release(state, conn, reusable=False, now=1.0) == Outcome[Conn]([conn], [waiter])
    assert waiter.granted
    assert state.slots_in_use == 1


def test_failed_connect_passes_the_slot_on() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    holder = state.acquire(A, now=0.0).waiter
    waiter = state.acquire(A, now=0.0).waiter
    assert holder.granted
    assert not waiter.granted
    assert state.connect_failed(holder) == Outcome[Conn]([], [waiter])
    assert state.connect_failed(waiter) == Outcome[Conn]([], [])
    assert state.slots_in_use == 0


def test_keepalive_limit_counts_idle_connections_only() -> None:
    state: PoolState[Conn] = PoolState(max_connections=10, max_idle=1)
    conns = [open_connection(state, A, str(i)) for i in range(3)]
    assert state.slots_in_use == 3
    assert release(state, conns[0], reusable=True, now=1.0) == Outcome[Conn]([], [])
    assert release(state, conns[1], reusable=True, now=2.0) == Outcome([conns[0]], [])
    assert state.slots_in_use == 2
    assert state.idle_count == 1


def test_zero_keepalive_closes_every_released_connection() -> None:
    state: PoolState[Conn] = PoolState(max_idle=0)
    conn = open_connection(state, A, "a")
    assert release(state, conn, reusable=True, now=1.0) == Outcome[Conn]([conn], [])
    assert state.slots_in_use == 0


def test_idle_connections_expire() -> None:
    state: PoolState[Conn] = PoolState(keepalive_expiry=5.0)
    old, young = open_connection(state, A, "old"), open_connection(state, B, "young")
    release(state, old, reusable=True, now=0.0)
    release(state, young, reusable=True, now=4.0)
    assert state.expire(now=4.9) == []
    assert state.expire(now=5.0) == [old]
    acquired = state.acquire(B, now=9.5)
    assert acquired.to_close == [young]
    assert acquired.waiter.connection is None
    assert state.slots_in_use == 1


def test_cancelled_waiter_leaves_the_queue() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    waiter = state.acquire(A, now=0.0).waiter
    assert state.cancel(waiter, now=0.0) == Outcome[Conn]([], [])
    assert state.waiting_count == 0
    assert release(state, conn, reusable=True, now=1.0) == Outcome[Conn]([], [])
    assert state.idle_count == 1


def test_cancelled_waiter_that_was_granted_gives_the_grant_back() -> None:
    state: PoolState[Conn] = PoolState(max_connections=1)
    conn = open_connection(state, A, "a")
    late = state.acquire(A, now=0.0).waiter
    next_in_line = state.acquire(A, now=0.0).waiter
    release(state, conn, reusable=True, now=1.0)
    assert late.connection is conn
    assert state.cancel(late, now=1.0) == Outcome[Conn]([], [next_in_line])
    assert next_in_line.connection is conn

    holder = state.acquire(B, now=0.0).waiter
    assert state.waiting_count == 1
    assert release(state, conn, reusable=False, now=2.0) == Outcome[Conn]([conn], [holder])
    assert holder.granted
    assert state.cancel(holder, now=2.0) == Outcome[Conn]([], [])
    assert state.slots_in_use == 0


def test_close_all_returns_every_connection_and_waiter() -> None:
    state: PoolState[Conn] = PoolState(max_connections=2)
    busy, idle = open_connection(state, A, "busy"), open_connection(state, A, "idle")
    release(state, idle, reusable=True, now=0.0)
    waiter = state.acquire(B, now=0.0).waiter
    assert waiter.granted  # the idle connection was evicted for it
    third = state.acquire(B, now=0.0).waiter
    closed = state.close_all()
    assert closed.to_close == [busy]
    assert closed.to_wake == [third]
    assert release(state, busy, reusable=True, now=1.0) == Outcome[Conn]([], [])


@pytest.mark.parametrize("reusable", [True, False])
def test_release_after_close_closes(reusable: bool) -> None:
    state: PoolState[Conn] = PoolState()
    conn = open_connection(state, A, "a")
    other = open_connection(state, A, "b")
    state.close_all()
    state.connected(Waiter(A), conn)  # a connect that finished after close_all
    assert release(state, conn, reusable=reusable, now=0.0) == Outcome[Conn]([conn], [])
    assert release(state, other, reusable=reusable, now=0.0) == Outcome[Conn]([], [])


def test_an_idle_multiplexed_connection_going_away_is_dropped_when_next_looked_for() -> None:
    state: PoolState[Conn] = PoolState()
    opener = state.acquire(A, now=0.0, may_multiplex=True).waiter
    conn = Conn("h2", streams=100)
    state.connected(opener, conn, multiplexed=True)
    assert release(state, conn, reusable=True, now=1.0) == Outcome[Conn]([], [])
    conn.streams = 0  # the server closed it while idle
    acquired = state.acquire(A, now=2.0, may_multiplex=True)
    assert acquired.to_close == [conn]  # closed, and its slot goes to a new connection
    assert acquired.waiter.granted
    assert acquired.waiter.connection is None
    assert state.slots_in_use == 1
    assert conn not in state.connections()


def test_a_request_giving_up_its_slot_stops_holding_its_origin_back() -> None:
    state: PoolState[Conn] = PoolState()
    opener = state.acquire(A, now=0.0, may_multiplex=True).waiter
    held_back = state.acquire(A, now=0.0, may_multiplex=True).waiter
    assert not held_back.granted  # waits for the connection that may be multiplexed
    assert state.cancel(opener, now=0.0) == Outcome[Conn]([], [held_back])
    assert state.acquire(A, now=0.0, may_multiplex=True).waiter.granted


@pytest.mark.parametrize("end", ["gives up", "fails to connect", "connects, full"])
def test_a_slot_passed_on_does_not_count_as_opening_a_multiplexed_connection(end: str) -> None:
    """The opener gives up and the request held back for it opens a connection of its own,
    uncounted; another is counted as opening now. However the first one's connect ends,
    the count is the other's, so later requests still wait for the other's connection."""
    state: PoolState[Conn] = PoolState()
    opener = state.acquire(A, now=0.0, may_multiplex=True).waiter
    released = state.acquire(A, now=0.0, may_multiplex=True).waiter
    assert state.cancel(opener, now=0.0) == Outcome[Conn]([], [released])
    opening = state.acquire(A, now=0.0, may_multiplex=True).waiter
    assert opening.granted  # nothing counted as opening a multiplexed connection
    assert opening.connection is None
    held_back = state.acquire(A, now=0.0, may_multiplex=True).waiter
    assert not held_back.granted
    if end == "gives up":
        assert state.cancel(released, now=0.0) == Outcome[Conn]([], [])
    elif end == "fails to connect":
        assert state.connect_failed(released) == Outcome[Conn]([], [])
    else:
        assert state.connected(released, Conn("h2", streams=1), multiplexed=True) == Outcome()
    later = state.acquire(A, now=0.0, may_multiplex=True).waiter
    assert not held_back.granted
    assert not later.granted  # both wait for the connection ``opening`` is opening
    assert state.connect_failed(opening) == Outcome[Conn]([], [held_back, later])


def test_a_slot_given_back_skips_requests_held_back_for_a_multiplexed_connection() -> None:
    """It goes to the first waiter free to open a connection; the held back ones go when
    the connection they wait for does not come."""
    state: PoolState[Conn] = PoolState(max_connections=2)
    opener = state.acquire(A, now=0.0, may_multiplex=True).waiter
    held_back = state.acquire(A, now=0.0, may_multiplex=True).waiter
    other = open_connection(state, B, "b")
    queued = state.acquire(B, now=0.0).waiter
    assert not held_back.granted
    assert not queued.granted
    assert release(state, other, reusable=False, now=1.0) == Outcome[Conn]([other], [queued])
    assert not held_back.granted
    assert state.cancel(queued, now=1.0) == Outcome[Conn]([], [])
    assert state.slots_in_use == 1  # given back to the pool, not to the held back one
    assert state.connect_failed(opener) == Outcome[Conn]([], [held_back])


def test_requests_let_go_by_a_failed_opener_take_idle_connections_slots() -> None:
    """Held back for A's HTTP/2 connection, which fails, while the pool is full of an idle
    connection to B: the requests let go must not wait behind an idle connection."""
    state: PoolState[Conn] = PoolState(max_connections=2)
    opener = state.acquire(A, now=0.0, reuse=False, may_multiplex=True).waiter
    held_back = [state.acquire(A, now=0.0, reuse=False, may_multiplex=True).waiter]
    held_back.append(state.acquire(A, now=0.0, reuse=False, may_multiplex=True).waiter)
    other = state.acquire(B, now=0.0, reuse=False).waiter
    idle = Conn("b")
    state.connected(other, idle)
    assert release(state, idle, reusable=True, now=1.0) == Outcome[Conn]([], [])
    outcome = state.cancel(opener, now=2.0)
    assert outcome == Outcome[Conn]([idle], held_back)
    assert all(waiter.granted and waiter.connection is None for waiter in held_back)
    assert state.waiting_count == 0
    assert state.slots_in_use == 2
