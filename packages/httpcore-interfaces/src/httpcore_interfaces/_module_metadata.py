"""Make public objects report the module a user imports them from.

Classes defined in private modules (``httpcore_interfaces._exceptions``) would otherwise
show that private path in reprs and tracebacks. Each component calls ``publish_module``
from its own ``__init__`` for the objects it defines; the meta-package never does, so
importing ``httpcore`` changes nothing for programs that use one component alone.

Internal to the components, not part of the API; the siblings import it from this module,
so its name and signature stay fixed across 1.x.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["publish_module"]


def publish_module(module_name: str, namespace: Mapping[str, Any]) -> None:
    """Set ``__module__`` of the classes and functions in ``namespace["__all__"]`` defined
    under ``module_name`` to ``module_name``, leaving objects of other packages alone."""
    for name in namespace["__all__"]:
        obj = namespace[name]
        if not isinstance(obj, type) and not callable(obj):
            continue
        current = getattr(obj, "__module__", None)
        if isinstance(current, str) and current.startswith(module_name + "."):
            obj.__module__ = module_name
