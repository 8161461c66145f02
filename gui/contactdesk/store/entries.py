"""Outbox entries at row level: reading them, closing them, and what a server-side
deletion does to a contact with queued edits. Shared by the outbox, the local edits and
the mirror; callers hold the transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from contactdesk.core.models import Contact
from contactdesk.store.codec import contact_from_json, optional_contact
from contactdesk.store.db import require_datetime, to_datetime
from contactdesk.store.records import Origin, OutboxEntry, OutboxOp, OutboxState
from contactdesk.store.rows import (
    RowInfo,
    refresh_state,
    remove_as_deleted_on_server,
    remove_contact,
    row_info,
    write_history,
)

EntryRef = OutboxEntry | int
OPEN_SQL = "('pending','in_flight','uncertain','rejected','conflict')"
ENTRY_SELECT = (
    "SELECT id, contact_id, op, state, payload_json, base_json, attempts, next_attempt_at, error,"
    " conflict_json, conflict_deleted, created_at, closed_at FROM outbox o "
)
_S = OutboxState


def entry_id(ref: EntryRef) -> int:
    return ref.id if isinstance(ref, OutboxEntry) else int(ref)


def read_entry(conn: sqlite3.Connection, row: Sequence[Any]) -> OutboxEntry:
    """An ``OutboxEntry`` from a ``ENTRY_SELECT`` row, completed from its contact row."""
    payload = contact_from_json(row[4])
    server: Contact | None = None
    if row[1] is not None:
        info = _maybe_info(conn, row[1])
        if info is not None:
            # ids obtained after the edit was queued (a create completed since) apply
            payload = replace(payload, remote_id=info.values.remote_id, uuid=info.values.uuid)
            server = info.server
    return OutboxEntry(
        id=row[0],
        local_id=row[1],
        op=OutboxOp(row[2]),
        state=OutboxState(row[3]),
        payload=payload,
        base=optional_contact(row[5]),
        server=server,
        attempts=row[6],
        next_attempt_at=to_datetime(row[7]),
        error=row[8],
        conflict=optional_contact(row[9]),
        conflict_deleted=bool(row[10]),
        created_at=require_datetime(row[11]),
        closed_at=to_datetime(row[12]),
    )


def _maybe_info(conn: sqlite3.Connection, local_id: int) -> RowInfo | None:
    exists = conn.execute("SELECT 1 FROM contacts WHERE id = ?", (local_id,)).fetchone()
    return None if exists is None else row_info(conn, local_id)


def open_entries_of(conn: sqlite3.Connection, local_id: int) -> list[tuple[int, OutboxOp, _S]]:
    """(id, op, state) of the contact's open entries, oldest first."""
    rows = conn.execute(
        "SELECT id, op, state FROM outbox WHERE contact_id = ? AND state IN"
        " ('pending','in_flight','uncertain','rejected','conflict')"
        " ORDER BY id",
        (local_id,),
    )
    return [(r[0], OutboxOp(r[1]), _S(r[2])) for r in rows]


def close_entry(conn: sqlite3.Connection, entry_id: int, state: _S, now: float) -> None:
    conn.execute(
        "UPDATE outbox SET state = ?, closed_at = ?, changed_at = ?, in_flight_since = NULL"
        " WHERE id = ?",
        (state.value, now, now, entry_id),
    )


_SNAPSHOT_MARKS = {
    "applied_at": "UPDATE deleted_contacts SET applied_at = ? WHERE local_id = ?",
    "restored_at": "UPDATE deleted_contacts SET restored_at = ? WHERE local_id = ?",
}


def mark_snapshot(conn: sqlite3.Connection, local_id: int, column: str, now: float) -> None:
    conn.execute(_SNAPSHOT_MARKS[column], (now, local_id))


def apply_server_deletion(conn: sqlite3.Connection, local_id: int, *, now: float) -> None:
    """The server no longer has this contact. Without local edits the row goes (snapshot
    kept). If the user's last word was a delete, that delete is simply done. Otherwise
    the first waiting edit becomes a conflict ("deleted on the server") for the user to
    resolve. An entry in flight is left alone: its own answer will settle it."""
    info = row_info(conn, local_id)
    entries = open_entries_of(conn, local_id)
    if not entries:
        remove_as_deleted_on_server(conn, info, now=now)
        return
    if any(state is _S.IN_FLIGHT for _, _, state in entries):
        return
    if entries[-1][1] is OutboxOp.DELETE:
        for entry_id, _, _ in entries:
            close_entry(conn, entry_id, _S.DONE, now)
        mark_snapshot(conn, local_id, "applied_at", now)
        write_history(
            conn,
            now=now,
            local_id=local_id,
            remote_id=info.values.remote_id,
            origin=Origin.REMOTE,
            op=OutboxOp.DELETE,
            before=info.server,
            after=None,
        )
        remove_contact(conn, local_id)
        return
    conn.execute(
        "UPDATE outbox SET state = 'conflict', conflict_json = NULL, conflict_deleted = 1,"
        " error = ?, changed_at = ? WHERE id = ?",
        ("This contact was deleted on the server.", now, entries[0][0]),
    )
    refresh_state(conn, local_id)
