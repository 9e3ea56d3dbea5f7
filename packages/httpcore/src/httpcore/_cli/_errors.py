"""Exit codes by exception family, and the one line printed for a failure."""

from __future__ import annotations

import httpcore

__all__ = ["EXIT_CODES_HELP", "describe", "exit_code"]

#: (exception classes, exit code, family), checked in order: timeouts before connect
#: errors, since ``ConnectTimeout`` is both a timeout and about connecting.
_FAMILIES: list[tuple[tuple[type[Exception], ...], int, str]] = [
    ((httpcore.TimeoutException,), 4, "timeout (connect, read, write or pool)"),
    ((httpcore.ConnectError,), 3, "could not connect"),
    ((httpcore.ProtocolError,), 5, "protocol error (local or remote)"),
    ((httpcore.ProxyError,), 6, "proxy refused or failed the tunnel"),
    ((httpcore.NetworkError,), 7, "network error while reading, writing or closing"),
]

#: For ``--help``; click keeps a paragraph that starts with ``\b`` as it is.
EXIT_CODES_HELP = "\n".join(
    ["\b", "Exit codes:", "0 success (any HTTP status)", "1 other failure", "2 bad usage"]
    + [f"{code} {family}" for _, code, family in sorted(_FAMILIES, key=lambda f: f[1])]
)


def exit_code(exc: BaseException) -> int:
    for classes, code, _ in _FAMILIES:
        if isinstance(exc, classes):
            return code
    return 1


def describe(exc: BaseException) -> str:
    """``ReadTimeout: Timed out reading …``, with the cause when the message lacks it."""
    message = str(exc) or repr(exc)
    cause = exc.__cause__
    if cause is not None and str(cause) and str(cause) not in message:
        message = f"{message} ({type(cause).__name__}: {cause})"
    return f"{type(exc).__name__}: {message}"
