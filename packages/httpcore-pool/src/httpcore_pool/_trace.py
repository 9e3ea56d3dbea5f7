"""Logging and the ``ext["trace"]`` hook: what happened on a connection, and how long it took.

Each step of a request (connect, TLS, send head, send body, receive head, receive body,
close) is wrapped in ``traced(...)``. When neither a trace callback nor TRACE-level logging
is on, that returns one shared no-op ``Trace``, so the hot path allocates nothing for it.

The callback is ``trace(event: str, info: dict)``, called synchronously with events named
``"<step>.started"``, ``"<step>.complete"`` or ``"<step>.failed"``; the last two carry
``info["elapsed"]`` in seconds, ``.failed`` also ``info["exception"]``. Steps:
``connection.connect_tcp`` (or ``connect_unix_socket``), ``connection.start_tls``,
``http11.send_request_headers``, ``http11.send_request_body``,
``http11.receive_response_headers``, ``http11.receive_response_body`` (``closed_early``
when the caller stopped reading), ``http11.response_closed``, ``http11.close``; over
HTTP/2, ``http2.send_request_headers``, ``http2.send_request_body`` and
``http2.receive_response_headers``.

Loggers live under ``httpcore`` (``httpcore.connection_pool``, ``httpcore.http11``, …).
``HTTPCORE_LOG_LEVEL=DEBUG`` or ``TRACE`` in the environment attaches a stderr handler, as
httpcore 0.12 did; otherwise logging is left to the application.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["TRACE_LOG_LEVEL", "BodyTrace", "Trace", "TraceCallback", "get_logger", "traced"]

TRACE_LOG_LEVEL = 5
TraceCallback = Callable[[str, dict[str, Any]], None]

_configured = False


def get_logger(module_name: str) -> logging.Logger:
    """The logger for one of our modules: ``httpcore.<last part of the module name>``."""
    _configure_from_environment()
    return logging.getLogger("httpcore." + module_name.rsplit(".", 1)[-1])


def _configure_from_environment() -> None:
    global _configured
    if _configured:
        return
    _configured = True
    level = os.environ.get("HTTPCORE_LOG_LEVEL", "").upper()
    if level not in ("DEBUG", "TRACE"):
        return
    logging.addLevelName(TRACE_LOG_LEVEL, "TRACE")
    parent = logging.getLogger("httpcore")
    parent.setLevel(logging.DEBUG if level == "DEBUG" else TRACE_LOG_LEVEL)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            fmt="%(levelname)s [%(asctime)s] %(name)s - %(message)s", datefmt="%Y-%m-%d %H:%M:%S"
        )
    )
    parent.addHandler(handler)


class Trace:
    """Report one step to the trace callback and the logger; a no-op when both are off."""

    __slots__ = ("_callback", "_logger", "_started", "finished", "info", "name")

    def __init__(
        self,
        name: str,
        logger: logging.Logger,
        callback: TraceCallback | None,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self._logger = logger if logger.isEnabledFor(TRACE_LOG_LEVEL) else None
        self._callback = callback
        self.info = {} if info is None else info
        self._started = 0.0
        self.finished = False

    def __enter__(self) -> Trace:
        if self._callback is not None or self._logger is not None:
            self._started = time.perf_counter()
            self._emit(self.name + ".started", dict(self.info))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finished = True
        if self._callback is None and self._logger is None:
            return
        info = dict(self.info)
        info["elapsed"] = time.perf_counter() - self._started
        if exc_value is None:
            self._emit(self.name + ".complete", info)
        else:
            info["exception"] = exc_value
            self._emit(self.name + ".failed", info)

    def _emit(self, event: str, info: dict[str, Any]) -> None:
        if self._logger is not None:
            details = " ".join(f"{key}={value!r}" for key, value in info.items())
            self._logger.log(TRACE_LOG_LEVEL, "%s %s", event, details)
        if self._callback is not None:
            self._callback(event, info)


class _SilentTrace(Trace):
    """The trace of a step nobody listens to: its ``info`` is a fresh throwaway dict."""

    __slots__ = ()

    @property
    def info(self) -> dict[str, Any]:
        return {}

    @info.setter
    def info(self, value: dict[str, Any]) -> None:
        pass

    def __enter__(self) -> Trace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


_SILENT = _SilentTrace("", logging.getLogger("httpcore"), None)
_SILENT.finished = True


def traced(
    name: str,
    logger: logging.Logger,
    callback: TraceCallback | None,
    info: dict[str, Any] | None = None,
) -> Trace:
    """The ``Trace`` of one step: the shared silent one unless a callback or TRACE-level
    logging listens, checked per step so that logging turned on later takes effect."""
    if callback is None and not logger.isEnabledFor(TRACE_LOG_LEVEL):
        return _SILENT
    return Trace(name, logger, callback, info)


class BodyTrace:
    """Trace a response body from its first read to its end, a failure, or an early
    close (``info["closed_early"]``); a body is read across many calls, not in a block."""

    __slots__ = ("_callback", "_logger", "_name", "_trace")

    def __init__(self, name: str, logger: logging.Logger, callback: TraceCallback | None):
        self._name = name
        self._logger = logger
        self._callback = callback
        self._trace: Trace | None = None

    def reading(self) -> None:
        if self._trace is None:
            self._trace = traced(self._name, self._logger, self._callback).__enter__()

    def ended(self, exc: BaseException | None = None) -> None:
        if self._trace is not None and not self._trace.finished:
            if exc is None:
                self._trace.__exit__(None, None, None)
            else:
                self._trace.__exit__(type(exc), exc, exc.__traceback__)

    def closed(self) -> None:
        if self._trace is not None and not self._trace.finished:
            self._trace.info["closed_early"] = True  # before the end of the body
            self._trace.__exit__(None, None, None)
