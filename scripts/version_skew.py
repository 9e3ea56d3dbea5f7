"""The version-skew job: each component against the last recorded releases of its siblings.

Wheels of each distribution from the current tree and from its last release in RELEASES.toml
(``git archive`` of its commit); besides the all-current baseline, for each distribution X:
A X (X current, every sibling released) and B X (X released, every sibling current).
Combinations of the same git trees run once. One that our own ranges exclude (a wheel's
``Requires-Dist`` on a sibling) is reported and not installed; any other is installed in a
fresh venv from a find-links dir of exactly its five wheels, through uv's resolver as a user
would (a failure fails), then checked by scripts/check_ours.py and tested by ``pytest
tests/httpcore tests/compat_httpx`` with ``CI=true``. docs/components.md says why.

Usage: ``python3 scripts/version_skew.py --hypercorn-python PATH [--python 3.11] [--keep]``
(Python 3.11+, uv on PATH). PATH, default ``$HTTPCORE_TEST_HYPERCORN_PYTHON``, has hypercorn
and trustme (``"$(hatch env find peers)/bin/python"``): httpx[http2] 0.17 pins h2 3, too old
for hypercorn. Exit status: 0 all that ran passed, 1 one failed, 2 the job could not be set up.
"""

from __future__ import annotations

import argparse
import email
import operator
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Done = subprocess.CompletedProcess[str]

ROOT = Path(__file__).resolve().parent.parent
#: In dependency order; the last one is the meta-package.
DISTRIBUTIONS = (
    "httpcore-interfaces",
    "httpcore-streams",
    "httpcore-pool",
    "httpcore-proxy",
    "httpcore",
)
#: What a user of httpx 0.17 with HTTP/2 installs; the range keeps PyPI's httpcore out.
USER_REQUIREMENTS = ("httpcore>=0.12.4,<0.13", "httpx[http2]==0.17.1")
TEST_TOOLS = ("pytest", "pytest-timeout", "trustme", "pproxy", "anyio", "trio", "hypothesis")
TESTS = ("tests/httpcore", "tests/compat_httpx")
HYPERCORN_VARIABLE = "HTTPCORE_TEST_HYPERCORN_PYTHON"
#: uv caches a wheel by name and version: a changed tree built with an unchanged version
#: must not be served from an earlier build.
REFRESH = [arg for name in DISTRIBUTIONS for arg in ("--refresh-package", name)]
OPERATORS = {">=": operator.ge, "<": operator.lt, "==": operator.eq}


class SetupError(Exception):
    """The job cannot run: a bad RELEASES.toml, a missing commit, a failed build."""


@dataclass(frozen=True)
class Release:
    distribution: str
    version: str
    commit: str


@dataclass(frozen=True)
class Component:
    """One distribution's wheel as the combinations use it."""

    distribution: str
    version: str
    tree: str  # the packages/<dist> git tree, or "worktree" when it has uncommitted changes
    wheel: Path
    ranges: Mapping[str, str] = field(default_factory=dict)  # Requires-Dist on siblings
    release: str = ""  # a release's short commit, when its tree is not the current one

    @property
    def label(self) -> str:  # "pool 1.0.0@e20632a" for a release, "pool 1.1.0" for current
        mark = f"@{self.release}" if self.release else ""
        return f"{short(self.distribution)} {self.version}{mark}"


@dataclass(eq=False)
class Combination:
    """One set of five wheels, and the asked combinations ("A pool", "B proxy") it is."""

    name: str
    components: tuple[Component, ...]
    covers: list[str] = field(default_factory=list)

    @property
    def versions(self) -> str:
        return ", ".join(component.label for component in self.components)


def short(distribution: str) -> str:
    return distribution.removeprefix("httpcore-")


def version_key(version: str) -> tuple[int, ...]:
    """A final release's numbers, 1.1 == 1.1.0; anything else (a pre-release) stops the job."""
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        raise SetupError(f"version {version!r}: only final releases (such as 1.2.0) are supported")
    numbers = [int(part) for part in version.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def allows(specifier: str, version: str) -> bool:
    """Whether `version` is in `specifier`: only forms ours use (>=1.0,<2; ==1.0.1), or it stops."""
    for clause in specifier.replace(" ", "").split(","):
        found = re.fullmatch(r"(>=|<|==)(\d+(?:\.\d+)*)", clause)
        if found is None:
            raise SetupError(f"specifier {specifier!r}: only >=X, <X and ==X are supported")
        if not OPERATORS[found[1]](version_key(version), version_key(found[2])):
            return False
    return True


def sibling_ranges(metadata: str) -> dict[str, str]:
    """A wheel's METADATA: {sibling: specifier} for each Requires-Dist on one of ours."""
    ranges = {}
    for requirement in email.message_from_string(metadata).get_all("Requires-Dist") or []:
        found = re.fullmatch(r"([A-Za-z0-9._-]+)\s*(.*)", requirement.strip())
        if found is None:
            raise SetupError(f"Requires-Dist {requirement!r}: not understood")
        name, rest = re.sub(r"[-_.]+", "-", found[1]).lower(), found[2]
        if name == "httpcore" or name.startswith("httpcore-"):
            if name not in DISTRIBUTIONS or re.search(r"[;\[@]", rest):
                raise SetupError(f"Requires-Dist {requirement!r}: not a range on a sibling")
            ranges[name] = rest.strip("()")
    return ranges


def exclusion(components: Sequence[Component]) -> str | None:
    """Why our declared ranges exclude these wheels together, or None if they allow them."""
    versions = {c.distribution: c.version for c in components}
    for component in components:
        for sibling, specifier in component.ranges.items():
            if not allows(specifier, versions[sibling]):
                here = versions[sibling]
                return f"{component.label} requires {sibling}{specifier}, here {here}"
    return None


def read_toml(path: Path) -> Any:
    if sys.version_info >= (3, 11):  # mypy checks this file as 3.10
        import tomllib

        try:
            with path.open("rb") as file:
                return tomllib.load(file)
        except (OSError, ValueError) as error:
            raise SetupError(f"{path.name}: {error}") from None
    raise SetupError("version_skew.py needs Python 3.11+ (tomllib): run it with python3.11")


def load_releases(path: Path) -> dict[str, Release]:
    """The last release of each distribution, after checking every entry."""
    last: dict[str, Release] = {}
    for index, entry in enumerate(read_toml(path).get("release", []), 1):
        where = f"{path.name}, release #{index}"
        if not isinstance(entry, dict) or set(entry) != {"distribution", "version", "commit"}:
            raise SetupError(f"{where}: needs exactly distribution, version, commit")
        release = Release(**{key: str(value) for key, value in entry.items()})
        if release.distribution not in DISTRIBUTIONS:
            raise SetupError(f"{where}: unknown distribution {release.distribution!r}")
        if not re.fullmatch(r"[0-9a-f]{40}", release.commit):
            raise SetupError(f"{where}: commit must be 40 lowercase hex digits")
        previous, key = last.get(release.distribution), version_key(release.version)
        if previous and key <= version_key(previous.version):
            raise SetupError(f"{where}: {release.version} is not above {previous.version}")
        last[release.distribution] = release
    missing = [d for d in DISTRIBUTIONS if d not in last]
    if missing:
        raise SetupError(f"{path.name} has no release of {', '.join(missing)}")
    return last


def plan(current: Mapping[str, Component], released: Mapping[str, Component]) -> list[Combination]:
    """The distinct combinations, in the order first asked, each with what it covers: "all
    current", then "A X" and "B X" for each distribution. Named after the distributions whose
    last release is not the current tree: "pool current + proxy released"."""
    asked = [("all current", {**current})]
    for d in DISTRIBUTIONS:
        asked += [(f"A {short(d)}", {**released, d: current[d]})]
        asked += [(f"B {short(d)}", {**current, d: released[d]})]
    differing = [d for d in DISTRIBUTIONS if released[d].tree != current[d].tree]
    distinct: dict[tuple[str, ...], Combination] = {}
    for code, chosen in asked:
        key = tuple(chosen[d].tree for d in DISTRIBUTIONS)
        if key not in distinct:
            moved = sorted((chosen[d] for d in differing), key=lambda c: bool(c.release))
            named = " + ".join(
                f"{short(c.distribution)} {'released' if c.release else 'current'}" for c in moved
            )
            named = named if any(c.release for c in moved) else "all current"
            distinct[key] = Combination(named, tuple(chosen[d] for d in DISTRIBUTIONS))
        distinct[key].covers.append(code)
    return list(distinct.values())


def run(args: Sequence[object], env: Mapping[str, str] | None = None, capture: bool = True) -> Done:
    """Output and errors captured together, or left on the terminal."""
    out, err = (subprocess.PIPE, subprocess.STDOUT) if capture else (None, None)
    try:
        return subprocess.run(
            [str(a) for a in args], cwd=ROOT, env=env, stdout=out, stderr=err, text=True
        )
    except OSError as error:  # no such program
        raise SetupError(str(error)) from None


def must(*args: object) -> str:
    done = run(args)
    if done.returncode != 0:
        raise SetupError(f"{' '.join(map(str, args))}:\n{done.stdout.strip()}")
    return done.stdout.strip()


def build(distribution: str, tree: str, work: Path, release: Release | None = None) -> Component:
    """A wheel of packages/<dist>, from the working tree or from `git archive` of a release."""
    source, tag = ROOT / "packages" / distribution, "current"
    if release is not None:
        tag = release.commit[:7]
        source = work / "src" / f"{distribution}-{tag}"
        source.mkdir(parents=True)
        must(
            "git", "archive", "-o", source / "tree.tar", f"{release.commit}:packages/{distribution}"
        )
        must("tar", "-xf", source / "tree.tar", "-C", source)
    out = work / "wheels" / f"{distribution}-{tag}"
    must("uv", "build", "-q", "--wheel", source, "-o", out)
    [wheel] = out.glob("*.whl")
    version = wheel.name.split("-")[1]
    if release is not None and version != release.version:
        raise SetupError(
            f"RELEASES.toml: {distribution} {release.version} at {release.commit[:10]},"
            f" but that tree builds {wheel.name}"
        )
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        ranges = sibling_ranges(archive.read(metadata).decode())
    return Component(distribution, version, tree, wheel, ranges, "" if release is None else tag)


def current_tree(distribution: str) -> str:
    """The committed tree of packages/<dist>, or "worktree" if it has uncommitted changes."""
    path = f"packages/{distribution}"
    if must("git", "status", "--porcelain", "--untracked-files=all", "--", path):
        return "worktree"
    return must("git", "rev-parse", f"HEAD:{path}")


def execute(combination: Combination, here: Path, python: str, peer: str) -> str:
    """Install one combination as a user would, check it is ours and test it: the result."""
    why = exclusion(combination.components)
    if why is not None:
        print(f"  not installed: {why}")
        if combination.name == "all current":
            return "FAILED: the current tree's own ranges exclude it"
        return "excluded by the declared ranges"
    links, venv = here / "links", here / "venv"
    links.mkdir(parents=True)
    for component in combination.components:
        shutil.copy(component.wheel, links)
    venv_python = venv / "bin" / "python"
    install = ["uv", "pip", "install", "-q", "-p", venv_python, "--find-links", links, *REFRESH]
    pins = [f"{c.distribution}=={c.version}" for c in combination.components]
    constraints = here / "constraints.txt"
    steps: list[tuple[str, list[object]]] = [
        ("uv venv", ["uv", "venv", "-q", "-p", python, venv]),
        # What a user installs, through the resolver; the ranges allow it, so it must work.
        ("install", [*install, *pins, *USER_REQUIREMENTS]),
        ("freeze", ["uv", "pip", "freeze", "-q", "-p", venv_python]),
        # The test tools on top, without moving anything the resolver chose.
        ("test tools do not fit", [*install, "-c", constraints, *TEST_TOOLS]),
        # Every httpcore* installed is this combination's wheel, byte for byte.
        ("check_ours", [venv_python, ROOT / "scripts" / "check_ours.py", links]),
    ]
    for label, command in steps:
        done = run(command)
        if label == "freeze":
            constraints.write_text(done.stdout)
        elif done.stdout.strip():
            print("\n".join("  | " + line for line in done.stdout.rstrip().splitlines()))
        if done.returncode != 0:
            return f"FAILED: {label}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    env.update({"CI": "true", HYPERCORN_VARIABLE: peer})  # CI: no nginx fails, never skips
    sys.stdout.flush()
    pytest = [venv_python, "-m", "pytest", "-p", "no:cacheprovider", "-q", *TESTS]
    tested = run(pytest, env=env, capture=False)
    return "passed" if tested.returncode == 0 else f"FAILED: pytest (exit {tested.returncode})"


def skew(work: Path, python: str, peer: str) -> int:
    started = time.monotonic()
    last = load_releases(ROOT / "RELEASES.toml")
    probe = run([peer, "-c", "import hypercorn, trustme"])
    if probe.returncode != 0:
        raise SetupError(f"--hypercorn-python {peer}: {probe.stdout.strip()}")
    for release in last.values():  # a shallow clone (CI) may lack it: fetched, or it stops
        if run(["git", "cat-file", "-e", f"{release.commit}^{{commit}}"]).returncode != 0:
            must("git", "fetch", "-q", "--depth=1", "origin", release.commit)
    trees = {d: current_tree(d) for d in DISTRIBUTIONS}
    old = {d: must("git", "rev-parse", f"{last[d].commit}:packages/{d}") for d in DISTRIBUTIONS}
    head = must("git", "rev-parse", "--short=10", "HEAD")
    print(f"version skew: last releases from RELEASES.toml, current tree at {head}")
    with ThreadPoolExecutor(max_workers=len(DISTRIBUTIONS)) as pool:
        jobs = {d: pool.submit(build, d, trees[d], work) for d in DISTRIBUTIONS}
        old_jobs = {
            d: pool.submit(build, d, old[d], work, last[d])
            for d in DISTRIBUTIONS
            if old[d] != trees[d]
        }
        current = {d: job.result() for d, job in jobs.items()}
        released = {d: old_jobs[d].result() if d in old_jobs else current[d] for d in DISTRIBUTIONS}
    for d in DISTRIBUTIONS:
        state = "same tree" if d not in old_jobs else "differs"
        state += " (uncommitted changes)" * (trees[d] == "worktree")
        print(
            f"  {d:<20} current {current[d].version:<7} last release {last[d].version:<7}"
            f" @ {last[d].commit[:10]}  {state}"
        )

    combinations = plan(current, released)
    asked = sum(len(c.covers) for c in combinations)
    print(
        f"\n{asked} combinations asked (all current; A X = X current, siblings released;"
        f" B X = X released, siblings current), {len(combinations)} distinct:"
    )
    for combination in combinations:
        print(f"  {combination.name}: {', '.join(combination.covers)}")
    if len(combinations) == 1:
        print("  every last release is the current tree: ONE combination runs, all current")
    print(f"  hypercorn peer: {peer}")

    outcomes: list[tuple[Combination, str, float]] = []
    for index, combination in enumerate(combinations, 1):
        print(f"\n=== {combination.name}: {combination.versions}")
        begun = time.monotonic()
        result = execute(combination, work / f"combination-{index}", python, peer)
        outcomes.append((combination, result, time.monotonic() - begun))
        print(f"--- {combination.name}: {result} ({outcomes[-1][2]:.0f} s)")

    rows = [("combination", "result", "seconds", "versions (@commit: a release, not current)")]
    rows += [(c.name, result, f"{s:.0f}", c.versions) for c, result, s in outcomes]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print("\nversion skew summary")
    for *cells, versions in rows:
        line = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        print(f"{line}  {versions}")
    failed = sum(result.startswith("FAILED") for _, result, _ in outcomes)
    verdict = f"{failed} of {len(outcomes)} FAILED" if failed else "no failure"
    print(
        f"\nversion skew: {verdict}; {len(outcomes)} ran, {asked - len(outcomes)} skipped as"
        f" duplicates, {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument(
        "--hypercorn-python",
        default=os.environ.get(HYPERCORN_VARIABLE) or None,
        help=f"an interpreter with hypercorn and trustme (default: ${HYPERCORN_VARIABLE})",
    )
    parser.add_argument("--python", default="3.11", help="the venvs' Python (uv venv -p)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    args = parser.parse_args(argv)
    if not args.hypercorn_python:
        parser.error(
            f"give --hypercorn-python PATH or set ${HYPERCORN_VARIABLE}: an interpreter with"
            ' hypercorn and trustme, such as "$(hatch env find peers)/bin/python"'
            " (httpx[http2] 0.17 pins h2 3, too old for hypercorn)"
        )
    work = Path(tempfile.mkdtemp(prefix="version-skew-"))
    try:
        return skew(work, args.python, args.hypercorn_python)
    except SetupError as error:
        print(f"version_skew: {error}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
