"""Schema versions: ``PRAGMA user_version`` plus an append-only list of forward steps.

Step ``n`` (1-based) moves a file from version ``n - 1`` to ``n``. Steps are never edited
once released: a change to the schema is a new step at the end. All pending steps run
in one ``BEGIN IMMEDIATE`` transaction, so a failed migration leaves the file as it was,
and two connections opening the same file at once cannot both migrate it.

v1 mirror tables, v2 full-text index, v3 outbox/history/snapshots/sync checkpoints,
v4 an index of hidden rows for fast searches.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from contactdesk.store.errors import StoreUnavailable

Migration = Callable[[sqlite3.Connection], None]

_CONTACT_STATES = "'synced','pending','rejected','conflict','deleted'"
_OPS = "'create','update','delete'"
_ENTRY_STATES = "'pending','in_flight','uncertain','rejected','conflict','done','discarded'"

#: every sort column has an index; hidden (pending-delete) rows are left out of them,
#: and table queries say ``state <> 'deleted'`` verbatim so SQLite can use these
_SORT_INDEXES = {
    "name": "name_key",
    "first": "first_key",
    "last": "last_key",
    "phone": "digits",
    "email": "email_key",
    "updated": "updated_at",
    "state": "state",
}


def _v1_mirror(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
    conn.execute(
        """CREATE TABLE groups(
            remote_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            count INTEGER,
            position INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID"""
    )
    # AUTOINCREMENT: a local id is never reused, so a deleted contact's snapshot can be
    # restored under its old id and the UI's selection by id stays meaningful.
    conn.execute(
        f"""CREATE TABLE contacts(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            phone TEXT NOT NULL,
            first_name TEXT,
            last_name TEXT,
            email TEXT,
            remote_id TEXT UNIQUE,
            uuid TEXT,
            group_id TEXT,
            tags_json TEXT NOT NULL DEFAULT '[]',
            custom_json TEXT NOT NULL DEFAULT '{{}}',
            consent_status TEXT,
            opted_out INTEGER,
            created_at TEXT,
            updated_at TEXT,
            extra_json TEXT NOT NULL DEFAULT '{{}}',
            name_key TEXT NOT NULL DEFAULT '',
            first_key TEXT NOT NULL DEFAULT '',
            last_key TEXT NOT NULL DEFAULT '',
            email_key TEXT NOT NULL DEFAULT '',
            digits TEXT NOT NULL DEFAULT '',
            search_name TEXT NOT NULL DEFAULT '',
            -- the last-known server version when it differs from the values above;
            -- NULL means the values ARE the server version (or, with no remote_id,
            -- that the server has no copy yet)
            server_json TEXT,
            state TEXT NOT NULL DEFAULT 'synced' CHECK (state IN ({_CONTACT_STATES})),
            pending_op TEXT CHECK (pending_op IN ({_OPS})),
            error TEXT,
            seen_generation INTEGER NOT NULL DEFAULT 0,
            changed_at REAL NOT NULL DEFAULT 0
        )"""
    )
    for name, column in _SORT_INDEXES.items():
        conn.execute(
            f"CREATE INDEX contacts_by_{name} ON contacts({column}) WHERE state <> 'deleted'"
        )
    conn.execute(
        "CREATE INDEX contacts_by_group ON contacts(group_id, name_key) WHERE state <> 'deleted'"
    )
    conn.execute(
        """CREATE TABLE contact_tags(
            tag TEXT NOT NULL,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            PRIMARY KEY (tag, contact_id)
        ) WITHOUT ROWID"""
    )
    conn.execute("CREATE INDEX contact_tags_by_contact ON contact_tags(contact_id)")


def _v2_search(conn: sqlite3.Connection) -> None:
    # External content: the text lives once, in contacts. The index is maintained by
    # store.rows (every contact write goes through it), not by triggers: a trigger gives
    # each INSERT a statement savepoint, and FTS5 flushes its pending index at every
    # savepoint, which measured 5x slower for bulk merges.
    conn.execute(
        """CREATE VIRTUAL TABLE contacts_fts USING fts5(
            search_name, email_key, digits,
            content='contacts', content_rowid='id', tokenize='trigram'
        )"""
    )
    conn.execute("INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')")


def _v3_outbox(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"""CREATE TABLE outbox(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
            op TEXT NOT NULL CHECK (op IN ({_OPS})),
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ({_ENTRY_STATES})),
            payload_json TEXT NOT NULL,
            base_json TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            error TEXT,
            conflict_json TEXT,
            conflict_deleted INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            changed_at REAL NOT NULL,
            in_flight_since REAL,
            closed_at REAL
        )"""
    )
    conn.execute("CREATE INDEX outbox_by_contact ON outbox(contact_id, id)")
    conn.execute("CREATE INDEX outbox_by_state ON outbox(state, id)")
    conn.execute(
        f"""CREATE TABLE history(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            contact_id INTEGER,
            remote_id TEXT,
            origin TEXT NOT NULL CHECK (origin IN ('local', 'remote')),
            op TEXT NOT NULL CHECK (op IN ({_OPS})),
            before_json TEXT,
            after_json TEXT
        )"""
    )
    conn.execute("CREATE INDEX history_by_contact ON history(contact_id, id)")
    conn.execute(
        """CREATE TABLE deleted_contacts(
            local_id INTEGER PRIMARY KEY,
            snapshot_json TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('local', 'remote')),
            deleted_at REAL NOT NULL,
            applied_at REAL,
            restored_at REAL
        )"""
    )
    conn.execute(
        """CREATE TABLE sync_checkpoints(
            scope TEXT PRIMARY KEY,
            generation INTEGER NOT NULL,
            started_at REAL NOT NULL,
            last_page_done INTEGER NOT NULL DEFAULT 0,
            pages INTEGER,
            total INTEGER,
            finished_at REAL
        ) WITHOUT ROWID"""
    )


def _v4_hidden_index(conn: sqlite3.Connection) -> None:
    # Queries leave out hidden (pending-delete) rows by id, from this tiny index, instead
    # of reading every matching row to look at its state (see store.matching).
    conn.execute("CREATE INDEX contacts_hidden ON contacts(state) WHERE state = 'deleted'")


MIGRATIONS: tuple[Migration, ...] = (_v1_mirror, _v2_search, _v3_outbox, _v4_hidden_index)

#: The sort indexes of the latest schema (keep in step with the migrations). A first
#: download into an empty store drops them and builds them once at the end: each
#: index costs every insert a random page write, and building them over 100,000 rows
#: takes under a second (see ``Mirror``).
DEFERRABLE_INDEXES: dict[str, str] = {
    **{
        f"contacts_by_{name}": f"ON contacts({column}) WHERE state <> 'deleted'"
        for name, column in _SORT_INDEXES.items()
    },
    "contacts_by_group": "ON contacts(group_id, name_key) WHERE state <> 'deleted'",
}


def drop_deferrable_indexes(conn: sqlite3.Connection) -> None:
    for name in DEFERRABLE_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def create_deferrable_indexes(conn: sqlite3.Connection) -> None:
    for name, body in DEFERRABLE_INDEXES.items():
        conn.execute(f"CREATE INDEX IF NOT EXISTS {name} {body}")


LATEST_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, *, target: int = LATEST_VERSION) -> int:
    """Bring the file to ``target`` (default: latest); returns the version before.

    ``conn`` must be in autocommit mode (``isolation_level=None``) and not in a transaction.
    """
    if conn.in_transaction:
        raise RuntimeError("migrate() needs a connection outside any transaction")
    if schema_version(conn) == target:
        return target  # the common case: no write lock taken at all
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = schema_version(conn)  # re-read under the lock: another opener may have won
        if before > LATEST_VERSION:
            raise StoreUnavailable(
                "This account's saved data was written by a newer version of Contact Desk. "
                "Update Contact Desk to open it.",
                detail=f"schema version {before}, this build knows up to {LATEST_VERSION}",
            )
        for step in MIGRATIONS[before:target]:
            step(conn)
        if before < target:
            # PRAGMA cannot take a parameter; target is an int we computed
            conn.execute(f"PRAGMA user_version = {int(target)}")
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return before
