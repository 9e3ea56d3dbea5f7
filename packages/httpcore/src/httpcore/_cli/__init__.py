"""A curl-like command built on the public httpcore API only.

Its dependencies (click for the arguments, rich for the progress bar) come with the
``cli`` extra, so the library itself gains none; without them the command says what to
install.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

INSTALL_HINT = (
    "The httpcore command needs its extra: pip install --find-links WHEELS"
    ' "httpcore[cli]>=0.12.4,<0.13"'
    " (WHEELS: where our wheels are; PyPI's httpcore is another project)"
)


def main() -> None:
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        sys.exit(1)
    from ._command import command

    command()
