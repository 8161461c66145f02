"""Refresh (server -> store) over real HTTP: full mirror, change detection, resume, sweep."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from contactdesk.providers.textflow_schema import STARTER
from contactdesk.sandbox.server import FaultPlan
from contactdesk.sync import Phase, SyncProgress, budget_seconds
from tests.integration.sync.support import (
    Env,
    by_remote_id,
    flexacore_env,
    server_state,
    store_state,
    stored,
    textflow_env,
)


def test_full_mirror_equals_the_server(env: Env) -> None:
    sync = env.sync()
    events: list[SyncProgress] = []

    report = sync.refresh(progress=events.append)

    assert report.complete, report.errors
    assert not report.errors
    expected = server_state(env)
    assert store_state(sync.store, env.kind) == expected
    assert report.added == len(expected) == report.total
    assert (report.changed, report.deleted, report.unchanged) == (0, 0, 0)
    assert report.structure
    # progress: never backwards, ends at the total, and says which group it reads
    dones = [e.done for e in events]
    assert dones == sorted(dones)
    assert events[-1] == SyncProgress(Phase.DONE, len(expected), len(expected), 0.0, None)
    if env.kind == "flexacore":
        assert report.groups_changed
        assert [g.remote_id for g in sync.store.groups()] == env.sim.group_uids()
        assert events[0].phase is Phase.GROUPS
        named = {e.group_name for e in events if e.phase is Phase.CONTACTS}
        assert named == {env.sim.group(g).name for g in env.sim.group_uids()}
    status = sync.status()
    assert status.last_refresh_at is not None
    assert not status.refresh_interrupted


def test_second_refresh_changes_nothing(env: Env) -> None:
    sync = env.sync()
    sync.refresh()
    report = sync.refresh()
    assert report.complete
    total = len(server_state(env))
    assert (report.added, report.changed, report.deleted, report.unchanged) == (0, 0, 0, total)
    assert not report.structure
    assert not report.changed_ids


def test_refresh_detects_added_changed_and_deleted_contacts(env: Env) -> None:
    sync = env.sync()
    sync.refresh()
    sim = env.sim
    if env.kind == "flexacore":
        group = sim.group_uids()[1]
        victims = sim.contacts_in(group)
        sim.add_contact(group, "447700900123", "Nadia", "Okafor")
        sim.update_directly(victims[0].uid, first_name="Renamed")
        sim.delete_directly(victims[1].uid)
        changed_id, deleted_id = victims[0].uid, victims[1].uid
    else:
        ids = [c["id"] for c in sim.contacts()]
        sim.create_directly("+14155550123", first_name="Nadia", last_name="Okafor")
        sim.update_directly(ids[3], email="renamed@example.com")
        sim.delete_directly(ids[4])
        changed_id, deleted_id = str(ids[3]), str(ids[4])
    changed_local = by_remote_id(sync.store, changed_id).local_id

    report = sync.refresh()

    assert report.complete, report.errors
    assert (report.added, report.changed, report.deleted) == (1, 1, 1)
    assert report.changed_ids == {changed_local}
    assert report.structure
    assert sync.store.get_by_remote_id(deleted_id) is None
    assert store_state(sync.store, env.kind) == server_state(env)
    # the removed contact keeps a snapshot (Undo, "deleted on the server" history)
    assert any(s.contact.remote_id == deleted_id for s in sync.store.deleted_snapshots())


def _count_requests(env: Env) -> int:
    return env.server.injector.stats.requests


def test_cancel_mid_refresh_then_resume_reads_each_page_once(tmp_path: Path) -> None:
    # 1,000 TextFlow contacts: 10 pages of 100; read 4 pages ahead (the default, unpaced)
    with textflow_env(tmp_path, count=1000) as env:
        baseline = env.sync("baseline")
        before = _count_requests(env)
        assert baseline.refresh().complete
        full = _count_requests(env) - before  # every page once

        sync = env.sync("interrupted")
        cancel = threading.Event()

        def stop_after_first_batch(event: SyncProgress) -> None:
            if event.done >= 100:
                cancel.set()

        before = _count_requests(env)
        first = sync.refresh(progress=stop_after_first_batch, cancel=cancel)
        assert first.cancelled
        assert not first.complete
        assert 0 < first.pages < 10
        assert sync.status().refresh_interrupted
        second = sync.refresh()
        assert second.resumed
        assert second.complete, second.errors

        assert _count_requests(env) - before == full  # no page fetched twice
        assert first.pages + second.pages == 10
        assert first.added + second.added == 1000
        assert store_state(sync.store, "textflow") == server_state(env)


def test_flexacore_cancel_between_groups_then_resume(tmp_path: Path) -> None:
    with flexacore_env(tmp_path, preset="default") as env:
        # a real clock: each group's refresh begins a moment after the previous one
        sync = env.sync(prefetch=1, clock=time.time)
        cancel = threading.Event()
        seen: list[SyncProgress] = []

        def stop_in_the_big_group(event: SyncProgress) -> None:
            seen.append(event)
            if event.done >= 1500:
                cancel.set()

        before = _count_requests(env)
        first = sync.refresh(progress=stop_in_the_big_group, cancel=cancel)
        assert first.cancelled
        # the first page of every group was read first, so the total was known early
        known = [e.total for e in seen if e.total is not None]
        assert known[0] == len(server_state(env))
        second = sync.refresh()
        assert second.resumed
        assert second.complete, second.errors
        pages = 2 + 16 + 100  # 40, 400 and 2,500 contacts, 25 a page
        # every page once, plus the group list read by each of the two runs
        assert _count_requests(env) - before == pages + 2
        assert store_state(sync.store, "flexacore") == server_state(env)


def test_failed_refresh_never_sweeps_and_the_next_one_resumes(tmp_path: Path) -> None:
    with textflow_env(tmp_path, count=1000) as env:
        sync = env.sync(prefetch=1)
        assert sync.refresh().complete
        gone = str(env.sim.contacts()[-1]["id"])  # oldest contact: on the last page
        env.sim.delete_directly(int(gone))

        def fail_from_now_on(event: SyncProgress) -> None:
            if event.done >= 100:
                env.server.faults = FaultPlan(error_rate=1.0)

        failed = sync.refresh(progress=fail_from_now_on)
        assert failed.errors
        assert failed.error is not None
        assert failed.error.transient
        assert not failed.complete
        assert failed.deleted == 0
        assert sync.store.get_by_remote_id(gone) is not None  # not swept after a failure

        env.server.clear_faults()
        resumed = sync.refresh()
        assert resumed.resumed
        assert resumed.complete
        assert resumed.deleted == 1
        assert sync.store.get_by_remote_id(gone) is None
        assert store_state(sync.store, "textflow") == server_state(env)


def test_a_list_that_shifts_while_read_does_not_lose_contacts(tmp_path: Path) -> None:
    """A colleague deletes a contact on page 1 while we read page 2: the contact at the
    top of page 2 slides onto page 1 (already read) and is never listed to us. It is
    still on the server, so the sweep must not remove it."""
    with textflow_env(tmp_path, count=250) as env:
        sync = env.sync(prefetch=1)
        assert sync.refresh().complete
        newest_first = [str(c["id"]) for c in env.sim.contacts()]
        slides = newest_first[100]  # first of page 2: becomes last of page 1
        deleted = False

        def colleague_deletes(event: SyncProgress) -> None:
            nonlocal deleted
            if event.done >= 100 and not deleted:
                env.sim.delete_directly(int(newest_first[0]))
                deleted = True

        report = sync.refresh(progress=colleague_deletes)
        assert deleted
        assert report.complete, report.errors
        assert sync.store.get_by_remote_id(slides) is not None
        assert report.deleted == 0  # the deleted one was seen before it went
        # the next refresh sees the deletion; the mirror then equals the server
        again = sync.refresh()
        assert again.deleted == 1
        assert store_state(sync.store, "textflow") == server_state(env)


def test_group_deleted_on_the_server_goes_with_its_contacts(flexacore: Env) -> None:
    sync = flexacore.sync()
    sync.refresh()
    doomed = flexacore.sim.group_uids()[0]
    flexacore.sim.delete_group_directly(doomed)

    report = sync.refresh()

    assert report.complete
    assert report.groups_changed
    assert report.structure
    assert doomed not in {g.remote_id for g in sync.store.groups()}
    assert store_state(sync.store, "flexacore") == server_state(flexacore)


def test_time_left_follows_the_plans_budget(tmp_path: Path) -> None:
    """A Starter key may send 100 requests a minute: with 49 pages still to read, the
    estimate is never below what that budget allows, however fast the server is."""
    with textflow_env(tmp_path, count=5000) as env:
        sync = env.sync(plan=STARTER)
        events: list[SyncProgress] = []
        # the estimate only; pacing is the client's limiter (off in these tests)
        assert sync.refresh(progress=events.append).complete
        first_page = next(e for e in events if e.done == 100)
        assert first_page.total == 5000
        assert first_page.eta_seconds is not None
        assert first_page.eta_seconds >= budget_seconds(49, STARTER) > 20
        later = [e.eta_seconds for e in events if e.phase is Phase.CONTACTS and e.done > 100]
        assert all(eta is not None for eta in later)
        assert events[-1].eta_seconds == 0.0


def test_no_key_in_logs_reports_or_reprs(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    key = env.sim.token if env.kind == "flexacore" else env.sim.api_key
    caplog.set_level(logging.DEBUG)
    sync = env.sync()
    env.server.faults = FaultPlan(error_rate=0.5, reset_after_write=0.5, seed=4)
    reports: list[object] = [sync.refresh(), sync.refresh()]
    row = stored(sync.store)[0]
    sync.store.edits.update(row.local_id, row.contact.with_changes(first_name="Leak?"))
    reports.append(sync.push())
    env.server.clear_faults()
    reports += [sync.refresh(), sync.push()]

    secret = key.split("|")[-1]
    texts = [caplog.text, repr(sync), repr(sync.provider), repr(sync.status())]
    texts += [repr(r) for r in reports]
    texts += [str(e.error) for e in sync.store.outbox.open_entries()]
    assert caplog.text  # the run did log
    assert not any(secret in text for text in texts)
