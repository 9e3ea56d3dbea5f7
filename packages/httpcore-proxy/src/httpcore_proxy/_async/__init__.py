"""Hand-written async code; ``_sync`` is generated from it by ``scripts/unasync.py``."""
