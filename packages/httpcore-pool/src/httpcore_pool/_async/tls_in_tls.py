"""Old import path of TLS inside TLS, which now lives with the backends.

Its source is ``_backends/_async/tls_in_tls.py`` (generated into ``_backends/_sync/``). This
module only keeps the old path working (the tests of shared streams use it); new code
imports from ``httpcore_pool._backends._async.tls_in_tls``.
"""

from .._backends._async.tls_in_tls import AsyncTLSInTLSStream

__all__ = ["AsyncTLSInTLSStream"]
