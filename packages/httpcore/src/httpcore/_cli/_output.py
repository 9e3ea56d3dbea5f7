"""Where a response body goes: stdout, or a file with a progress bar on a terminal.

A body written to a terminal is checked first, as curl does: a NUL byte means binary
data, which would garble the terminal, so it is refused with a hint instead (``-o -``
writes it anyway). A pipe or a file gets the bytes unchanged.
"""

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

from ._errors import Failure
from ._verbose import status_line

__all__ = ["BINARY_WARNING", "write_body", "write_head"]

BINARY_WARNING = (
    "Binary output can mess up your terminal: nothing written. Use -o FILE to save it, "
    'or "-o -" to write it to the terminal anyway.'
)


def write_head(status: int, headers: list[tuple[bytes, bytes]], ext: dict[str, Any]) -> None:
    out = sys.stdout.buffer
    out.write(status_line(status, ext).encode("latin-1") + b"\r\n")
    for name, value in headers:
        out.write(name + b": " + value + b"\r\n")
    out.write(b"\r\n")
    out.flush()


def write_body(
    body: httpcore.SyncByteStream,
    headers: list[tuple[bytes, bytes]],
    output: str | None,
    *,
    progress: bool = True,
) -> None:
    """``output``: None for stdout (guarded on a terminal), ``-`` for stdout as it is, or a
    file name; ``progress=False`` (``-s``) keeps the bar away even on a terminal."""
    if output is None or output == "-":  # as curl: "-o -" is stdout, and no bar
        guard = output is None and sys.stdout.isatty()
        _copy(body, sys.stdout.buffer, guard=guard)
        return
    console = Console(stderr=True)
    bar: AbstractContextManager[Progress | None] = nullcontext()
    if progress and console.is_terminal:  # piped or redirected: no bar
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
    with open(output, "wb") as file, bar as shown:
        if shown is None:
            _copy(body, file)
            return
        task = shown.add_task(os.path.basename(output), total=_content_length(headers))
        for chunk in body:
            file.write(chunk)
            shown.advance(task, len(chunk))


def _copy(body: httpcore.SyncByteStream, out: BinaryIO, *, guard: bool = False) -> None:
    for chunk in body:
        if guard and b"\0" in chunk:
            out.flush()
            raise Failure(BINARY_WARNING, 23)
        out.write(chunk)
    out.flush()


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None
