"""The retry decision on its own: each failure's facts in, retry or give up out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from httpcore_interfaces import (
    ConnectError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
)
from httpcore_pool._retry import (
    Failure,
    Reason,
    RetryPolicy,
    StreamLost,
    StreamRefused,
    Verdict,
    reason_of,
)

RETRY = Verdict.RETRY
NEW = Verdict.RETRY_ON_NEW_CONNECTION
GIVE_UP = Verdict.GIVE_UP


def failure(
    reason: Reason | None,
    *,
    reused: bool = True,
    response_started: bool = False,
    replayable: bool = True,
) -> Failure:
    return Failure(reason, reused=reused, response_started=response_started, replayable=replayable)


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (StreamRefused("refused"), Reason.REFUSED),
        (StreamRefused("goaway", recycled=True), Reason.RECYCLED),
        (StreamLost("lost"), Reason.LOST),
        (StreamLost("lost", recycled=True), Reason.RECYCLED),
        (ReadError("eof"), Reason.BROKEN),
        (WriteError("pipe"), Reason.BROKEN),
        (RemoteProtocolError("bad"), Reason.BROKEN),
        (ReadTimeout("slow"), None),
        (ConnectError("no"), None),
        (KeyboardInterrupt(), None),
    ],
)
def test_each_failure_carries_its_reason(exc: BaseException, reason: Reason | None) -> None:
    assert reason_of(exc) is reason


def test_ten_refusals_are_retried_and_the_eleventh_gives_up() -> None:
    policy = RetryPolicy(idempotent=False)
    assert [policy.decide(failure(Reason.REFUSED)) for _ in range(11)] == [RETRY] * 10 + [GIVE_UP]


def test_a_recycling_server_gets_a_hundred_retries() -> None:
    policy = RetryPolicy(idempotent=False)
    verdicts = [policy.decide(failure(Reason.RECYCLED)) for _ in range(101)]
    assert verdicts == [RETRY] * 100 + [GIVE_UP]


def test_refusals_and_recycling_share_one_budget() -> None:
    policy = RetryPolicy(idempotent=True)
    for _ in range(9):
        assert policy.decide(failure(Reason.REFUSED)) is RETRY
    for _ in range(10):
        assert policy.decide(failure(Reason.RECYCLED)) is RETRY
    assert policy.decide(failure(Reason.RECYCLED)) is GIVE_UP


def test_a_lost_request_goes_again_once_without_spending_the_budget() -> None:
    policy = RetryPolicy(idempotent=True)
    assert policy.decide(failure(Reason.LOST)) is RETRY
    for _ in range(10):
        assert policy.decide(failure(Reason.REFUSED)) is RETRY
    assert policy.decide(failure(Reason.LOST)) is GIVE_UP


def test_a_stale_reused_connection_is_retried_once_on_a_new_connection() -> None:
    policy = RetryPolicy(idempotent=True)
    steps = []
    for reason in (Reason.BROKEN, Reason.REFUSED, Reason.BROKEN):
        reuse_before = policy.reuse
        steps.append((reuse_before, policy.decide(failure(reason))))
    # Every attempt after the stale one opens a new connection too.
    assert steps == [(True, NEW), (False, RETRY), (False, GIVE_UP)]


@pytest.mark.parametrize(
    ("idempotent", "reused", "response_started"),
    [(False, True, False), (True, False, False), (True, True, True)],
)
def test_a_broken_connection_is_final_unless_stale_and_idempotent(
    idempotent: bool, reused: bool, response_started: bool
) -> None:
    policy = RetryPolicy(idempotent=idempotent)
    broken = failure(Reason.BROKEN, reused=reused, response_started=response_started)
    assert policy.decide(broken) is GIVE_UP
    assert policy.reuse


@pytest.mark.parametrize("reason", list(Reason))
def test_nothing_goes_again_without_a_replayable_body(reason: Reason) -> None:
    policy = RetryPolicy(idempotent=True)
    assert policy.decide(failure(reason, replayable=False)) is GIVE_UP


def test_a_failure_without_a_reason_gives_up() -> None:
    assert RetryPolicy(idempotent=True).decide(failure(None)) is GIVE_UP


def test_a_refused_or_lost_stream_keeps_its_constructor() -> None:
    lost = StreamLost("lost", recycled=True)
    assert isinstance(lost, StreamRefused)
    assert isinstance(lost, RemoteProtocolError)
    assert (str(lost), lost.recycled) == ("lost", True)
    assert StreamRefused("refused").recycled is False


class FlagsModel:
    """The decision as the pool's send loop made it with flags, before ``RULES``."""

    def __init__(self, idempotent: bool) -> None:
        self.may_retry = idempotent
        self.reuse = True
        self.refused = 0
        self.lost = False

    def decide(self, f: Failure) -> Verdict:
        if f.reason in (Reason.REFUSED, Reason.RECYCLED, Reason.LOST):
            if not f.replayable:
                return GIVE_UP
            if f.reason is Reason.LOST:
                if self.lost:
                    return GIVE_UP
                self.lost = True
                return RETRY
            self.refused += 1 if f.reason is Reason.RECYCLED else 10
            return GIVE_UP if self.refused > 100 else RETRY
        if (
            f.reused
            and self.may_retry
            and f.reason is Reason.BROKEN
            and not f.response_started
            and f.replayable
        ):
            self.may_retry = self.reuse = False
            return NEW
        return GIVE_UP


failures = st.builds(
    Failure,
    reason=st.sampled_from([*Reason, None]),
    reused=st.booleans(),
    response_started=st.booleans(),
    replayable=st.sampled_from([True, True, True, False]),  # mostly: to reach the budget
)


@given(idempotent=st.booleans(), sequence=st.lists(failures, max_size=120))
def test_the_rules_decide_as_the_flags_did(idempotent: bool, sequence: list[Failure]) -> None:
    policy, model = RetryPolicy(idempotent=idempotent), FlagsModel(idempotent)
    for f in sequence:
        verdict = policy.decide(f)
        assert verdict is model.decide(f)
        assert policy.reuse is model.reuse
        if verdict is GIVE_UP:
            break
