"""The build backend of the repository root, which is not a distribution: every hook
ends the build with one line saying what to build instead (PEP 517 frontends print a
``SystemExit`` message as it is, where another exception would be a traceback)."""

from __future__ import annotations

from typing import Any, NoReturn

MESSAGE = (
    "The repository root is not a distribution: `hatch build --all -t wheel` builds every "
    "package into dist/, `cd packages/<name> && hatch build -t wheel` one into its dist/."
)


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise SystemExit(MESSAGE)


get_requires_for_build_wheel = _refuse
get_requires_for_build_sdist = _refuse
get_requires_for_build_editable = _refuse
prepare_metadata_for_build_wheel = _refuse
prepare_metadata_for_build_editable = _refuse
build_wheel = _refuse
build_sdist = _refuse
build_editable = _refuse
