"""Interfaces and exceptions of the httpcore 0.12 API, with no third-party dependencies."""

from .__about__ import __version__ as __version__
from ._exceptions import CloseError as CloseError
from ._exceptions import ConnectError as ConnectError
from ._exceptions import ConnectTimeout as ConnectTimeout
from ._exceptions import LocalProtocolError as LocalProtocolError
from ._exceptions import NetworkError as NetworkError
from ._exceptions import PoolTimeout as PoolTimeout
from ._exceptions import ProtocolError as ProtocolError
from ._exceptions import ProxyError as ProxyError
from ._exceptions import ReadError as ReadError
from ._exceptions import ReadTimeout as ReadTimeout
from ._exceptions import RemoteProtocolError as RemoteProtocolError
from ._exceptions import TimeoutException as TimeoutException
from ._exceptions import UnsupportedProtocol as UnsupportedProtocol
from ._exceptions import WriteError as WriteError
from ._exceptions import WriteTimeout as WriteTimeout

# Internal, not in __all__: httpcore-streams 1.0.1, httpcore-pool 1.0.0 and httpcore-proxy
# 1.0.0 import it from here, so the name stays as long as 1.x does. Newer siblings import
# it from ``httpcore_interfaces._module_metadata``.
from ._module_metadata import publish_module
from ._streams import AsyncByteStream as AsyncByteStream
from ._streams import SyncByteStream as SyncByteStream
from ._transports import AsyncHTTPTransport as AsyncHTTPTransport
from ._transports import SyncHTTPTransport as SyncHTTPTransport
from ._types import URL as URL
from ._types import Headers as Headers
from ._types import Origin as Origin
from ._types import TimeoutDict as TimeoutDict

__all__ = [
    "URL",
    "AsyncByteStream",
    "AsyncHTTPTransport",
    "CloseError",
    "ConnectError",
    "ConnectTimeout",
    "Headers",
    "LocalProtocolError",
    "NetworkError",
    "Origin",
    "PoolTimeout",
    "ProtocolError",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "SyncByteStream",
    "SyncHTTPTransport",
    "TimeoutDict",
    "TimeoutException",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
]

publish_module(__name__, globals())
