"""The small policies sync is built from: time-left estimates, retry spacing, versions."""

from __future__ import annotations

import random

import pytest

from contactdesk.core.models import Contact
from contactdesk.providers.flexacore_schema import FIELDS as FLEXACORE_FIELDS
from contactdesk.providers.textflow_schema import FIELDS as TEXTFLOW_FIELDS
from contactdesk.providers.textflow_schema import MARKETER, STARTER
from contactdesk.sync import Backoff, EtaEstimator, Phase, SyncProgress, VersionCheck
from contactdesk.sync.progress import budget_seconds


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_budget_matches_the_rate_limiters_arithmetic() -> None:
    # Starter: 100 a minute, a burst of 10 at once, then 90 a minute
    assert budget_seconds(10, STARTER) == 0.0
    assert budget_seconds(100, STARTER) == pytest.approx(60.0)
    assert budget_seconds(1000, STARTER) == pytest.approx(990 / 90 * 60)
    assert budget_seconds(1000, MARKETER) < budget_seconds(1000, STARTER)
    assert budget_seconds(1000, None) == 0.0


def test_eta_takes_the_slower_of_budget_and_observed_speed() -> None:
    ticks = Ticks()
    eta = EtaEstimator(STARTER, clock=ticks)
    # nothing observed yet: the plan's budget alone
    assert eta.eta(9000, 90) == pytest.approx(budget_seconds(90, STARTER))
    ticks.now = 10.0
    eta.observe(100)
    ticks.now = 20.0
    eta.observe(200)  # 10 contacts a second so far
    # 9,000 left at 10/s = 900 s, slower than the budget for 90 requests
    assert eta.eta(9000, 90) == pytest.approx(900.0)
    unpaced = EtaEstimator(None, clock=ticks)
    assert unpaced.eta(500, 5) is None  # no plan, no speed yet: unknown
    assert unpaced.eta(None, 5) is None
    assert unpaced.eta(0, 0) == 0.0


def test_progress_fraction() -> None:
    assert SyncProgress(Phase.CONTACTS, 50, 200, None).fraction == 0.25
    assert SyncProgress(Phase.CONTACTS, 50, None, None).fraction is None
    assert SyncProgress(Phase.DONE, 0, 0, 0.0).fraction == 1.0


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    backoff = Backoff(base=2.0, cap=60.0)
    rng = random.Random(1)
    for failures, step in ((1, 2.0), (2, 4.0), (3, 8.0), (6, 60.0), (20, 60.0)):
        waits = [backoff.delay(failures, rng) for _ in range(50)]
        assert all(step / 2 <= w <= step for w in waits)
        assert len(set(waits)) > 1  # jittered


def test_flexacore_versions_are_compared_on_phone_and_names() -> None:
    check = VersionCheck.for_fields(FLEXACORE_FIELDS)
    assert check.keys == ("phone", "first_name", "last_name")
    base = Contact(phone="+8801700000001", first_name="Rina", last_name=None, remote_id="a")
    # what the listing, the show and the update answers make of the same row
    shown = Contact(phone="+8801700000001", first_name="Rina ", last_name="", remote_id="a")
    updated = Contact(
        phone="+8801700000001",
        first_name="Rina",
        remote_id="a",
        updated_at="2026-01-01T00:00:00.000000Z",
        extra={"status": "subscribe"},
    )
    assert check.same_version(base, shown)
    assert check.same_version(updated, shown)
    assert not check.same_version(base, shown.with_changes(last_name="Das"))
    assert check.differing(base, shown.with_changes(phone="+8801700000002")) == ["phone"]


def test_textflow_versions_are_compared_on_the_stamp_then_the_values() -> None:
    check = VersionCheck.for_fields(TEXTFLOW_FIELDS)
    assert "opted_out" not in check.keys
    assert "updated_at" not in check.keys
    base = Contact(
        phone="+14155550100",
        first_name="Ann",
        tags=("vip", "customer"),
        updated_at="2026-01-01T00:00:00Z",
    )
    assert check.same_version(base, base.with_changes(tags=("customer", "vip")))
    # a new stamp: someone wrote; only a change to an editable field is a new version
    opted_out = base.with_changes(opted_out=True, updated_at="2026-01-01T00:00:05Z")
    assert check.same_version(base, opted_out)
    renamed = base.with_changes(first_name="Anne", updated_at="2026-01-01T00:00:05Z")
    assert not check.same_version(base, renamed)
    assert check.same_version(None, renamed)  # nothing to compare with
