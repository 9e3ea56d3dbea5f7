"""``-L``: which response is a redirect and what the next request is, as curl decides.

No I/O here: :func:`next_request` takes the request just sent and the response head and
returns the next request, or raises :class:`Failure` with curl's exit code when the
redirect cannot be followed safely.

- 301, 302, 303, 307 and 308 with a ``Location`` are followed; without one, the response
  is the answer.
- 303 turns any method but HEAD into GET, and 301 and 302 turn POST into GET (as curl and
  browsers do); the body goes, and with it the headers that described it.
- 307 and 308 keep the method and the body: a body from text or a file is sent again,
  one read from stdin cannot be, which fails rather than sending an empty body.
- ``Authorization`` and ``Cookie`` go only to the origin (scheme, host, port) the user
  named, and a ``Host`` of the user's with them: once dropped, they stay dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ._errors import Failure
from ._settings import Body
from ._urls import URL, origin, resolve, url_text

__all__ = ["REDIRECTS", "Request", "location_of", "next_request"]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"transfer-encoding"})
_CREDENTIALS = frozenset({b"authorization", b"cookie", b"host"})


@dataclass(frozen=True)
class Request:
    """One request of a chain: what the user asked for, after the redirects so far."""

    method: bytes
    url: URL
    headers: list[tuple[bytes, bytes]]
    body: Body | None
    redirects: int = 0


def location_of(status: int, headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The ``Location`` to follow, or None when this response is the answer."""
    if status not in REDIRECTS:
        return None
    for name, value in headers:
        if name.lower() == b"location" and value.strip():
            return value.strip()
    return None


def next_request(request: Request, status: int, location: bytes, max_redirs: int) -> Request:
    """The request that follows ``request``'s redirect to ``location``."""
    if request.redirects >= max_redirs:
        raise Failure(f"stopped after {max_redirs} redirects (--max-redirs {max_redirs})", 47)
    try:
        url = resolve(request.url, location)
    except ValueError as exc:
        message = f"cannot follow the redirect from {url_text(request.url)}: {exc}"
        raise Failure(message, 1) from None
    method, headers, body = request.method, request.headers, request.body
    if (status == 303 and method != b"HEAD") or (status in (301, 302) and method == b"POST"):
        method, body = b"GET", None
        headers = [(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS]
    elif body is not None and not body.replayable:
        raise Failure(
            f"{status} redirect to {url_text(url)} needs the request body again, and stdin"
            " (-d @-) cannot be read twice: use -d @FILE",
            65,
        )
    if origin(url) != origin(request.url):  # and never back: they stay dropped
        headers = [(k, v) for k, v in headers if k.lower() not in _CREDENTIALS]
    return replace(
        request, method=method, url=url, headers=headers, body=body,
        redirects=request.redirects + 1,
    )  # fmt: skip
