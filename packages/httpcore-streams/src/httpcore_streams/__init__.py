"""Concrete byte streams for the httpcore 0.12 API."""

from httpcore_interfaces._module_metadata import publish_module as _publish_module

from .__about__ import __version__ as __version__
from ._iterators import AsyncIteratorByteStream as AsyncIteratorByteStream
from ._iterators import IteratorByteStream as IteratorByteStream
from ._plain import PlainByteStream as PlainByteStream

__all__ = ["AsyncIteratorByteStream", "IteratorByteStream", "PlainByteStream"]

_publish_module(__name__, globals())
