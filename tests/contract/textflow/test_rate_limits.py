"""Per-key, per-plan rate limits in fixed one-minute windows, on an injected clock."""

from __future__ import annotations

import pytest

from contactdesk.sandbox.textflow_limits import ApiKeySpec, SimClock
from tests.contract.textflow.conftest import MakeTextFlow
from tests.contract.textflow.harness import WINDOW_START, TextFlowHarness

STARTER = "sk_test_starter_plan_key_00000000000001"
MARKETER = "sk_test_marketer_plan_key_0000000000002"
CUSTOM = "sk_test_enterprise_custom_key_000000003"
UNLIMITED = "sk_test_enterprise_unlimited_key_000004"
KEYS = (
    ApiKeySpec.for_plan(STARTER, "Starter"),
    ApiKeySpec.for_plan(MARKETER, "Marketer"),
    ApiKeySpec(CUSTOM, plan="Enterprise", per_minute=3),
    ApiKeySpec(UNLIMITED, plan="Enterprise", per_minute=None),
)
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After")


@pytest.fixture
def tf(make_textflow: MakeTextFlow) -> TextFlowHarness:
    return make_textflow(keys=KEYS)


def test_starter_allows_100_a_minute_then_429_with_retry_after(
    tf: TextFlowHarness, clock: SimClock
) -> None:
    reset = str(WINDOW_START + 60)
    for n in range(1, 101):
        response = tf.get(params={"limit": 1}, key=STARTER)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "100"
        assert response.headers["X-RateLimit-Remaining"] == str(100 - n)
        assert response.headers["X-RateLimit-Reset"] == reset
        assert "Retry-After" not in response.headers
    refused = tf.get(key=STARTER)
    assert refused.status_code == 429
    assert refused.json() == {
        "success": False,
        "error": "Rate limit exceeded",
        "code": "RATE_LIMIT_EXCEEDED",
    }
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Reset"] == reset
    assert refused.headers["Retry-After"] == "45"  # the clock stands 15 s into the window
    clock.advance(44)
    assert tf.get(key=STARTER).status_code == 429
    assert tf.get(key=STARTER).headers["Retry-After"] == "1"
    clock.advance(1)  # waiting out Retry-After is enough
    fresh = tf.get(key=STARTER)
    assert fresh.status_code == 200
    assert fresh.headers["X-RateLimit-Remaining"] == "99"
    assert fresh.headers["X-RateLimit-Reset"] == str(WINDOW_START + 120)


def test_marketer_and_custom_plans_carry_their_own_limit(tf: TextFlowHarness) -> None:
    assert tf.get(key=MARKETER).headers["X-RateLimit-Limit"] == "300"
    assert tf.get().headers["X-RateLimit-Limit"] == "300"  # the practice key: Marketer
    assert [tf.get(key=CUSTOM).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_refused_request_changes_nothing(tf: TextFlowHarness) -> None:
    for _ in range(3):
        tf.get(key=CUSTOM)
    response = tf.post(json={"phoneNumber": "5550104000"}, key=CUSTOM)
    assert response.status_code == 429
    assert all(c["phone_number"] != "+15550104000" for c in tf.sim.contacts())


def test_reads_and_writes_share_one_budget(tf: TextFlowHarness) -> None:
    contact = tf.sim.contacts()[0]
    statuses = [
        tf.post(json={"phoneNumber": "5550104001"}, key=CUSTOM).status_code,
        tf.put(f"/{contact['id']}", json={"firstName": "A"}, key=CUSTOM).status_code,
        tf.get(f"/{contact['id']}", key=CUSTOM).status_code,
        tf.delete(f"/{contact['id']}", key=CUSTOM).status_code,
    ]
    assert statuses == [201, 200, 200, 429]


def test_errors_count_against_the_budget_too(tf: TextFlowHarness) -> None:
    assert [tf.get("/999999", key=CUSTOM).status_code for _ in range(4)] == [404, 404, 404, 429]


def test_each_key_has_its_own_budget(tf: TextFlowHarness) -> None:
    for _ in range(4):
        tf.get(key=CUSTOM)
    assert tf.get(key=CUSTOM).status_code == 429
    other = tf.get(key=STARTER)
    assert (other.status_code, other.headers["X-RateLimit-Remaining"]) == (200, "99")


def test_windows_are_fixed_minutes_not_sliding(tf: TextFlowHarness, clock: SimClock) -> None:
    clock.advance(44)  # 59 s into the window
    assert [tf.get(key=CUSTOM).status_code for _ in range(3)] == [200, 200, 200]
    clock.advance(1)  # a new minute: the full budget again, one second later
    assert [tf.get(key=CUSTOM).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_unlimited_key_gets_no_headers_and_no_429(tf: TextFlowHarness) -> None:
    responses = [tf.get(params={"limit": 1}, key=UNLIMITED) for _ in range(350)]
    assert {r.status_code for r in responses} == {200}
    assert not any(h in responses[-1].headers for h in RATE_HEADERS)
    assert tf.sim.usage(UNLIMITED).total == 350


def test_no_headers_variant_still_refuses_but_says_nothing(make_textflow: MakeTextFlow) -> None:
    tf = make_textflow(keys=KEYS, rate_limit_headers=False)
    responses = [tf.get(key=CUSTOM) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    for response in responses:
        assert not any(h in response.headers for h in RATE_HEADERS)


def test_headers_can_be_switched_off_and_on_while_running(tf: TextFlowHarness) -> None:
    assert tf.admin("POST", "settings", json={"rate_limit_headers": False}).status_code == 200
    assert "X-RateLimit-Limit" not in tf.get().headers
    tf.sim.configure(rate_limit_headers=True)
    assert tf.get().headers["X-RateLimit-Limit"] == "300"


def test_the_admin_hook_advances_the_clock(tf: TextFlowHarness, clock: SimClock) -> None:
    for _ in range(4):
        tf.get(key=CUSTOM)
    state = tf.admin("POST", "clock", json={"advance": 60}).json()
    assert state["clock"] == clock.now() == WINDOW_START + 75
    assert tf.get(key=CUSTOM).status_code == 200
    assert tf.admin("POST", "clock", json={"advance": -5}).status_code == 400


def test_usage_counts_requests_per_key_and_window(tf: TextFlowHarness, clock: SimClock) -> None:
    for _ in range(5):
        tf.get(key=CUSTOM)
    clock.advance(60)
    for _ in range(2):
        tf.get(key=CUSTOM)
    usage = tf.sim.usage(CUSTOM)
    assert usage.per_window == {WINDOW_START: 5, WINDOW_START + 60: 2}
    assert usage.rejected_per_window == {WINDOW_START: 2}
    assert (usage.total, usage.rejected, usage.peak) == (7, 2, 5)
    # a client that stayed within its plan: peak within the limit and nothing refused
    tf.get(key=STARTER)
    assert tf.sim.usage(STARTER).peak <= 100
    assert tf.sim.usage(STARTER).rejected == 0
    assert tf.sim.usage().total == 0  # the practice key was not used
