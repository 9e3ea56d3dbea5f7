"""The sync pool shared between threads."""

from __future__ import annotations

import threading

import pytest

from httpcore_interfaces import LocalProtocolError, ReadError
from httpcore_pool import SyncConnectionPool
from tests.servers.raw import RawServerFactory, StallAfterRequest


def test_closing_the_pool_wakes_a_thread_blocked_on_a_read(raw_server: RawServerFactory) -> None:
    handler = StallAfterRequest()
    server = raw_server(handler)
    errors: list[BaseException] = []
    pool = SyncConnectionPool()

    def blocked_request() -> None:
        try:
            pool.request(b"GET", server.url())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=blocked_request)
    thread.start()
    assert handler.stalled.wait(5)
    pool.close()
    thread.join(5)
    assert not thread.is_alive()
    assert len(errors) == 1
    assert isinstance(errors[0], ReadError)
    assert "the pool was closed" in str(errors[0])
    with pytest.raises(LocalProtocolError, match="closed"):
        pool.request(b"GET", server.url())
