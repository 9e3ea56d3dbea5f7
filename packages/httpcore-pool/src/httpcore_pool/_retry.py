"""Whether a failed request goes again, decided from data, with no I/O.

Design rules:

- The failure says why it happened (``reason_of``): the connection that fails knows
  whether the server refused the stream unprocessed, was recycling the connection, or
  lost it before any answer. Plain I/O and protocol errors say "the connection broke".
- ``RULES`` is the whole policy: per reason, what a retry costs of the request's refusal
  budget, whether it is allowed once only, whether it needs a stale reused connection,
  and whether it must go on a new connection. ``RetryPolicy`` applies it, one request
  at a time; nothing else in the pool decides retries.
- Nothing goes again unless its body can be sent again from the start (see ``_replay``).
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from httpcore_interfaces import ReadError, RemoteProtocolError, WriteError

__all__ = [
    "REFUSAL_BUDGET",
    "RULES",
    "Failure",
    "Reason",
    "RetryPolicy",
    "Rule",
    "StreamLost",
    "StreamRefused",
    "Verdict",
    "reason_of",
]


class Reason(enum.Enum):
    """Why a request failed, as far as retrying it is concerned."""

    REFUSED = "refused"  # unprocessed: REFUSED_STREAM, or above a GOAWAY's last stream id
    RECYCLED = "recycled"  # refused or lost while the server was recycling the connection
    LOST = "lost"  # the connection failed before this idempotent request got any answer
    BROKEN = "broken"  # a read, write or protocol error of the connection


class Verdict(enum.Enum):
    RETRY = "retry"
    RETRY_ON_NEW_CONNECTION = "retry on a new connection"
    GIVE_UP = "give up"


class Rule(NamedTuple):
    #: Taken from the request's ``REFUSAL_BUDGET``; past it, the request gives up.
    cost: int
    #: Allowed once per request, whatever happens in between.
    once: bool
    #: Only when a reused connection failed before any byte of the response, and the
    #: request is idempotent: the server had closed the connection while it sat idle.
    stale_only: bool
    #: The retry, and every later attempt of the request, opens a new connection.
    new_connection: bool


#: Ten plain refusals, or up to a hundred where the server was recycling its connections
#: (that says nothing against this request).
REFUSAL_BUDGET = 100

RULES: dict[Reason, Rule] = {
    Reason.REFUSED: Rule(cost=10, once=False, stale_only=False, new_connection=False),
    Reason.RECYCLED: Rule(cost=1, once=False, stale_only=False, new_connection=False),
    # Once: the failure may have been this request's own (a malformed response, say).
    Reason.LOST: Rule(cost=0, once=True, stale_only=False, new_connection=False),
    Reason.BROKEN: Rule(cost=0, once=True, stale_only=True, new_connection=True),
}


class Failure(NamedTuple):
    """The facts about one failed attempt that the decision depends on."""

    reason: Reason | None  # None: not a reason to retry (a timeout, a cancellation, …)
    reused: bool  # the attempt ran on a connection taken from the pool, not a new one
    response_started: bool  # some byte of the response had arrived
    replayable: bool  # the request body can be sent again from the start


class RetryPolicy:
    """The retry decisions of one request: ``decide`` is told each failure in turn.

    ``reuse``: whether the next attempt may take an open connection from the pool.
    """

    __slots__ = ("_idempotent", "_spent", "_used", "reuse")

    def __init__(self, *, idempotent: bool) -> None:
        self._idempotent = idempotent
        self._spent = 0
        self._used: frozenset[Reason] | set[Reason] = frozenset()  # a set once used
        self.reuse = True

    def decide(self, failure: Failure) -> Verdict:
        rule = RULES.get(failure.reason) if failure.reason is not None else None
        if rule is None or not failure.replayable:
            return Verdict.GIVE_UP
        if rule.stale_only and not (
            self._idempotent and failure.reused and not failure.response_started
        ):
            return Verdict.GIVE_UP
        if rule.once and failure.reason in self._used:
            return Verdict.GIVE_UP
        if self._spent + rule.cost > REFUSAL_BUDGET:
            return Verdict.GIVE_UP
        assert failure.reason is not None
        self._used = {*self._used, failure.reason}
        self._spent += rule.cost
        if rule.new_connection:
            self.reuse = False
            return Verdict.RETRY_ON_NEW_CONNECTION
        return Verdict.RETRY


def reason_of(exc: BaseException) -> Reason | None:
    """The reason ``exc`` carries; a ``StreamRefused`` says it, checked before the
    ``RemoteProtocolError`` it also is."""
    if isinstance(exc, StreamRefused):
        return exc.reason
    if isinstance(exc, _BROKEN):
        return Reason.BROKEN
    return None


class StreamRefused(RemoteProtocolError):
    """The server will not process this stream (above a GOAWAY's last stream id, or
    refused): it is safe to send the request again on another connection.

    ``recycled``: the server was closing a connection that had served streams (a GOAWAY
    whose last stream id is above 0), as servers that recycle connections do; that says
    nothing against this request, so it may go again more often."""

    def __init__(self, message: str, *, recycled: bool = False) -> None:
        super().__init__(message)
        self.recycled = recycled

    @property
    def reason(self) -> Reason:
        return Reason.RECYCLED if self.recycled else Reason.REFUSED


class StreamLost(StreamRefused):
    """The connection failed before this idempotent request got any answer. If the
    server was recycling the connection, the request may go again like a refused one;
    else once more, not again and again (the failure may have been its own response's,
    a malformed one, say). ``__cause__`` is the failure."""

    @property
    def reason(self) -> Reason:
        return Reason.RECYCLED if self.recycled else Reason.LOST


_BROKEN = (ReadError, WriteError, RemoteProtocolError)
