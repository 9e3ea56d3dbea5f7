"""Connect retries wait 0, 0.5, 1, 2 … seconds, as httpcore 0.12 did."""

from __future__ import annotations

from httpcore_pool._async.connect import backoff


def test_retry_backoff_doubles_from_half_a_second() -> None:
    assert list(backoff(0)) == [None]
    assert list(backoff(5)) == [0.0, 0.5, 1.0, 2.0, 4.0, None]
