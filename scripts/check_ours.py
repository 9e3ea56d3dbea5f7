"""Check, inside an environment, that what is installed under our names is our wheels.

Run by the environment's own Python: ``python scripts/check_ours.py WHEELS_DIR``. The name
``httpcore`` on PyPI is another project, and our component names are not reserved there, so
a resolver that also reads PyPI could take someone else's distribution. For every wheel in
WHEELS_DIR this checks that the installed distribution of that name has its version and
every file byte for byte; that nothing is left in the ``httpcore`` package that our wheel
did not put there (the other project's modules, after an upgrade over it); and that the
names are one object each. Prints what it found; exits non-zero with the first problem.
Standard library only: it runs before any test tool is installed.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from importlib import metadata
from pathlib import Path

OTHERS = ("httpx", "h2", "anyio", "trio")


def wheel_record(wheel: Path) -> tuple[str, str, dict[str, str]]:
    """The wheel's distribution name, version, and sha256 of each file it installs."""
    name, version = wheel.name.split("-")[:2]
    with zipfile.ZipFile(wheel) as archive:
        record = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        hashes = {}
        for line in archive.read(record).decode().splitlines():
            path, _, rest = line.partition(",")
            digest = rest.partition(",")[0]
            if digest.startswith("sha256=") and ".dist-info/" not in path:
                hashes[path] = digest
    return name.replace("_", "-"), version, hashes


def sha256_of(path: Path) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest())
    return "sha256=" + digest.decode().rstrip("=")


def problem_with(wheel: Path) -> str | None:
    name, version, hashes = wheel_record(wheel)
    try:
        installed = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return f"{name} is not installed"
    if installed.version != version:
        return f"{name} {installed.version} is installed, not ours ({version})"
    root = Path(str(installed.locate_file("")))
    for path, digest in hashes.items():
        target = root / path
        if not target.is_file():
            return f"{name}: {path} is missing"
        if sha256_of(target) != digest:
            return f"{name}: {path} is not the one in {wheel.name}"
    if name == "httpcore":  # an upgrade over the other project must leave none of it
        package = root / "httpcore"
        for found in package.rglob("*"):
            relative = found.relative_to(root).as_posix()
            if found.is_file() and "__pycache__" not in found.parts and relative not in hashes:
                return f"httpcore: {relative} is not ours (left by another project?)"
    return None


def main(wheels: Path) -> int:
    found = sorted(wheels.glob("httpcore*.whl"))
    if not found:
        print(f"check_ours: no httpcore wheels in {wheels}", file=sys.stderr)
        return 2
    for wheel in found:
        problem = problem_with(wheel)
        if problem is not None:
            print(f"check_ours: {problem}", file=sys.stderr)
            return 1
    import httpcore
    import httpcore_pool
    import httpcore_proxy

    if httpcore.AsyncConnectionPool is not httpcore_pool.AsyncConnectionPool or (
        httpcore.SyncHTTPProxy is not httpcore_proxy.SyncHTTPProxy
    ):
        print("check_ours: httpcore does not re-export our components", file=sys.stderr)
        return 1
    ours = ", ".join(" ".join(wheel_record(wheel)[:2]) for wheel in found)
    others = []
    for name in OTHERS:
        try:
            others.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    print(f"  ours, byte for byte: {ours}; with {', '.join(others)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
