"""Each package's CHANGELOG.md: released versions under dated headings, the newest one the
version its wheel carries, every release in RELEASES.toml among them, and what changed
since under one "Unreleased" heading at the top."""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(path for path in (ROOT / "packages").iterdir() if path.is_dir())
RELEASE = re.compile(r"(\d+)\.(\d+)\.(\d+) \((\d{4}-\d\d-\d\d)\)")


def wheel_version(package: Path) -> str:
    """The version hatch puts on the wheel: ``[tool.hatch.version] path``'s ``__version__``."""
    config = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    about = package / config["tool"]["hatch"]["version"]["path"]
    match = re.search(r'^__version__ = "([^"]+)"$', about.read_text(encoding="utf-8"), re.M)
    assert match, about
    return match.group(1)


def distribution(package: Path) -> str:
    config = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    name: str = config["project"]["name"]
    return name


def headings(package: Path) -> list[str]:
    text = (package / "CHANGELOG.md").read_text(encoding="utf-8")
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def released(package: Path) -> list[str]:
    """The released versions, newest first, checked for shape and order on the way."""
    found = headings(package)
    if found and found[0] == "Unreleased":
        found = found[1:]
    versions: list[str] = []
    previous: tuple[tuple[int, int, int], datetime.date] | None = None
    for heading in found:
        match = RELEASE.fullmatch(heading)
        assert match, f"{heading!r}: want '## X.Y.Z (YYYY-MM-DD)' (Unreleased only on top)"
        number = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
        date = datetime.date.fromisoformat(match.group(4))
        if previous is not None:
            assert number < previous[0], f"{heading}: versions go newest first"
            assert date <= previous[1], f"{heading}: dated after a later version"
        previous = (number, date)
        versions.append(heading.split()[0])
    return versions


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.name)
def test_newest_release_heading_is_the_wheels_version(package: Path) -> None:
    versions = released(package)
    assert versions, "no released version"
    wheel = wheel_version(package)
    if wheel != versions[0]:
        # The version being prepared, ahead of the last release: a sibling that needs what
        # it adds (a new extension name, say) must be able to require it before release.
        assert headings(package)[0] == "Unreleased", f"{wheel}: no heading, no Unreleased"
        assert _numbers(wheel) > _numbers(versions[0]), f"{wheel}: behind {versions[0]}"


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.name)
def test_every_recorded_release_has_its_heading(package: Path) -> None:
    releases = tomllib.loads((ROOT / "RELEASES.toml").read_text(encoding="utf-8"))["release"]
    recorded = [r["version"] for r in releases if r["distribution"] == distribution(package)]
    assert recorded, "RELEASES.toml records no release"
    assert set(recorded) <= set(released(package))


def test_a_misplaced_or_undated_heading_is_refused(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md").write_text("# x\n\n## 1.0.1\n\n## Unreleased\n")
    with pytest.raises(AssertionError, match="YYYY-MM-DD"):
        released(tmp_path)
    (tmp_path / "CHANGELOG.md").write_text("## 1.0.0 (2026-01-02)\n\n## 1.0.1 (2026-01-03)\n")
    with pytest.raises(AssertionError, match="newest first"):
        released(tmp_path)
