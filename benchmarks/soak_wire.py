"""What the soak's client and servers agree on: request targets and the bodies they imply.

The server derives every response body from the request target alone (size and seed, or a
digest of the upload it received), so the client can check each byte it gets without
trusting anything else the server says.
"""

from __future__ import annotations

import hashlib
import random
from urllib.parse import parse_qs, urlsplit


def get_target(size: int, seed: int) -> bytes:
    """A download of ``size`` bytes of :func:`body` for ``seed``."""
    return f"/get?size={size}&seed={seed}".encode("ascii")


def post_target(seed: int) -> bytes:
    """An upload; the answer is :func:`digest_reply` of the body the server received."""
    return f"/post?seed={seed}".encode("ascii")


def parse_target(target: bytes) -> tuple[str, int, int]:
    """``(path, size, seed)`` of a target; a malformed query gives size and seed -1."""
    parts = urlsplit(target.decode("latin-1"))
    query = parse_qs(parts.query)
    try:
        return parts.path, int(query.get("size", ["0"])[0]), int(query["seed"][0])
    except (KeyError, ValueError):
        return parts.path, -1, -1


def body(size: int, seed: int) -> bytes:
    """Deterministic, incompressible bytes: a shifted or repeated chunk cannot match."""
    return random.Random(seed).randbytes(size)


class Digest:
    """The SHA-256 and length of an upload, fed as it arrives."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.length = 0

    def update(self, data: bytes) -> None:
        self._hash.update(data)
        self.length += len(data)

    def reply(self) -> bytes:
        return digest_reply_of(self._hash.hexdigest(), self.length)


def digest_reply(data: bytes) -> bytes:
    """What the server answers to an upload of ``data``."""
    return digest_reply_of(hashlib.sha256(data).hexdigest(), len(data))


def digest_reply_of(hexdigest: str, length: int) -> bytes:
    return f"sha256={hexdigest} length={length}".encode("ascii")
