"""The per-account request budget, on a fake clock (no real waiting)."""

from __future__ import annotations

import bisect

import pytest

from contactdesk.core.schema import RatePlan
from contactdesk.providers.ratelimit import RateLimiter


class FakeClock:
    """Monotonic time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 500.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _grant_times(limiter: RateLimiter, clock: FakeClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        limiter.acquire()
        times.append(clock.now)
    return times


def _busiest_window(times: list[float], window: float) -> int:
    return max(bisect.bisect_left(times, t + window) - i for i, t in enumerate(times))


@pytest.mark.parametrize("requests", [100, 300, 7])
def test_no_window_ever_exceeds_the_plan(requests: int) -> None:
    clock = FakeClock()
    limiter = RateLimiter(RatePlan("plan", requests), clock=clock, sleep=clock.sleep)
    times = _grant_times(limiter, clock, requests * 5)
    assert _busiest_window(times, 60.0) <= requests
    # and it is not needlessly slow: five budgets' worth take about five minutes, not ten
    assert times[-1] - times[0] < 5 * 60 * 1.15


def test_a_short_burst_goes_without_waiting() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RatePlan("Starter", 100), clock=clock, sleep=clock.sleep)
    waited = [limiter.acquire() for _ in range(10)]
    assert waited == [0.0] * 10
    assert limiter.acquire() > 0


def test_without_a_plan_nothing_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    _grant_times(limiter, clock, 1000)
    assert clock.sleeps == []


def test_on_wait_hears_about_long_waits_only() -> None:
    clock = FakeClock()
    heard: list[float] = []
    slow = RateLimiter(RatePlan("Starter", 100), clock=clock, sleep=clock.sleep)
    slow.on_wait = heard.append
    _grant_times(slow, clock, 20)
    assert len(heard) == 10  # the burst of 10 is free; each later wait is ~0.67 s
    assert all(w > 0.5 for w in heard)
    heard.clear()
    fast = RateLimiter(RatePlan("Marketer", 300), clock=clock, sleep=clock.sleep)
    fast.on_wait = heard.append
    _grant_times(fast, clock, 60)
    assert heard == []


def test_penalize_holds_every_request_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    start = clock.now
    limiter.penalize(20)
    assert limiter.acquire() == pytest.approx(20)
    assert clock.now - start == pytest.approx(20)
    assert limiter.acquire() == 0


def test_observed_remaining_zero_waits_for_the_reset() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        RatePlan("Starter", 100), clock=clock, sleep=clock.sleep, wall_clock=lambda: 1e9 + 5
    )
    limiter.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(1e9 + 17)})
    assert limiter.acquire() == pytest.approx(12)
    # a reset given as seconds-from-now works too
    limiter.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3"})
    assert limiter.acquire() == pytest.approx(3)


def test_a_lower_server_limit_slows_us_down() -> None:
    """Enterprise plans are custom: the server's X-RateLimit-Limit tells the real budget."""
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    limiter.observe({"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49"})
    times = _grant_times(limiter, clock, 200)
    assert _busiest_window(times, 60.0) <= 50


def test_remaining_below_our_estimate_is_respected() -> None:
    """Another program using the same key spent most of the budget."""
    clock = FakeClock()
    limiter = RateLimiter(RatePlan("Starter", 100), clock=clock, sleep=clock.sleep)
    limiter.observe({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "2"})
    assert [limiter.acquire() for _ in range(2)] == [0.0, 0.0]
    assert limiter.acquire() > 0


def test_garbage_headers_are_ignored() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    limiter.observe({"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "-3"})
    assert limiter.acquire() == 0
