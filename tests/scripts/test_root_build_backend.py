"""A build started at the repository root ends with one line saying what to build instead.

The root is not a distribution; without its own backend, frontends guess setuptools and end
in a traceback. Frontends import ``build-backend`` from ``backend-path`` (pip, uv, build);
hatch 1.18 finds it through its build env's ``PYTHONPATH`` (see hatch.toml).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
BUILD_SYSTEM = PYPROJECT["build-system"]
HOOKS = [
    ("get_requires_for_build_wheel", ()),
    ("get_requires_for_build_sdist", ()),
    ("get_requires_for_build_editable", ()),
    ("prepare_metadata_for_build_wheel", ("out",)),
    ("prepare_metadata_for_build_editable", ("out",)),
    ("build_wheel", ("out",)),
    ("build_sdist", ("out",)),
    ("build_editable", ("out",)),
]


def test_the_root_defines_no_project_so_build_all_builds_the_packages_only() -> None:
    # `hatch build --all` builds the root too as soon as it has a [project] table.
    assert "project" not in PYPROJECT
    assert BUILD_SYSTEM["requires"] == []


def test_hatch_build_env_finds_the_backend_where_backend_path_says() -> None:
    hatch = tomllib.loads((ROOT / "hatch.toml").read_text(encoding="utf-8"))
    pythonpath = hatch["envs"]["hatch-build"]["env-vars"]["PYTHONPATH"]
    assert [pythonpath] == [f"{{root}}/{path}" for path in BUILD_SYSTEM["backend-path"]]


@pytest.mark.parametrize(("hook", "args"), HOOKS, ids=[hook for hook, _ in HOOKS])
def test_every_hook_ends_with_one_line_naming_what_to_build(
    hook: str, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in BUILD_SYSTEM["backend-path"]:
        monkeypatch.syspath_prepend(str(ROOT / path))
    backend = importlib.import_module(BUILD_SYSTEM["build-backend"])
    with pytest.raises(SystemExit) as exit_info:
        getattr(backend, hook)(*args)
    message = exit_info.value.code
    assert isinstance(message, str)
    assert "\n" not in message
    assert "hatch build --all -t wheel" in message
    assert "cd packages/<name> && hatch build -t wheel" in message


def test_a_frontend_prints_the_line_and_no_traceback() -> None:
    # What a PEP 517 hook caller does: the backend from backend-path, a hook, in a process.
    code = (
        "import sys; sys.path[:0] = sys.argv[1:]; "
        f"import {BUILD_SYSTEM['build-backend']} as backend; "
        "backend.get_requires_for_build_wheel()"
    )
    paths = [str(ROOT / path) for path in BUILD_SYSTEM["backend-path"]]
    done = subprocess.run(
        [sys.executable, "-c", code, *paths], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("The repository root is not a distribution:")
