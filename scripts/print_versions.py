"""Print the interpreter and the versions of the named distributions, so a test run's log
says which end of each dependency range it tested: ``python scripts/print_versions.py h2``."""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version


def main(names: list[str]) -> None:
    parts = [f"Python {platform.python_version()}"]
    for name in names:
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    print("; ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1:])
