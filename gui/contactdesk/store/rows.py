"""Row-level helpers shared by the mirror (server writes) and the outbox (local edits).

Every write of contact values goes through ``insert_contact``/``insert_many``/
``write_values``/``remove_contact`` so the derived keys, the tag table and the FTS index
can never drift apart (``StoreReader.integrity_check`` verifies the index against the
rows). FTS writes are issued as plain single-row statements, and in bulk paths after the
row writes, because FTS5 flushes its in-memory index at every statement savepoint.
Callers hold the transaction; nothing here commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from contactdesk.core.models import Contact
from contactdesk.store.codec import (
    VALUE_COLUMNS,
    WRITE_COLUMNS,
    contact_from_row,
    contact_to_json,
    normalised_tags,
    optional_contact,
    optional_json,
    row_params,
)
from contactdesk.store.errors import ContactNotFound
from contactdesk.store.records import (
    ContactState,
    Origin,
    OutboxOp,
    OutboxState,
    StoredContact,
)

STORED_COLUMNS = (
    "c.id, " + ", ".join(f"c.{c}" for c in VALUE_COLUMNS) + (", c.state, c.pending_op, c.error")
)
# SQL below is assembled from this module's own column-name constants only; every value
# is a bound parameter.
#: ``SELECT_STORED + "WHERE ..."`` gives rows for ``stored_from_row``
SELECT_STORED = f"SELECT {STORED_COLUMNS} FROM contacts c "  # noqa: S608
_INSERT_COLUMNS = ", ".join(("id", *WRITE_COLUMNS, "server_json", "state", "seen_generation"))
_INSERT_SQL = (
    f"INSERT INTO contacts ({_INSERT_COLUMNS}, changed_at)"  # noqa: S608
    f" VALUES ({', '.join('?' * (len(WRITE_COLUMNS) + 5))})"
)
_FTS_INSERT = "INSERT INTO contacts_fts (rowid, search_name, email_key, digits) VALUES (?, ?, ?, ?)"
_FTS_DELETE = (
    "INSERT INTO contacts_fts (contacts_fts, rowid, search_name, email_key, digits)"
    " VALUES ('delete', ?, ?, ?, ?)"
)
#: positions of the FTS columns within ``row_params``
_FTS_AT = tuple(WRITE_COLUMNS.index(c) for c in ("search_name", "email_key", "digits"))


def stored_from_row(row: Sequence[Any]) -> StoredContact:
    """A ``StoredContact`` from a row selected with ``STORED_COLUMNS``."""
    contact = contact_from_row(row, 1)
    n = 1 + len(VALUE_COLUMNS)
    state, pending_op, error = row[n], row[n + 1], row[n + 2]
    return StoredContact(
        local_id=row[0],
        contact=contact,
        state=ContactState(state),
        pending_op=None if pending_op is None else OutboxOp(pending_op),
        error=error,
        group_id=contact.group_id,
    )


def get_stored(conn: sqlite3.Connection, local_id: int) -> StoredContact | None:
    row = conn.execute(SELECT_STORED + "WHERE c.id = ?", (local_id,))
    found = row.fetchone()
    return None if found is None else stored_from_row(found)


@dataclass(frozen=True, slots=True)
class RowInfo:
    """What the write paths need to know about an existing contact row."""

    local_id: int
    values: Contact
    server_json: str | None
    state: ContactState

    @property
    def server(self) -> Contact | None:
        """The last-known server version (``None``: the server has no copy yet)."""
        if self.values.remote_id is None:
            return None
        if self.server_json is None:
            return self.values
        return optional_contact(self.server_json)


_INFO_SQL = f"SELECT c.id, {', '.join(f'c.{c}' for c in VALUE_COLUMNS)}, c.server_json, c.state"


def _info(row: Sequence[Any]) -> RowInfo:
    n = 1 + len(VALUE_COLUMNS)
    return RowInfo(row[0], contact_from_row(row, 1), row[n], ContactState(row[n + 1]))


def row_info(conn: sqlite3.Connection, local_id: int) -> RowInfo:
    found = conn.execute(f"{_INFO_SQL} FROM contacts c WHERE c.id = ?", (local_id,)).fetchone()
    if found is None:
        raise ContactNotFound(
            "That contact is no longer here; it may have been deleted on the server.",
            detail=f"local id {local_id}",
        )
    return _info(found)


def row_infos_by_remote_id(
    conn: sqlite3.Connection, remote_ids: Sequence[str]
) -> dict[str, RowInfo]:
    out: dict[str, RowInfo] = {}
    for i in range(0, len(remote_ids), 500):
        chunk = remote_ids[i : i + 500]
        sql = f"{_INFO_SQL} FROM contacts c WHERE c.remote_id IN ({', '.join('?' * len(chunk))})"
        for row in conn.execute(sql, chunk):
            info = _info(row)
            assert info.values.remote_id is not None
            out[info.values.remote_id] = info
    return out


def _fts_row(local_id: int, params: Sequence[Any]) -> tuple[Any, ...]:
    return (local_id, *(params[i] for i in _FTS_AT))


def _fts_forget(conn: sqlite3.Connection, local_id: int) -> None:
    """Take the row's indexed text out of the FTS index (before changing or deleting it);
    the text is read back from the row, which is what the index holds."""
    old = conn.execute(
        "SELECT id, search_name, email_key, digits FROM contacts WHERE id = ?", (local_id,)
    ).fetchone()
    if old is not None:
        conn.execute(_FTS_DELETE, old)


def insert_contact(
    conn: sqlite3.Connection,
    contact: Contact,
    *,
    now: float,
    state: ContactState = ContactState.SYNCED,
    server: Contact | None = None,
    generation: int = 0,
    local_id: int | None = None,
) -> int:
    """Insert a row (``local_id`` reuses a freed id, for Undo); returns its local id."""
    params = row_params(contact)
    cur = conn.execute(
        _INSERT_SQL,
        (local_id, *params, optional_json(server), state.value, generation, now),
    )
    new_id = cur.lastrowid
    assert new_id is not None
    _insert_tags(conn, ((t, new_id) for t in normalised_tags(contact.tags)))
    conn.execute(_FTS_INSERT, _fts_row(new_id, params))
    return new_id


def _next_ids(conn: sqlite3.Connection, count: int) -> range:
    """Ids for a bulk insert, handed out here so tags and index rows can use them; safe
    because the caller holds the write lock. Never below AUTOINCREMENT's high mark."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'contacts'), 0),"
        " coalesce((SELECT max(id) FROM contacts), 0))"
    ).fetchone()
    first = int(row[0]) + 1
    return range(first, first + count)


def insert_many(
    conn: sqlite3.Connection, contacts: Sequence[Contact], *, now: float, generation: int
) -> None:
    """Bulk insert of synced server contacts (each with a remote_id)."""
    if not contacts:
        return
    ids = _next_ids(conn, len(contacts))
    params = [row_params(c) for c in contacts]
    conn.executemany(
        _INSERT_SQL,
        [(i, *p, None, "synced", generation, now) for i, p in zip(ids, params, strict=True)],
    )
    _insert_tags(
        conn,
        ((t, i) for i, c in zip(ids, contacts, strict=True) for t in normalised_tags(c.tags)),
    )
    conn.executemany(_FTS_INSERT, [_fts_row(i, p) for i, p in zip(ids, params, strict=True)])


@lru_cache(maxsize=256)
def _update_sql(columns: tuple[str, ...]) -> str:
    sets = ", ".join(f"{c} = ?" for c in columns)
    return f"UPDATE contacts SET {sets}, changed_at = ? WHERE id = ?"  # noqa: S608


_SELECT_WRITE = f"SELECT {', '.join(WRITE_COLUMNS)} FROM contacts WHERE id = ?"  # noqa: S608


def write_values(
    conn: sqlite3.Connection,
    local_id: int,
    contact: Contact,
    *,
    now: float,
    old_tags: Sequence[str] | None = None,
) -> None:
    """Overwrite the row's values, keys and index entry. Only columns that change are
    written: SQLite rewrites the entry of every index whose column is SET, even to the
    same value. Tags are rewritten only when they changed (``old_tags`` given) or
    always (``old_tags`` is None)."""
    params = row_params(contact)
    old = conn.execute(_SELECT_WRITE, (local_id,)).fetchone()
    if old is None:
        return
    changed = tuple(i for i, (a, b) in enumerate(zip(old, params, strict=True)) if a != b)
    if any(i in _FTS_AT for i in changed):
        conn.execute(_FTS_DELETE, _fts_row(local_id, old))
        conn.execute(_FTS_INSERT, _fts_row(local_id, params))
    if changed:
        columns = tuple(WRITE_COLUMNS[i] for i in changed)
        conn.execute(_update_sql(columns), (*(params[i] for i in changed), now, local_id))
    new_tags = normalised_tags(contact.tags)
    if old_tags is not None and tuple(old_tags) == new_tags:
        return
    conn.execute("DELETE FROM contact_tags WHERE contact_id = ?", (local_id,))
    _insert_tags(conn, ((t, local_id) for t in new_tags))


def _insert_tags(conn: sqlite3.Connection, rows: Iterable[tuple[str, int]]) -> None:
    conn.executemany("INSERT OR IGNORE INTO contact_tags (tag, contact_id) VALUES (?, ?)", rows)


def set_server_json(conn: sqlite3.Connection, local_id: int, server: Contact | None) -> None:
    conn.execute(
        "UPDATE contacts SET server_json = ? WHERE id = ?", (optional_json(server), local_id)
    )


def current_generation(conn: sqlite3.Connection) -> int:
    """The newest refresh generation started (0 before the first refresh)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def remove_contact(conn: sqlite3.Connection, local_id: int) -> None:
    """Delete the row and its index entry; tags cascade, closed outbox entries keep their
    record with ``contact_id`` set to NULL."""
    _fts_forget(conn, local_id)
    conn.execute("DELETE FROM contacts WHERE id = ?", (local_id,))


def has_open_entries(conn: sqlite3.Connection, local_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM outbox WHERE contact_id = ? AND state IN"
        " ('pending','in_flight','uncertain','rejected','conflict') LIMIT 1",
        (local_id,),
    ).fetchone()
    return row is not None


def refresh_state(conn: sqlite3.Connection, local_id: int) -> ContactState:
    """Recompute the row's state, pending_op and error from its open outbox entries."""
    entries = conn.execute(
        "SELECT op, state, error FROM outbox WHERE contact_id = ? AND state IN"
        " ('pending','in_flight','uncertain','rejected','conflict')"
        " ORDER BY id",
        (local_id,),
    ).fetchall()
    ops = [OutboxOp(op) for op, _, _ in entries]
    states = {OutboxState(s) for _, s, _ in entries}
    error = next((e for _, _, e in entries if e), None)
    if not entries:
        state = ContactState.SYNCED
    elif OutboxState.CONFLICT in states:
        state = ContactState.CONFLICT
    elif OutboxState.REJECTED in states:
        state = ContactState.REJECTED
    elif OutboxOp.DELETE in ops:
        state = ContactState.DELETED
    else:
        state = ContactState.PENDING
    pending_op: OutboxOp | None = None
    if ops:
        pending_op = (
            OutboxOp.CREATE
            if OutboxOp.CREATE in ops
            else OutboxOp.DELETE
            if OutboxOp.DELETE in ops
            else OutboxOp.UPDATE
        )
    conn.execute(
        "UPDATE contacts SET state = ?, pending_op = ?, error = ? WHERE id = ?",
        (state.value, None if pending_op is None else pending_op.value, error, local_id),
    )
    return state


def write_history(
    conn: sqlite3.Connection,
    *,
    now: float,
    local_id: int | None,
    remote_id: str | None,
    origin: Origin,
    op: OutboxOp,
    before: Contact | None,
    after: Contact | None,
) -> None:
    conn.execute(
        "INSERT INTO history (at, contact_id, remote_id, origin, op, before_json, after_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            now,
            local_id,
            remote_id,
            origin.value,
            op.value,
            optional_json(before),
            optional_json(after),
        ),
    )


def save_snapshot(
    conn: sqlite3.Connection,
    local_id: int,
    contact: Contact,
    *,
    origin: Origin,
    now: float,
    applied: bool,
) -> None:
    """Keep the deleted contact (with group, tags, opt-out) for Undo; a later delete of the
    same local id replaces an older snapshot."""
    conn.execute(
        "INSERT OR REPLACE INTO deleted_contacts"
        " (local_id, snapshot_json, origin, deleted_at, applied_at, restored_at)"
        " VALUES (?, ?, ?, ?, ?, NULL)",
        (local_id, contact_to_json(contact), origin.value, now, now if applied else None),
    )


def remove_as_deleted_on_server(conn: sqlite3.Connection, info: RowInfo, *, now: float) -> None:
    """The server no longer has this contact (and we have no edit for it): keep a
    snapshot so it can be recreated, record it in history, drop the row."""
    server = info.server or info.values
    save_snapshot(conn, info.local_id, info.values, origin=Origin.REMOTE, now=now, applied=True)
    write_history(
        conn,
        now=now,
        local_id=info.local_id,
        remote_id=info.values.remote_id,
        origin=Origin.REMOTE,
        op=OutboxOp.DELETE,
        before=server,
        after=None,
    )
    remove_contact(conn, info.local_id)
