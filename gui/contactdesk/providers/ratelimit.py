"""A per-account request budget shared by every thread that talks to that account.

Both platforms count requests per key (TextFlow: per minute, by plan). Staying under the
budget ourselves is cheaper than collecting 429s, and it is the only option when the
server sends no rate-limit headers at all (a switchable TextFlow behaviour, and
Flexacore 3.1.0 always). Server headers, when present, tighten our own estimate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from contactdesk.core.schema import RatePlan

log = logging.getLogger(__name__)

#: waits shorter than this are not worth telling the user about
NOTIFY_AFTER = 0.5

#: float slack when counting tokens, and the shortest wait worth sleeping for
_EPSILON = 1e-9
_MIN_WAIT = 0.001

#: X-RateLimit-Reset values above this are epoch seconds, below it seconds-from-now
_EPOCH_THRESHOLD = 1_000_000_000


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # requests gives a case-insensitive mapping, but callers may pass a plain dict
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, val in headers.items():
        if key.lower() == lower:
            return val
    return None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


class RateLimiter:
    """Thread-safe token bucket for one account's request budget.

    With a plan of N requests per T seconds the bucket holds at most ``burst`` tokens
    (a tenth of N, at least 1) and refills at ``(N - burst) / T`` per second, so no
    window of T seconds -- sliding or fixed -- ever sees more than N requests from us.
    A plan of ``None`` (or ``requests=None``) means no pacing of our own; 429 penalties
    and server headers still apply.

    ``on_wait`` is called (outside the lock, from the waiting thread) before any wait
    longer than half a second, with the number of seconds, so the UI can say
    "Waiting 20 s: plan limit".
    """

    def __init__(
        self,
        plan: RatePlan | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._wall_clock = wall_clock
        self.on_wait: Callable[[float], None] | None = None
        self._lock = threading.Lock()
        self._window = plan.per_seconds if plan is not None else 60.0
        self._capacity = 0.0
        self._rate = 0.0  # tokens per second; 0 with capacity 0 means "unpaced"
        self._configure(plan.requests if plan is not None else None)
        self._tokens = self._capacity
        self._stamp = clock()
        self._blocked_until = 0.0

    def _configure(self, requests: int | None) -> None:
        if requests is None or requests <= 0:
            self._capacity = 0.0
            self._rate = 0.0
            return
        burst = max(1, requests // 10)
        self._capacity = float(burst)
        # (N - burst) / T keeps burst + refill within N for any window of T seconds
        self._rate = max(requests - burst, 1) / self._window

    @property
    def paced(self) -> bool:
        """Whether we pace requests ourselves (a plan with a known budget)."""
        return self._rate > 0

    def _refill(self, now: float) -> None:
        if self._rate > 0:
            elapsed = max(0.0, now - self._stamp)
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._stamp = now

    def acquire(self) -> float:
        """Block until one request may go; return how many seconds we waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                self._refill(now)
                if now < self._blocked_until:
                    wait = self._blocked_until - now
                elif not self.paced:
                    return waited
                elif self._tokens >= 1.0 - _EPSILON:
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return waited
                else:
                    # never a zero-length wait: float rounding must not make us spin
                    wait = max((1.0 - self._tokens) / self._rate, _MIN_WAIT)
            if wait > NOTIFY_AFTER and self.on_wait is not None:
                self.on_wait(wait)
            log.debug("rate limit: waiting %.2f s", wait)
            self.sleep(wait)
            waited += wait

    def observe(self, headers: Mapping[str, str]) -> None:
        """Tighten our budget from ``X-RateLimit-*`` headers, when the server sends them."""
        limit = _number(_header(headers, "X-RateLimit-Limit"))
        remaining = _number(_header(headers, "X-RateLimit-Remaining"))
        reset = _number(_header(headers, "X-RateLimit-Reset"))
        if limit is None and remaining is None:
            return
        with self._lock:
            now = self.clock()
            self._refill(now)
            if limit is not None and limit >= 1:
                # the server knows the real plan (Enterprise "custom", or a changed plan)
                burst = max(1, int(limit) // 10)
                rate = max(int(limit) - burst, 1) / self._window
                if not self.paced or rate < self._rate:
                    self._capacity = float(burst)
                    self._rate = rate
                    self._tokens = min(self._tokens, self._capacity)
            if remaining is not None:
                # other programs may share the key: never plan on more than the server has left
                self._tokens = min(self._tokens, remaining)
                if remaining < 1 and reset is not None:
                    delay = self._reset_delay(reset)
                    self._blocked_until = max(self._blocked_until, now + delay)

    def _reset_delay(self, reset: float) -> float:
        delay = reset - self._wall_clock() if reset > _EPOCH_THRESHOLD else reset
        # a skewed server clock must not park us for longer than one window
        return min(max(delay, 0.0), self._window)

    def penalize(self, retry_after: float) -> None:
        """The server said "too many": send nothing for ``retry_after`` seconds."""
        with self._lock:
            now = self.clock()
            self._refill(now)
            self._tokens = 0.0
            self._blocked_until = max(self._blocked_until, now + max(retry_after, 0.0))

    def __repr__(self) -> str:
        per_minute = self._rate * 60 if self.paced else None
        return f"RateLimiter(refill_per_minute={per_minute!r}, burst={self._capacity:g})"
