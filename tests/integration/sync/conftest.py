"""Fixtures of the sync tests: one simulator per test on real HTTP (small data sets)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sync.support import Env, flexacore_env, textflow_env


@pytest.fixture
def flexacore(tmp_path: Path) -> Iterator[Env]:
    with flexacore_env(tmp_path) as env:
        yield env


@pytest.fixture
def textflow(tmp_path: Path) -> Iterator[Env]:
    with textflow_env(tmp_path) as env:
        yield env


@pytest.fixture(params=["flexacore", "textflow"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    """Each provider in turn."""
    make = flexacore_env if request.param == "flexacore" else textflow_env
    with make(tmp_path) as made:
        yield made
