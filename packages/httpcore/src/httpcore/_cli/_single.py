"""One request: the body to stdout or a file (with a progress bar on a terminal)."""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Any, BinaryIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

import httpcore

from ._settings import Settings, sync_transport
from ._verbose import Verbose, status_line

__all__ = ["run_single"]


def run_single(settings: Settings) -> None:
    target = settings.url[3]
    headers = settings.request_headers()
    ext: dict[str, Any] = {"timeout": settings.timeouts}
    verbose = None
    if settings.verbose:
        verbose = Verbose(settings.method, target, headers, settings.body is not None)
    if verbose is not None:
        ext["trace"] = verbose
    stream = None
    if settings.body is not None:
        stream = httpcore.IteratorByteStream(settings.body.chunks())
    with sync_transport(settings) as transport:
        status, response_headers, body, response_ext = transport.request(
            settings.method, settings.url, headers, stream, ext
        )
        try:
            if verbose is not None:
                verbose.response(status, response_headers, response_ext)
            if settings.include or settings.head_only:
                _write_head(status, response_headers, response_ext)
            if not settings.head_only:
                _write_body(body, response_headers, settings.output)
        finally:
            body.close()
    if verbose is not None:
        verbose.pool_closed()


def _write_head(status: int, headers: list[tuple[bytes, bytes]], ext: dict[str, Any]) -> None:
    out = sys.stdout.buffer
    out.write(status_line(status, ext).encode("latin-1") + b"\r\n")
    for name, value in headers:
        out.write(name + b": " + value + b"\r\n")
    out.write(b"\r\n")
    out.flush()


def _write_body(
    body: httpcore.SyncByteStream, headers: list[tuple[bytes, bytes]], output: str | None
) -> None:
    if output is None or output == "-":  # as curl: "-o -" is stdout, and no bar
        _copy(body, sys.stdout.buffer)
        return
    console = Console(stderr=True)
    progress: AbstractContextManager[Progress | None] = nullcontext()
    if console.is_terminal:  # piped or redirected: no bar
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
    with open(output, "wb") as file, progress as bar:
        if bar is None:
            _copy(body, file)
            return
        task = bar.add_task(os.path.basename(output), total=_content_length(headers))
        for chunk in body:
            file.write(chunk)
            bar.advance(task, len(chunk))


def _copy(body: httpcore.SyncByteStream, out: BinaryIO) -> None:
    for chunk in body:
        out.write(chunk)
    out.flush()


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None
