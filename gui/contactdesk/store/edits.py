"""Local edits: the user's create / update / delete / undo, committed before any network.

Each command is ONE transaction that changes the contact row to the desired values
(state ``pending``, or hidden ``deleted``) and queues the outbox entry, so an edit is
never lost by a crash or a failed request. Called on the account worker (the UI thread
only reads). Sync then sends the entries (see ``contactdesk.store.outbox``).

Queued edits of one contact are folded together while none of them has gone out: a
second update rewrites the waiting update (or create) instead of queueing another
request, and deleting a contact the server never received just drops it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from contactdesk.core.models import Contact
from contactdesk.store.codec import contact_from_json, optional_json
from contactdesk.store.db import Database
from contactdesk.store.entries import close_entry, mark_snapshot, open_entries_of
from contactdesk.store.errors import ContactBusy, ContactNotFound
from contactdesk.store.records import ContactState, Origin, OutboxOp, OutboxState, StoredContact
from contactdesk.store.rows import (
    RowInfo,
    get_stored,
    insert_contact,
    refresh_state,
    remove_contact,
    row_info,
    save_snapshot,
    set_server_json,
    write_values,
)

_S = OutboxState
#: states in which the server certainly has not applied an entry
_UNSENT = (_S.PENDING, _S.REJECTED)


def _queue(
    conn: sqlite3.Connection,
    local_id: int,
    *,
    op: OutboxOp,
    payload: Contact,
    base: Contact | None,
    now: float,
) -> None:
    conn.execute(
        "INSERT INTO outbox (contact_id, op, state, payload_json, base_json, created_at,"
        " changed_at) VALUES (?, ?, 'pending', ?, ?, ?, ?)",
        (local_id, op.value, optional_json(payload), optional_json(base), now, now),
    )


def _busy_check(info: RowInfo) -> None:
    if info.state is ContactState.CONFLICT:
        raise ContactBusy(
            "This contact was changed on the server too. Resolve that first "
            "(Pending changes), then edit it again."
        )


class LocalEdits:
    """The user's edits, each committed locally with its outbox entry in one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _stored(self, local_id: int) -> StoredContact:
        found = get_stored(self._db.conn, local_id)
        if found is None:
            raise ContactNotFound("That contact is no longer here.", detail=f"local id {local_id}")
        return found

    def create(self, contact: Contact) -> StoredContact:
        """A new contact (shown at once, state pending); any ids on ``contact`` are ignored."""
        now = self._db.now()
        desired = replace(contact, remote_id=None, uuid=None)
        with self._db.transaction() as conn:
            local_id = insert_contact(conn, desired, now=now, state=ContactState.PENDING)
            _queue(conn, local_id, op=OutboxOp.CREATE, payload=desired, base=None, now=now)
            refresh_state(conn, local_id)
        return self._stored(local_id)

    def update(self, local_id: int, contact: Contact) -> StoredContact:
        """Change a contact to ``contact`` (its ids are kept from the row)."""
        now = self._db.now()
        with self._db.transaction() as conn:
            info = row_info(conn, local_id)
            _busy_check(info)
            if info.state is ContactState.DELETED:
                raise ContactBusy("This contact is being deleted. Undo the delete to edit it.")
            desired = replace(contact, remote_id=info.values.remote_id, uuid=info.values.uuid)
            if desired == info.values:
                return self._stored(local_id)
            entries = open_entries_of(conn, local_id)
            if not entries and info.values.remote_id is not None:
                # the row's values are the server version: keep it before overwriting them
                set_server_json(conn, local_id, info.values)
            last = entries[-1] if entries else None
            if last is not None and last[1] is not OutboxOp.DELETE and last[2] in _UNSENT:
                conn.execute(
                    "UPDATE outbox SET payload_json = ?, state = 'pending', error = NULL,"
                    " next_attempt_at = NULL, changed_at = ? WHERE id = ?",
                    (optional_json(desired), now, last[0]),
                )
            else:
                _queue(
                    conn, local_id, op=OutboxOp.UPDATE, payload=desired, base=info.server, now=now
                )
            write_values(conn, local_id, desired, now=now, old_tags=info.values.tags)
            refresh_state(conn, local_id)
        return self._stored(local_id)

    def delete(self, local_id: int) -> None:
        """Delete a contact: hidden at once, a snapshot kept for ``undo_delete``."""
        self.delete_many((local_id,))

    def delete_many(self, local_ids: Sequence[int]) -> None:
        """Delete several contacts in one transaction (a table selection)."""
        now = self._db.now()
        with self._db.transaction() as conn:
            for local_id in local_ids:
                self._delete(conn, local_id, now)

    def _delete(self, conn: sqlite3.Connection, local_id: int, now: float) -> None:
        info = row_info(conn, local_id)
        if info.state is ContactState.DELETED:
            return
        _busy_check(info)
        entries = open_entries_of(conn, local_id)
        never_sent = (
            info.values.remote_id is None
            and entries
            and entries[0][1] is OutboxOp.CREATE
            and entries[0][2] in _UNSENT
        )
        if never_sent:
            # the server never received it: nothing to send, only the snapshot to keep
            save_snapshot(conn, local_id, info.values, origin=Origin.LOCAL, now=now, applied=True)
            for entry_id, _, _ in entries:
                close_entry(conn, entry_id, _S.DISCARDED, now)
            remove_contact(conn, local_id)
            return
        save_snapshot(conn, local_id, info.values, origin=Origin.LOCAL, now=now, applied=False)
        if not entries and info.values.remote_id is not None:
            set_server_json(conn, local_id, info.values)
        _queue(conn, local_id, op=OutboxOp.DELETE, payload=info.values, base=info.server, now=now)
        refresh_state(conn, local_id)

    def undo_delete(self, local_id: int) -> StoredContact:
        """Undo a delete. While it is still queued the delete is simply cancelled; once the
        server applied it, the contact is queued for re-creation from its snapshot (same
        local id, same group, tags and opt-out flag)."""
        now = self._db.now()
        with self._db.transaction() as conn:
            exists = conn.execute("SELECT 1 FROM contacts WHERE id = ?", (local_id,)).fetchone()
            if exists is not None:
                self._cancel_delete(conn, local_id, now)
            else:
                self._recreate(conn, local_id, now)
        return self._stored(local_id)

    def _cancel_delete(self, conn: sqlite3.Connection, local_id: int, now: float) -> None:
        deletes = [e for e in open_entries_of(conn, local_id) if e[1] is OutboxOp.DELETE]
        if not deletes:
            return  # nothing to undo (already undone)
        entry_id, _, state = deletes[-1]
        if state not in (*_UNSENT, _S.CONFLICT):
            raise ContactBusy(
                "This contact is being deleted on the server right now. Try Undo again in a moment."
            )
        close_entry(conn, entry_id, _S.DISCARDED, now)
        mark_snapshot(conn, local_id, "restored_at", now)
        if not open_entries_of(conn, local_id):
            # nothing else queued: show the server's version (it may have moved meanwhile)
            info = row_info(conn, local_id)
            server = info.server or info.values
            if server != info.values:
                write_values(conn, local_id, server, now=now, old_tags=info.values.tags)
            set_server_json(conn, local_id, None)
        refresh_state(conn, local_id)

    def _recreate(self, conn: sqlite3.Connection, local_id: int, now: float) -> None:
        row = conn.execute(
            "SELECT snapshot_json FROM deleted_contacts WHERE local_id = ? AND restored_at IS NULL",
            (local_id,),
        ).fetchone()
        if row is None:
            raise ContactNotFound(
                "There is nothing to undo for that contact.", detail=f"local id {local_id}"
            )
        snapshot = contact_from_json(row[0])
        desired = replace(snapshot, remote_id=None, uuid=None, created_at=None, updated_at=None)
        insert_contact(conn, desired, now=now, state=ContactState.PENDING, local_id=local_id)
        _queue(conn, local_id, op=OutboxOp.CREATE, payload=desired, base=None, now=now)
        mark_snapshot(conn, local_id, "restored_at", now)
        refresh_state(conn, local_id)
