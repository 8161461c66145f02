"""Fixtures for the Flexacore contract tests: one server per module, reset before each test.

Building the "small" preset takes milliseconds, so every test starts from the same seeded
data; servers are stopped in the background because `SandboxServer.stop` waits for the
0.5 s poll of ``serve_forever``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from contactdesk.sandbox.flexacore import FlexacoreSim
from contactdesk.sandbox.server import SandboxServer
from tests.contract.flexacore.harness import T0, FakeClock, Flexa, small_config


@pytest.fixture(scope="session")
def reaper() -> Iterator[list[threading.Thread]]:
    """Stops servers off the test's path, and waits for them at the end of the session."""
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=10)


def _stop_later(server: SandboxServer, reaper: list[threading.Thread]) -> None:
    thread = threading.Thread(target=server.stop, name="flexacore-reaper")
    thread.start()
    reaper.append(thread)


@pytest.fixture(scope="module")
def module_flexa(reaper: list[threading.Thread]) -> Iterator[Flexa]:
    clock = FakeClock()
    sim = FlexacoreSim(small_config(clock))
    harness = Flexa(sim, SandboxServer(sim).start(), clock)
    yield harness
    harness.session.close()
    _stop_later(harness.server, reaper)


@pytest.fixture
def flexa(module_flexa: Flexa) -> Flexa:
    """The module's simulator, reseeded (small preset), fault-free, clock back at T0."""
    module_flexa.clock.set(T0)
    module_flexa.sim.reset(small_config(module_flexa.clock))
    module_flexa.server.clear_faults()
    module_flexa.session.cookies.clear()
    return module_flexa


@pytest.fixture
def fresh_flexa(reaper: list[threading.Thread]) -> Iterator[Flexa]:
    """A server of its own, for tests whose fault plan must not leak (see test_faults)."""
    clock = FakeClock()
    sim = FlexacoreSim(small_config(clock))
    harness = Flexa(sim, SandboxServer(sim).start(), clock)
    yield harness
    harness.session.close()
    _stop_later(harness.server, reaper)
