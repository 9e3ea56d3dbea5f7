from __future__ import annotations

import types

import httpcore_interfaces
from tests.helpers.public_api import public_names

#: What the README and the API reference document, sorted as ruff sorts ``__all__``.
DOCUMENTED = [
    "URL",
    "AsyncByteStream",
    "AsyncHTTPTransport",
    "CloseError",
    "ConnectError",
    "ConnectTimeout",
    "Headers",
    "LocalProtocolError",
    "NetworkError",
    "Origin",
    "PoolTimeout",
    "ProtocolError",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "SyncByteStream",
    "SyncHTTPTransport",
    "TimeoutDict",
    "TimeoutException",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
]
#: Importable for the released siblings (streams 1.0.1, pool 1.0.0, proxy 1.0.0), not API.
INTERNAL = {"publish_module"}


def test_all_is_exactly_the_documented_names() -> None:
    assert httpcore_interfaces.__all__ == DOCUMENTED


def test_nothing_else_is_public_but_the_internal_helper_for_released_siblings() -> None:
    assert public_names(httpcore_interfaces) - set(DOCUMENTED) == INTERNAL
    from httpcore_interfaces._module_metadata import publish_module

    assert vars(httpcore_interfaces)["publish_module"] is publish_module


def test_star_import_gives_the_documented_names_only() -> None:
    namespace: dict[str, object] = {}
    exec("from httpcore_interfaces import *", namespace)
    assert sorted(set(namespace) - {"__builtins__"}) == sorted(DOCUMENTED)


def test_public_objects_report_the_public_module() -> None:
    for name in httpcore_interfaces.__all__:
        obj = getattr(httpcore_interfaces, name)
        # A type alias such as URL = tuple[...] has no module of its own; Python 3.10 also
        # calls it a type, 3.11 no longer does.
        if isinstance(obj, types.GenericAlias):
            continue
        if isinstance(obj, (type, types.FunctionType)):
            assert obj.__module__ == "httpcore_interfaces", name


def test_version_is_a_release() -> None:
    major, minor, patch = (int(part) for part in httpcore_interfaces.__version__.split("."))
    assert (major, minor, patch) >= (1, 0, 0)


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("httpcore_interfaces").joinpath("py.typed").is_file()


def test_publish_module_leaves_other_packages_alone() -> None:
    from httpcore_interfaces._module_metadata import publish_module

    class Foreign:
        pass

    Foreign.__module__ = "somewhere_else._private"
    namespace = {"__all__": ["Foreign", "VALUE"], "Foreign": Foreign, "VALUE": 3}
    publish_module("httpcore_interfaces", namespace)
    assert Foreign.__module__ == "somewhere_else._private"
