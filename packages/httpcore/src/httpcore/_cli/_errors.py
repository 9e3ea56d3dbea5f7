"""Exit codes by failure family, and the one line printed for a failure.

The command's own failures (``--fail``, redirects, the binary guard) are :class:`Failure`
values that carry curl's exit code for the same case, so scripts written for curl keep
working; httpcore's exceptions map to a code by family.
"""

from __future__ import annotations

import httpcore

__all__ = ["EXIT_CODES_HELP", "INTERRUPTED", "Failure", "describe", "exit_code"]

#: As a shell reports a process ended by SIGINT (128 + 2).
INTERRUPTED = 130


class Failure(Exception):
    """A failure the command itself decides on: a message for the user and its exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


#: (exception classes, exit code, family), checked in order: timeouts before connect
#: errors, since ``ConnectTimeout`` is both a timeout and about connecting.
_FAMILIES: list[tuple[tuple[type[Exception], ...], int, str]] = [
    ((httpcore.TimeoutException,), 4, "timeout (connect, read, write or pool)"),
    ((httpcore.ConnectError,), 3, "could not connect"),
    ((httpcore.ProtocolError,), 5, "protocol error (local or remote)"),
    ((httpcore.ProxyError,), 6, "proxy refused or failed the tunnel"),
    ((httpcore.NetworkError,), 7, "network error while reading, writing or closing"),
]
#: The command's own, numbered as curl numbers them.
_OWN_CODES = [
    (22, "HTTP status 400 or more, with -f/--fail"),
    (23, "binary body not written to a terminal (use -o)"),
    (47, "more redirects than --max-redirs"),
    (65, "a redirect needs the body again, and stdin cannot be replayed"),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
]

#: For ``--help``; click keeps a paragraph that starts with ``\b`` as it is.
EXIT_CODES_HELP = "\n".join(
    ["\b", "Exit codes:", "0 success (any HTTP status without -f)", "1 other failure"]
    + ["2 bad usage"]
    + [f"{code} {family}" for _, code, family in sorted(_FAMILIES, key=lambda f: f[1])]
    + [f"{code} {family}" for code, family in _OWN_CODES]
)


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, Failure):
        return exc.code
    for classes, code, _ in _FAMILIES:
        if isinstance(exc, classes):
            return code
    return 1


def describe(exc: BaseException, where: str | None = None) -> str:
    """The line to print: ``cannot connect to WHERE: cause`` for a connect error (``where``
    names the host and port, the Unix socket or the proxy), ``ReadTimeout: Timed out …``
    for a timeout, whose message already says it all, and otherwise the exception with its
    cause when the message lacks it."""
    if isinstance(exc, Failure):
        return str(exc)
    message = str(exc) or repr(exc)
    if isinstance(exc, httpcore.ConnectError) and where is not None:
        return f"cannot connect to {where}: {message}"
    cause = exc.__cause__
    timeout = isinstance(exc, httpcore.TimeoutException)
    if not timeout and cause is not None and str(cause) and str(cause) not in message:
        message = f"{message} ({type(cause).__name__}: {cause})"
    return f"{type(exc).__name__}: {message}"
