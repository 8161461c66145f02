"""Fixtures for the TextFlow contract tests: a fresh simulator per test, on a frozen clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contactdesk.sandbox.server import SandboxServer
from contactdesk.sandbox.textflow import TextFlowConfig, TextFlowSim
from contactdesk.sandbox.textflow_limits import SimClock
from tests.contract.textflow.harness import T0, TextFlowHarness

MakeTextFlow = Callable[..., TextFlowHarness]


@pytest.fixture
def clock() -> SimClock:
    """Frozen at `T0`; tests move it with ``clock.advance`` instead of sleeping."""
    return SimClock(start=T0)


@pytest.fixture(scope="session")
def reaper() -> Iterator[list[threading.Thread]]:
    """Stops servers in the background and waits for them all at the end of the session.

    `SandboxServer.stop` waits for ``serve_forever``'s 0.5 s poll to notice the shutdown;
    stopping in the background keeps that wait out of every test's teardown.
    """
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=10)


@pytest.fixture
def make_textflow(clock: SimClock, reaper: list[threading.Thread]) -> Iterator[MakeTextFlow]:
    """Build and start a simulator; keyword arguments go to `TextFlowConfig`."""
    started: list[TextFlowHarness] = []

    def make(**config: Any) -> TextFlowHarness:
        config.setdefault("preset", "small")
        config.setdefault("clock", clock)
        sim = TextFlowSim(TextFlowConfig(**config))
        harness = TextFlowHarness(sim, SandboxServer(sim).start())
        started.append(harness)
        return harness

    yield make
    for harness in started:
        harness.session.close()
        thread = threading.Thread(target=harness.server.stop, name="textflow-reaper")
        thread.start()
        reaper.append(thread)


@pytest.fixture
def tf(make_textflow: MakeTextFlow) -> TextFlowHarness:
    """The small practice preset (120 contacts), practice key on the Marketer plan."""
    return make_textflow()
