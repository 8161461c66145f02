"""Server -> store: groups, pages of server contacts, deletions, refresh checkpoints.

Used by sync on the account's worker thread. Each method is one transaction.

A full refresh of a scope (a Flexacore group, or a whole TextFlow account)::

    cp = store.mirror.begin_refresh(group_id)        # resumes an interrupted refresh
    for page in range(cp.next_page, ...):
        p = provider.list_contacts(group_id=group_id, page=page)
        store.mirror.merge_page(p.items, group_id=group_id, page=p.page, pages=p.pages,
                                total=p.total, fields=LIST_FIELDS)
    removed = store.mirror.finish_refresh(group_id)  # sweeps contacts not seen

Throughput: each ``merge_page`` is one transaction, and a commit costs milliseconds
however small, so group a few pages: ``with store.batch(): ...`` around ~10 page merges
(or pass several provider pages to one call with the last page's number). The first
download into an empty scope (``page=1`` with ``total >= BULK_LOAD_MIN``) builds the
sort indexes once at the end.

Rules that protect local work: a server copy for a contact with an open local edit only
replaces the row's *last-known server version* (how a later conflict is detected), never
the values the user is waiting to send. A field the listing does not carry (``fields``)
keeps its stored value, and ``opted_out=None`` never clears a known opt-out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from contactdesk.core.models import Contact, Group
from contactdesk.store.db import Database, require_datetime, to_datetime
from contactdesk.store.entries import apply_server_deletion
from contactdesk.store.migrations import create_deferrable_indexes, drop_deferrable_indexes
from contactdesk.store.records import Checkpoint, ContactState, Origin, OutboxOp
from contactdesk.store.rows import (
    RowInfo,
    current_generation,
    insert_many,
    row_infos_by_remote_id,
    set_server_json,
    write_history,
    write_values,
)

CONTACT_FIELDS = frozenset(f.name for f in fields(Contact))
#: a first download of at least this many contacts into an empty scope builds the sort
#: indexes once at the end instead of updating them on every insert (2-3x faster)
BULK_LOAD_MIN = 2000


def merge_server_copy(
    old: Contact | None, new: Contact, carried: Collection[str] | None
) -> Contact:
    """The server version after reading ``new``: fields the source does not carry keep
    their old value, and an unknown opt-out (``None``) keeps a known one."""
    if old is None:
        return new
    if carried is not None:
        keep = {name: getattr(old, name) for name in CONTACT_FIELDS - set(carried)}
        new = replace(new, **keep)
    if new.opted_out is None and old.opted_out is not None:
        new = replace(new, opted_out=old.opted_out)
    return new


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What a merge did, so sync can tell the UI which rows changed."""

    inserted: int
    updated: tuple[int, ...]  # local ids whose shown values changed
    server_only: tuple[int, ...]  # local ids with a local edit: only the server copy moved


def _checkpoint(row: Sequence[Any]) -> Checkpoint:
    return Checkpoint(
        scope=row[0],
        generation=row[1],
        started_at=require_datetime(row[2]),
        last_page_done=row[3],
        pages=row[4],
        total=row[5],
        finished_at=to_datetime(row[6]),
    )


_CP_SELECT = (
    "SELECT scope, generation, started_at, last_page_done, pages, total, finished_at"
    " FROM sync_checkpoints WHERE scope = ?"
)


class Mirror:
    """Writes the server's view into the store (groups, contacts, deletions, checkpoints)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- groups -------------------------------------------------------------------

    def upsert_groups(self, groups: Sequence[Group], *, complete: bool = False) -> list[str]:
        """Insert or update ``groups`` (their order is kept for display). With
        ``complete=True`` the list is the whole truth: other groups are removed together
        with their contacts (snapshots kept). Returns the removed group ids."""
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO groups (remote_id, name, count, position) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (remote_id) DO UPDATE SET name = excluded.name,"
                " count = excluded.count, position = excluded.position",
                [(g.remote_id, g.name, g.count, i) for i, g in enumerate(groups)],
            )
            if not complete:
                return []
            keep = {g.remote_id for g in groups}
            gone = [r[0] for r in conn.execute("SELECT remote_id FROM groups")]
            gone = [g for g in gone if g not in keep]
            for group_id in gone:
                self._remove_group(conn, group_id)
            return gone

    def remove_group(self, group_id: str) -> int:
        """The group is gone on the server (its contacts went with it): remove it and its
        contacts, keeping snapshots. Returns how many contacts were removed."""
        with self._db.transaction() as conn:
            return self._remove_group(conn, group_id)

    def _remove_group(self, conn: sqlite3.Connection, group_id: str) -> int:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM contacts WHERE group_id = ? AND remote_id IS NOT NULL",
                (group_id,),
            )
        ]
        for local_id in ids:
            apply_server_deletion(conn, local_id, now=self._db.now())
        conn.execute("DELETE FROM groups WHERE remote_id = ?", (group_id,))
        conn.execute("DELETE FROM sync_checkpoints WHERE scope = ?", (group_id,))
        self._restore_indexes_if_idle(conn)
        return len(ids)

    # ---- refresh checkpoints ----------------------------------------------------------

    def checkpoint(self, group_id: str | None = None) -> Checkpoint | None:
        row = self._db.conn.execute(_CP_SELECT, (group_id or "",)).fetchone()
        return None if row is None else _checkpoint(row)

    def begin_refresh(self, group_id: str | None = None) -> Checkpoint:
        """Start a full refresh of a scope, or resume the unfinished one (same generation,
        ``next_page`` after the last page merged)."""
        scope = group_id or ""
        with self._db.transaction() as conn:
            row = conn.execute(_CP_SELECT, (scope,)).fetchone()
            if row is not None and row[6] is None:
                return _checkpoint(row)
            generation = self._next_generation(conn)
            conn.execute(
                "INSERT OR REPLACE INTO sync_checkpoints (scope, generation, started_at,"
                " last_page_done, pages, total, finished_at) VALUES (?, ?, ?, 0, NULL, NULL, NULL)",
                (scope, generation, self._db.now()),
            )
            new = conn.execute(_CP_SELECT, (scope,)).fetchone()
            return _checkpoint(new)

    def finish_refresh(self, group_id: str | None = None, *, sweep: bool = True) -> list[int]:
        """Close the scope's refresh; with ``sweep`` (the refresh read every page), every
        contact of the scope it did not see is gone on the server and is removed (with a
        snapshot) or, if it has a local edit, put in conflict. Returns the affected ids."""
        scope = group_id or ""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT generation FROM sync_checkpoints WHERE scope = ? AND finished_at IS NULL",
                (scope,),
            ).fetchone()
            if row is None:
                raise RuntimeError(f"no refresh in progress for scope {scope!r}")
            swept = self._sweep(conn, row[0], group_id) if sweep else []
            conn.execute(
                "UPDATE sync_checkpoints SET finished_at = ? WHERE scope = ?",
                (self._db.now(), scope),
            )
            self._restore_indexes_if_idle(conn)
            return swept

    def unseen(self, group_id: str | None = None) -> list[tuple[int, str]]:
        """(local id, remote id) of the scope's contacts its unfinished refresh has not
        seen yet, oldest first: what ``finish_refresh(sweep=True)`` would remove. A list
        read page by page can shift under the reader, so sync may check these with the
        server first (``merge_page`` the ones still there, ``mark_deleted_on_server`` the
        ones gone) and then finish with ``sweep=False``."""
        conn = self._db.conn
        row = conn.execute(
            "SELECT generation FROM sync_checkpoints WHERE scope = ? AND finished_at IS NULL",
            (group_id or "",),
        ).fetchone()
        if row is None:
            raise RuntimeError(f"no refresh in progress for scope {group_id or ''!r}")
        sql = (
            "SELECT id, remote_id FROM contacts WHERE remote_id IS NOT NULL AND seen_generation < ?"
        )
        params: list[Any] = [row[0]]
        if group_id is not None:
            sql += " AND group_id = ?"
            params.append(group_id)
        return [(r[0], r[1]) for r in conn.execute(sql + " ORDER BY id", params)]

    def sweep(self, generation: int, *, group_id: str | None = None) -> list[int]:
        """Treat every contact (of ``group_id``, or all) last seen before ``generation`` as
        deleted on the server. ``finish_refresh`` does this for you."""
        with self._db.transaction() as conn:
            return self._sweep(conn, generation, group_id)

    def _sweep(self, conn: sqlite3.Connection, generation: int, group_id: str | None) -> list[int]:
        sql = "SELECT id FROM contacts WHERE remote_id IS NOT NULL AND seen_generation < ?"
        params: list[Any] = [generation]
        if group_id is not None:
            sql += " AND group_id = ?"
            params.append(group_id)
        ids = [r[0] for r in conn.execute(sql, params)]
        now = self._db.now()
        for local_id in ids:
            apply_server_deletion(conn, local_id, now=now)
        return ids

    @staticmethod
    def _next_generation(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        generation = (int(row[0]) if row else 0) + 1
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', ?)", (str(generation),)
        )
        return generation

    # ---- bulk loads ---------------------------------------------------------------------

    @staticmethod
    def _maybe_defer_indexes(conn: sqlite3.Connection, group_id: str | None) -> None:
        if conn.execute("SELECT 1 FROM meta WHERE key = 'deferred_indexes'").fetchone():
            return
        if group_id is None:
            found = conn.execute("SELECT 1 FROM contacts LIMIT 1").fetchone()
        else:
            found = conn.execute(
                "SELECT 1 FROM contacts WHERE group_id = ? LIMIT 1", (group_id,)
            ).fetchone()
        if found:
            return  # the scope has rows people may be sorting right now
        drop_deferrable_indexes(conn)
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('deferred_indexes', '1')")

    def _restore_indexes_if_idle(self, conn: sqlite3.Connection) -> bool:
        """Build the deferred sort indexes once no refresh is left unfinished."""
        if not conn.execute("SELECT 1 FROM meta WHERE key = 'deferred_indexes'").fetchone():
            return False
        if conn.execute("SELECT 1 FROM sync_checkpoints WHERE finished_at IS NULL").fetchone():
            return False
        create_deferrable_indexes(conn)
        conn.execute("DELETE FROM meta WHERE key = 'deferred_indexes'")
        conn.execute("ANALYZE")  # fresh statistics for the planner after a big load
        return True

    def restore_indexes(self) -> bool:
        """Build sort indexes left deferred by a bulk load whose refresh will not finish
        (done when a writable store opens). Returns whether it built them."""
        with self._db.transaction() as conn:
            return self._restore_indexes_if_idle(conn)

    # ---- contacts ---------------------------------------------------------------------

    def merge_page(
        self,
        contacts: Sequence[Contact],
        *,
        group_id: str | None = None,
        page: int | None = None,
        pages: int | None = None,
        total: int | None = None,
        fields: Collection[str] | None = None,
    ) -> MergeResult:
        """Merge server contacts (each with ``remote_id``) in one transaction.

        With ``page``, this is page ``page`` of the scope's refresh started by
        ``begin_refresh(group_id)``; the checkpoint advances in the same transaction, so a
        crash never records a page that was not stored. Without ``page`` it is an ad-hoc
        merge (a fetched contact, a server search result): it counts as "seen now".
        ``fields`` names the ``Contact`` attributes the source carries (e.g. Flexacore's
        list: phone and names); ``None`` means all of them.
        """
        carried = None if fields is None else frozenset(fields) | {"remote_id"}
        if carried is not None and not carried <= CONTACT_FIELDS:
            raise ValueError(f"unknown contact fields: {sorted(carried - CONTACT_FIELDS)}")
        by_id: dict[str, Contact] = {}
        for c in contacts:
            if not c.remote_id:
                raise ValueError("server contacts must have a remote_id")
            by_id[c.remote_id] = c  # a repeated id within a page: the later copy wins
        scope = group_id or ""
        now = self._db.now()
        with self._db.transaction() as conn:
            if page is not None:
                row = conn.execute(
                    "SELECT generation FROM sync_checkpoints"
                    " WHERE scope = ? AND finished_at IS NULL",
                    (scope,),
                ).fetchone()
                if row is None:
                    raise RuntimeError(f"merge_page(page=...) needs begin_refresh({group_id!r})")
                generation = int(row[0])
                if page == 1 and (total or 0) >= BULK_LOAD_MIN:
                    self._maybe_defer_indexes(conn, group_id)
            else:
                generation = current_generation(conn)
            existing = row_infos_by_remote_id(conn, list(by_id))
            new = [c for rid, c in by_id.items() if rid not in existing]
            insert_many(conn, new, now=now, generation=generation)
            updated, server_only = self._merge_existing(conn, existing, by_id, carried, now)
            conn.executemany(
                "UPDATE contacts SET seen_generation = max(seen_generation, ?) WHERE id = ?",
                [(generation, info.local_id) for info in existing.values()],
            )
            if page is not None:
                conn.execute(
                    "UPDATE sync_checkpoints SET last_page_done = max(last_page_done, ?),"
                    " pages = coalesce(?, pages), total = coalesce(?, total) WHERE scope = ?",
                    (page, pages, total, scope),
                )
        return MergeResult(len(new), tuple(updated), tuple(server_only))

    def _merge_existing(
        self,
        conn: sqlite3.Connection,
        existing: dict[str, RowInfo],
        by_id: dict[str, Contact],
        carried: Collection[str] | None,
        now: float,
    ) -> tuple[list[int], list[int]]:
        updated: list[int] = []
        server_only: list[int] = []
        for rid, info in existing.items():
            old_server = info.server
            server = merge_server_copy(old_server, by_id[rid], carried)
            if info.state is not ContactState.SYNCED:
                # a local edit is waiting: keep its values, remember what the server has
                if server != old_server:
                    set_server_json(conn, info.local_id, server)
                    server_only.append(info.local_id)
                continue
            if server == info.values:
                continue
            write_values(conn, info.local_id, server, now=now, old_tags=info.values.tags)
            write_history(
                conn,
                now=now,
                local_id=info.local_id,
                remote_id=rid,
                origin=Origin.REMOTE,
                op=OutboxOp.UPDATE,
                before=info.values,
                after=server,
            )
            updated.append(info.local_id)
        return updated, server_only

    def mark_deleted_on_server(self, remote_ids: Sequence[str]) -> list[int]:
        """These contacts are gone on the server (e.g. a 404 while fetching one): remove
        them with a snapshot, or put a local edit in conflict. Returns affected local ids;
        unknown ids are ignored."""
        now = self._db.now()
        with self._db.transaction() as conn:
            infos = row_infos_by_remote_id(conn, list(remote_ids))
            for info in infos.values():
                apply_server_deletion(conn, info.local_id, now=now)
            return [info.local_id for info in infos.values()]
