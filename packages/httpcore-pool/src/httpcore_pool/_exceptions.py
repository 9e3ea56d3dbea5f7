"""Turning low-level failures into the 15 httpcore exceptions.

Backends and protocol code raise whatever their libraries raise (``OSError``,
``ssl.SSLError``, ``h11`` and ``anyio`` errors, ``TimeoutError``); ``map_exceptions``
converts them at the point where we know which operation failed, keeping the original as
``__cause__`` and its text in the message, so ``"[Errno 111] Connection refused"`` reaches
the caller.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

__all__ = ["map_exceptions"]

ExceptionMapping = Mapping[type[BaseException], type[Exception]]


@contextlib.contextmanager
def map_exceptions(mapping: ExceptionMapping) -> Iterator[None]:
    """Re-raise an exception matching a key of ``mapping`` as the mapped class.

    The first matching key wins, so list subclasses before their bases.
    """
    try:
        yield
    except Exception as exc:
        for source, target in mapping.items():
            if isinstance(exc, source):
                raise target(describe(exc)) from exc
        raise


def describe(exc: BaseException) -> str:
    """The message of ``exc``, or its class name when it has none."""
    text = str(exc)
    return text if text else type(exc).__name__
