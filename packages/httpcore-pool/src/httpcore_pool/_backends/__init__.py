"""Network backends: the narrow I/O surface the protocol code is written against.

A backend opens streams (TCP or Unix socket, optionally upgraded to TLS); a stream reads,
writes and closes with per-operation timeouts and raises httpcore exceptions only.
Protocol code never touches sockets, so tests can drive it with an in-memory stream.
"""
