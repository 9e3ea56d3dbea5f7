"""The transport and stream base classes: behaviour, and the call shapes of the httpcore
0.12 developer interface, checked on the annotations as Python evaluates them."""

# The expected shapes are spelled as the 0.12 documentation spells them (typing.List...).
# ruff: noqa: UP006, UP035, UP045

from __future__ import annotations

import inspect
import types
from collections.abc import AsyncIterator, Callable, Iterator
from typing import (
    Any,
    Dict,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

import pytest

from httpcore_interfaces import (
    URL,
    AsyncByteStream,
    AsyncHTTPTransport,
    Headers,
    Origin,
    SyncByteStream,
    SyncHTTPTransport,
    TimeoutDict,
)

# The 0.12 developer interface, as documented ("Developer Interface", Base async and sync
# interfaces), in its own typing spelling. The documented ``Optional[dict]`` and ``dict``
# of ``ext`` are string-keyed: ``Dict[str, Any]``.
SEED_URL = Tuple[bytes, bytes, Optional[int], bytes]
SEED_HEADERS = List[Tuple[bytes, bytes]]
SEED_EXT = Dict[str, Any]


def seed_request(stream: type) -> dict[str, Any]:
    """The documented parameters of ``arequest``/``request`` and their return type."""
    return {
        "method": bytes,
        "url": SEED_URL,
        "headers": Optional[SEED_HEADERS],
        "stream": Optional[stream],
        "ext": Optional[SEED_EXT],
        "return": Tuple[int, SEED_HEADERS, stream, SEED_EXT],
    }


def shape(annotation: Any) -> Any:
    """An evaluated annotation in one canonical form: ``List[X]`` and ``list[X]`` alike,
    ``Optional[X]`` and ``X | None`` alike; a bare class stays itself."""
    origin = get_origin(annotation)
    if origin is None:
        return annotation
    args = get_args(annotation)
    if origin is Union or origin is types.UnionType:
        return ("union", frozenset(shape(arg) for arg in args))
    if origin is Callable:
        return (Callable, tuple(shape(arg) for arg in args))
    return (origin, tuple(shape(arg) for arg in args))


def hints(function: Any) -> dict[str, Any]:
    """``get_type_hints`` of ``function``, every annotation evaluated, in canonical form."""
    return {name: shape(hint) for name, hint in get_type_hints(function).items()}


def expected(documented: dict[str, Any]) -> dict[str, Any]:
    return {name: shape(hint) for name, hint in documented.items()}


@pytest.mark.parametrize(
    ("method", "stream", "is_async"),
    [
        (AsyncHTTPTransport.arequest, AsyncByteStream, True),
        (SyncHTTPTransport.request, SyncByteStream, False),
    ],
    ids=["arequest", "request"],
)
def test_request_matches_the_documented_call(method: Any, stream: type, is_async: bool) -> None:
    parameters = inspect.signature(method).parameters
    assert list(parameters) == ["self", "method", "url", "headers", "stream", "ext"]
    assert {p.kind for p in parameters.values()} == {inspect.Parameter.POSITIONAL_OR_KEYWORD}
    defaults = [p.default for p in parameters.values()]
    assert defaults[1:3] == [inspect.Parameter.empty] * 2  # method and url are required
    assert defaults[3:] == [None, None, None]
    assert hints(method) == expected(seed_request(stream))
    assert inspect.iscoroutinefunction(method) is is_async


@pytest.mark.parametrize(
    ("method", "is_async", "returns"),
    [
        (AsyncHTTPTransport.aclose, True, type(None)),
        (SyncHTTPTransport.close, False, type(None)),
        (AsyncByteStream.aclose, True, type(None)),
        (SyncByteStream.close, False, type(None)),
        (AsyncByteStream.__aiter__, False, AsyncIterator[bytes]),
        (SyncByteStream.__iter__, False, Iterator[bytes]),
    ],
    ids=lambda value: getattr(value, "__qualname__", None),
)
def test_close_and_iteration_match_the_documented_calls(
    method: Any, is_async: bool, returns: Any
) -> None:
    assert list(inspect.signature(method).parameters) == ["self"]
    assert hints(method) == {"return": shape(returns)}
    assert inspect.iscoroutinefunction(method) is is_async


def test_the_type_aliases_are_the_documented_shapes() -> None:
    assert shape(URL) == shape(SEED_URL)
    assert shape(Headers) == shape(SEED_HEADERS)
    assert shape(Origin) == shape(Tuple[bytes, bytes, int])
    assert shape(TimeoutDict) == shape(Mapping[str, Optional[float]])


def test_context_managers_are_typed_to_return_the_transport() -> None:
    for enter in (AsyncHTTPTransport.__aenter__, SyncHTTPTransport.__enter__):
        assert list(inspect.signature(enter).parameters) == ["self"]
    for exit_ in (AsyncHTTPTransport.__aexit__, SyncHTTPTransport.__exit__):
        parameters = inspect.signature(exit_).parameters
        assert list(parameters) == ["self", "exc_type", "exc_value", "traceback"]
        assert hints(exit_)["return"] is type(None)


class RecordingTransport(AsyncHTTPTransport, SyncHTTPTransport):
    """Both bases at once, as the seed allows; counts how often each close ran."""

    def __init__(self) -> None:
        self.closed = 0
        self.aclosed = 0

    def close(self) -> None:
        self.closed += 1

    async def aclose(self) -> None:
        self.aclosed += 1


def test_sync_request_must_be_implemented() -> None:
    with pytest.raises(NotImplementedError, match="SyncHTTPTransport must implement request"):
        SyncHTTPTransport().request(b"GET", (b"http", b"example.org", None, b"/"))


@pytest.mark.anyio
async def test_async_request_must_be_implemented() -> None:
    with pytest.raises(NotImplementedError, match="must implement arequest"):
        await AsyncHTTPTransport().arequest(b"GET", (b"http", b"example.org", None, b"/"))


def test_base_close_does_nothing_and_can_repeat() -> None:
    transport = SyncHTTPTransport()
    transport.close()
    transport.close()


def test_sync_context_manager_returns_self_and_closes() -> None:
    transport = RecordingTransport()
    with transport as entered:
        assert entered is transport
    assert (transport.closed, transport.aclosed) == (1, 0)


def test_sync_context_manager_closes_on_error() -> None:
    transport = RecordingTransport()
    with pytest.raises(RuntimeError), transport:
        raise RuntimeError("boom")
    assert transport.closed == 1


@pytest.mark.anyio
async def test_async_context_manager_returns_self_and_acloses() -> None:
    transport = RecordingTransport()
    async with transport as entered:
        assert entered is transport
    assert (transport.closed, transport.aclosed) == (0, 1)


@pytest.mark.anyio
async def test_async_context_manager_acloses_on_error() -> None:
    transport = RecordingTransport()
    with pytest.raises(RuntimeError):
        async with transport:
            raise RuntimeError("boom")
    assert transport.aclosed == 1


@pytest.mark.anyio
async def test_base_stream_aclose_is_a_no_op() -> None:
    await AsyncByteStream().aclose()
    SyncByteStream().close()


def test_base_streams_must_be_implemented() -> None:
    with pytest.raises(NotImplementedError, match="SyncByteStream must implement __iter__"):
        iter(SyncByteStream())
    with pytest.raises(NotImplementedError, match="AsyncByteStream must implement __aiter__"):
        AsyncByteStream().__aiter__()


def test_subclass_names_itself_in_the_error() -> None:
    class Incomplete(SyncByteStream):
        pass

    with pytest.raises(NotImplementedError, match="Incomplete must implement"):
        list(Incomplete())
