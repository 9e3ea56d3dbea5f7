"""One request, and with ``-L`` the redirects it leads to, over one pool; the answer's
body to stdout or a file (see ``_output``)."""

from __future__ import annotations

from typing import Any

import httpcore

from ._errors import Failure, describe, exit_code
from ._output import write_body, write_head
from ._redirects import Request, location_of, next_request
from ._settings import Settings, request_headers, sync_transport, where
from ._urls import url_text
from ._verbose import Verbose, status_line

__all__ = ["run_single"]


def run_single(settings: Settings) -> None:
    """Raises :class:`Failure` for every failure, its message naming what failed."""
    chain = [Request(settings.method, settings.url, settings.headers, settings.body)]
    try:
        _run(settings, chain)
    except Failure:
        raise
    except Exception as exc:  # named by the request that failed: redirects move on
        message = describe(exc, where(settings, chain[-1].url))
        raise Failure(message, exit_code(exc)) from exc


def _run(settings: Settings, chain: list[Request]) -> None:
    """Send ``chain[-1]``, and append each redirect's request before sending it."""
    request = chain[-1]
    verbose = None
    with sync_transport(settings) as transport:
        while True:
            headers = request_headers(request.url, request.headers, request.body)
            ext: dict[str, Any] = {"timeout": settings.timeouts}
            if settings.verbose:
                verbose = Verbose(request.method, request.url, headers, request.body is not None)
                ext["trace"] = verbose
            stream = None
            if request.body is not None:
                stream = httpcore.IteratorByteStream(request.body.chunks())
            status, response_headers, body, response_ext = transport.request(
                request.method, request.url, headers, stream, ext
            )
            try:
                if verbose is not None:
                    verbose.response(status, response_headers, response_ext)
                location = location_of(status, response_headers) if settings.location else None
                if location is None:
                    _answer(settings, request, status, response_headers, body, response_ext)
                    break
                if settings.include or settings.head_only:
                    write_head(status, response_headers, response_ext)
                for _chunk in body:  # read to the end, so that the connection can serve again
                    pass
            finally:
                body.close()
            request = next_request(request, status, location, settings.max_redirs)
            chain.append(request)
            if verbose is not None:
                verbose.following(status, request.url)
    if verbose is not None:
        verbose.pool_closed()


def _answer(
    settings: Settings,
    request: Request,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: httpcore.SyncByteStream,
    ext: dict[str, Any],
) -> None:
    if settings.fail and status >= 400:  # as curl -f: neither head nor body
        answer = status_line(status, ext).partition(" ")[2]
        raise Failure(f"{url_text(request.url)} answered {answer} (--fail)", 22)
    if settings.include or settings.head_only:
        write_head(status, headers, ext)
    if not settings.head_only:
        write_body(body, headers, settings.output, progress=not settings.silent)
