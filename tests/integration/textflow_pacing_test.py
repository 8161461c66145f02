"""The TextFlow client stays within the plan's per-minute budget, with or without headers.

The client's limiter and the simulator's windows share one fake timeline (`LinkedClock`),
so a few hundred requests "take" minutes without any real waiting.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contactdesk.core.schema import RatePlan
from contactdesk.providers.textflow_schema import ENTERPRISE, MARKETER, STARTER
from contactdesk.sandbox.textflow_limits import ApiKeySpec
from tests.integration.textflow_support import TextFlowEnv, running_textflow

STARTER_KEY = "sk_test_starter_key_0000000000000001"
MARKETER_KEY = "sk_test_marketer_key_000000000000002"
CUSTOM_KEY = "sk_test_custom_key_00000000000000003"
KEYS = (
    ApiKeySpec.for_plan(STARTER_KEY, "Starter"),
    ApiKeySpec.for_plan(MARKETER_KEY, "Marketer"),
    ApiKeySpec(CUSTOM_KEY, plan="Enterprise", per_minute=50),
)


@pytest.fixture(scope="module")
def shared_env() -> Iterator[TextFlowEnv]:
    with running_textflow(keys=KEYS) as env:
        yield env


def _hammer(env: TextFlowEnv, key: str, plan: RatePlan, calls: int) -> None:
    client, _ = env.client(key, plan=plan)
    ids = [str(w["id"]) for w in env.sim.contacts()]
    for i in range(calls):
        client.get_contact(ids[i % len(ids)])


@pytest.mark.parametrize("headers", [True, False], ids=["with-headers", "without-headers"])
@pytest.mark.parametrize(
    ("key", "plan", "limit"),
    [(STARTER_KEY, STARTER, 100), (MARKETER_KEY, MARKETER, 300)],
    ids=["starter", "marketer"],
)
def test_the_plan_budget_is_never_exceeded(
    env: TextFlowEnv, key: str, plan: RatePlan, limit: int, headers: bool
) -> None:
    env.sim.configure(rate_limit_headers=headers)
    calls = limit * 5 // 2
    _hammer(env, key, plan, calls=calls)
    usage = env.sim.usage(key)
    assert usage.total == calls
    assert usage.rejected == 0
    assert usage.peak <= limit
    # and the budget is used, not wasted: two and a half budgets' worth fill four windows
    assert len(usage.per_window) <= 4


def test_enterprise_paces_itself_from_the_servers_headers(env: TextFlowEnv) -> None:
    _hammer(env, CUSTOM_KEY, ENTERPRISE, calls=150)
    usage = env.sim.usage(CUSTOM_KEY)
    assert usage.rejected == 0
    assert usage.peak <= 50


def test_without_plan_or_headers_429s_are_rare_and_recovered(env: TextFlowEnv) -> None:
    env.sim.configure(rate_limit_headers=False)
    _hammer(env, CUSTOM_KEY, ENTERPRISE, calls=150)
    usage = env.sim.usage(CUSTOM_KEY)
    assert usage.total - usage.rejected == 150  # every call succeeded in the end
    assert usage.rejected <= len(usage.per_window)  # at most one refusal per window


def test_the_wait_is_announced_so_the_ui_can_say_so(env: TextFlowEnv) -> None:
    client, _ = env.client(STARTER_KEY, plan=STARTER)
    heard: list[float] = []
    client.limiter.on_wait = heard.append
    for _ in range(15):
        client.list_contacts()
    assert heard
    assert all(wait > 0.5 for wait in heard)


def test_list_all_of_a_big_account_stays_in_budget() -> None:
    with running_textflow(count=2500, keys=KEYS) as env:
        client, clock = env.client(STARTER_KEY, plan=STARTER)
        for _ in range(5):
            assert len(client.list_all()) == 2500
        usage = env.sim.usage(STARTER_KEY)
    assert usage.total == 125
    assert usage.rejected == 0
    assert usage.peak <= 100
    assert clock.now < 2 * 60  # 125 pages in about 80 s of plan time, not more
