"""Test servers shared by the pool and proxy tests: hypercorn, nginx and raw sockets.

They all run in background threads or subprocesses, listen only on loopback or Unix
sockets, and stop within bounded time, so they serve sync, asyncio and trio tests alike.
"""
