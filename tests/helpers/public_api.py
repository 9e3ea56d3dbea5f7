"""What a package exposes, for the tests that hold its ``__all__`` to it. The standard
library only: every package's isolation env runs these."""

from __future__ import annotations

import types


def public_names(module: types.ModuleType) -> set[str]:
    """The names ``module`` binds without a leading underscore, its submodules aside."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
