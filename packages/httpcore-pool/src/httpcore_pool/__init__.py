"""The connection pools of the httpcore 0.12 API, sync and async."""

from httpcore_interfaces._module_metadata import publish_module as _publish_module

from .__about__ import __version__ as __version__
from ._async.connection_pool import AsyncConnectionPool as AsyncConnectionPool
from ._sync.connection_pool import SyncConnectionPool as SyncConnectionPool

__all__ = ["AsyncConnectionPool", "SyncConnectionPool"]

_publish_module(__name__, globals())
