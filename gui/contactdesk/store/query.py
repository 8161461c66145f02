"""Table queries: count and first rows at once, the full ordered list when needed.

``Queries.run(query)`` first counts the matches (index-only SQL, no ordering). Then:

- a few thousand matches or fewer: ONE indexed SQL statement writes the ordered local
  ids into a per-connection temp table (``pos`` 1..n, all in C, no Python per row);
- more (a keystroke like "a" or "1" that matches a big share of the list): the first
  ``FIRST_ROWS`` of the result are found by walking the sort index in order and testing
  each row (``matching.walk_sql``); dense matches fill them after a few hundred rows.
  The temp table with the full order is built only when something asks beyond those
  rows (a window further down, ``row_of`` of a contact not among them, ``local_ids``).
  Materialising 50,000 ordered ids costs ~50 ms; a keystroke needs the count and the
  first screenful.

After that:

- ``ResultSet.count`` is known for free,
- ``ResultSet.window(offset, limit)`` is a primary-key range join: O(limit), whatever
  the offset, so dragging the scrollbar to row 90,000 costs what row 0 costs,
- ``ResultSet.row_of(local_id)`` finds where a contact landed (keep the selection).

A ``ResultSet`` is a snapshot of *which* rows match, in which order; the windows read the
rows' *current* values. A row removed since the query ran comes back as ``None`` in its
window slot: re-run the query (the UI does so whenever the store reports a change).
One exception to "snapshot": when the full order of a big result is built after the
data changed, it lists the rows matching *now* (its count may then differ from
``ResultSet.count``; windows past the end are shorter). A stale result stays usable,
as before; a fresh query gives the exact answer.

What matches and how is in ``contactdesk.store.matching``.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections import OrderedDict
from collections.abc import Callable

from contactdesk.store.db import Database
from contactdesk.store.errors import ResultClosed
from contactdesk.store.matching import (
    bunched,
    count_sql,
    in_index_order,
    match_sql,
    order_clause,
    ordered_sql,
    walk_sql,
)
from contactdesk.store.ranks import RANK_MIN, Ranks
from contactdesk.store.records import ContactQuery, StoredContact
from contactdesk.store.rows import SELECT_STORED, STORED_COLUMNS, stored_from_row
from contactdesk.store.text import parse_query

#: results kept alive per connection; older ones are closed (the UI holds one or two)
MAX_OPEN_RESULTS = 8
#: rows of a big result found at once (the UI reads windows of 200 rows)
FIRST_ROWS = 200
#: results with more matches than this start lazily (below, ordering all is cheaper)
LAZY_ABOVE = 3000
#: rows a lazy start may walk before giving up and ordering every match instead
#: (~1.5 us a row: the rows are read to test them; matches bunched further down the
#: order, e.g. names starting with "C" sorted by name, make a walk fail, so it is kept
#: short: a failed walk must cost little beside the ordering that follows)
WALK_LIMIT = 3000
_ids = itertools.count(1)


class _Table:
    """One computed result, shared by every handle of an equal query.

    Either materialised (a temp table of the ordered ids) or lazy: the first ids in a
    list, the temp table built by ``materialise`` on first need.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        count: int,
        version: object,
        *,
        name: str | None = None,
        first: list[int] | None = None,
        materialise: Callable[[], str] | None = None,
    ) -> None:
        self.conn = conn
        self.count = count
        self.version = version
        self.first = first
        self._materialise = materialise
        self.name: str | None = None
        self.handles = 0
        self.alive = True
        #: still reachable from the cache; once replaced, the last handle's close drops it
        self.cached = True
        if name is not None:
            self._set_name(name)

    def _set_name(self, name: str) -> None:
        self.name = name
        # the temp table's name is ours (result_<n>); values are bound parameters
        self.window_sql = (
            f"SELECT r.pos, {STORED_COLUMNS} FROM temp.{name} r"  # noqa: S608
            " LEFT JOIN contacts c ON c.id = r.id WHERE r.pos > ? AND r.pos <= ? ORDER BY r.pos"
        )
        self.ids_sql = f"SELECT id FROM temp.{name} WHERE pos > ? AND pos <= ? ORDER BY pos"  # noqa: S608
        self.pos_sql = f"SELECT pos FROM temp.{name} WHERE id = ?"  # noqa: S608

    def covers(self, end: int) -> bool:
        """True when rows ``..end`` are answered without the temp table."""
        first = self.first
        if self.name is not None or first is None:
            return False
        return end <= len(first) or len(first) >= self.count

    def table(self) -> str:
        """The temp table of the full order (built now if the result is lazy)."""
        if self.name is None:
            assert self._materialise is not None
            self._set_name(self._materialise())
            self._materialise = None
            self.first = None
        assert self.name is not None
        return self.name

    def release(self) -> None:
        """Leave the cache: drop now if nobody holds it, else when the last handle closes."""
        self.cached = False
        if self.handles == 0:
            self.drop()

    def drop(self) -> None:
        if self.alive:
            self.alive = False
            self._materialise = None
            if self.name is not None:
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
        if table.covers(offset + limit):
            assert table.first is not None
            ids = table.first[offset : offset + limit]
            if not ids:
                return []
            sql = f"{SELECT_STORED}WHERE c.id IN ({', '.join('?' * len(ids))})"
            found = {r[0]: r for r in table.conn.execute(sql, ids)}
            return [None if (r := found.get(i)) is None else stored_from_row(r) for i in ids]
        table.table()
        rows = table.conn.execute(table.window_sql, (offset, offset + limit)).fetchall()
        return [None if row[1] is None else stored_from_row(row[1:]) for row in rows]

    def local_ids(self, offset: int = 0, limit: int | None = None) -> list[int]:
        """Local ids in order (e.g. "select all" / bulk actions); all of them by default."""
        table = self._check()
        end = self.count if limit is None else offset + limit
        if table.covers(end):
            assert table.first is not None
            return table.first[offset:end]
        table.table()
        return [r[0] for r in table.conn.execute(table.ids_sql, (offset, end))]

    def row_of(self, local_id: int) -> int | None:
        """The 0-based row of ``local_id`` in this result, ``None`` if it is not in it."""
        table = self._check()
        first = table.first
        if table.name is None and first is not None:
            if local_id in first:
                return first.index(local_id)
            if len(first) >= table.count:
                return None
        table.table()
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
        self._ranks = Ranks(db.conn)
        self._visible_at: tuple[object, int] | None = None

    def _version(self) -> object:
        conn = self._db.conn
        conn.execute("SELECT 1 FROM contacts LIMIT 1").fetchall()  # starts the snapshot
        return (conn.execute("PRAGMA data_version").fetchone()[0], self._db.writes)

    def run(self, query: ContactQuery) -> ResultSet:
        key = query_key(query)
        # One read snapshot for the version and every statement computing the result
        # (matches, rank table, ordering): a commit by the writer in between cannot
        # make them disagree. The temp tables written meanwhile are ours alone.
        try:
            with self._db.temp_work():
                version = self._version()
                table = self._tables.get(key)
                if table is None or not table.alive or table.version != version:
                    if table is not None:
                        table.release()
                    table = self._compute(query, version)
                    self._tables[key] = table
        except BaseException:
            self._ranks.drop_all()  # a rolled-back build must not be taken as current
            raise
        self._tables.move_to_end(key)
        result = ResultSet(table, query)
        self._evict()
        return result

    def _compute(self, query: ContactQuery, version: object) -> _Table:
        conn = self._db.conn
        if bunched(query):  # a walk would fail: order every match, counting them on the way
            name = f"result_{next(_ids)}"
            count = self._materialise(query, version, None, name)
            return _Table(conn, count, version, name=name)
        sql, params = count_sql(query)
        count = int(conn.execute(sql, params).fetchone()[0])
        if count > LAZY_ABOVE:
            first = self._walk(query, count, self._visible(version))
            if first is not None:
                return _Table(
                    conn, count, version, first=first, materialise=lambda: self._late(query)
                )
        name = f"result_{next(_ids)}"
        self._materialise(query, version, count, name)
        return _Table(conn, count, version, name=name)

    def _visible(self, version: object) -> int:
        """Visible contacts (one count per data version)."""
        if self._visible_at is None or self._visible_at[0] != version:
            sql, params = count_sql(ContactQuery())
            self._visible_at = (version, int(self._db.conn.execute(sql, params).fetchone()[0]))
        return self._visible_at[1]

    def _walk(self, query: ContactQuery, count: int, visible: int) -> list[int] | None:
        """The first ``FIRST_ROWS`` ids in order, by testing rows along the sort index;
        ``None`` when they are not among the rows walked (matches bunched further down
        the order: then ordering every match is cheaper). Matches spread evenly need
        ``FIRST_ROWS * visible / count`` rows; up to three times that are walked."""
        wanted = min(count, FIRST_ROWS)
        walk = min(WALK_LIMIT, 3 * wanted * visible // max(1, count) + 256)
        if wanted * visible > WALK_LIMIT * count:
            return None  # too sparse to be worth a walk
        sql, params = walk_sql(query, walk, wanted)
        found = [r[0] for r in self._db.conn.execute(sql, params)]
        return found if len(found) == wanted else None

    def _materialise(
        self, query: ContactQuery, version: object, count: int | None, name: str
    ) -> int:
        """Create ``temp.<name>`` with the ordered ids; returns how many."""
        conn = self._db.conn
        conn.execute(f"CREATE TEMP TABLE {name} (pos INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
        try:
            return self._fill(name, query, version, count)
        except BaseException:
            conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
            raise

    def _late(self, query: ContactQuery) -> str:
        """The full order of a lazy result, computed on the data as it is now."""
        try:
            with self._db.temp_work():
                version = self._version()
                name = f"result_{next(_ids)}"
                self._materialise(query, version, None, name)
                return name
        except BaseException:
            self._ranks.drop_all()
            raise

    def _fill(self, name: str, query: ContactQuery, version: object, count: int | None) -> int:
        """Write the ordered ids of ``query`` into ``temp.<name>``; ``count``, when
        known, is how many match (it decides how to order them)."""
        conn = self._db.conn
        if in_index_order(query):  # one scan of a sort index, already in order
            sql, params = ordered_sql(query)
            return int(conn.execute(f"INSERT INTO temp.{name} (id) {sql}", params).rowcount)
        # Otherwise: match, then order. With a current rank table (see ranks.py) that is
        # one statement: integer positions, no text comparisons. Without one: a few
        # matches are sorted directly, many are worth building the table.
        # CROSS JOIN keeps SQLite walking the matches rather than the whole table.
        sql, params = match_sql(query)
        direction = "DESC" if query.descending else "ASC"
        rank = self._ranks.fresh(query.sort, version)
        if rank is None and count is not None and count >= RANK_MIN:
            rank = self._ranks.table(query.sort, version)
        staged = rank is None
        if staged:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS matches (id INTEGER PRIMARY KEY)")
            conn.execute("DELETE FROM temp.matches")
            found = conn.execute(f"INSERT INTO temp.matches (id) {sql}", params).rowcount
            sql, params = "SELECT id FROM temp.matches", []
            if found >= RANK_MIN:
                rank = self._ranks.table(query.sort, version)
        if rank is None:
            ordered = (
                "SELECT c.id FROM temp.matches m CROSS JOIN contacts c ON c.id = m.id"  # noqa: S608
                f" {order_clause(query)}"
            )
        else:
            ordered = (
                f"SELECT x.id FROM ({sql}) x CROSS JOIN temp.{rank} k ON k.id = x.id"  # noqa: S608
                f" ORDER BY k.pos {direction}"
            )
        filled = int(conn.execute(f"INSERT INTO temp.{name} (id) {ordered}", params).rowcount)
        if staged:
            conn.execute("DELETE FROM temp.matches")
        return filled

    def _evict(self) -> None:
        while len(self._tables) > MAX_OPEN_RESULTS:
            unused = [k for k, t in self._tables.items() if t.handles == 0]
            # all in use: the oldest goes anyway (its handles then raise ResultClosed)
            key = unused[0] if unused else next(iter(self._tables))
            self._tables.pop(key).drop()

    def count(self, query: ContactQuery) -> int:
        """How many rows ``query`` matches, without keeping them (e.g. sidebar counts)."""
        sql, params = count_sql(query)
        return int(self._db.conn.execute(sql, params).fetchone()[0])

    def release_unused(self) -> None:
        """Drop cached results nobody holds (frees their memory; the next equal query
        computes afresh)."""
        for key in [k for k, t in self._tables.items() if t.handles == 0]:
            self._tables.pop(key).drop()

    def close_all(self) -> None:
        for table in self._tables.values():
            table.drop()
        self._tables.clear()
        self._ranks.drop_all()
