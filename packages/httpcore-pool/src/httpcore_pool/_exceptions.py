"""How low-level failures are described when they become httpcore exceptions.

Backends and protocol code catch their libraries' errors (``OSError``, ``ssl.SSLError``,
``h2`` and ``anyio`` errors) where they know which operation failed, and raise one of the
15 httpcore exceptions with the original as ``__cause__`` and its text in the message.
"""

from __future__ import annotations

__all__ = ["describe"]


def describe(exc: BaseException) -> str:
    """The message of ``exc``, or its class name when it has none."""
    text = str(exc)
    return text if text else type(exc).__name__
