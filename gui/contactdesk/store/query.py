"""Table queries: filter + search + sort computed once, then cheap windows.

``Queries.run(query)`` evaluates the whole query in ONE indexed SQL statement that writes
the ordered local ids into a per-connection temp table (``pos`` 1..n, all in C, no Python
per row). After that:

- ``ResultSet.count`` is known for free,
- ``ResultSet.window(offset, limit)`` is a primary-key range join: O(limit), whatever
  the offset, so dragging the scrollbar to row 90,000 costs what row 0 costs,
- ``ResultSet.row_of(local_id)`` finds where a contact landed (keep the selection).

A ``ResultSet`` is a snapshot of *which* rows match, in which order; the windows read the
rows' *current* values. A row removed since the query ran comes back as ``None`` in its
window slot: re-run the query (the UI does so whenever the store reports a change).

Search semantics (``ContactQuery.text``): every term must match. Terms of 3+ characters use
the trigram index: a text term anywhere in the folded name or email, an all-digit term
anywhere in the phone's digits. Input that looks like a phone number ("+1 (555) 12")
is one digit term. Queries whose terms are all shorter fall back to prefix matches on
indexed columns: the name as shown (first name first) or the last name starting with a
text term (so "王" finds the family name), the E.164 digits starting with a digit term
("44" finds UK numbers). Shorter terms next to a long one filter the long one's matches
by substring.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections import OrderedDict
from typing import Any

from contactdesk.store.db import Database
from contactdesk.store.errors import ResultClosed
from contactdesk.store.records import ContactQuery, SortColumn, StoredContact
from contactdesk.store.rows import STORED_COLUMNS, stored_from_row
from contactdesk.store.text import PREFIX_END, Term, fts_phrase, parse_query

SORT_KEYS: dict[SortColumn, str] = {
    SortColumn.NAME: "name_key",
    SortColumn.FIRST: "first_key",
    SortColumn.LAST: "last_key",
    SortColumn.PHONE: "digits",
    SortColumn.EMAIL: "email_key",
    SortColumn.UPDATED: "updated_at",
    SortColumn.STATE: "state",
}
#: results kept alive per connection; older ones are closed (the UI holds one or two)
MAX_OPEN_RESULTS = 8
_ids = itertools.count(1)


def _prefix(column: str, value: str, params: list[Any]) -> str:
    params.extend((value, value + PREFIX_END))
    return f"{column} BETWEEN ? AND ?"


def _short_prefix(term: Term, params: list[Any]) -> str:
    if term.phone:
        return "c." + _prefix("digits", term.text, params)
    # A union of two index ranges, as a subquery: written as one OR over the outer row,
    # SQLite would walk the whole sort index and read every row to test it (~100 ms).
    params.extend((term.text, term.text + PREFIX_END) * 2)
    return (
        "c.id IN (SELECT id FROM contacts WHERE state <> 'deleted' AND name_key BETWEEN ? AND ?"
        " UNION SELECT id FROM contacts WHERE state <> 'deleted' AND last_key BETWEEN ? AND ?)"
    )


def _short_substring(term: Term, params: list[Any]) -> str:
    if term.phone:
        params.append(term.text)
        return "instr(c.digits, ?) > 0"
    params.extend((term.text, term.text))
    return "(instr(c.search_name, ?) > 0 OR instr(c.email_key, ?) > 0)"


def where_clause(query: ContactQuery) -> tuple[str, list[Any]]:
    """``FROM ... WHERE ...`` for ``query`` (alias ``c`` for contacts) and its parameters."""
    # the literal `state <> 'deleted'` lets SQLite use the partial sort indexes
    where = ["c.state <> 'deleted'"]
    params: list[Any] = []
    if query.group_id is not None:
        where.append("c.group_id = ?")
        params.append(query.group_id)
    if query.tag is not None:
        where.append("c.id IN (SELECT contact_id FROM contact_tags WHERE tag = ?)")
        params.append(query.tag)
    terms = parse_query(query.text)
    indexed = [t for t in terms if t.indexed]
    short = [t for t in terms if not t.indexed]
    if indexed:
        match = " AND ".join(
            f"digits : {fts_phrase(t.text)}"
            if t.phone
            else f"{{search_name email_key}} : {fts_phrase(t.text)}"
            for t in indexed
        )
        where.append("c.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?)")
        params.append(match)
        where.extend(_short_substring(t, params) for t in short)
    else:
        where.extend(_short_prefix(t, params) for t in short)
    return "FROM contacts c WHERE " + " AND ".join(where), params


def order_clause(query: ContactQuery) -> str:
    direction = "DESC" if query.descending else "ASC"
    return f"ORDER BY c.{SORT_KEYS[query.sort]} {direction}, c.id {direction}"


class _Table:
    """One computed result: a temp table shared by every handle of an equal query."""

    def __init__(self, conn: sqlite3.Connection, name: str, count: int, version: object) -> None:
        self.conn = conn
        self.name = name
        self.count = count
        self.version = version
        self.handles = 0
        self.alive = True
        #: still reachable from the cache; once replaced, the last handle's close drops it
        self.cached = True
        # the temp table's name is ours (result_<n>); values are bound parameters
        self.window_sql = (
            f"SELECT r.pos, {STORED_COLUMNS} FROM temp.{name} r"  # noqa: S608
            " LEFT JOIN contacts c ON c.id = r.id WHERE r.pos > ? AND r.pos <= ? ORDER BY r.pos"
        )
        self.ids_sql = f"SELECT id FROM temp.{name} WHERE pos > ? AND pos <= ? ORDER BY pos"  # noqa: S608
        self.pos_sql = f"SELECT pos FROM temp.{name} WHERE id = ?"  # noqa: S608

    def release(self) -> None:
        """Leave the cache: drop now if nobody holds it, else when the last handle closes."""
        self.cached = False
        if self.handles == 0:
            self.drop()

    def drop(self) -> None:
        if self.alive:
            self.alive = False
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{self.name}")


class ResultSet:
    """The ordered local ids of one query: a snapshot of which rows match, in order.

    Each ``StoreReader.query`` call returns its own handle; close it when done (or use
    ``with``). Handles of equal queries share one computed table. Use it on the thread
    that made it. If more than ``MAX_OPEN_RESULTS`` results are held at once, the oldest
    are closed; a closed handle raises ``ResultClosed``: run the query again.
    """

    def __init__(self, table: _Table, query: ContactQuery) -> None:
        self._table = table
        self.query = query
        self.count = table.count
        self._closed = False
        table.handles += 1

    def __len__(self) -> int:
        return self.count

    @property
    def closed(self) -> bool:
        return self._closed or not self._table.alive

    def _check(self) -> _Table:
        if self.closed:
            raise ResultClosed(
                "This list is out of date; it is being refreshed.",
                detail=f"result {self._table.name} was closed",
            )
        return self._table

    def window(self, offset: int, limit: int) -> list[StoredContact | None]:
        """Rows ``offset .. offset+limit-1`` (fewer at the end), with their current values.
        A slot is ``None`` when that contact was removed after the query ran."""
        table = self._check()
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative")
        rows = table.conn.execute(table.window_sql, (offset, offset + limit)).fetchall()
        return [None if row[1] is None else stored_from_row(row[1:]) for row in rows]

    def local_ids(self, offset: int = 0, limit: int | None = None) -> list[int]:
        """Local ids in order (e.g. "select all" / bulk actions); all of them by default."""
        table = self._check()
        end = self.count if limit is None else offset + limit
        return [r[0] for r in table.conn.execute(table.ids_sql, (offset, end))]

    def row_of(self, local_id: int) -> int | None:
        """The 0-based row of ``local_id`` in this result, ``None`` if it is not in it."""
        table = self._check()
        found = table.conn.execute(table.pos_sql, (local_id,)).fetchone()
        return None if found is None else int(found[0]) - 1

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._table.handles -= 1
            if self._table.handles == 0 and not self._table.cached:
                self._table.drop()

    def __enter__(self) -> ResultSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


QueryKey = tuple[object, ...]


def query_key(query: ContactQuery) -> QueryKey:
    """Queries that mean the same get the same key ("Rina  Das" == "rina das")."""
    return (query.group_id, query.tag, query.sort, query.descending, parse_query(query.text))


class Queries:
    """Runs table queries on one connection and keeps the computed results in check.

    Results are cached: the same query while the data has not changed (no commit by any
    connection) reuses the computed table, e.g. when the search box goes back to an
    earlier text. At most ``MAX_OPEN_RESULTS`` tables are kept; unused ones go first.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._tables: OrderedDict[QueryKey, _Table] = OrderedDict()

    def _version(self) -> object:
        conn = self._db.conn
        return (conn.execute("PRAGMA data_version").fetchone()[0], self._db.writes)

    def run(self, query: ContactQuery) -> ResultSet:
        key = query_key(query)
        version = self._version()
        table = self._tables.get(key)
        if table is None or not table.alive or table.version != version:
            if table is not None:
                table.release()
            table = self._compute(query, version)
            self._tables[key] = table
        self._tables.move_to_end(key)
        result = ResultSet(table, query)
        self._evict()
        return result

    def _compute(self, query: ContactQuery, version: object) -> _Table:
        conn = self._db.conn
        name = f"result_{next(_ids)}"
        frm, params = where_clause(query)
        conn.execute(f"CREATE TEMP TABLE {name} (pos INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
        try:
            cur = conn.execute(
                f"INSERT INTO temp.{name} (id) SELECT c.id {frm} {order_clause(query)}",
                params,
            )
        except BaseException:
            conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
            raise
        return _Table(conn, name, cur.rowcount, version)

    def _evict(self) -> None:
        while len(self._tables) > MAX_OPEN_RESULTS:
            unused = [k for k, t in self._tables.items() if t.handles == 0]
            # all in use: the oldest goes anyway (its handles then raise ResultClosed)
            key = unused[0] if unused else next(iter(self._tables))
            self._tables.pop(key).drop()

    def count(self, query: ContactQuery) -> int:
        """How many rows ``query`` matches, without keeping them (e.g. sidebar counts)."""
        frm, params = where_clause(query)
        return int(self._db.conn.execute(f"SELECT count(*) {frm}", params).fetchone()[0])

    def release_unused(self) -> None:
        """Drop cached results nobody holds (frees their memory; the next equal query
        computes afresh)."""
        for key in [k for k, t in self._tables.items() if t.handles == 0]:
            self._tables.pop(key).drop()

    def close_all(self) -> None:
        for table in self._tables.values():
            table.drop()
        self._tables.clear()
