"""Draw the side-by-side ratios of the stored results as one chart for the README.

python benchmarks/chart.py [OUT.png]      (needs matplotlib: the `tools` benchmark env)

One bar per (scenario, peer): our throughput divided by the peer's, from the medians in
benchmarks/results/*.json (quick runs excluded); in (d) the TLS rows divide ours over TLS
(ours-h1-tls), so HTTP/2 and the TLS peers compare like with like. A bar right of the 1.0
line means we were faster. Peers without a number (a deadlock, a failure) are labelled, not drawn.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_OUT = RESULTS_DIR / "ratios.png"
LABELS = {
    "a_sync_sequential": "(a) sync sequential GETs",
    "b_async_concurrent": "(b) async, 100 tasks",
    "c_http2_concurrent": "(c) HTTP/2, 100 tasks",
    "d_download": "(d) 50 MB download",
    "e_upload": "(e) 50 MB upload",
}


def ratios() -> list[tuple[str, float | None, str]]:
    """(label, ours/peer or None, note) for every peer of every stored scenario."""
    rows: list[tuple[str, float | None, str]] = []
    for path in sorted(RESULTS_DIR.glob("*.json")):
        if path.name.endswith("-quick.json"):
            continue
        report = json.loads(path.read_text())
        by_group: dict[str, dict[str, dict[str, object]]] = {}
        for entry in report["summary"]:
            by_group.setdefault(str(entry["group"]), {})[str(entry["peer"])] = entry
        for group, peers in by_group.items():
            for peer, entry in peers.items():
                # Each entry's ratio divides its reference (ours; ours-h1-tls for (d)'s TLS
                # rows); a reference itself has no bar.
                reference = str(entry.get("reference", "ours"))
                if peer == reference:
                    continue
                ours = peers.get(reference, {}).get("rate")
                scenario = LABELS.get(report["scenario"], report["scenario"])
                versus = f"vs {peer}" if reference == "ours" else f"{reference} vs {peer}"
                label = f"{scenario}, {group}: {versus}"
                rate = entry.get("rate")
                if isinstance(ours, float) and isinstance(rate, float) and rate > 0:
                    rows.append((label, ours / rate, ""))
                else:
                    rows.append((label, None, str(entry.get("failure_status", "no number"))))
    return rows


def draw(out: Path) -> None:
    rows = ratios()
    fig, ax = plt.subplots(figsize=(10, 0.36 * len(rows) + 1.2))
    positions = range(len(rows))[::-1]
    for y, (_, ratio, note) in zip(positions, rows, strict=True):
        if ratio is None:
            ax.text(1.0, y, f"  {note}: peer has no number", va="center", fontsize=8)
            continue
        # From the 1.0 line: right when we were faster, left when slower.
        ax.barh(y, ratio - 1.0, left=1.0, color="#2b8a3e" if ratio >= 1 else "#c92a2a")
        faster = ratio >= 1
        label = f" {ratio:.2f}x" if faster else f"{ratio:.2f}x "
        ax.text(ratio, y, label, va="center", ha="left" if faster else "right", fontsize=8)
    ax.axvline(1.0, color="black", linewidth=0.8)
    drawn = [ratio for _, ratio, _ in rows if ratio is not None] or [1.0]
    ax.set_xlim(min(min(drawn), 1.0) * 0.6, max(max(drawn), 1.0) * 1.6)  # room for labels
    ax.set_yticks(list(positions), [label for label, _, _ in rows], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("our throughput / peer's (medians, one run side by side; log scale)")
    ax.set_title("httpcore (this project) against its peers")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    draw(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
