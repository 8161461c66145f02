"""Fixtures for store tests: real SQLite files in temp dirs, a clock tests can move."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contactdesk.store import Store, StoreReader


class FakeClock:
    """Seconds since the epoch, moved by hand so retry times need no sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "accounts" / "acct.sqlite3"


@pytest.fixture
def store(store_path: Path, clock: FakeClock) -> Iterator[Store]:
    s = Store.open(store_path, clock=clock)
    yield s
    s.close()


@pytest.fixture
def reader(store: Store, store_path: Path) -> Iterator[StoreReader]:
    r = StoreReader.open(store_path)
    yield r
    r.close()
