"""Reading the record: applied-change history and deleted-contact snapshots."""

from __future__ import annotations

import sqlite3

from contactdesk.store.codec import contact_from_json, optional_contact
from contactdesk.store.db import require_datetime, to_datetime
from contactdesk.store.records import DeletedSnapshot, HistoryEntry, Origin, OutboxOp


def history(
    conn: sqlite3.Connection, *, local_id: int | None = None, limit: int = 200
) -> list[HistoryEntry]:
    """Applied changes, newest first (of one contact, or all)."""
    sql = "SELECT id, at, contact_id, remote_id, origin, op, before_json, after_json FROM history"
    params: tuple[int, ...] = (limit,)
    if local_id is not None:
        sql += " WHERE contact_id = ?"
        params = (local_id, limit)
    rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", params).fetchall()
    return [
        HistoryEntry(
            id=r[0],
            at=require_datetime(r[1]),
            local_id=r[2],
            remote_id=r[3],
            origin=Origin(r[4]),
            op=OutboxOp(r[5]),
            before=optional_contact(r[6]),
            after=optional_contact(r[7]),
        )
        for r in rows
    ]


def deleted_snapshots(conn: sqlite3.Connection, *, limit: int = 200) -> list[DeletedSnapshot]:
    """Deleted contacts that can still be restored, newest first."""
    rows = conn.execute(
        "SELECT local_id, snapshot_json, origin, deleted_at, applied_at FROM deleted_contacts"
        " WHERE restored_at IS NULL ORDER BY deleted_at DESC, local_id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        DeletedSnapshot(
            local_id=r[0],
            contact=contact_from_json(r[1]),
            origin=Origin(r[2]),
            deleted_at=require_datetime(r[3]),
            applied_at=to_datetime(r[4]),
        )
        for r in rows
    ]
