"""Server -> store: merging pages, refresh checkpoints, sweeps, deletions, groups."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from contactdesk.core.models import Contact, Group
from contactdesk.store import ContactQuery, ContactState, Origin, OutboxOp, Store, StoreReader
from contactdesk.store.migrations import DEFERRABLE_INDEXES
from contactdesk.store.mirror import BULK_LOAD_MIN
from tests.integration.store.conftest import FakeClock
from tests.integration.store.factories import server_contact


def test_a_page_is_inserted_then_merged_with_history_of_real_changes(store: Store) -> None:
    result = store.mirror.merge_page([server_contact(1), server_contact(2)])
    assert (result.inserted, result.updated) == (2, ())
    assert store.history() == []  # first sight of a contact is mirroring, not a change

    same = store.mirror.merge_page([server_contact(1), server_contact(2)])
    assert (same.inserted, same.updated) == (0, ())

    changed = server_contact(2, first_name="Renamed", updated_at="2026-02-02T00:00:00Z")
    result = store.mirror.merge_page([changed])
    local = store.get_by_remote_id("r2")
    assert local is not None
    assert result.updated == (local.local_id,)
    assert local.contact == changed
    assert local.state is ContactState.SYNCED
    [h] = store.history()
    assert (h.origin, h.op, h.local_id) == (Origin.REMOTE, OutboxOp.UPDATE, local.local_id)
    assert h.before == server_contact(2)
    assert h.after == changed


def test_fields_a_listing_does_not_carry_keep_their_values(store: Store) -> None:
    full = server_contact(
        1, tags=("vip",), custom_fields={"city": "Dhaka"}, opted_out=True, consent_status="explicit"
    )
    store.mirror.merge_page([full])
    # Flexacore's list: uid, phone and names only
    listed = Contact(phone=full.phone, first_name="New", last_name=None, remote_id="r1")
    store.mirror.merge_page([listed], fields=("phone", "first_name", "last_name"))
    got = store.get_by_remote_id("r1")
    assert got is not None
    assert got.contact == full.with_changes(first_name="New", last_name=None)


def test_an_unknown_opt_out_never_clears_a_known_one(store: Store) -> None:
    store.mirror.merge_page([server_contact(1, opted_out=True)])
    store.mirror.merge_page([server_contact(1, opted_out=None)])  # e.g. a create answer
    got = store.get_by_remote_id("r1")
    assert got is not None
    assert got.contact.opted_out is True
    store.mirror.merge_page([server_contact(1, opted_out=False)])
    got = store.get_by_remote_id("r1")
    assert got is not None
    assert got.contact.opted_out is False


def test_unknown_field_names_and_missing_ids_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown contact fields"):
        store.mirror.merge_page([server_contact(1)], fields=("phone", "nickname"))
    with pytest.raises(ValueError, match="remote_id"):
        store.mirror.merge_page([server_contact(1, remote_id=None)])


def test_a_server_copy_never_overwrites_a_pending_edit(store: Store) -> None:
    store.mirror.merge_page([server_contact(1)])
    local = store.get_by_remote_id("r1")
    assert local is not None
    mine = local.contact.with_changes(first_name="Mine")
    store.edits.update(local.local_id, mine)

    theirs = server_contact(1, last_name="Theirs", updated_at="2026-03-03T00:00:00Z")
    result = store.mirror.merge_page([theirs])
    assert result.server_only == (local.local_id,)
    now = store.get(local.local_id)
    assert now is not None
    assert now.contact.first_name == "Mine"
    assert now.contact.last_name == "Last1"  # the values still wait to be sent
    assert now.state is ContactState.PENDING
    [entry] = store.outbox.next_entries()
    assert entry.base == server_contact(1)  # what the edit was based on
    assert entry.server == theirs  # what the server has now
    assert entry.server_changed  # so sync knows there is a conflict to raise


def test_the_same_phone_in_two_groups_is_two_contacts(store: Store) -> None:
    a = server_contact(1, group_id="g1")
    b = server_contact(1, group_id="g2", remote_id="other")
    store.mirror.merge_page([a], group_id="g1")
    store.mirror.merge_page([b], group_id="g2")
    assert store.count(ContactQuery()) == 2
    assert store.count(ContactQuery(group_id="g1")) == 1
    assert store.count(ContactQuery(text=a.phone)) == 2


def test_an_interrupted_refresh_resumes_and_then_sweeps_what_it_did_not_see(
    store_path: Path, clock: FakeClock
) -> None:
    with Store.open(store_path, clock=clock) as store:
        store.mirror.merge_page([server_contact(n, group_id="g") for n in range(6)])
        new_local = store.edits.create(Contact(phone="+15559990000", group_id="g"))
        other_group = server_contact(50, group_id="h")
        store.mirror.merge_page([other_group])

        cp = store.mirror.begin_refresh("g")
        assert (cp.last_page_done, cp.next_page) == (0, 1)
        store.mirror.merge_page(
            [server_contact(0, group_id="g"), server_contact(1, group_id="g")],
            group_id="g",
            page=1,
            pages=3,
            total=5,
        )
    # the app stopped here; on the next start the refresh carries on
    with Store.open(store_path, clock=clock) as store:
        resumed = store.mirror.begin_refresh("g")
        assert (resumed.generation, resumed.next_page, resumed.pages) == (cp.generation, 2, 3)
        store.mirror.merge_page(
            [server_contact(2, group_id="g"), server_contact(4, group_id="g")],
            group_id="g",
            page=2,
        )
        unseen = store.mirror.unseen("g")
        assert [rid for _, rid in unseen] == ["r3", "r5"]
        swept = store.mirror.finish_refresh("g")
        assert sorted(swept) == sorted(lid for lid, _ in unseen)
        assert store.get_by_remote_id("r3") is None
        assert store.get(new_local.local_id) is not None  # not on the server yet: kept
        assert store.get_by_remote_id("r50") is not None  # another scope: untouched
        assert store.mirror.checkpoint("g").finished  # type: ignore[union-attr]
        snapshots = {s.contact.remote_id: s for s in store.deleted_snapshots()}
        assert set(snapshots) == {"r3", "r5"}
        assert snapshots["r3"].origin is Origin.REMOTE
        deletions = [h for h in store.history() if h.op is OutboxOp.DELETE]
        assert {h.remote_id for h in deletions} == {"r3", "r5"}
        # a finished refresh starts a new generation next time
        assert store.mirror.begin_refresh("g").generation > cp.generation


def test_a_page_merge_needs_a_refresh_in_progress(store: Store) -> None:
    with pytest.raises(RuntimeError, match="begin_refresh"):
        store.mirror.merge_page([server_contact(1)], page=1)
    with pytest.raises(RuntimeError, match="no refresh"):
        store.mirror.finish_refresh()


def test_a_page_that_fails_half_way_leaves_nothing_behind(store: Store) -> None:
    store.mirror.merge_page([server_contact(1)])
    store.mirror.begin_refresh()
    bad = server_contact(1, custom_fields={"n": 5})  # not text: fails after the inserts
    with pytest.raises(TypeError):
        store.mirror.merge_page([server_contact(2), server_contact(3), bad], page=1)
    assert store.get_by_remote_id("r2") is None
    assert store.count(ContactQuery()) == 1
    assert store.mirror.checkpoint().last_page_done == 0  # type: ignore[union-attr]
    assert store.integrity_check() == ["ok"]
    # and the store carries on normally
    store.mirror.merge_page([server_contact(2)], page=1)
    assert store.mirror.checkpoint().last_page_done == 1  # type: ignore[union-attr]


def test_deleted_on_server_removes_with_snapshot_or_raises_a_conflict(store: Store) -> None:
    store.mirror.merge_page([server_contact(n, tags=("t",)) for n in range(4)])
    edited = store.get_by_remote_id("r1")
    deleting = store.get_by_remote_id("r2")
    assert edited is not None
    assert deleting is not None
    store.edits.update(edited.local_id, edited.contact.with_changes(first_name="Mine"))
    store.edits.delete(deleting.local_id)

    affected = store.mirror.mark_deleted_on_server(["r0", "r1", "r2", "nope"])
    assert len(affected) == 3
    assert store.get_by_remote_id("r0") is None
    assert store.get_by_remote_id("r2") is None  # my delete is simply done
    assert store.outbox.entries_for(deleting.local_id) == []
    now = store.get(edited.local_id)
    assert now is not None
    assert now.state is ContactState.CONFLICT  # my edit of a contact that is gone: ask
    [entry] = store.outbox.entries_for(edited.local_id)
    assert entry.conflict_deleted
    assert entry.error == "This contact was deleted on the server."
    restorable = {s.contact.remote_id for s in store.deleted_snapshots()}
    assert restorable == {"r0", "r2"}
    assert store.tags() == [("t", 2)]
    assert store.integrity_check() == ["ok"]


def test_groups_are_upserted_in_order_and_a_complete_list_removes_the_rest(
    store: Store,
) -> None:
    store.mirror.upsert_groups([Group("g1", "Customers", 3), Group("g2", "Staff")])
    assert [g.name for g in store.groups()] == ["Customers", "Staff"]
    store.mirror.merge_page([server_contact(1, group_id="g2"), server_contact(2, group_id="g1")])
    store.mirror.begin_refresh("g2")

    removed = store.mirror.upsert_groups([Group("g1", "Clients", 4)], complete=True)
    assert removed == ["g2"]
    assert store.groups() == [Group("g1", "Clients", 4)]
    assert store.get_by_remote_id("r1") is None  # its contacts went with it
    assert store.get_by_remote_id("r2") is not None
    assert [s.contact.group_id for s in store.deleted_snapshots()] == ["g2"]
    assert store.mirror.checkpoint("g2") is None


def test_remove_group_reports_how_many_contacts_went(store: Store) -> None:
    store.mirror.upsert_groups([Group("g1", "A")])
    store.mirror.merge_page([server_contact(n, group_id="g1") for n in range(3)])
    assert store.mirror.remove_group("g1") == 3
    assert store.count(ContactQuery()) == 0
    assert store.groups() == []


def _sort_indexes(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'contacts_by_%'"
        )
        return {r[0] for r in rows}
    finally:
        conn.close()


def test_a_big_first_download_builds_the_sort_indexes_once_at_the_end(
    store: Store, store_path: Path
) -> None:
    everyone = _sort_indexes(store_path)
    assert everyone == set(DEFERRABLE_INDEXES)
    store.mirror.begin_refresh()
    total = BULK_LOAD_MIN + 100
    first = [server_contact(n, first_name=f"N{999 - n % 1000:03d}") for n in range(1000)]
    store.mirror.merge_page(first, page=1, pages=2, total=total)
    assert _sort_indexes(store_path) == set()  # deferred while the download runs
    # the table still answers correctly meanwhile, just without the indexes' help
    with store.query(ContactQuery()) as rs:
        names = [s.contact.first_name or "" for s in rs.window(0, rs.count) if s]
    assert names == sorted(names)
    rest = [server_contact(n) for n in range(1000, total)]
    store.mirror.merge_page(rest, page=2)
    store.mirror.finish_refresh()
    assert _sort_indexes(store_path) == everyone
    assert store.count(ContactQuery()) == total
    assert store.integrity_check() == ["ok"]


def test_a_small_or_second_download_keeps_the_indexes(store: Store, store_path: Path) -> None:
    store.mirror.begin_refresh()
    store.mirror.merge_page([server_contact(1)], page=1, total=10)
    assert _sort_indexes(store_path) == set(DEFERRABLE_INDEXES)
    store.mirror.finish_refresh()
    store.mirror.begin_refresh()
    store.mirror.merge_page([server_contact(1)], page=1, total=BULK_LOAD_MIN * 10)
    assert _sort_indexes(store_path) == set(DEFERRABLE_INDEXES)  # not empty any more


def test_deferred_indexes_come_back_when_the_download_is_abandoned(
    store_path: Path, clock: FakeClock
) -> None:
    with Store.open(store_path, clock=clock) as store:
        store.mirror.upsert_groups([Group("g", "Big")])
        store.mirror.begin_refresh("g")
        store.mirror.merge_page(
            [server_contact(1, group_id="g")], group_id="g", page=1, total=BULK_LOAD_MIN
        )
    assert _sort_indexes(store_path) == set()
    with Store.open(store_path, clock=clock) as store:  # still resumable: still deferred
        assert _sort_indexes(store_path) == set()
        store.mirror.remove_group("g")  # the group went away: nothing left to resume
    assert _sort_indexes(store_path) == set(DEFERRABLE_INDEXES)


def test_a_batch_commits_several_pages_at_once(store: Store, reader: StoreReader) -> None:
    store.mirror.begin_refresh()
    with store.batch():
        store.mirror.merge_page([server_contact(1)], page=1)
        with store.batch():  # a nested batch joins the outer one
            store.mirror.merge_page([server_contact(2)], page=2)
        assert reader.count(ContactQuery()) == 0  # nothing visible before the end
    assert reader.count(ContactQuery()) == 2
    assert reader.count(ContactQuery(text="first2")) == 1
    assert store.mirror.checkpoint().last_page_done == 2  # type: ignore[union-attr]


def test_a_failure_inside_a_batch_undoes_the_whole_batch(store: Store) -> None:
    store.mirror.begin_refresh()

    def refresh_with_a_bad_page() -> None:
        with store.batch():
            store.mirror.merge_page([server_contact(1)], page=1)
            with pytest.raises(TypeError):
                store.mirror.merge_page([server_contact(2, custom_fields={"n": 2})], page=2)
            with pytest.raises(RuntimeError, match="earlier write"):
                store.mirror.merge_page([server_contact(3)], page=3)

    with pytest.raises(RuntimeError, match="rolled back"):
        refresh_with_a_bad_page()
    assert store.count(ContactQuery()) == 0
    assert store.mirror.checkpoint().last_page_done == 0  # type: ignore[union-attr]
    store.mirror.merge_page([server_contact(1)], page=1)  # and the store carries on
    assert store.count(ContactQuery()) == 1
