"""API keys, plans and per-key rate limits of the TextFlow simulator, and its clock.

The doc gives per-minute limits per plan (Starter 100, Marketer 300, Enterprise custom).
[sim] Windows are fixed one-minute windows aligned to the minute; every request a valid,
API-enabled key makes counts, answered or refused. The clock is injectable so tests move
time forward instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

WINDOW_SECONDS = 60
PLAN_LIMITS: dict[str, int] = {"starter": 100, "marketer": 300}


class SimClock:
    """Epoch seconds for the simulator: wall-clock time (or a frozen start) plus an offset.

    ``advance`` moves time forward for rate-limit windows and for ``created_at`` /
    ``updated_at`` stamps alike; nothing ever moves it back.
    """

    def __init__(self, start: float | None = None) -> None:
        self._start = start
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        base = time.time() if self._start is None else self._start
        with self._lock:
            return base + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the simulator's clock only moves forward")
        with self._lock:
            self._offset += seconds


@dataclass(frozen=True, slots=True)
class ApiKeySpec:
    """One API key of the simulated account: its plan, limits and switches.

    ``per_minute=None`` means not rate limited (and no rate-limit headers). ``contact_limit``
    is the plan's contact cap, compared with the account's live contacts on create.
    ``active=False`` answers 401 "Invalid or inactive API key"; ``api_access=False`` answers
    403 "API access not enabled". The key text is kept out of ``repr`` on purpose.
    """

    key: str = field(repr=False)
    plan: str = "Marketer"
    per_minute: int | None = PLAN_LIMITS["marketer"]
    contact_limit: int | None = None
    api_access: bool = True
    active: bool = True

    @classmethod
    def for_plan(
        cls,
        key: str,
        plan: str,
        *,
        contact_limit: int | None = None,
        api_access: bool = True,
        active: bool = True,
    ) -> ApiKeySpec:
        """A key on "Starter" or "Marketer" with that plan's documented per-minute limit."""
        return cls(key, plan, PLAN_LIMITS[plan.lower()], contact_limit, api_access, active)

    @property
    def label(self) -> str:
        """A name safe to show and log: the prefix and the last four characters."""
        return f"{self.key[:8]}…{self.key[-4:]}"


@dataclass(slots=True)
class KeyUsage:
    """Requests one key made, per one-minute window (keyed by the window's start, epoch s).

    ``per_window`` counts every attempt, ``rejected_per_window`` the ones answered 429.
    A client that stayed within its plan has ``peak <= limit`` and ``rejected == 0``.
    """

    per_window: dict[int, int] = field(default_factory=dict)
    rejected_per_window: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.per_window.values())

    @property
    def rejected(self) -> int:
        return sum(self.rejected_per_window.values())

    @property
    def peak(self) -> int:
        return max(self.per_window.values(), default=0)

    def copy(self) -> KeyUsage:
        return KeyUsage(dict(self.per_window), dict(self.rejected_per_window))


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The limiter's answer for one request, with the header values it implies."""

    allowed: bool
    limit: int | None
    remaining: int
    reset: int  # epoch seconds when the current window ends
    retry_after: int  # whole seconds until then, at least 1

    def headers(self) -> dict[str, str]:
        if self.limit is None:
            return {}
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class RateLimiter:
    """Fixed one-minute windows per key; not locked itself (the simulator's lock covers it)."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.usage: dict[str, KeyUsage] = {}

    def hit(self, key: str, per_minute: int | None) -> RateDecision:
        now = self.clock.now()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        usage = self.usage.setdefault(key, KeyUsage())
        count = usage.per_window.get(window, 0) + 1
        usage.per_window[window] = count
        reset = window + WINDOW_SECONDS
        retry_after = max(1, math.ceil(reset - now))
        if per_minute is None:
            return RateDecision(True, None, 0, reset, retry_after)
        allowed = count <= per_minute
        if not allowed:
            usage.rejected_per_window[window] = usage.rejected_per_window.get(window, 0) + 1
        return RateDecision(allowed, per_minute, max(0, per_minute - count), reset, retry_after)

    def reset(self) -> None:
        self.usage.clear()
