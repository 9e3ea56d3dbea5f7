"""``python -m httpcore``: the command-line client (needs the ``cli`` extra)."""

from ._cli import main

main()
