"""The sync-code generator: what it writes, and what its --check mode refuses."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers.scripts import load_script

ASYNC_SOURCE = """\
class AsyncThing(AsyncHTTPTransport):
    async def arequest(self) -> AsyncIterator[bytes]:
        async with self._lock:
            await self.aclose()
        async for chunk in self._stream:
            yield chunk
"""

SYNC_EXPECTED = """\
class SyncThing(SyncHTTPTransport):
    def request(self) -> Iterator[bytes]:
        with self._lock:
            self.close()
        for chunk in self._stream:
            yield chunk
"""


@pytest.fixture(scope="module")
def unasync() -> ModuleType:
    return load_script("unasync")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    source = tmp_path / "packages" / "demo" / "src" / "demo" / "_async" / "thing.py"
    source.parent.mkdir(parents=True)
    source.write_text(ASYNC_SOURCE)
    return tmp_path


def generated(tree: Path) -> Path:
    return tree / "packages" / "demo" / "src" / "demo" / "_sync" / "thing.py"


def test_generates_sync_code(unasync: ModuleType, tree: Path) -> None:
    assert unasync.main([], root=tree) == 0
    assert generated(tree).read_text() == unasync.HEADER + SYNC_EXPECTED


def test_check_fails_when_generated_code_is_missing_or_stale(
    unasync: ModuleType, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert unasync.main(["--check"], root=tree) == 1
    assert "stale: packages/demo/src/demo/_sync/thing.py" in capsys.readouterr().err
    unasync.main([], root=tree)
    generated(tree).write_text("edited by hand\n")
    assert unasync.main(["--check"], root=tree) == 1


def test_check_reports_unused_substitutions(
    unasync: ModuleType, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unasync.main([], root=tree)
    assert unasync.main(["--check"], root=tree) == 1
    assert "unused substitution: '\\\\bStopAsyncIteration\\\\b'" in capsys.readouterr().err


def test_check_fails_on_an_orphan_sync_file(unasync: ModuleType, tmp_path: Path) -> None:
    orphan = tmp_path / "tests" / "demo" / "_sync" / "test_x.py"
    orphan.parent.mkdir(parents=True)
    orphan.write_text("")
    assert unasync.main(["--check"], root=tmp_path) == 1


def test_removes_anyio_markers_from_tests(unasync: ModuleType) -> None:
    used: set[str] = set()
    out = unasync.transform("@pytest.mark.anyio\nasync def test_x() -> None:\n    pass\n", used)
    assert out == unasync.HEADER + "def test_x() -> None:\n    pass\n"


def test_leaves_async_only_blocks_out_of_the_sync_code(unasync: ModuleType) -> None:
    source = (
        "async def start(self) -> None:\n"
        "    await self.connect()\n"
        "    # unasync: async only\n"
        "    if self.delivers:\n"
        "        self.deliver()\n"
        "    # unasync: end\n"
        "    return None\n"
    )
    out = unasync.transform(source, set())
    assert out == unasync.HEADER + "def start(self) -> None:\n    self.connect()\n    return None\n"


@pytest.mark.parametrize(
    "source",
    [
        "# unasync: async only\nx = 1\n",  # never ended
        "x = 1\n# unasync: end\n",  # nothing to end
        "# unasync: async only\n# unasync: async only\n# unasync: end\n",  # nested
    ],
)
def test_refuses_unbalanced_async_only_markers(unasync: ModuleType, source: str) -> None:
    with pytest.raises(ValueError, match=r"async-only|unasync: end"):
        unasync.transform(source, set())


def test_an_awaitable_becomes_what_it_gives(unasync: ModuleType) -> None:
    source = (
        "from collections.abc import Awaitable, Callable\n"
        "receive: Callable[..., Awaitable[bytes | None]]\n"
    )
    out = unasync.transform(source, set())
    assert out == unasync.HEADER + (
        "from collections.abc import Callable\nreceive: Callable[..., bytes | None]\n"
    )
