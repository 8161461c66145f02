"""Delete and Undo: nothing deleted is lost, before or after the server applied it."""

from __future__ import annotations

import pytest

from contactdesk.core.models import Contact
from contactdesk.store import (
    ContactBusy,
    ContactNotFound,
    ContactQuery,
    ContactState,
    Origin,
    OutboxOp,
    OutboxState,
    Store,
)
from tests.integration.store.factories import server_contact

RICH = server_contact(
    1,
    group_id="g7",
    tags=("vip", "event-2026"),
    custom_fields={"company": "Wayne <Enterprises>"},
    opted_out=True,
    consent_status="explicit",
    uuid="uuid-1",
    created_at="2025-01-01T00:00:00Z",
)


@pytest.fixture
def rich(store: Store) -> int:
    store.mirror.merge_page([RICH, server_contact(2)])
    found = store.get_by_remote_id("r1")
    assert found is not None
    return found.local_id


def test_delete_hides_at_once_and_undo_before_sending_cancels_it(store: Store, rich: int) -> None:
    store.edits.delete(rich)
    assert store.get(rich).state is ContactState.DELETED  # type: ignore[union-attr]
    assert store.count(ContactQuery()) == 1
    [snap] = store.deleted_snapshots()
    assert (snap.local_id, snap.contact, snap.origin, snap.applied_at) == (
        rich,
        RICH,
        Origin.LOCAL,
        None,
    )
    restored = store.edits.undo_delete(rich)
    assert (restored.state, restored.contact) == (ContactState.SYNCED, RICH)
    assert store.outbox.open_entries() == []
    assert store.count(ContactQuery()) == 2
    assert store.deleted_snapshots() == []
    assert store.edits.undo_delete(rich).state is ContactState.SYNCED  # twice: no harm


def test_undo_after_the_server_deleted_it_recreates_it_from_the_snapshot(
    store: Store, rich: int
) -> None:
    store.edits.delete(rich)
    entry = store.outbox.mark_in_flight(store.outbox.next_entries()[0])
    assert entry.op is OutboxOp.DELETE
    assert entry.payload.remote_id == "r1"
    store.outbox.complete(entry, None)
    assert store.get(rich) is None
    [h] = store.history(local_id=rich)
    assert (h.origin, h.op, h.before, h.after) == (Origin.LOCAL, OutboxOp.DELETE, RICH, None)
    [snap] = store.deleted_snapshots()
    assert snap.applied_at is not None

    back = store.edits.undo_delete(rich)
    assert back.local_id == rich  # the same local id: the UI can reselect it
    assert back.state is ContactState.PENDING
    assert back.pending_op is OutboxOp.CREATE
    expected = RICH.with_changes(remote_id=None, uuid=None, created_at=None, updated_at=None)
    assert back.contact == expected  # group, tags, custom fields, opt-out all kept
    [create] = store.outbox.next_entries()
    assert (create.op, create.payload) == (OutboxOp.CREATE, expected)
    assert store.deleted_snapshots() == []
    assert [s.local_id for s in store.query(ContactQuery(tag="vip")).window(0, 5) if s] == [rich]


def test_undo_while_the_delete_is_being_sent_asks_to_wait(store: Store, rich: int) -> None:
    from datetime import UTC, datetime

    store.edits.delete(rich)
    entry = store.outbox.mark_in_flight(store.outbox.next_entries()[0])
    with pytest.raises(ContactBusy) as err:
        store.edits.undo_delete(rich)
    assert "moment" in err.value.message
    store.outbox.fail_transient(entry, "offline", datetime.now(UTC))
    assert store.edits.undo_delete(rich).state is ContactState.SYNCED


def test_deleting_a_contact_the_server_never_got_needs_no_request(store: Store) -> None:
    new = store.edits.create(Contact(phone="+15550006000", first_name="Fresh", tags=("x",)))
    store.edits.delete(new.local_id)
    assert store.get(new.local_id) is None
    assert store.outbox.open_entries() == []
    back = store.edits.undo_delete(new.local_id)
    assert back.pending_op is OutboxOp.CREATE
    assert back.contact.tags == ("x",)
    assert [e.op for e in store.outbox.next_entries()] == [OutboxOp.CREATE]


def test_deleting_a_contact_whose_create_is_in_flight_queues_the_delete_behind_it(
    store: Store,
) -> None:
    new = store.edits.create(Contact(phone="+15550007000"))
    create = store.outbox.mark_in_flight(store.outbox.next_entries()[0])
    store.edits.delete(new.local_id)
    assert store.outbox.next_entries() == []
    store.outbox.complete(create, Contact(phone="+15550007000", remote_id="s7"))
    [delete] = store.outbox.next_entries()
    assert (delete.op, delete.payload.remote_id) == (OutboxOp.DELETE, "s7")
    assert store.get(new.local_id).state is ContactState.DELETED  # type: ignore[union-attr]


def test_a_contact_waiting_to_be_deleted_cannot_be_edited(store: Store, rich: int) -> None:
    store.edits.delete(rich)
    with pytest.raises(ContactBusy, match="Undo"):
        store.edits.update(rich, RICH.with_changes(first_name="X"))
    store.edits.delete(rich)  # deleting again is harmless
    assert len(store.outbox.open_entries()) == 1


def test_delete_many_is_all_or_nothing(store: Store, rich: int) -> None:
    other = store.get_by_remote_id("r2")
    assert other is not None
    with pytest.raises(ContactNotFound):
        store.edits.delete_many([rich, other.local_id, 987654])
    assert store.outbox.open_entries() == []
    assert store.deleted_snapshots() == []
    store.edits.delete_many([rich, other.local_id])
    assert store.count(ContactQuery()) == 0
    assert [e.state for e in store.outbox.open_entries()] == [OutboxState.PENDING] * 2


def test_undo_of_a_contact_deleted_on_the_server_recreates_it(store: Store, rich: int) -> None:
    store.mirror.mark_deleted_on_server(["r1"])
    [snap] = store.deleted_snapshots()
    assert snap.origin is Origin.REMOTE
    back = store.edits.undo_delete(rich)
    assert back.pending_op is OutboxOp.CREATE
    assert back.contact.opted_out is True


def test_undo_without_a_snapshot_says_there_is_nothing_to_undo(store: Store) -> None:
    with pytest.raises(ContactNotFound) as err:
        store.edits.undo_delete(4242)
    assert "nothing to undo" in err.value.message


def test_discarding_a_waiting_delete_is_the_same_as_undo(store: Store, rich: int) -> None:
    store.edits.update(rich, RICH.with_changes(first_name="Edited"))
    store.edits.delete(rich)
    ops = [(e.op, e.state) for e in store.outbox.open_entries()]
    assert ops == [(OutboxOp.UPDATE, OutboxState.PENDING), (OutboxOp.DELETE, OutboxState.PENDING)]
    delete = store.outbox.open_entries()[1]
    store.outbox.discard(delete)
    row = store.get(rich)
    assert row is not None
    assert (row.state, row.contact.first_name) == (ContactState.PENDING, "Edited")
    assert [e.op for e in store.outbox.open_entries()] == [OutboxOp.UPDATE]
    assert store.deleted_snapshots() == []
