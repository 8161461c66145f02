"""The rows a table query returned, in two shapes with one interface.

``LiveRows`` wraps a ``ResultSet`` of the UI thread's own reader: nothing is copied, a
window is one range join. ``IdRows`` holds the ordered ids a query worker computed on
its own connection (a temp table cannot cross connections); a window is a primary-key
look-up of those ids on the UI thread's reader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from contactdesk.store import ContactQuery, ResultClosed, ResultSet, StoredContact
from contactdesk.ui.models.row_views import RowView

#: reads contacts by local id (UI thread)
Fetch = Callable[[Sequence[int]], dict[int, StoredContact]]


#: makes the view of the contact at a row (its cells formatted if on screen) off the UI thread
MakeRow = Callable[[int, StoredContact], RowView]


@dataclass(frozen=True, slots=True)
class RowsAnswer:
    """A query computed off the UI thread: the ordered ids, and the rows of the windows
    the table had on screen (keyed by first row), read and made on the same thread."""

    ids: list[int]
    windows: dict[int, list[RowView | None]] = field(default_factory=dict)


class Rows(Protocol):
    @property
    def count(self) -> int: ...
    def window(self, start: int, limit: int) -> list[StoredContact | None]: ...
    def ids(self, start: int, limit: int) -> list[int]: ...
    def rows_of(self, local_ids: Sequence[int]) -> dict[int, int]: ...
    def all_ids(self) -> list[int]: ...
    def close(self) -> None: ...


class NoRows:
    count = 0

    def window(self, start: int, limit: int) -> list[StoredContact | None]:
        return []

    def ids(self, start: int, limit: int) -> list[int]:
        return []

    def rows_of(self, local_ids: Sequence[int]) -> dict[int, int]:
        return {}

    def all_ids(self) -> list[int]:
        return []

    def close(self) -> None:
        return None


class LiveRows:
    """A result set of the UI thread's reader. A closed one reads as empty."""

    def __init__(self, result: ResultSet) -> None:
        self._rs = result
        self.count = result.count

    def window(self, start: int, limit: int) -> list[StoredContact | None]:
        try:
            return self._rs.window(start, limit)
        except ResultClosed:
            return [None] * max(0, min(limit, self.count - start))

    def ids(self, start: int, limit: int) -> list[int]:
        try:
            return self._rs.local_ids(start, limit)
        except ResultClosed:
            return []

    def rows_of(self, local_ids: Sequence[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        try:
            for lid in local_ids:
                row = self._rs.row_of(lid)
                if row is not None:
                    out[lid] = row
        except ResultClosed:
            return {}
        return out

    def all_ids(self) -> list[int]:
        try:
            return self._rs.local_ids()
        except ResultClosed:
            return []

    def close(self) -> None:
        self._rs.close()


class IdRows:
    """Ordered ids computed elsewhere; values read by id when a window is needed."""

    def __init__(self, ids: list[int], fetch: Fetch) -> None:
        self._ids = ids
        self._fetch = fetch
        self._pos: dict[int, int] | None = None
        self.count = len(ids)

    def window(self, start: int, limit: int) -> list[StoredContact | None]:
        ids = self._ids[start : start + limit]
        found = self._fetch(ids)
        return [found.get(i) for i in ids]

    def ids(self, start: int, limit: int) -> list[int]:
        return self._ids[start : start + limit]

    def extends(self, other: Rows) -> bool:
        """True when ``other``'s ids are the start of these, in the same order (rows
        were only added at the end)."""
        if not isinstance(other, IdRows) or other.count > self.count:
            return False
        return self._ids[: other.count] == other._ids  # a C comparison, no Python loop

    def rows_of(self, local_ids: Sequence[int]) -> dict[int, int]:
        if self._pos is None and len(local_ids) <= 8:
            out: dict[int, int] = {}
            for lid in local_ids:
                try:
                    out[lid] = self._ids.index(lid)  # a C scan beats building a big dict
                except ValueError:
                    continue
            return out
        if self._pos is None:
            self._pos = {lid: i for i, lid in enumerate(self._ids)}
        pos = self._pos
        return {lid: pos[lid] for lid in local_ids if lid in pos}

    def all_ids(self) -> list[int]:
        return list(self._ids)

    def close(self) -> None:
        return None


class RowSource(Protocol):
    """Where the rows come from (an ``AccountSession``)."""

    def prefers_background(self) -> bool:
        """Whether queries are slow enough to run off the UI thread."""
        ...

    def query_now(self, query: ContactQuery) -> ResultSet:
        """Run the query here and now, on the UI thread's reader."""
        ...

    def query_rows_later(
        self,
        query: ContactQuery,
        starts: Sequence[int],
        limit: int,
        on_done: Callable[[RowsAnswer], None],
        *,
        follow: Sequence[int] = (),
        make_row: MakeRow,
    ) -> None:
        """The same, computed on another thread with rows ``start .. start+limit-1`` for
        each of ``starts`` and for the windows now holding the contacts in ``follow``,
        each made by ``make_row`` on that thread; ``on_done`` runs on the UI thread."""
        ...

    def rows(self, local_ids: Sequence[int]) -> dict[int, StoredContact]:
        """The current values of these contacts (missing ones were removed)."""
        ...
