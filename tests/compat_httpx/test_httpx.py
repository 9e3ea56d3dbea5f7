"""httpx 0.16 / 0.17, unchanged, on top of our meta-package: pools, HTTP/2 and proxies.

These run in the envs made by ``scripts/compat_httpx.sh``, where pip or uv resolved httpx
next to our wheels with the pin ``httpcore>=0.12.4,<0.13``, so ``httpx`` imports *our*
``httpcore`` (and h2 3.2, which httpx's ``http2`` extra pins).
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

import httpcore

httpx = pytest.importorskip("httpx")

# httpx 0.16 and 0.17 predate Python 3.10 and build SSL contexts in ways it deprecates.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from tests.servers.base import Server  # noqa: E402
from tests.servers.nginx import INDEX_BODY, Nginx  # noqa: E402
from tests.servers.proxies import ScriptedProxy  # noqa: E402
from tests.servers.raw import RawServerFactory, StallAfterRequest, response  # noqa: E402
from tests.servers.tls import TLSMaterial  # noqa: E402


def test_httpx_runs_on_our_httpcore() -> None:
    assert httpcore.__version__.startswith("0.12.")
    assert httpx.__version__.startswith(("0.16.", "0.17."))
    import httpcore_pool

    assert httpcore.SyncConnectionPool is httpcore_pool.SyncConnectionPool


def test_sync_get_post_and_stream(hypercorn_http: Server) -> None:
    base = f"http://{hypercorn_http.authority}"
    with httpx.Client() as client:
        response = client.get(base + "/")
        assert (response.status_code, response.text) == (200, "Hello, world!")
        assert response.http_version == "HTTP/1.1"
        assert client.post(base + "/echo", content=b"payload").content == b"payload"
        with client.stream("GET", base + "/chunked?chunks=4&size=1000") as streamed:
            assert len(b"".join(streamed.iter_bytes())) == 4000
        headers = json.loads(client.get(base + "/headers", headers={"X-Test": "1"}).text)
        assert ["X-Test", "1"] in headers or ["x-test", "1"] in headers


@pytest.mark.anyio
async def test_async_get_post_and_stream(hypercorn_http: Server) -> None:
    base = f"http://{hypercorn_http.authority}"

    async def produce() -> AsyncIterator[bytes]:
        yield b"part-1,"
        yield b"part-2"

    async with httpx.AsyncClient() as client:
        response = await client.get(base + "/")
        assert (response.status_code, response.text) == (200, "Hello, world!")
        echoed = await client.post(base + "/echo", content=produce())
        assert echoed.content == b"part-1,part-2"
        async with client.stream("GET", base + "/bytes?size=100000") as streamed:
            assert len(b"".join([chunk async for chunk in streamed.aiter_bytes()])) == 100000
        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(client.get, base + "/")


def test_https_with_a_custom_context(
    hypercorn_https: Server, client_ssl_context: ssl.SSLContext
) -> None:
    with httpx.Client(verify=client_ssl_context) as client:
        assert client.get(f"https://localhost:{hypercorn_https.port}/").status_code == 200


def test_default_verification_refuses_an_unknown_authority(hypercorn_https: Server) -> None:
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"https://localhost:{hypercorn_https.port}/")


def test_read_timeout(raw_server: RawServerFactory) -> None:
    server = raw_server(StallAfterRequest())
    with httpx.Client(timeout=0.2) as client, pytest.raises(httpx.ReadTimeout):
        client.get(f"http://{server.server.authority}/")


@pytest.mark.anyio
# On trio, httpx's own auth-flow generator is left unclosed when PoolTimeout propagates.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_pool_timeout(hypercorn_http: Server) -> None:
    limits = httpx.Limits(max_connections=1)
    timeout = httpx.Timeout(5.0, pool=0.1)
    base = f"http://{hypercorn_http.authority}"
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        async with client.stream("GET", base + "/"):
            with pytest.raises(httpx.PoolTimeout):
                await client.get(base + "/")
        assert (await client.get(base + "/")).status_code == 200


def test_refused_connection_and_retries() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    # httpx 0.16 and 0.17 take an httpcore transport as it is: the pool is the transport.
    transport = httpcore.SyncConnectionPool(retries=1)
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(httpx.ConnectError, match="Connection refused"),
    ):
        client.get(f"http://127.0.0.1:{port}/")


def test_unix_socket_and_local_address(hypercorn_uds: Server, hypercorn_http: Server) -> None:
    with httpx.Client(transport=httpcore.SyncConnectionPool(uds=hypercorn_uds.uds)) as client:
        assert client.get("http://localhost/").text == "Hello, world!"
    with httpx.Client(transport=httpcore.SyncConnectionPool(local_address="0.0.0.0")) as client:
        assert client.get(f"http://{hypercorn_http.authority}/").status_code == 200


# httpx offers ALPN "http/1.1" before "h2"; Python servers such as hypercorn honour the
# client's order, so HTTP/2 is tested against nginx, which prefers h2 as most servers do.


def test_http2(nginx: Nginx, tls_material: TLSMaterial) -> None:
    with httpx.Client(http2=True, verify=str(tls_material.ca_cert_path)) as client:
        response = client.get(f"https://localhost:{nginx.https.port}/")
        assert (response.http_version, response.content) == ("HTTP/2", INDEX_BODY)


@pytest.mark.anyio
async def test_async_http2_multiplexes(nginx: Nginx, tls_material: TLSMaterial) -> None:
    url = f"https://localhost:{nginx.https.port}/"
    versions: list[str] = []

    async def one(client: Any) -> None:
        versions.append((await client.get(url)).http_version)

    ca = str(tls_material.ca_cert_path)
    async with httpx.AsyncClient(http2=True, verify=ca) as client:
        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(one, client)
        # One connection carried them all. httpx 0.16 keeps our pool as ``_transport``,
        # 0.17 wraps it in its own transport, as ``_pool``.
        pool = getattr(client._transport, "_pool", client._transport)
        info = await pool.get_connection_info()
        assert [state.split(",")[0] for states in info.values() for state in states] == ["HTTP/2"]
    assert versions == ["HTTP/2"] * 20


def test_forward_proxy(pproxy_http: Server, hypercorn_http: Server) -> None:
    with httpx.Client(proxies=f"http://{pproxy_http.authority}") as client:
        for _ in range(2):
            response = client.get(f"http://{hypercorn_http.authority}/")
            assert (response.status_code, response.text) == (200, "Hello, world!")
        assert client.post(f"http://{hypercorn_http.authority}/echo", content=b"x").text == "x"


@pytest.mark.anyio
async def test_tunnel_proxy_with_http2(
    pproxy_http: Server, nginx: Nginx, tls_material: TLSMaterial
) -> None:
    async with httpx.AsyncClient(
        proxies=f"http://{pproxy_http.authority}",
        http2=True,
        verify=str(tls_material.ca_cert_path),
    ) as client:
        response = await client.get(f"https://localhost:{nginx.https.port}/")
        assert (response.http_version, response.content) == ("HTTP/2", INDEX_BODY)


def test_https_proxy_tunnel_only(
    pproxy_https: Server, hypercorn_https: Server, tls_material: TLSMaterial
) -> None:
    proxy = httpx.Proxy(f"https://localhost:{pproxy_https.port}", mode="TUNNEL_ONLY")
    with httpx.Client(proxies=proxy, verify=str(tls_material.ca_cert_path)) as client:
        assert client.get(f"https://localhost:{hypercorn_https.port}/").text == "Hello, world!"


def test_proxy_refusal_is_httpx_proxy_error(raw_server: RawServerFactory) -> None:
    refusal = response(407, b"", reason="Proxy Authentication Required")
    proxy = raw_server(ScriptedProxy(connect_answer=refusal))
    with (
        httpx.Client(proxies=f"http://{proxy.server.authority}") as client,
        pytest.raises(httpx.ProxyError, match="407 Proxy Authentication Required"),
    ):
        client.get("https://example.org/")
