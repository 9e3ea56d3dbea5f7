"""pytest fixtures for the test servers, shared by every test package that needs them:
a pytest plugin, listed once in ``tests/conftest.py`` (``pytest_plugins``).

Servers are session-scoped where tests cannot disturb them; the factories give a test its
own server when it needs special behaviour (a raw handler, a hypercorn setting).

Every test run loads this plugin, including the isolation envs that have neither trustme
nor h2 (``tests/httpcore_interfaces`` alone), so the servers and their libraries are
imported inside the fixtures, when a test asks for one.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    import trustme

    from .base import Server, Serving
    from .h2server import H2Behaviour, H2Server, H2ServerFactory
    from .hypercorn_server import HypercornServer
    from .nginx import Nginx
    from .raw import Handler, RawServer, RawServerFactory
    from .tls import TLSMaterial

__all__ = [
    "HypercornFactory",
    "client_ssl_context",
    "h2_context",
    "h2_server",
    "hypercorn_http",
    "hypercorn_https",
    "hypercorn_server",
    "hypercorn_uds",
    "nginx",
    "pproxy_http",
    "pproxy_https",
    "raw_server",
    "tls_ca",
    "tls_material",
]


def _stop_all(started: Sequence[Serving[Any]]) -> None:
    """Stop a factory's servers, the last started first, and then raise the first failure:
    one server that failed leaves none of the others running."""
    errors: list[RuntimeError] = []
    for server in reversed(started):
        try:
            server.stop()
        except RuntimeError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


class HypercornFactory(Protocol):
    """The ``hypercorn_server`` fixture: a hypercorn of the test's own, stopped at
    teardown."""

    def __call__(
        self,
        *,
        tls: bool = ...,
        alpn: Sequence[str] = ...,
        uds: bool = ...,
        config: Mapping[str, object] | None = ...,
    ) -> Server: ...


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TLSMaterial:
    """The session's CA, server certificate and their PEM files."""
    from .tls import make_tls_material

    return make_tls_material(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_ca(tls_material: TLSMaterial) -> trustme.CA:
    """The session's trustme CA, which signed every test server's certificate."""
    return tls_material.ca


@pytest.fixture
def client_ssl_context(tls_material: TLSMaterial) -> ssl.SSLContext:
    """A client context trusting the test CA; fresh per test because clients such as
    httpcore set ALPN protocols on the context they are given."""
    return tls_material.client_context()


@pytest.fixture
def h2_context(client_ssl_context: ssl.SSLContext) -> ssl.SSLContext:
    """The test CA's client context, offering h2 and http/1.1 by ALPN."""
    client_ssl_context.set_alpn_protocols(["h2", "http/1.1"])
    return client_ssl_context


@pytest.fixture(scope="session")
def hypercorn_http() -> Iterator[Server]:
    """Hypercorn, plain HTTP/1.1 on 127.0.0.1."""
    from .hypercorn_server import HypercornServer

    with HypercornServer() as server:
        yield server


@pytest.fixture(scope="session")
def hypercorn_https(tls_material: TLSMaterial) -> Iterator[Server]:
    """Hypercorn over TLS on 127.0.0.1, offering ALPN ``h2`` and ``http/1.1``."""
    from .hypercorn_server import HypercornServer

    with HypercornServer(tls=tls_material) as server:
        yield server


@pytest.fixture(scope="session")
def hypercorn_uds() -> Iterator[Server]:
    """Hypercorn, plain HTTP/1.1 on a Unix socket (``server.uds``)."""
    from .hypercorn_server import HypercornServer

    with HypercornServer(uds=True) as server:
        yield server


@pytest.fixture
def hypercorn_server(tls_material: TLSMaterial) -> Iterator[HypercornFactory]:
    """Start hypercorns with their own settings, e.g.
    ``hypercorn_server(config={"keep_alive_timeout": 1})``."""
    from .hypercorn_server import HypercornServer

    started: list[HypercornServer] = []

    def start(
        *,
        tls: bool = False,
        alpn: Sequence[str] = ("h2", "http/1.1"),
        uds: bool = False,
        config: Mapping[str, object] | None = None,
    ) -> Server:
        server = HypercornServer(
            tls=tls_material if tls else None, alpn=alpn, uds=uds, config=config
        )
        address = server.start()
        started.append(server)
        return address

    yield start
    _stop_all(started)


@pytest.fixture(scope="session")
def nginx(tls_material: TLSMaterial) -> Iterator[Nginx]:
    """nginx with ``keepalive_requests 50``: ``.http`` (HTTP/1.1) and ``.https`` (TLS,
    h2 and http/1.1). Skips when nginx is missing, fails instead when ``CI=true``."""
    from .nginx import Nginx

    with Nginx(tls_material, keepalive_requests=50) as server:
        yield server


@pytest.fixture(scope="session")
def pproxy_http() -> Iterator[Server]:
    """pproxy, a real HTTP proxy from PyPI, on 127.0.0.1: forwards and tunnels.
    ``server.url()`` is the ``proxy_url`` to give httpcore."""
    from .proxies import Pproxy

    with Pproxy() as server:
        yield server


@pytest.fixture(scope="session")
def pproxy_https(tls_material: TLSMaterial) -> Iterator[Server]:
    """pproxy as an https proxy: TLS to it with the test certificate."""
    from .proxies import Pproxy

    with Pproxy(tls_material) as server:
        yield server


@pytest.fixture
def raw_server() -> Iterator[RawServerFactory]:
    """Start :class:`RawServer` instances for this test; all stop at teardown, which
    fails the test if a handler raised something other than a socket error."""
    from .raw import RawServer

    started: list[RawServer] = []

    def start(
        handler: Handler, *, host: str = "127.0.0.1", conn_timeout: float = 30.0
    ) -> RawServer:
        server = RawServer(handler, host=host, conn_timeout=conn_timeout)
        server.start()
        started.append(server)
        return server

    yield start
    _stop_all(started)


@pytest.fixture
def h2_server(tls_material: TLSMaterial) -> Iterator[H2ServerFactory]:
    """Start :class:`H2Server` instances (HTTP/2 over TLS, ALPN ``h2`` only) for this test,
    e.g. ``h2_server(H2Behaviour(max_concurrent_streams=2))``; all stop at teardown, which
    fails the test if the server hit an unexpected error (socket errors aside) or the
    client broke the protocol (unless the behaviour tolerates it)."""
    from .h2server import H2Server

    started: list[H2Server] = []

    def start(behaviour: H2Behaviour | None = None) -> H2Server:
        server = H2Server(tls_material, behaviour)
        server.start()
        started.append(server)
        return server

    yield start
    _stop_all(started)
