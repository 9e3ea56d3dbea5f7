from __future__ import annotations

import types

import httpcore_streams


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(httpcore_streams).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(httpcore_streams.__all__) == public


def test_public_classes_report_the_public_module() -> None:
    for name in httpcore_streams.__all__:
        assert getattr(httpcore_streams, name).__module__ == "httpcore_streams"


def test_package_is_typed_and_versioned() -> None:
    from importlib.resources import files

    assert files("httpcore_streams").joinpath("py.typed").is_file()
    assert tuple(int(p) for p in httpcore_streams.__version__.split(".")) >= (1, 0, 0)
