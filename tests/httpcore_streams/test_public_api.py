from __future__ import annotations

import httpcore_streams
from tests.helpers.public_api import public_names


def test_all_lists_exactly_the_public_names() -> None:
    assert set(httpcore_streams.__all__) == public_names(httpcore_streams)


def test_public_classes_report_the_public_module() -> None:
    for name in httpcore_streams.__all__:
        assert getattr(httpcore_streams, name).__module__ == "httpcore_streams"


def test_package_is_typed_and_versioned() -> None:
    from importlib.resources import files

    assert files("httpcore_streams").joinpath("py.typed").is_file()
    assert tuple(int(p) for p in httpcore_streams.__version__.split(".")) >= (1, 0, 0)
