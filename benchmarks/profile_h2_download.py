"""Where our HTTP/2 download spends its time: cProfile per DATA frame, on the benchmark nginx.

    benchmarks/.envs/ours/bin/python benchmarks/profile_h2_download.py [--repeat 3] [--top 15]
    benchmarks/.envs/ours/bin/python benchmarks/profile_h2_download.py --http1  # HTTP/1.1, same TLS

Not a benchmark (no peers, no rounds): starts nginx as the benchmarks do
(``harness.nginx_server``), opens one connection of ``httpcore.AsyncConnectionPool`` (asyncio)
on the TLS port with ALPN h2 (or http/1.1 with ``--http1``), and GETs the 50 MiB ``/large``:

1. one download with a tap on ``ssl.SSLObject.read`` (asyncio's TLS layer) that parses the
   decrypted bytes' frame headers: how many DATA frames, of which sizes (nginx's
   ``http2_chunk_size`` is 8 KiB) - counted on the wire, whatever the client does with them;
2. ``repeat`` downloads timed without the profiler: MiB/s, CPU (getrusage) per MiB and per frame;
3. the same ``repeat`` downloads under cProfile: the top functions by tottime and by
   cumulative time, each in µs per DATA frame (profiler overhead included: compare shares,
   and the clean CPU per frame of step 2). ``--out FILE`` keeps the pstats file.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import pstats
import resource
import ssl
import sys
import time
from pathlib import Path
from typing import Any

import api012
import harness

_DATA = 0x0


class FrameTap:
    """Counts the HTTP/2 frames in a decrypted byte stream (the server's side: no preface)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._skip = 0  # payload bytes of the current frame still to come
        self.data_sizes: collections.Counter[int] = collections.Counter()
        self.other_frames = 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        self._buf += data
        buf = self._buf
        pos = 0
        while True:
            if self._skip:
                step = min(self._skip, len(buf) - pos)
                pos += step
                self._skip -= step
                if self._skip:
                    break
            if len(buf) - pos < 9:
                break
            length = int.from_bytes(buf[pos : pos + 3], "big")
            if buf[pos + 3] == _DATA:
                self.data_sizes[length] += 1
            else:
                self.other_frames += 1
            pos += 9
            self._skip = length
        del buf[:pos]

    @property
    def data_frames(self) -> int:
        return sum(self.data_sizes.values())


def tap_tls_reads(tap: FrameTap) -> Any:
    """Route every ``SSLObject.read`` through ``tap``; returns the original method."""
    original = ssl.SSLObject.read

    def read(self: ssl.SSLObject, len: int = 1024, buffer: Any = None) -> Any:
        result: Any = original(self, len, buffer)  # bytes, or a count with a buffer
        tap.feed(result if buffer is None else memoryview(buffer)[:result])
        return result

    ssl.SSLObject.read = read  # type: ignore[method-assign]
    return original


async def downloads(cfg: harness.ChildConfig, http2: bool, repeat: int, warm_up: Any) -> None:
    httpcore = api012.load("ours", "AsyncConnectionPool")
    if http2:
        pool: Any = api012.http2_pool(httpcore, cfg)
    else:
        pool = httpcore.AsyncConnectionPool(ssl_context=cfg.ssl_context(("http/1.1",)))
    hdrs = api012.tls_headers(cfg)
    try:
        await api012.check_version(
            pool, api012.tls_url(cfg, "/"), hdrs, "HTTP/2" if http2 else "HTTP/1.1"
        )
        warm_up()
        for _ in range(repeat):
            status, size = await api012.arequest(pool, b"GET", api012.tls_url(cfg, "/large"), hdrs)
            harness.check((status, size) == (200, harness.LARGE_BODY_SIZE), f"{status}, {size} B")
    finally:
        await pool.aclose()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _where(key: tuple[str, int, str]) -> str:
    filename, line, func = key
    if filename == "~":
        return func  # a builtin, e.g. <method 'read' of '_ssl._SSLSocket' objects>
    for marker in ("/site-packages/", "/src/", "/lib/python3."):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            if marker == "/lib/python3.":
                filename = filename.split("/", 1)[-1]
            break
    return f"{filename}:{line}({func})"


def print_top(stats: pstats.Stats, sort: str, top: int, per: int, per_name: str) -> None:
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    index = 2 if sort == "tottime" else 3
    rows = sorted(entries.items(), key=lambda item: item[1][index], reverse=True)[:top]
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\ntop {top} by {sort} (total {total:.3f} s profiled)")
    print(
        f"{'calls':>9} {'/' + per_name:>8} {'tottime s':>10} {'µs/' + per_name:>10} "
        f"{'cumtime s':>10} {'µs/' + per_name:>10}  function"
    )
    for key, (_cc, nc, tt, ct, _callers) in rows:
        print(
            f"{nc:>9} {nc / per:>8.2f} {tt:>10.3f} {tt / per * 1e6:>10.2f} "
            f"{ct:>10.3f} {ct / per * 1e6:>10.2f}  {_where(key)}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3, help="50 MiB downloads (default 3)")
    parser.add_argument("--top", type=int, default=15, help="functions listed (default 15)")
    parser.add_argument("--http1", action="store_true", help="HTTP/1.1 over the same TLS")
    parser.add_argument("--out", type=Path, default=None, help="keep the pstats file here")
    args = parser.parse_args()
    http2 = not args.http1
    mib = harness.LARGE_BODY_SIZE / harness.MIB

    with harness.nginx_server() as server:
        cfg = harness.ChildConfig(
            harness.HOST, server.port, server.tls_port, str(server.ca_file), {}
        )
        print(
            f"nginx {server.version}, TLS port {server.tls_port}, {'h2' if http2 else 'http/1.1'}"
        )

        # 1. the frames of one download, counted on the wire (the tap only then). The tap
        # is there from the connection's first byte, so it stays on frame boundaries; the
        # warm-up GET's frames are left out.
        tap = FrameTap()
        warm_up: collections.Counter[int] = collections.Counter()
        warm_up_others = 0

        def after_warm_up() -> None:
            nonlocal warm_up, warm_up_others
            warm_up, warm_up_others = tap.data_sizes.copy(), tap.other_frames

        original = tap_tls_reads(tap) if http2 else ssl.SSLObject.read
        try:
            asyncio.run(downloads(cfg, http2, 1, after_warm_up))
        finally:
            ssl.SSLObject.read = original  # type: ignore[method-assign]
        tap.data_sizes -= warm_up
        tap.other_frames -= warm_up_others
        frames = tap.data_frames if http2 else 0
        if http2:
            sizes = ", ".join(f"{n} x {size:,} B" for size, n in tap.data_sizes.most_common(4))
            print(f"one download: {frames:,} DATA frames ({sizes}), {tap.other_frames} others")
            if not frames:
                print("no DATA frame seen: the TLS reads did not go through ssl.SSLObject.read")
        per, per_name = (
            (frames * args.repeat, "frame") if frames else (int(mib) * args.repeat, "MiB")
        )

        # 2. timed, no profiler
        cpu0, t0 = _cpu(), time.perf_counter()
        asyncio.run(downloads(cfg, http2, args.repeat, lambda: None))
        wall, cpu = time.perf_counter() - t0, _cpu() - cpu0  # (one warm-up GET included)
        print(
            f"{args.repeat} x 50 MiB, no profiler: {mib * args.repeat / wall:,.0f} MiB/s, "
            f"CPU {cpu / (mib * args.repeat) * 1e3:.2f} ms/MiB"
            + (f", {cpu / per * 1e6:.1f} µs per DATA frame" if frames else "")
        )

        # 3. profiled
        profiler = cProfile.Profile()
        asyncio.run(downloads(cfg, http2, args.repeat, profiler.enable))
        profiler.disable()
    stats = pstats.Stats(profiler)
    if args.out:
        stats.dump_stats(args.out)
        print(f"pstats in {args.out}")
    print_top(stats, "tottime", args.top, per, per_name)
    print_top(stats, "cumulative", args.top, per, per_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
