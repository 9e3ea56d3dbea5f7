"""The version-skew job's pure parts: RELEASES.toml, the plan, and our own range check."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.helpers.scripts import load_script

COMMIT = "e20632a640cc78ab2e7ec09b5a226ae68af701d0"
NAMES = ("interfaces", "streams", "pool", "proxy")
FIRST = {f"httpcore-{name}": "1.0.0" for name in NAMES} | {"httpcore": "0.12.4"}


@pytest.fixture(scope="module")
def skew() -> ModuleType:
    return load_script("version_skew")


def releases_file(tmp_path: Path, *extra: dict[str, str]) -> Path:
    entries = [{"distribution": d, "version": v, "commit": COMMIT} for d, v in FIRST.items()]
    text = ""
    for entry in [*entries, *extra]:
        text += "[[release]]\n" + "".join(f'{k} = "{v}"\n' for k, v in entry.items()) + "\n"
    path = tmp_path / "RELEASES.toml"
    path.write_text(text)
    return path


#: The job reads RELEASES.toml with tomllib and says it needs Python 3.11+; the whole suite
#: also runs on 3.10 (the oldest end), where only these tests cannot.
needs_tomllib = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="version_skew.py reads RELEASES.toml with tomllib (3.11+)"
)


@needs_tomllib
def test_load_releases_keeps_the_last_release_of_each(skew: ModuleType, tmp_path: Path) -> None:
    newer = {"distribution": "httpcore-pool", "version": "1.1.0", "commit": "a" * 40}
    last = skew.load_releases(releases_file(tmp_path, newer))
    assert set(last) == set(FIRST)
    assert last["httpcore-pool"] == skew.Release("httpcore-pool", "1.1.0", "a" * 40)
    assert last["httpcore"].version == "0.12.4"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"distribution": "httpcore-pool", "version": "1.1.0"}, "needs exactly"),
        ({"distribution": "httpcore-pools", "version": "1.1.0", "commit": COMMIT}, "unknown"),
        ({"distribution": "httpcore-pool", "version": "1.1.0", "commit": "abc"}, "40 lowercase"),
        ({"distribution": "httpcore-pool", "version": "1.0", "commit": COMMIT}, "not above"),
        ({"distribution": "httpcore-pool", "version": "0.9.9", "commit": COMMIT}, "not above"),
        ({"distribution": "httpcore-pool", "version": "1.1.0rc1", "commit": COMMIT}, "final"),
    ],
)
@needs_tomllib
def test_load_releases_rejects_bad_entries(
    skew: ModuleType, tmp_path: Path, entry: dict[str, str], message: str
) -> None:
    with pytest.raises(skew.SetupError, match=message):
        skew.load_releases(releases_file(tmp_path, entry))


@needs_tomllib
def test_load_releases_needs_every_distribution(skew: ModuleType, tmp_path: Path) -> None:
    path = releases_file(tmp_path)
    proxy = 'distribution = "httpcore-proxy"\nversion = "1.0.0"'
    path.write_text(
        path.read_text().replace(proxy, 'distribution = "httpcore-pool"\nversion = "1.1"')
    )
    with pytest.raises(skew.SetupError, match="no release of httpcore-proxy"):
        skew.load_releases(path)
    path.write_text("[[release]\n")
    with pytest.raises(skew.SetupError, match=r"RELEASES\.toml"):
        skew.load_releases(path)


def test_versions_compare_as_numbers_and_refuse_pre_releases(skew: ModuleType) -> None:
    key = skew.version_key
    assert key("1.0") == key("1.0.0") < key("1.0.1") < key("1.1") < key("1.10") < key("2")
    for version in ("1.1.0rc1", "1.1.0.dev1", "1.1.0+local", "v1.0"):
        with pytest.raises(skew.SetupError, match="final releases"):
            key(version)


def test_ranges_allow_and_exclude(skew: ModuleType) -> None:
    assert skew.allows(">=1.0,<2", "1.0.0")
    assert skew.allows("<2,>=1.0", "1.9.9")
    assert skew.allows("==1.0.1", "1.0.1")
    assert skew.allows("==1.0", "1.0.0")
    assert not skew.allows(">=1.1,<2", "1.0.0")
    assert not skew.allows(">=1.0,<2", "2.0.0")
    assert not skew.allows("==1.0.1", "1.0.2")


@pytest.mark.parametrize("specifier", ["~=1.0", ">1.0", "<=2", "!=1.0.1", "==1.*", ">=1.1rc1", ""])
def test_ranges_refuse_what_they_do_not_support(skew: ModuleType, specifier: str) -> None:
    with pytest.raises(skew.SetupError):
        skew.allows(specifier, "1.0.0")


METADATA = """\
Metadata-Version: 2.4
Name: httpcore-proxy
Version: 1.1.0
Requires-Dist: anyio<5,>=3.6
Requires-Dist: httpcore-interfaces<2,>=1.0
Requires-Dist: httpcore_pool <2, >=1.1
Requires-Dist: click>=8.1; extra == "cli"
Provides-Extra: cli

Requires-Dist: httpcore-streams>=9 (the description is not metadata)
"""


def test_sibling_ranges_come_from_requires_dist(skew: ModuleType) -> None:
    ranges = skew.sibling_ranges(METADATA)
    assert ranges == {"httpcore-interfaces": "<2,>=1.0", "httpcore-pool": "<2, >=1.1"}


@pytest.mark.parametrize(
    "requirement",
    ["httpcore-pool>=1.0; python_version<'3.12'", "httpcore-pool[x]>=1.0", "httpcore-extra>=1"],
)
def test_sibling_ranges_refuse_what_they_do_not_support(skew: ModuleType, requirement: str) -> None:
    with pytest.raises(skew.SetupError, match="not a range on a sibling"):
        skew.sibling_ranges(f"Name: x\nRequires-Dist: {requirement}\n")


def component(skew: ModuleType, short: str, tree: str, **kwargs: Any) -> Any:
    distribution = "httpcore" if short == "httpcore" else f"httpcore-{short}"
    version = kwargs.pop("version", FIRST[distribution])
    return skew.Component(distribution, version, tree, Path(f"{short}.whl"), **kwargs)


def test_exclusion_names_the_range_that_excludes(skew: ModuleType) -> None:
    proxy = component(skew, "proxy", "t", ranges={"httpcore-pool": ">=1.1,<2"})
    old_pool = component(skew, "pool", "t", release="e20632a")
    new_pool = component(skew, "pool", "t", version="1.1.0")
    others = [component(skew, name, "t") for name in ("interfaces", "streams", "httpcore")]
    assert skew.exclusion([*others, new_pool, proxy]) is None
    why = skew.exclusion([*others, old_pool, proxy])
    assert why == "proxy 1.0.0 requires httpcore-pool>=1.1,<2, here 1.0.0"


def trees(skew: ModuleType, differing: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Components of the current tree and of the last releases, `differing` in between."""
    current, released = {}, {}
    for short in (*NAMES, "httpcore"):
        now = component(skew, short, f"{short}-now")
        current[now.distribution] = now
        old = component(skew, short, f"{short}-old", release="e20632a")
        released[now.distribution] = old if short in differing else now
    return current, released


def test_plan_runs_one_combination_while_every_release_is_current(skew: ModuleType) -> None:
    [only] = skew.plan(*trees(skew, set()))
    assert only.name == "all current"
    assert len(only.covers) == 11
    assert (
        only.versions == "interfaces 1.0.0, streams 1.0.0, pool 1.0.0, proxy 1.0.0, httpcore 0.12.4"
    )


def test_plan_skips_duplicates_by_tree_and_names_what_moved(skew: ModuleType) -> None:
    combinations = skew.plan(*trees(skew, {"pool", "proxy"}))
    covers = {c.name: c.covers for c in combinations}
    assert covers == {
        "all current": ["all current", "B interfaces", "B streams", "B httpcore"],
        "pool released + proxy released": ["A interfaces", "A streams", "A httpcore"],
        "pool current + proxy released": ["A pool", "B proxy"],
        "proxy current + pool released": ["B pool", "A proxy"],
    }
    [mixed] = [c for c in combinations if c.name == "pool current + proxy released"]
    assert [c.tree for c in mixed.components] == [
        "interfaces-now", "streams-now", "pool-now", "proxy-old", "httpcore-now"
    ]  # fmt: skip
    assert "proxy 1.0.0@e20632a" in mixed.versions


def test_plan_names_a_single_moved_release(skew: ModuleType) -> None:
    names = [c.name for c in skew.plan(*trees(skew, {"proxy"}))]
    assert names == ["all current", "proxy released"]


def test_the_hypercorn_peer_is_required(
    skew: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(skew.HYPERCORN_VARIABLE, raising=False)
    with pytest.raises(SystemExit) as exit_status:
        skew.main([])
    assert exit_status.value.code == 2
    assert "--hypercorn-python" in capsys.readouterr().err
