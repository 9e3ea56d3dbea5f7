"""The HTTP proxy pools of the httpcore 0.12 API, sync and async."""

from httpcore_interfaces._module_metadata import publish_module as _publish_module

from .__about__ import __version__ as __version__
from ._async.http_proxy import AsyncHTTPProxy as AsyncHTTPProxy
from ._sync.http_proxy import SyncHTTPProxy as SyncHTTPProxy

__all__ = ["AsyncHTTPProxy", "SyncHTTPProxy"]

_publish_module(__name__, globals())
