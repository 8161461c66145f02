"""A colleague's change on the server between load and save: detected, never overwritten,
and resolved by the user (keep mine / keep theirs / per field)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contactdesk.core.models import Contact
from contactdesk.store import ContactState, OutboxState, Resolution
from contactdesk.sync import AccountSync
from tests.integration.sync.support import Env, assert_mirrors, server_state, stored


def _loaded(env: Env) -> AccountSync:
    sync = env.sync()
    assert sync.refresh().complete
    return sync


def _colleague_edits(env: Env, remote_id: str, **fields: str) -> None:
    if env.kind == "flexacore":
        env.sim.update_directly(remote_id, **fields)
    else:
        env.sim.update_directly(int(remote_id), **fields)


def _colleague_deletes(env: Env, remote_id: str) -> None:
    if env.kind == "flexacore":
        env.sim.delete_directly(remote_id)
    else:
        env.sim.delete_directly(int(remote_id))


def _names_on_server(env: Env, remote_id: str) -> tuple[object, object]:
    row = server_state(env)[remote_id]
    return (row[2], row[3]) if env.kind == "flexacore" else (row[1], row[2])


def _edit_then_colleague(env: Env) -> tuple[AccountSync, int, Contact]:
    """I change the last name here; meanwhile a colleague changes the first name there."""
    sync = _loaded(env)
    row = stored(sync.store)[4]
    original = row.contact
    assert original.remote_id is not None
    sync.store.edits.update(row.local_id, replace(original, last_name="Mine"))
    _colleague_edits(env, original.remote_id, first_name="Theirs")
    return sync, row.local_id, original


def test_a_colleagues_change_is_detected_not_overwritten(env: Env) -> None:
    heard: list[tuple[int, OutboxState]] = []
    sync, local_id, original = _edit_then_colleague(env)
    sync.on_entry_state = lambda i, s: heard.append((i, s))
    assert original.remote_id is not None

    report = sync.push()

    assert report.conflicts == 1
    assert report.sent == 0
    assert heard[-1] == (local_id, OutboxState.CONFLICT)
    # the server keeps the colleague's version, untouched
    assert _names_on_server(env, original.remote_id) == ("Theirs", original.last_name)
    [entry] = sync.store.outbox.open_entries()
    assert entry.state is OutboxState.CONFLICT
    assert entry.conflict is not None  # both versions, for the resolve dialog
    assert entry.conflict.first_name == "Theirs"
    assert entry.payload.last_name == "Mine"
    assert entry.payload.first_name == original.first_name
    assert entry.error == "This contact was changed on the server after you edited it."
    row = sync.store.get(local_id)
    assert row is not None
    assert row.state is ContactState.CONFLICT
    assert row.contact.last_name == "Mine"  # my edit is still here
    assert sync.status().conflict == 1
    # pushing again changes nothing until the user answers
    assert sync.push().attempted == 0


def test_keep_mine_puts_my_whole_version_on_the_server(env: Env) -> None:
    sync, _local_id, original = _edit_then_colleague(env)
    assert original.remote_id is not None
    sync.push()
    [entry] = sync.store.outbox.open_entries()

    sync.store.outbox.resolve(entry, Resolution.MINE)
    report = sync.push()

    assert report.sent == 1
    assert report.conflicts == 0
    assert _names_on_server(env, original.remote_id) == (original.first_name, "Mine")
    assert sync.store.outbox.open_entries() == []
    assert_mirrors(sync.store, env)


def test_keep_theirs_drops_my_edit(env: Env) -> None:
    sync, local_id, original = _edit_then_colleague(env)
    assert original.remote_id is not None
    before = server_state(env)
    sync.push()
    [entry] = sync.store.outbox.open_entries()

    sync.store.outbox.resolve(entry, Resolution.THEIRS)
    report = sync.push()

    assert report.attempted == 0
    assert server_state(env) == before  # nothing was sent
    assert _names_on_server(env, original.remote_id) == ("Theirs", original.last_name)
    row = sync.store.get(local_id)
    assert row is not None
    assert row.state is ContactState.SYNCED
    assert (row.contact.first_name, row.contact.last_name) == ("Theirs", original.last_name)
    assert_mirrors(sync.store, env)


def test_per_field_merge_keeps_both_changes(env: Env) -> None:
    sync, _local_id, original = _edit_then_colleague(env)
    assert original.remote_id is not None
    sync.push()
    [entry] = sync.store.outbox.open_entries()
    assert entry.conflict is not None
    merged = replace(entry.payload, first_name=entry.conflict.first_name)

    sync.store.outbox.resolve(entry, merged)
    assert sync.push().sent == 1

    assert _names_on_server(env, original.remote_id) == ("Theirs", "Mine")
    assert_mirrors(sync.store, env)


def test_the_same_change_made_by_both_is_not_a_conflict(env: Env) -> None:
    sync = _loaded(env)
    row = stored(sync.store)[4]
    assert row.contact.remote_id is not None
    sync.store.edits.update(row.local_id, replace(row.contact, last_name="Same"))
    _colleague_edits(env, row.contact.remote_id, last_name="Same")

    report = sync.push()

    assert (report.sent, report.conflicts) == (1, 0)
    assert_mirrors(sync.store, env)


def test_textflow_opt_out_meanwhile_is_not_a_conflict(textflow: Env) -> None:
    """The person replied STOP (a new ``updated_at``, no editable field changed): the
    edit still goes, and the opt-out stays."""
    sync = _loaded(textflow)
    row = next(s for s in stored(sync.store) if not s.contact.opted_out)
    remote_id = row.contact.remote_id
    assert remote_id is not None
    sync.store.edits.update(row.local_id, replace(row.contact, first_name="Edited"))
    textflow.sim.opt_out(int(remote_id))

    report = sync.push()

    assert (report.sent, report.conflicts) == (1, 0)
    on_server = textflow.sim.contact(int(remote_id))
    assert on_server is not None
    assert on_server["first_name"] == "Edited"
    assert on_server["is_opted_out"] is True


@pytest.mark.parametrize("answer", [Resolution.MINE, Resolution.THEIRS])
def test_update_of_a_contact_deleted_on_the_server(env: Env, answer: Resolution) -> None:
    """Decision: a conflict ("deleted on the server"), not a rejection: keep mine
    re-creates the contact with my values, keep theirs lets it go."""
    sync = _loaded(env)
    row = stored(sync.store)[4]
    original = row.contact
    assert original.remote_id is not None
    sync.store.edits.update(row.local_id, replace(original, last_name="Mine"))
    _colleague_deletes(env, original.remote_id)

    report = sync.push()

    assert report.conflicts == 1
    [entry] = sync.store.outbox.open_entries()
    assert entry.conflict_deleted
    assert entry.error == "This contact was deleted on the server."

    sync.store.outbox.resolve(entry, answer)
    sync.push()

    phones = [r[1 if env.kind == "flexacore" else 0] for r in server_state(env).values()]
    if answer is Resolution.MINE:
        assert phones.count(original.phone) == 1
        again = sync.store.get(row.local_id)
        assert again is not None
        assert again.contact.last_name == "Mine"
        assert again.contact.remote_id not in (None, original.remote_id)
    else:
        assert original.phone not in phones
        assert sync.store.get(row.local_id) is None
    assert sync.store.outbox.open_entries() == []
    assert_mirrors(sync.store, env)


def test_delete_of_a_contact_changed_on_the_server_waits_for_the_user(env: Env) -> None:
    sync = _loaded(env)
    row = stored(sync.store)[4]
    original = row.contact
    assert original.remote_id is not None
    sync.store.edits.delete(row.local_id)
    _colleague_edits(env, original.remote_id, first_name="StillNeeded")

    assert sync.push().conflicts == 1
    assert original.remote_id in server_state(env)  # not deleted behind the colleague's back
    [entry] = sync.store.outbox.open_entries()
    sync.store.outbox.resolve(entry, Resolution.MINE)  # delete it anyway

    assert sync.push().sent == 1
    assert original.remote_id not in server_state(env)
    assert_mirrors(sync.store, env)


def test_delete_of_a_contact_already_gone_is_done(env: Env) -> None:
    sync = _loaded(env)
    row = stored(sync.store)[4]
    assert row.contact.remote_id is not None
    sync.store.edits.delete(row.local_id)
    _colleague_deletes(env, row.contact.remote_id)

    report = sync.push()

    assert (report.sent, report.conflicts, report.rejected) == (1, 0, 0)
    assert sync.store.outbox.open_entries() == []
    assert sync.store.get(row.local_id) is None
