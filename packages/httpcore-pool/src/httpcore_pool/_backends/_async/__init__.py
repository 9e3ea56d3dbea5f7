"""Hand-written async backend code; ``_backends/_sync`` is generated from it by
``scripts/unasync.py``."""
