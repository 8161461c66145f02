"""When a change that failed for a passing reason is tried again."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with "equal jitter" for outbox retries.

    The n-th failure waits ``min(cap, base * 2**(n-1))`` seconds, of which half is fixed
    and half random: a laptop coming back online with fifty waiting changes does not send
    them all in the same second, yet no retry comes sooner than half the step.
    """

    base: float = 2.0
    cap: float = 300.0

    def delay(self, failures: int, rng: random.Random) -> float:
        step = min(self.cap, self.base * 2.0 ** max(0, failures - 1))
        return step / 2 + rng.uniform(0.0, step / 2)
