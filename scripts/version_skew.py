"""The version-skew job: each component against the last recorded releases of its siblings.

docs/components.md promises that the components upgrade one by one: a new pool 1.x under an
older proxy 1.x, and the reverse. RELEASES.toml records every release (distribution, version,
commit). Besides the baseline (all five built from the current tree), for each
distribution X this asks for two combinations of the five wheels:

- A: X built from the current tree, every sibling built from its last recorded release;
- B: X built from its last recorded release, every sibling from the current tree.

A combination whose wheels are all the same as an earlier one's (same ``packages/<dist>``
git tree, no uncommitted change) is skipped, and said so. Each combination that runs gets a
fresh venv and a find-links dir holding exactly its five wheels, installed through the
resolver as a user would (``httpcore>=0.12.4,<0.13`` and ``httpx[http2]==0.17.1``, never
``--no-deps``); the test tools are added on top without moving what the resolver chose.
Then an import check and ``pytest tests/httpcore tests/compat_httpx`` from the repository
root.

A combination that the declared ranges exclude (the resolver finds no solution) is
reported, not failed; only the all-current combination must always install. Exit status:
0 all ran combinations passed, 1 one failed, 2 the job could not be set up.

Usage: ``python3 scripts/version_skew.py [--hypercorn-python PATH] [--keep]``, with uv on
PATH. httpx[http2] 0.17 pins h2 3, too old for hypercorn, so the tests' hypercorn runs out
of process under ``--hypercorn-python`` (default: ``$HTTPCORE_TEST_HYPERCORN_PYTHON``), an
interpreter with hypercorn and trustme; without one, the job makes one.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DESCRIPTION = "Each component against its siblings' last recorded releases, and back."
ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "RELEASES.toml"
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
NO_SOLUTION = "No solution found when resolving dependencies"
#: Resolver failures that are not about ranges: a missing wheel or package is a failure.
NOT_FOUND = re.compile(r"was not found in the (package registry|provided package locations)")

if sys.version_info >= (3, 11):
    import tomllib

    def load_toml(path: Path) -> dict[str, Any]:
        with path.open("rb") as file:
            return tomllib.load(file)

else:  # pragma: no cover - re-executed under 3.11 by main()

    def load_toml(path: Path) -> dict[str, Any]:
        raise SystemExit("version_skew.py needs Python 3.11+ (tomllib)")


class SetupError(Exception):
    """The job cannot run: a bad RELEASES.toml, a missing commit, a failed build."""


@dataclass(frozen=True)
class Release:
    distribution: str
    version: str
    commit: str


@dataclass(frozen=True)
class Component:
    """One distribution's wheel as a combination uses it."""

    distribution: str
    version: str
    origin: str  # "current" or "release <short commit>"
    tree: str  # the packages/<dist> git tree, or "worktree" for uncommitted changes
    wheel: Path

    @property
    def label(self) -> str:
        mark = "" if self.origin == "current" else "@" + self.origin.split()[1]
        return f"{short(self.distribution)} {self.version}{mark}"


@dataclass
class Combination:
    """One set of five wheels, and the asked combinations ("A pool", "B proxy") it is."""

    name: str
    components: tuple[Component, ...]
    covers: list[str]

    @property
    def versions(self) -> str:
        return ", ".join(component.label for component in self.components)

    @property
    def covered(self) -> str:
        """What it covers: "base; A: pool; B: proxy" ("all" for all five)."""
        parts = [] if "all current" not in self.covers else ["base"]
        for code in ("A", "B"):
            names = [c.split()[1] for c in self.covers if c.startswith(code + " ")]
            if names:
                listed = "all" if len(names) == len(DISTRIBUTIONS) else ",".join(names)
                parts.append(f"{code}: {listed}")
        return "; ".join(parts)


@dataclass
class Outcome:
    combination: Combination
    result: str  # "passed", "excluded by the declared ranges", "FAILED: ..."
    seconds: float

    @property
    def failed(self) -> bool:
        return self.result.startswith("FAILED")


def short(distribution: str) -> str:
    return distribution.removeprefix("httpcore-")


def module(distribution: str) -> str:
    return distribution.replace("-", "_")


def run(
    args: Sequence[str | Path],
    *,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        check=False,
    )


def git(*args: str) -> str:
    done = run(["git", *args])
    if done.returncode != 0:
        raise SetupError(f"git {' '.join(args)}: {done.stdout.strip()}")
    return done.stdout.strip()


def version_in(text: str) -> str:
    found = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    if found is None:
        raise SetupError("no __version__ in an __about__.py")
    return found.group(1)


def about(distribution: str) -> str:
    return f"packages/{distribution}/src/{module(distribution)}/__about__.py"


def numeric(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def ensure_commit(commit: str) -> None:
    """The commit is here, or fetched once (a shallow CI clone), or the job stops."""
    if run(["git", "cat-file", "-e", f"{commit}^{{commit}}"]).returncode == 0:
        return
    fetched = run(["git", "fetch", "-q", "--depth=1", "origin", commit])
    if run(["git", "cat-file", "-e", f"{commit}^{{commit}}"]).returncode != 0:
        raise SetupError(
            f"commit {commit} (RELEASES.toml) is not in this clone and fetching it failed:\n"
            f"{fetched.stdout.strip()}\nclone with full history (fetch-depth: 0) and retry"
        )


def load_releases() -> dict[str, Release]:
    """The last release of each distribution, after checking every entry."""
    if not RELEASES.is_file():
        raise SetupError(f"{RELEASES} is missing")
    entries = load_toml(RELEASES).get("release", [])
    last: dict[str, Release] = {}
    for index, entry in enumerate(entries, 1):
        where = f"RELEASES.toml, release #{index}"
        if not isinstance(entry, dict) or set(entry) != {"distribution", "version", "commit"}:
            raise SetupError(f"{where}: needs exactly distribution, version, commit")
        release = Release(str(entry["distribution"]), str(entry["version"]), str(entry["commit"]))
        if release.distribution not in DISTRIBUTIONS:
            raise SetupError(f"{where}: unknown distribution {release.distribution!r}")
        if not re.fullmatch(r"[0-9a-f]{40}", release.commit):
            raise SetupError(f"{where}: commit must be 40 lowercase hex digits")
        previous = last.get(release.distribution)
        if previous is not None and numeric(release.version) <= numeric(previous.version):
            raise SetupError(f"{where}: {release.version} is not above {previous.version}")
        last[release.distribution] = release
    for distribution in DISTRIBUTIONS:
        found = last.get(distribution)
        if found is None:
            raise SetupError(f"RELEASES.toml has no release of {distribution}")
        ensure_commit(found.commit)
        recorded = version_in(git("show", f"{found.commit}:{about(distribution)}"))
        if recorded != found.version:
            raise SetupError(
                f"RELEASES.toml: {distribution} {found.version} at {found.commit[:10]}, "
                f"but its __about__.py there says {recorded}"
            )
    return last


def current_tree(distribution: str) -> str:
    """The committed tree of packages/<dist>, or "worktree" if it has uncommitted changes."""
    path = f"packages/{distribution}"
    if git("status", "--porcelain", "--untracked-files=all", "--", path):
        return "worktree"
    return git("rev-parse", f"HEAD:{path}")


def build_wheel(source: Path, out: Path, expected_version: str) -> Path:
    done = run(["uv", "build", "-q", "--wheel", source, "-o", out])
    if done.returncode != 0:
        raise SetupError(f"building a wheel of {source} failed:\n{done.stdout}")
    wheels = list(out.glob("*.whl"))
    if len(wheels) != 1:
        raise SetupError(f"expected one wheel in {out}, found {wheels}")
    version = wheels[0].name.split("-")[1]
    if version != expected_version:
        raise SetupError(f"{wheels[0].name}: expected version {expected_version}")
    return wheels[0]


def build_release(release: Release, work: Path, tree: str) -> Component:
    """The release's wheel, built from `git archive <commit> packages/<dist>`."""
    source = work / "src" / f"{release.distribution}-{release.commit[:10]}"
    source.mkdir(parents=True)
    tar = source / "release.tar"
    git(
        "archive",
        "--format=tar",
        "-o",
        str(tar),
        release.commit,
        f"packages/{release.distribution}",
    )
    unpacked = run(["tar", "-xf", tar, "-C", source])
    if unpacked.returncode != 0:
        raise SetupError(f"unpacking {release.commit[:10]}: {unpacked.stdout}")
    tar.unlink()
    out = work / "wheels" / f"release-{release.distribution}"
    wheel = build_wheel(source / "packages" / release.distribution, out, release.version)
    origin = f"release {release.commit[:7]}"
    return Component(release.distribution, release.version, origin, tree, wheel)


def build_current(distribution: str, work: Path, tree: str) -> Component:
    version = version_in((ROOT / about(distribution)).read_text())
    out = work / "wheels" / f"current-{distribution}"
    wheel = build_wheel(ROOT / "packages" / distribution, out, version)
    return Component(distribution, version, "current", tree, wheel)


def plan(current: dict[str, Component], released: dict[str, Component]) -> list[Combination]:
    """The distinct combinations, in the order first asked, each with what it covers.

    Asked: "all current" (the baseline, which must always install and pass), then for each
    distribution X, A = X current with its siblings released, and B = X released with its
    siblings current. A release whose tree is the current one is the current wheel, so most
    of these coincide; each distinct set of wheels is named after the distributions whose
    release differs from the current tree ("pool current + proxy released")."""
    asked: list[tuple[str, tuple[Component, ...]]] = [
        ("all current", tuple(current[d] for d in DISTRIBUTIONS))
    ]
    for distribution in DISTRIBUTIONS:
        for code, own, siblings in (("A", current, released), ("B", released, current)):
            chosen = tuple(own[d] if d == distribution else siblings[d] for d in DISTRIBUTIONS)
            asked.append((f"{code} {short(distribution)}", chosen))
    distinct: dict[tuple[str, ...], Combination] = {}
    for code, components in asked:
        key = tuple(component.tree for component in components)
        if key not in distinct:
            distinct[key] = Combination(name(current, released, components), components, [])
        distinct[key].covers.append(code)
    return list(distinct.values())


def name(
    current: dict[str, Component],
    released: dict[str, Component],
    components: tuple[Component, ...],
) -> str:
    """Named after the distributions whose release differs from the current tree only:
    "pool current + proxy released", "interfaces current, the rest released"."""
    differing = [c for c in components if released[c.distribution] is not current[c.distribution]]
    new = [short(c.distribution) for c in differing if c is current[c.distribution]]
    old = [short(c.distribution) for c in differing if c is not current[c.distribution]]
    if not old:
        return "all current"
    if not new:
        return "all released" if len(old) > 2 else f"{' + '.join(old)} released"
    if len(differing) <= 2:
        return f"{new[0]} current + {old[0]} released"
    if len(new) <= len(old):
        return f"{' + '.join(new)} current, the rest released"
    return f"{' + '.join(old)} released, the rest current"


def installed_matches(wheel: Path, site_packages: Path) -> str | None:
    """None if every file of the wheel is installed byte for byte, else the first that is not.

    Two wheels may share a name and version (a release and the changed tree after it): this
    makes sure no cache swapped one for the other."""
    with zipfile.ZipFile(wheel) as archive:
        record = next(name for name in archive.namelist() if name.endswith(".dist-info/RECORD"))
        for line in archive.read(record).decode().splitlines():
            path, _, rest = line.partition(",")
            digest = rest.partition(",")[0]
            if not digest.startswith("sha256=") or ".dist-info/" in path:
                continue
            target = site_packages / path
            if not target.is_file():
                return f"{path} missing"
            actual = base64.urlsafe_b64encode(hashlib.sha256(target.read_bytes()).digest())
            if "sha256=" + actual.decode().rstrip("=") != digest:
                return f"{path} differs from {wheel.name}"
    return None


IMPORT_CHECK = """
import json, sys
from importlib.metadata import version
import httpcore, httpcore_interfaces, httpcore_pool, httpcore_proxy, httpcore_streams, httpx
expected = json.loads(sys.argv[1])
assert httpcore.SyncConnectionPool is httpcore_pool.SyncConnectionPool, "not our httpcore"
assert httpcore.AsyncHTTPProxy is httpcore_proxy.AsyncHTTPProxy, "not our httpcore"
assert httpcore.__file__.startswith(sys.prefix), httpcore.__file__
modules = [httpcore_interfaces, httpcore_streams, httpcore_pool, httpcore_proxy, httpcore]
seen = {m.__name__: m.__version__ for m in modules}
assert seen == expected, f"imported {seen}, expected {expected}"
print("  imported:", ", ".join(f"{k} {v}" for k, v in seen.items()))
print("  with", ", ".join(f"{name} {version(name)}" for name in ("httpx", "h2", "anyio")))
"""


class Runner:
    def __init__(self, work: Path, python: str, hypercorn_python: str | None) -> None:
        self.work = work
        self.python = python
        self.hypercorn_python = hypercorn_python
        servers = "".join(path.read_text() for path in (ROOT / "tests/servers").glob("*.py"))
        self.peer_supported = HYPERCORN_VARIABLE in servers
        self.count = 0

    def test_requirements(self) -> list[str]:
        if self.hypercorn_python and self.peer_supported:
            return list(TEST_TOOLS)
        # No out-of-process peer: hypercorn must fit into the combination's own venv.
        return [*TEST_TOOLS, "hypercorn>=0.17"]

    def execute(self, combination: Combination, all_current: bool) -> Outcome:
        start = time.monotonic()
        result = self._run(combination, all_current)
        return Outcome(combination, result, time.monotonic() - start)

    def _run(self, combination: Combination, all_current: bool) -> str:
        self.count += 1
        here = self.work / f"combination-{self.count}"
        links, venv = here / "links", here / "venv"
        links.mkdir(parents=True)
        for component in combination.components:
            shutil.copy(component.wheel, links)
        made = run(["uv", "venv", "-q", "-p", self.python, venv])
        if made.returncode != 0:
            return report(made, "FAILED: uv venv")
        python = venv / "bin" / "python"
        common: list[str | Path] = ["uv", "pip", "install", "-q", "-p", python]
        common += ["--find-links", links]
        for distribution in DISTRIBUTIONS:
            common += ["--refresh-package", distribution]
        pins = [f"{c.distribution}=={c.version}" for c in combination.components]

        # 1. What a user installs, through the resolver: ranges decide.
        user = run([*common, *pins, *USER_REQUIREMENTS])
        if user.returncode != 0:
            output = user.stdout
            if NO_SOLUTION in output and not NOT_FOUND.search(output):
                if all_current:
                    return report(user, "FAILED: the current tree does not resolve")
                print(indent(output))
                return "excluded by the declared ranges"
            return report(user, "FAILED: install")
        # 2. The test tools on top, without moving anything the resolver chose.
        frozen = run(["uv", "pip", "freeze", "-q", "-p", python])
        constraints = here / "constraints.txt"
        constraints.write_text(frozen.stdout)
        tools = run([*common, "-c", constraints, *self.test_requirements()])
        if tools.returncode != 0:
            return report(tools, "FAILED: test tools do not fit (try --hypercorn-python)")
        checked = run(["uv", "pip", "check", "-q", "-p", python])
        if checked.returncode != 0:
            return report(checked, "FAILED: uv pip check")

        site_packages = next((venv / "lib").glob("python*/site-packages"))
        for component in combination.components:
            mismatch = installed_matches(component.wheel, site_packages)
            if mismatch is not None:
                print(f"  installed {component.label}: {mismatch}")
                return "FAILED: installed files are not this combination's wheels"
        expected = {module(c.distribution): c.version for c in combination.components}
        imported = run([python, "-c", IMPORT_CHECK, json.dumps(expected)])
        if imported.returncode != 0:
            return report(imported, "FAILED: import check")
        print(imported.stdout.rstrip())

        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        if self.hypercorn_python:
            env[HYPERCORN_VARIABLE] = self.hypercorn_python
        command: list[str | Path] = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
        sys.stdout.flush()
        tested = run([*command, *TESTS], env=env, capture=False)
        return "passed" if tested.returncode == 0 else f"FAILED: pytest (exit {tested.returncode})"


def indent(text: str) -> str:
    return "\n".join("  | " + line for line in text.rstrip().splitlines())


def report(done: subprocess.CompletedProcess[str], result: str) -> str:
    print(indent(done.stdout or ""))
    return result


def table(rows: Sequence[tuple[str, ...]]) -> str:
    versions = "versions (@commit: a release, not the current tree)"
    header = ("combination", versions, "covers", "result", "seconds")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
        if row is header:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument(
        "--hypercorn-python",
        default=os.environ.get(HYPERCORN_VARIABLE) or None,
        help=f"an interpreter with hypercorn and trustme (exported as ${HYPERCORN_VARIABLE})",
    )
    parser.add_argument("--python", default="3.11", help="the venvs' Python (uv venv -p)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    args = parser.parse_args(argv)
    if shutil.which("uv") is None:
        print("version_skew: uv is not on PATH", file=sys.stderr)
        return 2

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="version-skew-"))
    try:
        return skew(work, args.python, args.hypercorn_python, started)
    except SetupError as error:
        print(f"version_skew: {error}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def make_peer(work: Path, python: str) -> str:
    """A venv with hypercorn and trustme alone, for the tests' out-of-process hypercorn."""
    peer = work / "hypercorn-peer"
    commands: list[list[str | Path]] = [
        ["uv", "venv", "-q", "-p", python, peer],
        ["uv", "pip", "install", "-q", "-p", peer / "bin" / "python", "hypercorn>=0.17", "trustme"],
    ]
    for command in commands:
        done = run(command)
        if done.returncode != 0:
            raise SetupError(f"making the hypercorn peer: {done.stdout}")
    return str(peer / "bin" / "python")


def skew(work: Path, python: str, hypercorn_python: str | None, started: float) -> int:
    if hypercorn_python:
        probe = run([hypercorn_python, "-c", "import hypercorn, trustme"])
        if probe.returncode != 0:
            raise SetupError(f"--hypercorn-python {hypercorn_python}: {probe.stdout.strip()}")
    last = load_releases()
    trees = {d: current_tree(d) for d in DISTRIBUTIONS}
    released_trees = {d: git("rev-parse", f"{last[d].commit}:packages/{d}") for d in DISTRIBUTIONS}

    head = git("rev-parse", "HEAD")
    print(f"version skew: last releases from {RELEASES.name}, current tree at {head[:10]}")
    with ThreadPoolExecutor(max_workers=len(DISTRIBUTIONS)) as pool:
        current_jobs = {d: pool.submit(build_current, d, work, trees[d]) for d in DISTRIBUTIONS}
        release_jobs = {
            d: pool.submit(build_release, last[d], work, released_trees[d])
            for d in DISTRIBUTIONS
            if released_trees[d] != trees[d]
        }
        current = {d: job.result() for d, job in current_jobs.items()}
        released = {d: job.result() for d, job in release_jobs.items()}
    for distribution in DISTRIBUTIONS:
        release = last[distribution]
        if distribution in released:
            state = "differs" if trees[distribution] != "worktree" else "uncommitted changes"
        else:  # the same tree: the same wheel
            state = "same tree"
            released[distribution] = current[distribution]
        print(
            f"  {distribution:<20} current {current[distribution].version:<7}"
            f" last release {release.version:<7} @ {release.commit[:10]}  {state}"
        )

    combinations = plan(current, released)
    asked = sum(len(c.covers) for c in combinations)
    print(
        f"\n{asked} combinations asked (all current; A X = X current, siblings released;"
        f" B X = X released, siblings current), {len(combinations)} distinct:"
    )
    for combination in combinations:
        first, *rest = combination.covers
        print(f"  run   {first:<13} as '{combination.name}'")
        for code in rest:
            print(f"  skip  {code:<13} same wheels as '{combination.name}'")
    if [c.name for c in combinations] == ["all current"]:
        print("  every last release is the current tree: ONE combination runs, all current")

    runner = Runner(work, python, hypercorn_python)
    if runner.peer_supported and not hypercorn_python:
        runner.hypercorn_python = make_peer(work, python)
        print(f"  hypercorn peer: {runner.hypercorn_python} (made; --hypercorn-python reuses one)")
    elif runner.peer_supported:
        print(f"  hypercorn peer: {hypercorn_python}")
    else:  # a tree from before tests/servers could run hypercorn out of process
        print("  hypercorn: installed in each combination's venv (no out-of-process peer)")
    outcomes: list[Outcome] = []
    for combination in combinations:
        print(f"\n=== {combination.name}: {combination.versions}")
        outcome = runner.execute(combination, combination.name == "all current")
        print(f"--- {combination.name}: {outcome.result} ({outcome.seconds:.0f} s)")
        outcomes.append(outcome)

    rows = [
        (
            o.combination.name,
            o.combination.versions,
            o.combination.covered,
            o.result,
            f"{o.seconds:.0f}",
        )
        for o in outcomes
    ]
    print("\nversion skew summary\n" + table(rows))
    failed = [o for o in outcomes if o.failed]
    total = time.monotonic() - started
    verdict = f"{len(failed)} of {len(outcomes)} FAILED" if failed else "no failure"
    print(
        f"\nversion skew: {verdict}; {len(outcomes)} ran, {asked - len(outcomes)} skipped as"
        f" duplicates, {total:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.version_info < (3, 11):  # tomllib: rerun under a 3.11 that uv finds or fetches
        os.execvp("uv", ["uv", "run", "-q", "--no-project", "-p", "3.11", "python", *sys.argv])
    sys.exit(main())
