"""Print the stored results (benchmarks/results/*.json) as Markdown, for the README.

python benchmarks/report.py [results/a_sync_sequential.json ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def render(path: Path) -> str:
    report = json.loads(path.read_text())
    params = ", ".join(f"{k}={v:g}" for k, v in report["params"].items())
    machine = report["machine"]
    load = machine.get("load_average_before", [0.0])[0]
    lines = [
        f"### {report['title']}",
        "",
        f"`{path.name}`: {params}; {report['rounds']} rounds, medians; "
        f"run {report['started']} at commit {machine.get('repo_commit', '?')}, "
        f"{report['duration_s']:.0f} s; load average before {load:.2f}",
        "",
        report["table_markdown"],
        "",
    ]
    lines += [f"- {line}" for line in report["ratios"]]
    failures = [s for s in report["summary"] if "failure" in s]
    lines += [f"- {s['key']}: {s['failure']}" for s in failures]
    lines += [f"- note: {note}" for note in report.get("notes", [])]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(
        p for p in RESULTS_DIR.glob("*.json") if not p.name.endswith("-quick.json")
    )
    for path in paths:
        print(render(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
