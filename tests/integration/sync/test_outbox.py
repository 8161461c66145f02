"""Outbox replay (store -> server) over real HTTP: sending, retries, refusals, lost answers."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from contactdesk.core.models import Contact
from contactdesk.providers.flexacore import FlexacoreClient
from contactdesk.providers.textflow import TextFlowClient
from contactdesk.sandbox.server import FaultPlan
from contactdesk.store import ContactState, OutboxState, Store
from contactdesk.sync import AccountSync
from tests.integration.sync.support import (
    QUICK,
    TIMEOUT,
    Env,
    assert_mirrors,
    by_remote_id,
    fast_limiter,
    open_states,
    server_state,
    store_state,
    stored,
)

SECRET_MARKERS = ("sk_test_", "Bearer", "49|")


def _new_contact(env: Env, sync: AccountSync) -> Contact:
    if env.kind == "flexacore":
        group = sync.store.groups()[1].remote_id
        return Contact(
            phone="+447700900123", first_name="Nadia", last_name="Okafor", group_id=group
        )
    return Contact(
        phone="+14155550123", first_name="Nadia", last_name="Okafor", email="nadia@example.com"
    )


def _server_phones(env: Env) -> list[object]:
    column = 1 if env.kind == "flexacore" else 0
    return [row[column] for row in server_state(env).values()]


def _loaded(env: Env, **kwargs: object) -> AccountSync:
    sync = env.sync(**kwargs)  # type: ignore[arg-type]
    assert sync.refresh().complete
    return sync


def _some_contact(sync: AccountSync, index: int = 2) -> tuple[int, Contact]:
    row = stored(sync.store)[index]
    return row.local_id, row.contact


def _last_name_on_server(env: Env, remote_id: str | None) -> object:
    assert remote_id is not None
    return server_state(env)[remote_id][3 if env.kind == "flexacore" else 2]


def test_edits_go_pending_then_sent_then_synced(env: Env) -> None:
    heard: list[tuple[int, OutboxState]] = []
    sync = _loaded(env, on_entry_state=lambda i, s: heard.append((i, s)))
    store = sync.store
    created = store.edits.create(_new_contact(env, sync))
    edited_id, original = _some_contact(sync, 2)
    store.edits.update(edited_id, replace(original, first_name="Changed"))
    doomed_id, doomed = _some_contact(sync, 5)
    store.edits.delete(doomed_id)
    assert store.get(created.local_id) is not None
    assert store.get(created.local_id).state is ContactState.PENDING  # type: ignore[union-attr]
    assert open_states(store) == [OutboxState.PENDING] * 3

    report = sync.push()

    assert (report.sent, report.rejected, report.conflicts, report.retrying) == (3, 0, 0, 0)
    assert report.idle
    assert open_states(store) == []
    assert {s for _, s in heard} == {OutboxState.IN_FLIGHT, OutboxState.DONE}
    assert {i for i, _ in heard} == {created.local_id, edited_id, doomed_id}
    assert report.changed_ids == {created.local_id, edited_id, doomed_id}
    row = store.get(created.local_id)
    assert row is not None
    assert row.state is ContactState.SYNCED
    assert row.contact.remote_id is not None
    assert store.get(doomed_id) is None
    assert doomed.remote_id not in server_state(env)
    # a fresh refresh finds nothing to add or remove (TextFlow's create answer has no
    # opt-out flag: the refresh fills it in), and then the mirror equals the server
    again = sync.refresh()
    assert (again.added, again.deleted) == (0, 0)
    assert_mirrors(store, env)


@pytest.mark.parametrize("fault", ["error", "reset"])
def test_offline_keeps_the_edit_with_a_retry_time_then_recovers(env: Env, fault: str) -> None:
    sync = _loaded(env)
    store = sync.store
    local_id, original = _some_contact(sync)
    store.edits.update(local_id, replace(original, last_name="Offline"))
    env.server.faults = (
        FaultPlan(error_rate=1.0) if fault == "error" else FaultPlan(reset_before_write=1.0)
    )

    report = sync.push()

    assert report.sent == 0
    assert report.retrying == 1
    assert report.offline == (fault == "reset")  # a 5xx alone does not mean "offline"
    assert not report.idle
    [entry] = store.outbox.open_entries()
    assert entry.state in (OutboxState.PENDING, OutboxState.UNCERTAIN)
    assert entry.next_attempt_at is not None
    assert entry.next_attempt_at.timestamp() > env.clock()
    assert entry.error
    assert not any(marker in entry.error for marker in SECRET_MARKERS)
    row = store.get(local_id)
    assert row is not None
    assert row.contact.last_name == "Offline"  # kept here
    assert sync.status().next_attempt_at == entry.next_attempt_at
    # not due yet: a pass sends nothing (and makes no request)
    env.server.clear_faults()
    assert sync.push().attempted == 0

    env.clock.advance(entry.next_attempt_at.timestamp() - env.clock() + 0.001)
    recovered = sync.push()

    assert recovered.sent == 1
    assert open_states(store) == []
    assert _last_name_on_server(env, original.remote_id) == "Offline"
    assert_mirrors(store, env)


def test_backoff_grows_between_failures(env: Env) -> None:
    sync = _loaded(env)
    local_id, original = _some_contact(sync)
    sync.store.edits.update(local_id, replace(original, last_name="Later"))
    env.server.faults = FaultPlan(error_rate=1.0)
    waits = []
    for _ in range(4):
        sync.push()
        [entry] = sync.store.outbox.open_entries()
        assert entry.next_attempt_at is not None
        wait = entry.next_attempt_at.timestamp() - env.clock()
        waits.append(wait)
        env.clock.advance(wait + 0.001)
    # equal jitter: step n waits between 2**(n-1) and 2**n seconds (base 2 s)
    for n, wait in enumerate(waits, start=1):
        assert 2.0 ** (n - 1) <= wait <= 2.0**n
    assert sync.store.outbox.open_entries()[0].attempts == 4


def test_replay_until_idle_waits_for_retries_and_drains(env: Env) -> None:
    # the store's clock is the wall clock here: replay_until_idle really waits (briefly)
    sync = env.sync("real-time", clock=time.time, backoff=QUICK)
    assert sync.refresh().complete
    local_id, original = _some_contact(sync)
    sync.store.edits.update(local_id, replace(original, first_name="Eventually"))
    sync.store.edits.create(_new_contact(env, sync))
    env.server.faults = FaultPlan(error_rate=1.0, limit=6)

    report = sync.push(max_seconds=30)

    assert report.idle
    assert report.sent == 2
    assert report.retrying >= 0
    assert open_states(sync.store) == []
    assert_mirrors(sync.store, env)


def test_textflow_refusals_become_rejected_with_plain_words(textflow: Env) -> None:
    sync = _loaded(textflow)
    store = sync.store
    bad_email = store.edits.create(
        Contact(phone="+14155550124", first_name="Bad", email="not-an-address")
    )
    taken_phone = textflow.sim.contacts()[0]["phone_number"]
    duplicate = store.edits.create(Contact(phone=taken_phone, first_name="Twin"))

    report = sync.push()

    assert report.rejected == 2
    assert report.sent == 0
    entries = {e.local_id: e for e in store.outbox.open_entries()}
    assert entries[bad_email.local_id].state is OutboxState.REJECTED
    assert "email" in (entries[bad_email.local_id].error or "").lower()
    assert (
        entries[duplicate.local_id].error
        == "A contact with this phone number already exists on TextFlow."
    )
    for entry in entries.values():
        assert entry.error is not None
        assert "{" not in entry.error
        assert not any(marker in entry.error for marker in SECRET_MARKERS)
    row = store.get(bad_email.local_id)
    assert row is not None
    assert row.state is ContactState.REJECTED
    assert row.error == entries[bad_email.local_id].error
    # the user fixes it and retries: it goes
    store.edits.update(bad_email.local_id, replace(row.contact, email="bad@example.com"))
    assert sync.push().sent == 1
    assert sync.status().rejected == 1  # the duplicate still waits for the user


def test_flexacore_refusal_becomes_rejected(flexacore: Env) -> None:
    sync = _loaded(flexacore)
    group = sync.store.groups()[0].remote_id
    created = sync.store.edits.create(
        Contact(phone="+447700900125", first_name="x" * 300, group_id=group)
    )

    report = sync.push()

    assert report.rejected == 1
    [entry] = sync.store.outbox.open_entries()
    assert entry.local_id == created.local_id
    assert entry.state is OutboxState.REJECTED
    assert entry.error
    assert "{" not in entry.error
    assert "+447700900125" not in _server_phones(flexacore)


def test_refused_key_blocks_the_outbox_without_rejecting_anything(env: Env) -> None:
    sync = _loaded(env)
    local_id, original = _some_contact(sync)
    sync.store.edits.update(local_id, replace(original, first_name="Blocked"))
    wrong_key: FlexacoreClient | TextFlowClient
    if env.kind == "flexacore":
        wrong_key = FlexacoreClient(
            env.server.root_url + "/api/v3",
            "49|" + "x" * 40,
            limiter=fast_limiter(),
            timeout=TIMEOUT,
        )
    else:
        wrong_key = TextFlowClient(
            env.server.root_url + "/api",
            "sk_test_" + "x" * 32,
            limiter=fast_limiter(),
            timeout=TIMEOUT,
        )
    blocked = AccountSync(wrong_key, sync.store, clock=env.clock)
    report = blocked.push()
    wrong_key.close()

    assert report.blocked is not None
    assert report.error is report.blocked
    assert report.rejected == 0
    [entry] = sync.store.outbox.open_entries()
    assert entry.state is OutboxState.PENDING
    assert entry.error == report.blocked.message
    assert "x" * 32 not in entry.error
    # with the right key again, Retry sends it at once
    assert sync.retry_all() == 1
    assert sync.push().sent == 1


def test_reset_after_write_on_create_makes_exactly_one_contact(env: Env) -> None:
    sync = _loaded(env)
    new = _new_contact(env, sync)
    sync.store.edits.create(new)
    env.server.faults = FaultPlan(reset_after_write=1.0, limit=1)

    report = sync.push()

    assert env.server.injector.stats.by_kind == {"reset_after_write": 1}
    assert report.sent == 1
    assert _server_phones(env).count(new.phone) == 1
    assert_mirrors(sync.store, env)


def _crash_while_in_flight(env: Env, sync: AccountSync) -> Store:
    """The app stops right after sending: the entry stays in flight in the file, and the
    next run opens the store anew (which marks such entries uncertain)."""
    [entry] = sync.store.outbox.next_entries()
    sync.store.outbox.mark_in_flight(entry)
    path = sync.store.path
    sync.close()
    reopened = Store.open(path, clock=env.clock)
    assert [e.state for e in reopened.recovered] == [OutboxState.UNCERTAIN]
    return reopened


def test_create_applied_before_a_crash_is_adopted_not_duplicated(env: Env) -> None:
    sync = _loaded(env)
    new = _new_contact(env, sync)
    created = sync.store.edits.create(new)
    store = _crash_while_in_flight(env, sync)
    # the request had reached the server before the app stopped
    if env.kind == "flexacore":
        env.sim.add_contact(new.group_id, "447700900123", new.first_name, new.last_name)
    else:
        env.sim.create_directly(
            new.phone, first_name=new.first_name, last_name=new.last_name, email=new.email
        )
    restarted = AccountSync(env.provider, store, clock=env.clock)

    report = restarted.push()

    assert (report.sent, report.reconciled) == (1, 1)
    assert _server_phones(env).count(new.phone) == 1
    row = store.get(created.local_id)
    assert row is not None
    assert row.state is ContactState.SYNCED
    assert_mirrors(store, env)
    store.close()


def test_create_not_applied_before_a_crash_is_sent_once(env: Env) -> None:
    sync = _loaded(env)
    new = _new_contact(env, sync)
    sync.store.edits.create(new)
    store = _crash_while_in_flight(env, sync)
    restarted = AccountSync(env.provider, store, clock=env.clock)

    report = restarted.push()

    assert (report.sent, report.reconciled) == (1, 0)
    assert _server_phones(env).count(new.phone) == 1
    store.close()


@pytest.mark.parametrize("landed", [True, False])
def test_update_and_delete_in_flight_at_a_crash_are_checked_again(env: Env, landed: bool) -> None:
    sync = _loaded(env)
    local_id, original = _some_contact(sync, 1)
    wanted = replace(original, first_name="AfterCrash")
    sync.store.edits.update(local_id, wanted)
    store = _crash_while_in_flight(env, sync)
    assert original.remote_id is not None
    if landed:
        if env.kind == "flexacore":
            env.sim.update_directly(original.remote_id, first_name="AfterCrash")
        else:
            env.sim.update_directly(int(original.remote_id), first_name="AfterCrash")
    restarted = AccountSync(env.provider, store, clock=env.clock)
    report = restarted.push()
    assert report.sent == 1
    assert report.conflicts == 0
    assert_mirrors(store, env)
    assert store_state(store, env.kind)[original.remote_id] is not None

    # and a delete
    doomed_id, doomed = _some_contact(restarted, 3)
    store.edits.delete(doomed_id)
    [entry] = store.outbox.next_entries()
    store.outbox.mark_in_flight(entry)
    path = store.path
    store.close()
    if landed:
        assert doomed.remote_id is not None
        if env.kind == "flexacore":
            env.sim.delete_directly(doomed.remote_id)
        else:
            env.sim.delete_directly(int(doomed.remote_id))
    store = Store.open(path, clock=env.clock)
    report = AccountSync(env.provider, store, clock=env.clock).push()
    assert report.sent == 1
    assert doomed.remote_id not in server_state(env)
    assert store.get(doomed_id) is None
    store.close()


def test_status_counts_what_waits_and_what_needs_the_user(textflow: Env) -> None:
    sync = _loaded(textflow)
    local_id, original = _some_contact(sync)
    sync.store.edits.update(local_id, replace(original, first_name="Waiting"))
    sync.store.edits.create(Contact(phone="+14155550126", email="nope"))
    status = sync.status()
    assert (status.pending, status.rejected, status.conflict) == (2, 0, 0)
    assert status.waiting == 2
    sync.push()
    status = sync.status()
    assert (status.pending, status.rejected, status.needs_attention) == (0, 1, 1)
    assert status.last_push_at is not None
    assert by_remote_id(sync.store, original.remote_id or "").contact.first_name == "Waiting"


def test_edits_made_offline_go_out_in_order_once_online(env: Env) -> None:
    """Create, then rename, then delete another, all while the server fails: nothing is
    lost or reordered (the rename waits for the create's id), nothing is sent twice."""
    sync = _loaded(env)
    store = sync.store
    env.server.faults = FaultPlan(error_rate=1.0)
    new = _new_contact(env, sync)
    created = store.edits.create(new)
    sync.push()  # the create fails: may it have been applied? (5xx) -> checked later
    renamed = replace(created.contact, first_name="Renamed")
    store.edits.update(created.local_id, renamed)
    doomed_id, doomed = _some_contact(sync, 6)
    store.edits.delete(doomed_id)
    sync.push()
    assert len(store.outbox.open_entries()) == 3

    env.server.clear_faults()
    sync.retry_all()
    report = sync.push()

    assert report.sent == 3
    assert open_states(store) == []
    phones = _server_phones(env)
    assert phones.count(new.phone) == 1
    assert doomed.phone not in phones
    row = store.get(created.local_id)
    assert row is not None
    assert row.contact.first_name == "Renamed"
    assert_mirrors(store, env)


def test_a_refresh_keeps_edits_that_wait_to_be_sent(env: Env) -> None:
    sync = _loaded(env)
    local_id, original = _some_contact(sync)
    sync.store.edits.update(local_id, replace(original, last_name="Waiting"))
    assert original.remote_id is not None
    if env.kind == "flexacore":
        env.sim.update_directly(original.remote_id, first_name="Colleague")
    else:
        env.sim.update_directly(int(original.remote_id), first_name="Colleague")

    report = sync.refresh()

    assert report.complete
    assert local_id in report.changed_ids  # its server copy moved
    row = sync.store.get(local_id)
    assert row is not None
    assert row.contact.last_name == "Waiting"  # my edit is kept
    assert row.state is ContactState.PENDING
    assert sync.push().conflicts == 1  # and it is not sent over the colleague's change
