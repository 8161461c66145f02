"""Local edits and the outbox: committed first, sent in order, every outcome handled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contactdesk.core.models import Contact
from contactdesk.store import (
    ContactBusy,
    ContactQuery,
    ContactState,
    EntryStateError,
    Origin,
    OutboxOp,
    OutboxState,
    PendingCounts,
    Resolution,
    Store,
    StoreReader,
)
from tests.integration.store.conftest import FakeClock
from tests.integration.store.factories import names, server_contact


@pytest.fixture
def synced(store: Store) -> Store:
    store.mirror.merge_page([server_contact(n) for n in range(3)])
    return store


def _local_id(store: StoreReader, remote_id: str) -> int:
    found = store.get_by_remote_id(remote_id)
    assert found is not None
    return found.local_id


def _at(clock: FakeClock, seconds: float) -> datetime:
    return datetime.fromtimestamp(clock.now + seconds, tz=UTC)


def test_an_edit_changes_the_row_and_queues_the_entry_together(
    synced: Store, reader: StoreReader
) -> None:
    lid = _local_id(synced, "r1")
    edited = synced.edits.update(lid, server_contact(1, first_name="Edited"))
    assert edited.state is ContactState.PENDING
    assert edited.pending_op is OutboxOp.UPDATE
    # another connection sees both at once
    assert reader.get(lid).contact.first_name == "Edited"  # type: ignore[union-attr]
    [entry] = reader.open_entries()
    assert (entry.op, entry.state, entry.local_id) == (OutboxOp.UPDATE, OutboxState.PENDING, lid)
    assert entry.payload.first_name == "Edited"
    assert entry.base == server_contact(1)
    assert reader.pending_counts() == PendingCounts(pending=1)


def test_an_edit_that_fails_to_commit_leaves_no_trace(synced: Store) -> None:
    lid = _local_id(synced, "r1")
    with pytest.raises(TypeError):
        synced.edits.update(lid, server_contact(1, custom_fields={"x": 1}))
    assert synced.get(lid).state is ContactState.SYNCED  # type: ignore[union-attr]
    assert synced.outbox.open_entries() == []


def test_a_create_has_no_remote_id_until_completed_and_later_edits_follow_it(
    store: Store,
) -> None:
    new = store.edits.create(Contact(phone="+15550001000", first_name="New", remote_id="junk"))
    assert new.contact.remote_id is None
    assert new.pending_op is OutboxOp.CREATE
    [create] = store.outbox.next_entries()
    create = store.outbox.mark_in_flight(create)
    # edited again while the create is on its way: queued behind it
    store.edits.update(new.local_id, new.contact.with_changes(first_name="Newer"))
    assert [e.op for e in store.outbox.next_entries()] == []  # blocked by the create

    answer = Contact(
        phone="+15550001000", first_name="New", remote_id="srv-9", uuid="u-9",
        updated_at="2026-05-05T00:00:00Z",
    )  # fmt: skip
    store.outbox.complete(create, answer)
    row = store.get(new.local_id)
    assert row is not None
    assert row.contact.remote_id == "srv-9"
    assert row.contact.first_name == "Newer"  # the later edit still shows
    assert row.state is ContactState.PENDING
    [update] = store.outbox.next_entries()
    assert update.op is OutboxOp.UPDATE
    assert update.payload.remote_id == "srv-9"  # the id the create obtained
    assert update.base == answer  # rebased on our own create's answer
    assert not update.server_changed
    store.outbox.complete(
        store.outbox.mark_in_flight(update), answer.with_changes(first_name="Newer")
    )
    row = store.get(new.local_id)
    assert row is not None
    assert row.state is ContactState.SYNCED
    assert [h.origin for h in store.history(local_id=new.local_id)] == [Origin.LOCAL] * 2


def test_entries_of_one_contact_go_out_in_order_others_in_parallel(synced: Store) -> None:
    a, b = _local_id(synced, "r0"), _local_id(synced, "r1")
    synced.edits.update(a, server_contact(0, first_name="A1"))
    synced.edits.update(b, server_contact(1, first_name="B1"))
    first = synced.outbox.mark_in_flight(synced.outbox.next_entries()[0])
    synced.edits.update(a, server_contact(0, first_name="A2"))  # first is in flight
    synced.edits.delete(b)
    due = synced.outbox.next_entries()
    assert [(e.local_id, e.op) for e in due] == [(b, OutboxOp.UPDATE)]
    synced.outbox.complete(first, server_contact(0, first_name="A1"))
    due = synced.outbox.next_entries()
    assert [(e.local_id, e.op, e.payload.first_name) for e in due] == [
        (b, OutboxOp.UPDATE, "B1"),
        (a, OutboxOp.UPDATE, "A2"),
    ]


def test_waiting_edits_of_a_contact_are_folded_into_one_request(synced: Store) -> None:
    lid = _local_id(synced, "r0")
    for name in ("One", "Two", "Three"):
        synced.edits.update(lid, server_contact(0, first_name=name))
    [entry] = synced.outbox.open_entries()
    assert entry.payload.first_name == "Three"
    assert entry.base == server_contact(0)
    new = synced.edits.create(Contact(phone="+15550002000", first_name="X"))
    synced.edits.update(new.local_id, new.contact.with_changes(first_name="Y"))
    creates = [e for e in synced.outbox.open_entries() if e.op is OutboxOp.CREATE]
    assert [e.payload.first_name for e in creates] == ["Y"]
    assert len(synced.outbox.open_entries()) == 2


def test_saving_unchanged_values_queues_nothing(synced: Store) -> None:
    lid = _local_id(synced, "r0")
    synced.edits.update(lid, server_contact(0))
    assert synced.outbox.open_entries() == []
    assert synced.get(lid).state is ContactState.SYNCED  # type: ignore[union-attr]


def test_transient_failures_wait_until_their_retry_time(synced: Store, clock: FakeClock) -> None:
    lid = _local_id(synced, "r0")
    synced.edits.update(lid, server_contact(0, first_name="X"))
    entry = synced.outbox.mark_in_flight(synced.outbox.next_entries()[0])
    waiting = synced.outbox.fail_transient(entry, "No connection. Will retry.", _at(clock, 30))
    assert waiting.state is OutboxState.PENDING
    assert waiting.attempts == 1
    assert synced.get(lid).error == "No connection. Will retry."  # type: ignore[union-attr]
    assert synced.outbox.next_entries() == []
    assert synced.outbox.next_due_at() == _at(clock, 30)
    clock.advance(31)
    assert [e.id for e in synced.outbox.next_entries()] == [entry.id]
    # Retry now skips the wait
    synced.outbox.fail_transient(synced.outbox.mark_in_flight(entry), "again", _at(clock, 600))
    synced.outbox.retry(entry)
    assert [e.id for e in synced.outbox.next_entries()] == [entry.id]


def test_a_request_that_may_have_been_applied_comes_back_uncertain(
    synced: Store, clock: FakeClock
) -> None:
    synced.edits.create(Contact(phone="+15550003000"))
    entry = synced.outbox.mark_in_flight(synced.outbox.next_entries()[0])
    back = synced.outbox.fail_transient(entry, "Connection dropped.", _at(clock, 0), uncertain=True)
    assert back.uncertain
    [again] = synced.outbox.next_entries()
    assert again.uncertain  # sync must look before resending
    # a check that fails before reaching the server leaves it uncertain
    assert synced.outbox.fail_transient(again, "still offline", _at(clock, 0)).uncertain
    assert synced.pending_counts() == PendingCounts(uncertain=1)
    # once in flight again, the caller says what the new failure means
    again = synced.outbox.mark_in_flight(again)
    back = synced.outbox.fail_transient(again, "dropped again", _at(clock, 0), uncertain=True)
    assert back.uncertain
    again = synced.outbox.mark_in_flight(back)
    assert not synced.outbox.fail_transient(again, "503 before it ran", _at(clock, 0)).uncertain


def test_in_flight_entries_become_uncertain_when_the_store_reopens(
    store_path: Path, clock: FakeClock
) -> None:
    with Store.open(store_path, clock=clock) as store:
        store.mirror.merge_page([server_contact(1)])
        store.edits.update(_local_id(store, "r1"), server_contact(1, first_name="X"))
        entry = store.outbox.mark_in_flight(store.outbox.next_entries()[0])
        assert store.pending_counts() == PendingCounts(in_flight=1)
        # the app dies here, request sent, answer never recorded
    with StoreReader.open(store_path) as reader:
        assert reader.pending_counts() == PendingCounts(in_flight=1)  # a reader changes nothing
    with Store.open(store_path, clock=clock) as store:
        assert [e.id for e in store.recovered] == [entry.id]
        [again] = store.outbox.next_entries()
        assert again.id == entry.id
        assert again.uncertain
        assert again.attempts == 1
        assert "check with the server" in (again.error or "")


def test_a_rejected_edit_waits_for_the_user_and_blocks_later_ones(synced: Store) -> None:
    lid = _local_id(synced, "r0")
    synced.edits.update(lid, server_contact(0, phone="+1"))
    entry = synced.outbox.mark_in_flight(synced.outbox.next_entries()[0])
    synced.outbox.reject(entry, "The phone number is not valid.")
    row = synced.get(lid)
    assert row is not None
    assert (row.state, row.error) == (ContactState.REJECTED, "The phone number is not valid.")
    assert synced.outbox.next_entries() == []
    assert synced.pending_counts().needs_attention == 1
    # fixing the value in the editor re-queues the same entry
    synced.edits.update(lid, server_contact(0, phone="+15550000099"))
    [fixed] = synced.outbox.next_entries()
    assert (fixed.id, fixed.state, fixed.error) == (entry.id, OutboxState.PENDING, None)
    assert fixed.payload.phone == "+15550000099"


def test_retry_after_a_rejection_sends_the_same_change_again(synced: Store) -> None:
    synced.edits.update(_local_id(synced, "r0"), server_contact(0, first_name="X"))
    entry = synced.outbox.mark_in_flight(synced.outbox.next_entries()[0])
    synced.outbox.reject(entry, "Contact limit reached.")
    synced.outbox.retry(entry)
    [again] = synced.outbox.next_entries()
    assert (again.id, again.payload.first_name, again.error) == (entry.id, "X", None)


def test_discard_restores_the_last_known_server_version(synced: Store) -> None:
    lid = _local_id(synced, "r0")
    synced.edits.update(lid, server_contact(0, first_name="Mine", tags=("x",)))
    theirs = server_contact(0, last_name="Theirs", updated_at="2026-09-09T00:00:00Z")
    synced.mirror.merge_page([theirs])  # arrives meanwhile
    [entry] = synced.outbox.open_entries()
    synced.outbox.discard(entry)
    row = synced.get(lid)
    assert row is not None
    assert (row.contact, row.state) == (theirs, ContactState.SYNCED)
    assert synced.outbox.open_entries() == []
    assert synced.tags() == []
    assert names(synced, "mine") == []
    # the row is plain synced again: a later server copy replaces it
    synced.mirror.merge_page([theirs.with_changes(first_name="Later")])
    assert synced.get(lid).contact.first_name == "Later"  # type: ignore[union-attr]


def test_discarding_a_create_removes_the_new_contact(store: Store) -> None:
    new = store.edits.create(Contact(phone="+15550004000", first_name="Gone"))
    store.edits.update(new.local_id, new.contact.with_changes(last_name="Soon"))
    [entry] = store.outbox.open_entries()
    store.outbox.discard(entry)
    assert store.get(new.local_id) is None
    assert store.outbox.open_entries() == []
    assert store.count(ContactQuery(text="gone")) == 0


def test_an_in_flight_entry_cannot_be_discarded_or_completed_twice(synced: Store) -> None:
    synced.edits.update(_local_id(synced, "r0"), server_contact(0, first_name="X"))
    entry = synced.outbox.mark_in_flight(synced.outbox.next_entries()[0])
    with pytest.raises(EntryStateError):
        synced.outbox.discard(entry)
    synced.outbox.complete(entry, server_contact(0, first_name="X"))
    with pytest.raises(EntryStateError) as err:
        synced.outbox.complete(entry, server_contact(0, first_name="X"))
    assert "moved on" in err.value.message
    with pytest.raises(EntryStateError):
        synced.outbox.mark_in_flight(entry)
    with pytest.raises(EntryStateError):
        synced.outbox.entry(99999)


def test_complete_needs_the_server_copy_for_a_create_or_update(synced: Store) -> None:
    synced.edits.update(_local_id(synced, "r0"), server_contact(0, first_name="X"))
    entry = synced.outbox.mark_in_flight(synced.outbox.next_entries()[0])
    with pytest.raises(ValueError, match="server copy"):
        synced.outbox.complete(entry, None)
    assert synced.outbox.entry(entry).state is OutboxState.IN_FLIGHT  # nothing half-done


def _conflict(store: Store, server: Contact | None) -> tuple[int, int]:
    lid = _local_id(store, "r0")
    store.edits.update(lid, server_contact(0, first_name="Mine"))
    entry = store.outbox.mark_in_flight(store.outbox.next_entries()[0])
    store.outbox.conflict(entry, server)
    return lid, entry.id


THEIRS = server_contact(0, last_name="Theirs", updated_at="2026-07-07T00:00:00Z")


def test_a_conflict_keeps_both_versions_for_the_user(synced: Store) -> None:
    lid, entry_id = _conflict(synced, THEIRS)
    row = synced.get(lid)
    assert row is not None
    assert row.state is ContactState.CONFLICT
    assert row.contact.first_name == "Mine"
    entry = synced.outbox.entry(entry_id)
    assert entry.conflict == THEIRS
    assert entry.server == THEIRS
    assert synced.outbox.next_entries() == []
    with pytest.raises(ContactBusy):
        synced.edits.update(lid, server_contact(0, first_name="Other"))
    with pytest.raises(EntryStateError):
        synced.outbox.retry(entry_id)


def test_resolve_theirs_takes_the_server_version(synced: Store) -> None:
    lid, entry_id = _conflict(synced, THEIRS)
    synced.outbox.resolve(entry_id, Resolution.THEIRS)
    row = synced.get(lid)
    assert row is not None
    assert (row.contact, row.state) == (THEIRS, ContactState.SYNCED)
    assert synced.outbox.entry(entry_id).state is OutboxState.DISCARDED


def test_resolve_mine_sends_my_version_over_theirs(synced: Store) -> None:
    lid, entry_id = _conflict(synced, THEIRS)
    synced.outbox.resolve(entry_id, Resolution.MINE)
    [entry] = synced.outbox.next_entries()
    assert entry.id == entry_id
    assert entry.payload.first_name == "Mine"
    assert entry.base == THEIRS  # overwrite deliberately
    assert not entry.server_changed
    assert synced.get(lid).state is ContactState.PENDING  # type: ignore[union-attr]


def test_resolve_with_a_merged_version(synced: Store) -> None:
    lid, entry_id = _conflict(synced, THEIRS)
    merged = THEIRS.with_changes(first_name="Mine")
    synced.outbox.resolve(entry_id, merged)
    row = synced.get(lid)
    assert row is not None
    assert (row.contact.first_name, row.contact.last_name) == ("Mine", "Theirs")
    [entry] = synced.outbox.next_entries()
    assert entry.payload == merged


def test_deleted_on_server_then_mine_recreates_it(synced: Store) -> None:
    lid, entry_id = _conflict(synced, None)
    entry = synced.outbox.entry(entry_id)
    assert entry.conflict_deleted
    synced.outbox.resolve(entry_id, Resolution.MINE)
    [entry] = synced.outbox.next_entries()
    assert (entry.op, entry.payload.remote_id, entry.payload.first_name) == (
        OutboxOp.CREATE,
        None,
        "Mine",
    )
    row = synced.get(lid)
    assert row is not None
    assert (row.contact.remote_id, row.pending_op) == (None, OutboxOp.CREATE)


def test_deleted_on_server_then_theirs_removes_it_keeping_a_snapshot(synced: Store) -> None:
    lid, entry_id = _conflict(synced, None)
    synced.outbox.resolve(entry_id, Resolution.THEIRS)
    assert synced.get(lid) is None
    assert [s.local_id for s in synced.deleted_snapshots()] == [lid]


def test_open_entries_and_counts_for_the_pending_panel(synced: Store, clock: FakeClock) -> None:
    a, b, c = (_local_id(synced, f"r{n}") for n in range(3))
    synced.edits.update(a, server_contact(0, first_name="A"))
    synced.edits.update(b, server_contact(1, first_name="B"))
    synced.edits.delete(c)
    e1, e2, _ = synced.outbox.next_entries()
    synced.outbox.reject(synced.outbox.mark_in_flight(e1), "no")
    synced.outbox.mark_in_flight(e2)
    assert synced.pending_counts() == PendingCounts(pending=1, in_flight=1, rejected=1)
    panel = synced.open_entries()
    assert [(e.display_name, e.state) for e in panel] == [
        ("A Last0", OutboxState.REJECTED),
        ("B Last1", OutboxState.IN_FLIGHT),
        ("First2 Last2", OutboxState.PENDING),
    ]
    assert panel[2].op is OutboxOp.DELETE


def test_closed_entries_can_be_pruned(synced: Store, clock: FakeClock) -> None:
    synced.edits.update(_local_id(synced, "r0"), server_contact(0, first_name="X"))
    entry = synced.outbox.mark_in_flight(synced.outbox.next_entries()[0])
    synced.outbox.complete(entry, server_contact(0, first_name="X"))
    assert synced.outbox.prune_closed(_at(clock, -1)) == 0
    clock.advance(10)
    assert synced.outbox.prune_closed(_at(clock, 0)) == 1
    assert len(synced.history()) == 1  # history keeps the change


def test_retry_times_must_be_aware(synced: Store) -> None:
    synced.edits.update(_local_id(synced, "r0"), server_contact(0, first_name="X"))
    entry = synced.outbox.mark_in_flight(synced.outbox.next_entries()[0])
    with pytest.raises(ValueError, match="aware"):
        synced.outbox.fail_transient(entry, "x", datetime(2030, 1, 1))
    assert synced.outbox.entry(entry).state is OutboxState.IN_FLIGHT


def test_complete_adopts_a_copy_a_refresh_mirrored_before_the_answer(store: Store) -> None:
    new = store.edits.create(Contact(phone="+15550005000", first_name="Twin"))
    entry = store.outbox.mark_in_flight(store.outbox.next_entries()[0])
    store.outbox.fail_transient(entry, "dropped", datetime.now(UTC) - timedelta(1), uncertain=True)
    server = Contact(phone="+15550005000", first_name="Twin", remote_id="s1")
    store.mirror.merge_page([server])  # the refresh saw it first: now two rows
    assert store.count(ContactQuery(text="twin")) == 2
    store.outbox.complete(store.outbox.next_entries()[0], server)  # sync checked: applied
    assert [s.local_id for s in store.query(ContactQuery(text="twin")).window(0, 5) if s] == [
        new.local_id
    ]
    assert store.integrity_check() == ["ok"]
