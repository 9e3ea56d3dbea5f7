"""What other httpcore components build on, such as httpcore-proxy (it subclasses the pools).

Stable across the pool's 1.x releases, together with the hooks the pool classes document
(``_prepare``, ``_open_stream``, ``_may_multiplex``, ``_connect_to``, ``_start_tls``, and
the targets' TLS context ``_ssl_context``), and ``HTTP11Protocol``, the sans-I/O HTTP/1.1
client the proxy's ``CONNECT`` uses. Everything else in ``httpcore_pool`` whose
name starts with ``_`` may change at any time. Names are added, never renamed or removed;
a component that uses one added later requires the pool release that added it:
``ExceptionMap``, ``authority`` and ``check_origin`` came in 1.1.
"""

from ._backends.base import READ_SIZE, AsyncNetworkStream, SyncNetworkStream
from ._exceptions import ExceptionMap
from ._http11_protocol import NEED_DATA, HTTP11Protocol, ResponseHead
from ._models import Request, authority, check_headers, check_origin, keepalive_limit
from ._ssl import default_ssl_context
from ._trace import Trace, get_logger

__all__ = [
    "NEED_DATA",
    "READ_SIZE",
    "AsyncNetworkStream",
    "ExceptionMap",
    "HTTP11Protocol",
    "Request",
    "ResponseHead",
    "SyncNetworkStream",
    "Trace",
    "authority",
    "check_headers",
    "check_origin",
    "default_ssl_context",
    "get_logger",
    "keepalive_limit",
]
