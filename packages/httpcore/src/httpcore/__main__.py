"""``python -m httpcore``: the command-line client (needs ``pip install "httpcore[cli]"``)."""

from ._cli import main

main()
