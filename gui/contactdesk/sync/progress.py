"""Progress of a refresh as the UI sees it, and the time-left estimate behind it.

The estimate takes the slower of two bounds: what the account's plan allows (a Starter
TextFlow key may send 100 requests a minute, whatever the network could do) and the
speed observed so far in this run (a slow server or a large store merge). Early in a
run, before there is any speed to observe, the plan's bound alone is used.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from contactdesk.core.schema import RatePlan


class Phase(enum.StrEnum):
    """What a refresh is doing now."""

    GROUPS = "groups"  # reading the group list (Flexacore)
    CONTACTS = "contacts"  # reading pages of contacts
    CHECKING = "checking"  # asking about contacts a complete read did not see (deleted?)
    DONE = "done"


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """One progress event: ``done`` of ``total`` contacts read (``total`` is ``None`` until
    the server said), seconds left (``None`` when unknown) and the group being read."""

    phase: Phase
    done: int
    total: int | None
    eta_seconds: float | None
    group_name: str | None = None

    @property
    def fraction(self) -> float | None:
        """0.0 to 1.0 for a progress bar; ``None`` while the total is unknown."""
        if self.total is None:
            return None
        if self.total <= 0:
            return 1.0
        return min(1.0, self.done / self.total)


#: what a refresh calls after every page (on the worker thread; keep it quick)
ProgressCallback = Callable[[SyncProgress], None]


def budget_seconds(requests: int, plan: RatePlan | None) -> float:
    """Seconds the plan's budget needs for ``requests`` more requests (0 when unlimited).

    Mirrors ``providers.ratelimit.RateLimiter``: a burst of a tenth of the budget goes at
    once, the rest at the refill rate, so no window ever sees more than the plan allows.
    """
    if plan is None or plan.requests is None or plan.requests <= 0 or requests <= 0:
        return 0.0
    burst = max(1, plan.requests // 10)
    rate = max(plan.requests - burst, 1) / plan.per_seconds
    return max(0, requests - burst) / rate


def pages_for(items: int, page_size: int) -> int:
    return math.ceil(max(0, items) / max(1, page_size))


class EtaEstimator:
    """Seconds left in a refresh, from the plan's budget and the speed observed so far.

    ``observe(items_done_this_run)`` after each page; ``eta(items_left, requests_left)``.
    The observed speed counts only this run (a resumed refresh does not inherit the
    speed of the one that was interrupted).
    """

    #: observations needed before the observed speed is trusted
    MIN_SAMPLES = 2

    def __init__(
        self, plan: RatePlan | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.plan = plan
        self._clock = clock
        self._started = clock()
        self._items = 0
        self._samples = 0

    def observe(self, items_done: int) -> None:
        self._items = items_done
        self._samples += 1

    @property
    def items_per_second(self) -> float | None:
        elapsed = self._clock() - self._started
        if self._samples < self.MIN_SAMPLES or elapsed <= 0 or self._items <= 0:
            return None
        return self._items / elapsed

    def eta(self, items_left: int | None, requests_left: int) -> float | None:
        if items_left is None:
            return None
        if items_left <= 0 and requests_left <= 0:
            return 0.0
        by_budget = budget_seconds(requests_left, self.plan)
        speed = self.items_per_second
        if speed is None:
            return by_budget if self.plan is not None and self.plan.requests else None
        return max(by_budget, items_left / speed)
