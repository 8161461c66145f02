"""Reads of a big account that would stall the UI thread, run on a query worker instead.

Ordering 100,000 contacts for the table, or counting tags over them, takes tens of
milliseconds; the UI thread keeps painting while a worker thread with its own
``StoreReader`` (a reader belongs to the thread that opened it) does it. Results come
back on the UI thread through ``AccountWorker.call``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from contactdesk.core.errors import ProviderError
from contactdesk.core.models import Group
from contactdesk.core.schema import Capabilities
from contactdesk.store import ContactQuery, StoreError, StoreReader
from contactdesk.ui.models.result_rows import MakeRow, RowsAnswer
from contactdesk.ui.models.row_views import RowView
from contactdesk.worker import AccountWorker, Err, Ok, Result

log = logging.getLogger(__name__)
T = TypeVar("T")


class LocalProblem(ProviderError):
    """A store error carried back from a worker as a value (``message`` is plain)."""


@dataclass(frozen=True, slots=True)
class SidebarCounts:
    """What the sidebar shows of an account: contacts in all, per group, per tag."""

    total: int
    groups: tuple[tuple[Group, int], ...] = ()
    tags: tuple[tuple[str, int], ...] = ()


def read_sidebar_counts(reader: StoreReader, capabilities: Capabilities) -> SidebarCounts:
    groups: tuple[tuple[Group, int], ...] = ()
    tags: tuple[tuple[str, int], ...] = ()
    if capabilities.groups:
        groups = tuple(
            (g, reader.count(ContactQuery(group_id=g.remote_id))) for g in reader.groups()
        )
    if capabilities.tags:
        tags = tuple(reader.tags())
    return SidebarCounts(reader.count(ContactQuery()), groups, tags)


class BackgroundReads:
    """A query worker and its reader for one account's store file. No Signals.

    Create and use it on the UI thread; ``close`` lets the worker finish and close its
    reader. Answers arriving after ``close`` are dropped.
    """

    def __init__(self, name: str, path: Path) -> None:
        self._name = name
        self._path = path
        self._worker: AccountWorker | None = None
        self._reader: StoreReader | None = None  # used only on the worker thread
        self.closed = False

    def start(self) -> AccountWorker | None:
        """Start the worker thread now (before a sync makes every thread compete for the
        CPU: starting one then kept the UI thread waiting tens of milliseconds)."""
        if self._worker is None and not self.closed:
            self._worker = AccountWorker(f"{self._name}-query")
        return self._worker

    def run(self, fn: Callable[[StoreReader], T], on_done: Callable[[T], None]) -> None:
        """``fn(reader)`` on the worker; ``on_done(value)`` on the UI thread if it worked."""
        worker = self.start()
        if worker is None:
            return

        def job() -> T:
            try:
                if self._reader is None:
                    self._reader = StoreReader.open(self._path)
                return fn(self._reader)
            except StoreError as err:
                raise LocalProblem(err.message, detail=err.detail) from None

        def done(result: Result[T]) -> None:
            if isinstance(result, Ok) and not self.closed:
                on_done(result.value)
            elif isinstance(result, Err):
                log.warning("background read failed: %s", result.error.message)

        worker.call(job, on_done=done)

    def query_rows(
        self,
        query: ContactQuery,
        starts: Sequence[int],
        limit: int,
        on_done: Callable[[RowsAnswer], None],
        *,
        follow: Sequence[int] = (),
        make_row: MakeRow,
    ) -> None:
        """The ordered ids of ``query``, and the rows of the windows at ``starts`` and of
        those now holding the contacts in ``follow``, made by ``make_row``: the table
        swaps them in without reading or formatting on the UI thread (200 rows read there
        take tens of milliseconds while a sync writes; a phone number, a tenth of one)."""
        wanted, followed = tuple(starts), tuple(follow)

        def rows(reader: StoreReader) -> RowsAnswer:
            with reader.query(query) as rs:
                ids = rs.local_ids()
            where = set()
            for local_id in followed:
                try:
                    row = ids.index(local_id)  # a C scan; a few of them
                except ValueError:
                    continue
                where.add(row - row % limit)
            windows: dict[int, list[RowView | None]] = {}
            for start in (*wanted, *sorted(where.difference(wanted))):
                chunk = ids[start : start + limit]
                if chunk:
                    found = reader.get_many(chunk)
                    stored = [found.get(i) for i in chunk]
                    windows[start] = [
                        None if s is None else make_row(start + i, s) for i, s in enumerate(stored)
                    ]
            return RowsAnswer(ids, windows)

        self.run(rows, on_done)

    def sidebar_counts(
        self, capabilities: Capabilities, on_done: Callable[[SidebarCounts], None]
    ) -> None:
        self.run(lambda r: read_sidebar_counts(r, capabilities), on_done)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._worker is not None:
            self._worker.cancel_pending()
            self._worker.submit(self._close_reader)
            self._worker.shutdown(cancel_futures=False)

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
