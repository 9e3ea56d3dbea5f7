"""The child side of :mod:`.hypercorn_process`: ``python -m tests.servers.hypercorn_child
SETTINGS_JSON`` runs :class:`.hypercorn_thread.HypercornThread` on the inherited socket
until stdin ends, then stops it gracefully. A failure is a traceback on stderr and a
non-zero exit status, which the parent turns into a RuntimeError."""

from __future__ import annotations

import json
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from .base import Server
from .hypercorn_base import HypercornOptions
from .hypercorn_process import ChildSettings
from .hypercorn_thread import HypercornThread
from .listener import Listener
from .tls import TLSFiles


def main(argv: Sequence[str]) -> int:
    """Serve until stdin ends; 0 once stopped cleanly."""
    # hypercorn's error log goes to stderr, the parent's temp file.
    logging.basicConfig(stream=sys.stderr, format="%(name)s %(levelname)s: %(message)s")
    settings: ChildSettings = json.loads(argv[1])
    tls = None
    if (paths := settings["tls"]) is not None:
        tls = TLSFiles(
            Path(paths["ca_cert_path"]), Path(paths["cert_chain_path"]), Path(paths["key_path"])
        )
    listener = Listener(socket.socket(fileno=settings["fd"]), Server(**settings["server"]))
    options = HypercornOptions(
        tls=tls,
        alpn=settings["alpn"],
        config=settings["config"],
        startup_timeout=settings["startup_timeout"],
    )
    hypercorn = HypercornThread(options, listener=listener)
    hypercorn.start()
    sys.stdin.buffer.read()  # until the parent closes it, or exits
    hypercorn.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
