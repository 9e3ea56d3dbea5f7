"""nginx as a real-world HTTP/1.1 and HTTP/2 peer, run in the foreground from a config
generated into a temp dir: nothing of the system's nginx setup is read or written.

Two listeners on 127.0.0.1: plain HTTP/1.1, and TLS (the trustme certificate) with HTTP/2
offered by ALPN. Routes:

- ``/``: a fixed 2,000-byte body (:data:`INDEX_BODY`).
- ``/large``: ``large_size`` bytes of :func:`tests.servers.app.pattern`, from a file.
- ``/upload``: accepts a body of any size and answers 200 with the number of bytes
  received as the body, only after the whole body arrived (nginx buffers it fully before
  proxying to an internal server on a Unix socket, which answers).

``keepalive_requests`` (default 50) bounds requests per connection for HTTP/1.1 and, since
nginx 1.19.7, HTTP/2, where the limit shows as a GOAWAY.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from .app import pattern
from .base import Server, Serving, free_port, stop_process, wait_until_serving
from .tls import TLSMaterial

__all__ = ["INDEX_BODY", "Nginx", "find_nginx", "nginx_version", "require_nginx"]

INDEX_BODY = pattern(2000)
_STARTUP_ATTEMPTS = 3


def find_nginx() -> str | None:
    """The nginx binary, also where a non-root PATH lacks /usr/sbin."""
    found = shutil.which("nginx")
    if found is not None:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def require_nginx() -> str:
    """The nginx binary, or skip the test, except in CI where a missing nginx is an install
    step that broke and must fail loudly."""
    binary = find_nginx()
    if binary is None:
        message = "nginx is not installed (apt-get install -y nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def nginx_version(binary: str) -> tuple[int, ...]:
    """``nginx -v`` as a tuple, e.g. ``(1, 22, 1)``."""
    result = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10, check=True)
    match = re.search(r"nginx/(\d+(?:\.\d+)*)", result.stderr + result.stdout)
    if match is None:
        raise RuntimeError(f"cannot read the nginx version from {result.stderr!r}")
    return tuple(int(part) for part in match.group(1).split("."))


def _running(process: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: process.poll() is None


class Nginx(Serving["Nginx"]):
    """One nginx process; :meth:`start` returns once both listeners answer.

    ``extra_http`` is inserted verbatim into the ``http`` block (e.g.
    ``"http2_max_concurrent_streams 4;"``).
    """

    def __init__(
        self,
        tls: TLSMaterial,
        *,
        binary: str | None = None,
        keepalive_requests: int = 50,
        keepalive_timeout: float = 75.0,
        large_size: int = 10 * 1024 * 1024,
        extra_http: str = "",
        startup_timeout: float = 10.0,
    ) -> None:
        self.tls = tls
        self.binary = binary or require_nginx()
        self.keepalive_requests = keepalive_requests
        self.keepalive_timeout = keepalive_timeout
        self.large_size = large_size
        self.extra_http = extra_http
        self.startup_timeout = startup_timeout
        self.prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
        self.process: subprocess.Popen[bytes] | None = None
        self._http: Server | None = None
        self._https: Server | None = None

    @property
    def http(self) -> Server:
        """The plain HTTP/1.1 listener, once started."""
        if self._http is None:
            raise RuntimeError("not started")
        return self._http

    @property
    def https(self) -> Server:
        """The TLS listener offering h2 and http/1.1, once started."""
        if self._https is None:
            raise RuntimeError("not started")
        return self._https

    @property
    def error_log(self) -> Path:
        return self.prefix / "error.log"

    def large_body(self) -> bytes:
        """What ``/large`` serves."""
        return pattern(self.large_size)

    def _write_files(self) -> None:
        html = self.prefix / "html"
        html.mkdir(exist_ok=True)
        (html / "index.txt").write_bytes(INDEX_BODY)
        (html / "large.bin").write_bytes(self.large_body())
        (self.prefix / "tmp").mkdir(exist_ok=True)

    def _config(self, http_port: int, https_port: int, version: tuple[int, ...]) -> str:
        p = self.prefix
        upstream = p / "upstream.sock"
        if version >= (1, 25, 1):
            tls_listen = f"listen 127.0.0.1:{https_port} ssl;\n        http2 on;"
        else:
            tls_listen = f"listen 127.0.0.1:{https_port} ssl http2;"
        return f"""
daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
lock_file {p}/nginx.lock;
error_log {self.error_log} warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log {p}/access.log;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    types {{
        text/plain txt;
        application/octet-stream bin;
    }}
    default_type application/octet-stream;
    keepalive_requests {self.keepalive_requests};
    keepalive_timeout {int(self.keepalive_timeout * 1000)}ms;
    {self.extra_http}

    # The internal end of /upload: it sees the body only once the front has it all.
    server {{
        listen unix:{upstream};
        client_max_body_size 0;
        location / {{
            default_type text/plain;
            return 200 "$content_length";
        }}
    }}

    server {{
        listen 127.0.0.1:{http_port};
        {tls_listen}
        server_name localhost;
        ssl_certificate {self.tls.cert_chain_path};
        ssl_certificate_key {self.tls.key_path};
        root {p}/html;
        client_max_body_size 0;

        location = / {{
            try_files /index.txt =404;
        }}
        location = /large {{
            try_files /large.bin =404;
        }}
        location = /upload {{
            proxy_request_buffering on;
            proxy_http_version 1.1;
            proxy_pass http://unix:{upstream}:/upload;
        }}
    }}
}}
"""

    def start(self) -> Nginx:
        """Start nginx (retrying on a port lost to another process) and wait until it
        answers on both ports."""
        if self.process is not None:
            raise RuntimeError("already started")
        self._write_files()
        version = nginx_version(self.binary)
        last_error = ""
        for _ in range(_STARTUP_ATTEMPTS):
            http = Server("127.0.0.1", free_port(), "http")
            https = Server("127.0.0.1", free_port(), "https")
            if http.port == https.port:
                continue
            conf = self.prefix / "nginx.conf"
            conf.write_text(self._config(http.port, https.port, version))
            self.error_log.write_bytes(b"")
            command = [self.binary, "-p", f"{self.prefix}/", "-c", str(conf)]
            if version >= (1, 19, 5):
                command += ["-e", str(self.error_log)]  # not the compiled-in path, ever
            with open(self.prefix / "stderr.log", "wb") as stderr:
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=stderr,
                    stderr=stderr,
                    start_new_session=True,
                )
            alive = _running(self.process)
            try:
                wait_until_serving(http, timeout=self.startup_timeout, alive=alive)
                wait_until_serving(
                    https,
                    ssl_context=self.tls.client_context(alpn=["http/1.1"]),
                    timeout=self.startup_timeout,
                    alive=alive,
                )
            except (RuntimeError, TimeoutError) as exc:
                self._terminate()
                last_error = f"{exc}\n{self._logs()}"
                continue
            self._http, self._https = http, https
            return self
        self.cleanup()
        raise RuntimeError(f"nginx did not start: {last_error}")

    def _logs(self) -> str:
        texts = []
        for name in ("stderr.log", "error.log"):
            path = self.prefix / name
            if path.exists():
                texts.append(f"{name}: {path.read_text(errors='replace')[-4000:]}")
        return "\n".join(texts)

    def _terminate(self, timeout: float = 3.0) -> None:
        """SIGQUIT (graceful), then SIGTERM, then SIGKILL, each wait bounded."""
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, (signal.SIGQUIT, signal.SIGTERM, signal.SIGKILL), timeout)

    def stop(self) -> None:
        """Stop nginx and remove its temp dir."""
        try:
            self._terminate()
        finally:
            self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.prefix, ignore_errors=True)
