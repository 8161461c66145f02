"""Shared pieces of the TextFlow client tests: one simulator per module, linked clocks.

Not a test module. The client's rate limiter and the simulator's rate-limit windows run
on one fake timeline (`LinkedClock`): time moves only when the client sleeps, and then
it moves for both, so pacing is tested exactly and without real waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from contactdesk.core.schema import RatePlan
from contactdesk.providers.ratelimit import RateLimiter
from contactdesk.providers.textflow import TextFlowClient
from contactdesk.sandbox.server import FaultStats, SandboxServer
from contactdesk.sandbox.textflow import TextFlowConfig, TextFlowSim
from contactdesk.sandbox.textflow_limits import SimClock

# 2026-01-01T00:00:15Z, a quarter into a rate-limit window
T0 = 1_767_225_615.0


class LinkedClock:
    """The client's monotonic clock, moved (with the simulator's) only by the client's sleeps."""

    def __init__(self, sim_clock: SimClock) -> None:
        self.sim_clock = sim_clock
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
            self.sim_clock.advance(seconds)

    def wall(self) -> float:
        return self.sim_clock.now()


@dataclass
class TextFlowEnv:
    """A running simulator and the clients a test made for it (closed at the end)."""

    sim: TextFlowSim
    server: SandboxServer
    clients: list[TextFlowClient] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.root_url + "/api"

    def client(
        self,
        key: str | None = None,
        *,
        plan: RatePlan | None = None,
        timeout: tuple[float, float] = (3.0, 5.0),
    ) -> tuple[TextFlowClient, LinkedClock]:
        clock = LinkedClock(self.sim.clock)
        limiter = RateLimiter(plan, clock=clock, sleep=clock.sleep, wall_clock=clock.wall)
        client = TextFlowClient(
            self.base_url, key or self.sim.api_key, limiter=limiter, timeout=timeout
        )
        self.clients.append(client)
        return client, clock

    def fresh(self) -> None:
        """Seeded data, no faults, fault counters at zero (a plan's limit counts from zero)."""
        self.sim.reset()
        self.server.clear_faults()
        self.server.injector.stats = FaultStats()

    def close_clients(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()


@contextmanager
def running_textflow(**config: object) -> Iterator[TextFlowEnv]:
    """A small simulator on a frozen clock, served until the block ends."""
    settings: dict[str, object] = {"preset": "small", "clock": SimClock(start=T0)}
    settings.update(config)
    sim = TextFlowSim(TextFlowConfig(**settings))  # type: ignore[arg-type]
    with SandboxServer(sim) as server:
        env = TextFlowEnv(sim, server)
        try:
            yield env
        finally:
            env.close_clients()
