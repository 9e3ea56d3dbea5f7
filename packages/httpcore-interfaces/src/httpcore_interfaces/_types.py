"""Type aliases for the tuples and mappings that cross the transport interface."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["URL", "Headers", "Origin", "TimeoutDict"]

#: ``(scheme, host, port or None, target)``; ``None`` means the scheme's default port.
URL = tuple[bytes, bytes, int | None, bytes]
#: Header fields in wire order, as ``(name, value)`` byte pairs.
Headers = list[tuple[bytes, bytes]]
#: ``(scheme, host, port)`` with the port filled in: what a connection is bound to.
Origin = tuple[bytes, bytes, int]
#: ``ext["timeout"]``: optional ``connect``, ``read``, ``write`` and ``pool`` seconds.
TimeoutDict = Mapping[str, float | None]
