"""How low-level failures become httpcore exceptions: one table per operation.

Backends and protocol code catch their libraries' errors (``OSError``, ``ssl.SSLError``,
``h2`` and ``anyio`` errors) where they know which operation failed, and raise one of the
15 httpcore exceptions with the original as ``__cause__`` and its text in the message. An
:class:`ExceptionMap` says, for one operation, which error becomes which exception with
which message, so the backends word each failure the same way. No I/O here.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from httpcore_interfaces import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)

__all__ = [
    "CONNECT",
    "READ",
    "TLS_HANDSHAKE",
    "WRITE",
    "ExceptionMap",
    "describe",
    "describe_os_error",
]

Sources = type[BaseException] | tuple[type[BaseException], ...]
#: The exception to raise, and its message: a ``str.format`` template over the details the
#: caller gives, ``exc``, the caught error, and ``reason``, the caught error with its causes
#: as :func:`describe_os_error` words them (for errors from below httpcore).
Outcome = tuple[type[Exception], str]


class ExceptionMap:
    """What each failure of one operation becomes: ``{caught types: (exception, message)}``,
    the first entry that matches wins. Anything that matches none passes unchanged: it is
    not a failure of the operation (a cancellation), or it is a bug.

    Two ways to use it, the same table either way::

        with READ.mapping(timeout=timeout):  # where a failure needs no clean-up
            ...
        except READ.catches as exc:  # hot paths: costs nothing until something fails
            raise READ.error(exc, timeout=timeout) from exc
    """

    __slots__ = ("_rules", "catches")

    def __init__(self, rules: Mapping[Sources, Outcome]) -> None:
        self._rules = tuple(
            (sources if isinstance(sources, tuple) else (sources,), outcome)
            for sources, outcome in rules.items()
        )
        #: Every type this map translates, for an ``except`` clause.
        self.catches: tuple[type[BaseException], ...] = tuple(
            kind for sources, _ in self._rules for kind in sources
        )

    def treating(self, sources: Sources, like: type[BaseException]) -> ExceptionMap:
        """This map, with ``sources`` (say, anyio's stream errors) mapped as ``like`` is."""
        outcome = next(outcome for kinds, outcome in self._rules if like in kinds)
        return ExceptionMap({**dict(self._rules), sources: outcome})

    def error(self, exc: BaseException, **details: Any) -> Exception:
        """The httpcore exception for ``exc``, which must be one of :attr:`catches`."""
        for sources, (kind, message) in self._rules:
            if isinstance(exc, sources):
                return kind(message.format(exc=exc, reason=describe_os_error(exc), **details))
        raise TypeError(f"{type(exc).__name__} is not mapped here") from exc

    def mapping(self, **details: Any) -> _Mapping:
        """A context manager that raises :meth:`error` ``from`` what this map catches."""
        return _Mapping(self, details)


class _Mapping:
    __slots__ = ("_details", "_map")

    def __init__(self, exception_map: ExceptionMap, details: dict[str, Any]) -> None:
        self._map = exception_map
        self._details = details

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None and isinstance(exc, self._map.catches):
            raise self._map.error(exc, **self._details) from exc


# The backends' operations. ``TimeoutError`` is the socket's and anyio's timeout, and an
# ``OSError``, so it comes first; ``ssl.SSLError`` is an ``OSError`` too. A handshake over
# another stream (TLS in TLS) also meets that stream's read and write exceptions.
CONNECT = ExceptionMap(
    {
        TimeoutError: (ConnectTimeout, "Timed out connecting to {target} after {timeout}s"),
        OSError: (ConnectError, "{reason}"),
    }
)
TLS_HANDSHAKE = ExceptionMap(
    {
        (TimeoutError, ReadTimeout, WriteTimeout): (
            ConnectTimeout,
            "TLS handshake timed out after {timeout}s",
        ),
        (OSError, ReadError, WriteError): (ConnectError, "TLS handshake failed: {reason}"),
    }
)
READ = ExceptionMap(
    {
        TimeoutError: (ReadTimeout, "Timed out reading from the server after {timeout}s"),
        OSError: (ReadError, "{reason}"),
    }
)
WRITE = ExceptionMap(
    {
        TimeoutError: (WriteTimeout, "Timed out writing to the server after {timeout}s"),
        OSError: (WriteError, "{reason}"),
    }
)


def describe(exc: BaseException) -> str:
    """The message of ``exc``, or its class name when it has none."""
    text = str(exc)
    return text if text else type(exc).__name__


def describe_os_error(exc: BaseException) -> str:
    """The error's text with the reasons it was caused by, so "Connection refused" survives
    wrappers such as anyio's "All connection attempts failed", and reads the same on every
    event loop (asyncio says "Connect call failed" for ECONNREFUSED)."""
    text = _describe_one(exc)
    cause = exc.__cause__
    grouped = getattr(cause, "exceptions", None)  # an exception group (3.10: backport)
    if isinstance(grouped, tuple):
        return f"{text} ({'; '.join(_describe_one(e) for e in grouped)})"
    if cause is not None and _describe_one(cause) not in text:
        return f"{text}: {_describe_one(cause)}"
    return text


def _describe_one(exc: BaseException) -> str:
    if (
        isinstance(exc, OSError)
        and not isinstance(exc, (ssl.SSLError, socket.gaierror))
        and isinstance(exc.errno, int)
        and exc.errno > 0
    ):
        return f"[Errno {exc.errno}] {os.strerror(exc.errno)}"
    return str(exc) or type(exc).__name__
