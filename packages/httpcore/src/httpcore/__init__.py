"""The httpcore 0.12 API, re-exported from the component distributions that define it.

Nothing here is defined or modified: each name is the object of its component, so
``httpcore.ConnectError is httpcore_interfaces.ConnectError``.
"""

from httpcore_interfaces import AsyncByteStream as AsyncByteStream
from httpcore_interfaces import AsyncHTTPTransport as AsyncHTTPTransport
from httpcore_interfaces import CloseError as CloseError
from httpcore_interfaces import ConnectError as ConnectError
from httpcore_interfaces import ConnectTimeout as ConnectTimeout
from httpcore_interfaces import LocalProtocolError as LocalProtocolError
from httpcore_interfaces import NetworkError as NetworkError
from httpcore_interfaces import PoolTimeout as PoolTimeout
from httpcore_interfaces import ProtocolError as ProtocolError
from httpcore_interfaces import ProxyError as ProxyError
from httpcore_interfaces import ReadError as ReadError
from httpcore_interfaces import ReadTimeout as ReadTimeout
from httpcore_interfaces import RemoteProtocolError as RemoteProtocolError
from httpcore_interfaces import SyncByteStream as SyncByteStream
from httpcore_interfaces import SyncHTTPTransport as SyncHTTPTransport
from httpcore_interfaces import TimeoutException as TimeoutException
from httpcore_interfaces import UnsupportedProtocol as UnsupportedProtocol
from httpcore_interfaces import WriteError as WriteError
from httpcore_interfaces import WriteTimeout as WriteTimeout
from httpcore_pool import AsyncConnectionPool as AsyncConnectionPool
from httpcore_pool import SyncConnectionPool as SyncConnectionPool
from httpcore_proxy import AsyncHTTPProxy as AsyncHTTPProxy
from httpcore_proxy import SyncHTTPProxy as SyncHTTPProxy
from httpcore_streams import AsyncIteratorByteStream as AsyncIteratorByteStream
from httpcore_streams import IteratorByteStream as IteratorByteStream
from httpcore_streams import PlainByteStream as PlainByteStream

from .__about__ import __version__ as __version__

__all__ = [
    "AsyncByteStream",
    "AsyncConnectionPool",
    "AsyncHTTPProxy",
    "AsyncHTTPTransport",
    "AsyncIteratorByteStream",
    "CloseError",
    "ConnectError",
    "ConnectTimeout",
    "IteratorByteStream",
    "LocalProtocolError",
    "NetworkError",
    "PlainByteStream",
    "PoolTimeout",
    "ProtocolError",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "SyncByteStream",
    "SyncConnectionPool",
    "SyncHTTPProxy",
    "SyncHTTPTransport",
    "TimeoutException",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
]
