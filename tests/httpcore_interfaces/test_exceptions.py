from __future__ import annotations

import pickle

import pytest

import httpcore_interfaces as hi

TREE: dict[type[Exception], type[Exception]] = {
    hi.UnsupportedProtocol: Exception,
    hi.ProtocolError: Exception,
    hi.RemoteProtocolError: hi.ProtocolError,
    hi.LocalProtocolError: hi.ProtocolError,
    hi.ProxyError: Exception,
    hi.TimeoutException: Exception,
    hi.PoolTimeout: hi.TimeoutException,
    hi.ConnectTimeout: hi.TimeoutException,
    hi.ReadTimeout: hi.TimeoutException,
    hi.WriteTimeout: hi.TimeoutException,
    hi.NetworkError: Exception,
    hi.ConnectError: hi.NetworkError,
    hi.ReadError: hi.NetworkError,
    hi.WriteError: hi.NetworkError,
    hi.CloseError: hi.NetworkError,
}


def test_there_are_exactly_fifteen_exceptions() -> None:
    exported = {
        obj
        for name in hi.__all__
        if isinstance(obj := getattr(hi, name), type) and issubclass(obj, BaseException)
    }
    assert exported == set(TREE)
    assert len(exported) == 15


@pytest.mark.parametrize(("exc", "parent"), TREE.items(), ids=lambda c: c.__name__)
def test_exception_has_its_documented_parent(exc: type[Exception], parent: type) -> None:
    assert exc.__bases__ == (parent,)


@pytest.mark.parametrize("exc", TREE, ids=lambda c: c.__name__)
def test_exception_takes_arbitrary_arguments(exc: type[Exception]) -> None:
    error = exc("[Errno 111] Connection refused", 111, None)
    assert error.args == ("[Errno 111] Connection refused", 111, None)
    assert str(exc("reason")) == "reason"
    assert exc().args == ()


@pytest.mark.parametrize("exc", TREE, ids=lambda c: c.__name__)
def test_exception_reports_public_module_and_pickles(exc: type[Exception]) -> None:
    assert exc.__module__ == "httpcore_interfaces"
    restored = pickle.loads(pickle.dumps(exc("reason")))
    assert type(restored) is exc
    assert restored.args == ("reason",)
