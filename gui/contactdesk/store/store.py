"""The per-account store objects: ``StoreReader`` for the UI thread, ``Store`` for the worker.

One SQLite file per account (``account_store_path``). Open one object per thread; a
``Store`` or ``StoreReader`` must be used only on the thread that opened it (SQLite's
own check raises ``ProgrammingError`` otherwise). In the app:

- the account worker opens the single writable ``Store`` (sync, outbox, local edits);
- the UI thread opens a ``StoreReader`` for its table model and panels.

WAL lets them run at once: the reader never waits for a sync write and vice versa.
The reader learns that the writer committed by polling ``data_version()`` (cheap) or by
the worker telling it; it then re-runs its query.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Self

from contactdesk.core.models import Group
from contactdesk.store import journal
from contactdesk.store.db import Clock, Database, account_store_path, connect
from contactdesk.store.edits import LocalEdits
from contactdesk.store.migrations import migrate
from contactdesk.store.mirror import Mirror
from contactdesk.store.outbox import Outbox
from contactdesk.store.query import Queries, ResultSet
from contactdesk.store.records import (
    ContactQuery,
    DeletedSnapshot,
    HistoryEntry,
    OutboxEntry,
    PendingCounts,
    StoredContact,
)
from contactdesk.store.rows import SELECT_STORED, get_stored, stored_from_row


class StoreReader:
    """Read access to one account's store, for one thread (the UI's).

    Table: ``query(ContactQuery) -> ResultSet`` (count, windows, row of a local id).
    Rows: ``get``, ``get_by_remote_id``. Side panels: ``groups``, ``tags``,
    ``pending_counts``, ``open_entries``, ``history``, ``deleted_snapshots``.
    """

    def __init__(self, db: Database, path: Path) -> None:
        self._db = db
        self.path = path
        self._queries = Queries(db)
        self._outbox = Outbox(db)

    @classmethod
    def open(cls, path: Path, *, clock: Clock = time.time) -> Self:
        """Open (creating and migrating if needed) the store file at ``path``.
        Raises ``StoreUnavailable`` with a plain message when it cannot be used."""
        conn = connect(path)
        try:
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(Database(conn, clock), path)

    @classmethod
    def open_account(
        cls, account_id: str, *, data_dir: Path | None = None, clock: Clock = time.time
    ) -> Self:
        return cls.open(account_store_path(account_id, data_dir=data_dir), clock=clock)

    # ---- the table -----------------------------------------------------------------------

    def query(self, query: ContactQuery) -> ResultSet:
        """Run a table query once; read its windows afterwards (see ``ResultSet``)."""
        return self._queries.run(query)

    def release_results(self) -> None:
        """Forget cached query results that no handle holds (e.g. when the account's
        window closes)."""
        self._queries.release_unused()

    def count(self, query: ContactQuery) -> int:
        return self._queries.count(query)

    def get(self, local_id: int) -> StoredContact | None:
        return get_stored(self._db.conn, local_id)

    def get_many(self, local_ids: list[int]) -> dict[int, StoredContact]:
        out: dict[int, StoredContact] = {}
        for i in range(0, len(local_ids), 500):
            chunk = local_ids[i : i + 500]
            rows = self._db.conn.execute(
                SELECT_STORED + f"WHERE c.id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            out.update((r[0], stored_from_row(r)) for r in rows)
        return out

    def get_by_remote_id(self, remote_id: str) -> StoredContact | None:
        row = self._db.conn.execute(
            SELECT_STORED + "WHERE c.remote_id = ?", (remote_id,)
        ).fetchone()
        return None if row is None else stored_from_row(row)

    # ---- side panels ---------------------------------------------------------------------

    def groups(self) -> list[Group]:
        rows = self._db.conn.execute(
            "SELECT remote_id, name, count FROM groups ORDER BY position, name"
        )
        return [Group(remote_id=r[0], name=r[1], count=r[2]) for r in rows]

    def tags(self) -> list[tuple[str, int]]:
        """Every tag in use with how many (visible) contacts carry it, by name."""
        rows = self._db.conn.execute(
            "SELECT t.tag, count(*) FROM contact_tags t JOIN contacts c ON c.id = t.contact_id"
            " WHERE c.state <> 'deleted' GROUP BY t.tag ORDER BY t.tag"
        )
        return [(r[0], r[1]) for r in rows]

    def pending_counts(self) -> PendingCounts:
        return self._outbox.pending_counts()

    def open_entries(self) -> list[OutboxEntry]:
        return self._outbox.open_entries()

    def history(self, *, local_id: int | None = None, limit: int = 200) -> list[HistoryEntry]:
        return journal.history(self._db.conn, local_id=local_id, limit=limit)

    def deleted_snapshots(self, *, limit: int = 200) -> list[DeletedSnapshot]:
        return journal.deleted_snapshots(self._db.conn, limit=limit)

    # ---- housekeeping ---------------------------------------------------------------------

    def data_version(self) -> int:
        """Changes when another connection commits (``PRAGMA data_version``): poll it to
        know when to re-run the table query."""
        return int(self._db.conn.execute("PRAGMA data_version").fetchone()[0])

    def integrity_check(self) -> list[str]:
        """``["ok"]`` when SQLite finds the file (and the FTS index) consistent."""
        problems = [r[0] for r in self._db.conn.execute("PRAGMA integrity_check")]
        try:
            self._db.conn.execute(
                "INSERT INTO contacts_fts(contacts_fts, rank) VALUES ('integrity-check', 1)"
            )
        except sqlite3.DatabaseError as exc:
            problems = [p for p in problems if p != "ok"] + [f"search index: {exc}"]
        return problems

    def close(self) -> None:
        self._queries.close_all()
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Store(StoreReader):
    """The writable store of one account, for the account worker thread (exactly one per
    account). Adds ``mirror`` (server -> store, for sync), ``outbox`` (sending edits, for
    sync) and ``edits`` (the user's create/update/delete/undo, committed locally first).

    Opening it turns entries left in flight by a previous run into ``uncertain`` ones.
    """

    def __init__(self, db: Database, path: Path) -> None:
        super().__init__(db, path)
        self.mirror = Mirror(db)
        self.outbox = Outbox(db)
        self.edits = LocalEdits(db)
        # Let the WAL grow to ~16 MB between automatic checkpoints: a merge rewrites the
        # same index pages commit after commit, and each checkpoint copies them back.
        db.conn.execute("PRAGMA wal_autocheckpoint = 4000")
        self.recovered: list[OutboxEntry] = self.outbox.recover_interrupted()
        self.mirror.restore_indexes()

    def batch(self) -> AbstractContextManager[None]:
        """Group several write calls into one transaction, e.g. ten pages of a refresh::

            with store.batch():
                for page in ten_pages:
                    store.mirror.merge_page(page.items, page=page.page, ...)

        Other connections see the batch when it ends. It is all or nothing: a failed
        call inside undoes the whole batch (resume from the last committed checkpoint).
        Keep batches to writes of one kind (merging pages), a second or so of work."""
        return self._db.batch()

    def checkpoint_wal(self) -> None:
        """Fold the WAL back into the file (after a big refresh; on closing)."""
        self._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def optimize(self) -> None:
        """Let SQLite refresh its planner statistics (cheap; after large merges)."""
        self._db.conn.execute("PRAGMA optimize")

    def close(self) -> None:
        # SQLite's advice: optimize when a long-lived writer closes (usually a no-op)
        if not self._db.conn.in_transaction:
            self.optimize()
        super().close()
