"""The user's answers to a waiting change: discard it, or resolve a conflict.

Row-level logic behind ``Outbox.discard``/``Outbox.resolve``; callers hold the
transaction and have checked the entry's state.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from contactdesk.core.models import Contact
from contactdesk.store.codec import contact_from_json, optional_json
from contactdesk.store.entries import close_entry, mark_snapshot, open_entries_of
from contactdesk.store.errors import ContactBusy
from contactdesk.store.records import OutboxEntry, OutboxOp, OutboxState, Resolution
from contactdesk.store.rows import (
    refresh_state,
    remove_as_deleted_on_server,
    remove_contact,
    row_info,
    set_server_json,
    write_values,
)

_S = OutboxState


def discard(conn: sqlite3.Connection, entry: OutboxEntry, now: float, *, everything: bool) -> None:
    """Close ``entry`` unapplied (``everything``: with all the contact's open entries) and
    put the row back to what remains wanted: later queued edits, else the server copy."""
    assert entry.local_id is not None
    local_id = entry.local_id
    info = row_info(conn, local_id)
    others = [e for e in open_entries_of(conn, local_id) if e[0] != entry.id]
    if entry.op is OutboxOp.CREATE or everything:
        if any(state is _S.IN_FLIGHT for _, _, state in others):
            raise ContactBusy(
                "A change to this contact is being sent right now. Try again in a moment."
            )
        for eid, _, _ in others:
            close_entry(conn, eid, _S.DISCARDED, now)
        others = []
    close_entry(conn, entry.id, _S.DISCARDED, now)
    if entry.op is OutboxOp.DELETE:
        mark_snapshot(conn, local_id, "restored_at", now)
    if entry.op is OutboxOp.CREATE and info.values.remote_id is None:
        remove_contact(conn, local_id)  # it never existed on the server
        return
    if entry.conflict_deleted and not others:
        remove_as_deleted_on_server(conn, info, now=now)
        return
    if others:
        ids = [eid for eid, op, _ in others if op is not OutboxOp.DELETE]
        desired = info.values
        if ids:
            row = conn.execute(
                "SELECT payload_json FROM outbox WHERE id = ?", (ids[-1],)
            ).fetchone()
            desired = replace(
                contact_from_json(row[0]),
                remote_id=info.values.remote_id,
                uuid=info.values.uuid,
            )
        else:
            desired = info.server or info.values
        write_values(conn, local_id, desired, now=now, old_tags=info.values.tags)
    else:
        server = info.server or info.values
        write_values(conn, local_id, server, now=now, old_tags=info.values.tags)
        set_server_json(conn, local_id, None)
    refresh_state(conn, local_id)


def resolve(
    conn: sqlite3.Connection, entry: OutboxEntry, choice: Resolution | Contact, now: float
) -> None:
    """Answer a conflict (see ``Outbox.resolve``)."""
    assert entry.local_id is not None
    if choice is Resolution.THEIRS:
        discard(conn, entry, now, everything=True)
        return
    info = row_info(conn, entry.local_id)
    payload = entry.payload if choice is Resolution.MINE else choice
    assert isinstance(payload, Contact)
    if entry.conflict_deleted:
        if entry.op is OutboxOp.DELETE:
            close_entry(conn, entry.id, _S.DONE, now)
            remove_as_deleted_on_server(conn, info, now=now)
            return
        op, base = OutboxOp.CREATE, None
        payload = replace(payload, remote_id=None, uuid=None)
        values = replace(info.values, remote_id=None, uuid=None)
        if choice is not Resolution.MINE:
            values = payload
        write_values(conn, entry.local_id, values, now=now, old_tags=info.values.tags)
        set_server_json(conn, entry.local_id, None)
    else:
        op, base = entry.op, entry.conflict
        payload = replace(payload, remote_id=info.values.remote_id, uuid=info.values.uuid)
        if choice is not Resolution.MINE:
            write_values(conn, entry.local_id, payload, now=now, old_tags=info.values.tags)
    conn.execute(
        "UPDATE outbox SET op = ?, state = 'pending', payload_json = ?, base_json = ?,"
        " conflict_json = NULL, conflict_deleted = 0, error = NULL,"
        " next_attempt_at = NULL, changed_at = ? WHERE id = ?",
        (op.value, optional_json(payload), optional_json(base), now, entry.id),
    )
    refresh_state(conn, entry.local_id)
