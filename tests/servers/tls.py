"""TLS material for the test servers: one trustme CA and one server certificate.

The certificate covers ``localhost``, ``127.0.0.1`` and ``::1`` so clients can verify
hostnames whichever loopback name a test uses. Servers running in other processes
(nginx) or configured by path (hypercorn) need PEM files, so they are written to a
directory once.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import trustme

__all__ = ["SERVER_IDENTITIES", "TLSFiles", "TLSMaterial", "make_tls_material"]

SERVER_IDENTITIES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TLSFiles:
    """The same material by its PEM files alone: what a server in another process gets
    (the CA's private key stays with the tests)."""

    ca_cert_path: Path
    cert_chain_path: Path
    key_path: Path

    def client_context(self, alpn: Sequence[str] | None = None) -> ssl.SSLContext:
        """A fresh client context trusting only the CA in ``ca_cert_path``."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=str(self.ca_cert_path))
        if alpn is not None:
            context.set_alpn_protocols(list(alpn))
        return context


@dataclass(frozen=True)
class TLSMaterial:
    """A CA, a server certificate it signed, and the same as PEM files."""

    ca: trustme.CA
    server_cert: trustme.LeafCert
    ca_cert_path: Path
    cert_chain_path: Path
    key_path: Path

    def server_context(self, alpn: Sequence[str] | None = ("h2", "http/1.1")) -> ssl.SSLContext:
        """A fresh server context; ``alpn=None`` offers no ALPN at all."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.server_cert.configure_cert(context)
        if alpn is not None:
            context.set_alpn_protocols(list(alpn))
        return context

    def client_context(self, alpn: Sequence[str] | None = None) -> ssl.SSLContext:
        """A fresh client context trusting only our CA (a new one each call, as clients
        such as httpcore mutate the context they are given, e.g. its ALPN list)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ca.configure_trust(context)
        if alpn is not None:
            context.set_alpn_protocols(list(alpn))
        return context

    @property
    def files(self) -> TLSFiles:
        """The PEM file paths, to hand to another process."""
        return TLSFiles(self.ca_cert_path, self.cert_chain_path, self.key_path)


def make_tls_material(directory: Path) -> TLSMaterial:
    """Create a CA and a loopback server certificate, writing PEM files into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    server_cert = ca.issue_cert(*SERVER_IDENTITIES)
    ca_cert_path = directory / "ca.pem"
    cert_chain_path = directory / "server-chain.pem"
    key_path = directory / "server-key.pem"
    ca.cert_pem.write_to_path(str(ca_cert_path))
    cert_chain_path.write_bytes(b"".join(blob.bytes() for blob in server_cert.cert_chain_pems))
    server_cert.private_key_pem.write_to_path(str(key_path))
    key_path.chmod(0o600)
    return TLSMaterial(ca, server_cert, ca_cert_path, cert_chain_path, key_path)
