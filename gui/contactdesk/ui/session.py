"""One open account as the window sees it: reads on the UI thread, everything else on
the account's worker, and Signals that say what changed.

Reads (table windows, counts, pending entries) use the account's ``StoreReader`` on the
UI thread: they are short indexed queries. Every write -- a local edit into the outbox,
a refresh from the server, sending the outbox -- is a job on the account's
``AccountWorker``, which owns the one writable ``Store`` and the provider client (both
opened lazily on that thread). Results come back as values (``Ok``/``Err``) on the UI
thread through ``worker.call``; nothing here blocks the UI.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from contactdesk.accounts import Account
from contactdesk.core.errors import ProviderError
from contactdesk.core.models import Contact, Group
from contactdesk.core.schema import Capabilities, FieldSpec
from contactdesk.store import (
    ContactQuery,
    OutboxEntry,
    PendingCounts,
    Resolution,
    ResultSet,
    Store,
    StoredContact,
    StoreError,
    StoreReader,
)
from contactdesk.ui.background_reads import (
    BackgroundReads,
    LocalProblem,
    SidebarCounts,
    read_sidebar_counts,
)
from contactdesk.ui.models.result_rows import MakeRow, RowsAnswer
from contactdesk.ui.remote import RemoteContacts
from contactdesk.ui.sync_engine import SyncEngine, SyncReport
from contactdesk.worker import AccountWorker, Err, Ok, Result

log = logging.getLogger(__name__)
T = TypeVar("T")

#: opens the provider client on the worker thread; the argument receives rate-limit waits
RemoteFactory = Callable[[Callable[[float], None]], RemoteContacts]
StoreFactory = Callable[[], Store]

_FIRST_RETRY_S = 5
_MAX_RETRY_S = 300
#: above this many contacts, table queries (tens of ms) run off the UI thread
BACKGROUND_ABOVE = 5_000


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What changed in the store: values of ``ids``, and whether rows came or went."""

    ids: frozenset[int] = frozenset()
    structure: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """An error to show in the message bar, with what was being done."""

    account_id: str
    error: ProviderError
    doing: str  # "sync", "send", "edit", "group"


class AccountSession(QObject):
    """Reads, edits and sync of one account.

    Signals:
        contacts_changed(object): a ``ChangeSet`` (repaint rows, or re-run the query).
        groups_changed(): groups, tags or their counts may have changed.
        pending_changed(object): the new ``PendingCounts``.
        sync_state_changed(str): plain words for the status bar ("Up to date").
        progress(int, object): contacts loaded so far and the total expected (or None).
        problem(object): a ``Problem`` for the message bar.
        problem_cleared(str): the kind of problem that went away ("offline").
        waiting(float): seconds a request waits for the plan's rate limit.
    """

    contacts_changed = Signal(object)
    groups_changed = Signal()
    pending_changed = Signal(object)
    sync_state_changed = Signal(str)
    progress = Signal(int, object)
    problem = Signal(object)
    problem_cleared = Signal(str)
    waiting = Signal(float)

    def __init__(
        self,
        account: Account,
        *,
        fields: Sequence[FieldSpec],
        capabilities: Capabilities,
        reader: StoreReader,
        worker: AccountWorker,
        open_store: StoreFactory,
        open_remote: RemoteFactory,
        engine: SyncEngine,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.account = account
        self.fields = tuple(fields)
        self.capabilities = capabilities
        self.reader = reader
        self.worker = worker
        self._open_store = open_store
        self._open_remote = open_remote
        self._engine = engine
        # worker-thread objects: created, used and closed only by jobs on that thread
        self._store: Store | None = None
        self._remote: RemoteContacts | None = None
        self._stop = threading.Event()
        self._refreshing = False
        self._pushing = False
        self._push_again = False
        self._holds = 0
        self._offline = False
        self._failures = 0
        self.sync_state = "Not synced yet"
        self.loaded: tuple[int, int | None] = (0, None)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self.retry_all)
        self.closed = False
        #: contacts in the store, roughly (decides where table queries run)
        self.size_hint = reader.count(ContactQuery())
        self._reads = BackgroundReads(account.id[:12], reader.path)

    # -- identity --------------------------------------------------------------------------
    @property
    def account_id(self) -> str:
        return self.account.id

    @property
    def offline(self) -> bool:
        return self._offline

    @property
    def busy(self) -> bool:
        return self._refreshing or self._pushing

    # -- UI-thread reads -------------------------------------------------------------------
    def get(self, local_id: int) -> StoredContact | None:
        return self.reader.get(local_id)

    def count(self, query: ContactQuery | None = None) -> int:
        return self.reader.count(query or ContactQuery())

    def pending_counts(self) -> PendingCounts:
        return self.reader.pending_counts()

    def open_entries(self) -> list[OutboxEntry]:
        return self.reader.open_entries()

    def groups(self) -> list[Group]:
        return self.reader.groups()

    def tags(self) -> list[tuple[str, int]]:
        return self.reader.tags()

    def find_by_phone(self, phone: str, *, exclude: int | None = None) -> list[StoredContact]:
        """Contacts already holding this phone (E.164), for the duplicate warning."""
        digits = "".join(ch for ch in phone if ch.isdigit())
        if not digits:
            return []
        with self.reader.query(ContactQuery(text=digits)) as rs:
            found = [s for s in rs.window(0, 50) if s is not None]
        return [s for s in found if s.contact.phone == phone and s.local_id != exclude]

    # -- table rows (RowSource for ContactTableModel) ---------------------------------------
    def prefers_background(self) -> bool:
        # a first download of a big account is big from its first page on
        return max(self.size_hint, self.loaded[1] or 0) > BACKGROUND_ABOVE

    def query_now(self, query: ContactQuery) -> ResultSet:
        return self.reader.query(query)

    def rows(self, local_ids: Sequence[int]) -> dict[int, StoredContact]:
        return self.reader.get_many(list(local_ids))

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
        self._reads.query_rows(query, starts, limit, on_done, follow=follow, make_row=make_row)

    def sidebar_counts(self) -> SidebarCounts:
        return read_sidebar_counts(self.reader, self.capabilities)

    def sidebar_counts_later(self, on_done: Callable[[SidebarCounts], None]) -> None:
        self._reads.sidebar_counts(self.capabilities, on_done)

    # -- sync ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read everything from the server (resuming an interrupted read), then send."""
        if self._refreshing or self.closed:
            return
        self._refreshing = True
        self._reads.start()
        self._set_state("Syncing…")
        self.worker.call(self._job_refresh, on_done=self._refreshed)

    def push(self) -> None:
        """Send waiting edits now (unless an Undo bar holds them back)."""
        if self.closed:
            return
        if self._holds or self._pushing or self._refreshing:
            self._push_again = True
            return
        self._pushing = True
        self._push_again = False
        self.worker.call(self._job_push, on_done=self._pushed)

    def retry_all(self) -> None:
        """Make every waiting edit due now and send (the Retry button)."""
        if self.closed:
            return
        self._retry.stop()
        self.worker.call(self._job_make_due, on_done=lambda _r: self.push())

    def hold(self) -> None:
        """Keep edits here for now (an Undo bar is showing): nothing is sent until release."""
        self._holds += 1

    def release(self) -> None:
        self._holds = max(0, self._holds - 1)
        if not self._holds:
            self.push()

    # -- edits (committed locally first, then sent) ------------------------------------------
    def create(self, contact: Contact, on_done: Callable[[Result[StoredContact]], None]) -> None:
        self._edit(lambda s: s.edits.create(contact), on_done, structure=True)

    def update(
        self, local_id: int, contact: Contact, on_done: Callable[[Result[StoredContact]], None]
    ) -> None:
        self._edit(lambda s: s.edits.update(local_id, contact), on_done, ids=(local_id,))

    def delete(self, local_ids: Sequence[int], on_done: Callable[[Result[None]], None]) -> None:
        ids = tuple(local_ids)
        self._edit(lambda s: s.edits.delete_many(ids), on_done, structure=True)

    def undo_delete(
        self, local_ids: Sequence[int], on_done: Callable[[Result[None]], None]
    ) -> None:
        ids = tuple(local_ids)

        def job(s: Store) -> None:
            for i in ids:
                s.edits.undo_delete(i)

        self._edit(job, on_done, structure=True)

    def retry_entry(self, entry_id: int, on_done: Callable[[Result[object]], None]) -> None:
        self._edit(lambda s: s.outbox.retry(entry_id), on_done, structure=False, everything=True)

    def discard_entry(self, entry_id: int, on_done: Callable[[Result[None]], None]) -> None:
        self._edit(lambda s: s.outbox.discard(entry_id), on_done, structure=True)

    def resolve(
        self,
        entry_id: int,
        choice: Resolution | Contact,
        on_done: Callable[[Result[None]], None],
    ) -> None:
        self._edit(lambda s: s.outbox.resolve(entry_id, choice), on_done, structure=True)

    # -- groups (sent at once: the server decides) --------------------------------------------
    def create_group(self, name: str, on_done: Callable[[Result[Group]], None]) -> None:
        def job() -> Group:
            group = self._remote_side().create_group(name)
            self._store_side().mirror.upsert_groups([group])
            return group

        self._group_job(job, on_done)

    def rename_group(
        self, group_id: str, name: str, on_done: Callable[[Result[Group]], None]
    ) -> None:
        def job() -> Group:
            group = self._remote_side().rename_group(group_id, name)
            store = self._store_side()
            kept = [g if g.remote_id != group_id else group for g in store.groups()]
            store.mirror.upsert_groups(kept)
            return group

        self._group_job(job, on_done)

    def delete_group(self, group_id: str, on_done: Callable[[Result[int]], None]) -> None:
        def job() -> int:
            self._remote_side().delete_group(group_id)
            return self._store_side().mirror.remove_group(group_id)

        self._group_job(job, on_done, structure=True)

    # -- closing -----------------------------------------------------------------------------
    def close(self) -> None:
        """Stop syncing and close the worker-side objects (the worker itself is the pool's)."""
        if self.closed:
            return
        self.closed = True
        self._retry.stop()
        self._stop.set()
        self.worker.cancel_pending()
        self.worker.submit(self._job_close)
        self._reads.close()
        self.reader.close()

    # -- worker-thread jobs --------------------------------------------------------------
    def _store_side(self) -> Store:
        if self._store is None:
            try:
                self._store = self._open_store()
            except StoreError as err:
                raise LocalProblem(err.message, detail=err.detail) from None
        return self._store

    def _remote_side(self) -> RemoteContacts:
        if self._remote is None:
            self._remote = self._open_remote(self.waiting.emit)
        return self._remote

    def _job_refresh(self) -> SyncReport:
        store, remote = self._store_side(), self._remote_side()
        report = self._engine.refresh(store, remote, self._stop, self.progress.emit)
        if report.error is None:
            report.merge(self._engine.push(store, remote, self._stop))
        return report

    def _job_push(self) -> SyncReport:
        store = self._store_side()
        return self._engine.push(store, self._remote_side(), self._stop)

    def _job_make_due(self) -> None:
        self._engine.make_due(self._store_side(), self._remote_side())

    def _job_close(self) -> None:
        if self._remote is not None:
            self._remote.close()
            self._remote = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def _local(self, fn: Callable[[Store], T]) -> Callable[[], T]:
        def job() -> T:
            try:
                return fn(self._store_side())
            except StoreError as err:
                raise LocalProblem(err.message, detail=err.detail) from None

        return job

    # -- results (UI thread) ----------------------------------------------------------------
    def _edit(
        self,
        fn: Callable[[Store], T],
        on_done: Callable[[Result[T]], None],
        *,
        ids: Sequence[int] = (),
        structure: bool = False,
        everything: bool = False,
    ) -> None:
        def done(result: Result[T]) -> None:
            if isinstance(result, Ok):
                if structure:
                    self.size_hint = self.reader.count(ContactQuery())
                changed = set(ids)
                value = result.value
                if isinstance(value, StoredContact):
                    changed.add(value.local_id)
                self.contacts_changed.emit(ChangeSet(frozenset(changed), structure or everything))
                self._pending_may_change()
                if not self.closed:
                    self.push()
            on_done(result)

        self.worker.call(self._local(fn), on_done=done)

    def _group_job(
        self, fn: Callable[[], T], on_done: Callable[[Result[T]], None], *, structure: bool = False
    ) -> None:
        def done(result: Result[T]) -> None:
            if isinstance(result, Ok):
                self.groups_changed.emit()
                if structure:
                    self.size_hint = self.reader.count(ContactQuery())
                    self.contacts_changed.emit(ChangeSet(structure=True))
                    self._pending_may_change()
            on_done(result)

        def job() -> T:
            try:
                return fn()
            except StoreError as err:
                raise LocalProblem(err.message, detail=err.detail) from None

        self.worker.call(job, on_done=done)

    def _refreshed(self, result: Result[SyncReport]) -> None:
        self._refreshing = False
        self._after_sync(result, doing="sync")

    def _pushed(self, result: Result[SyncReport]) -> None:
        self._pushing = False
        self._after_sync(result, doing="send")

    def _after_sync(self, result: Result[SyncReport], *, doing: str) -> None:
        if self.closed:
            return
        if isinstance(result, Err):
            self._failed(result.error, doing)
        else:
            report = result.value
            self._emit_report(report)
            if report.error is not None:
                self._failed(report.error, doing, report.next_attempt_at)
            else:
                self._succeeded()
                if report.next_attempt_at is not None:
                    self._retry_at(report.next_attempt_at)
        self._pending_may_change()
        if self._push_again and not self._holds:
            self.push()

    def _emit_report(self, report: SyncReport) -> None:
        if report.structure:
            self.size_hint = self.reader.count(ContactQuery())
        if report.groups or report.structure:
            self.groups_changed.emit()
        if report.changed or report.structure:
            self.contacts_changed.emit(ChangeSet(frozenset(report.changed), report.structure))
        if report.total is not None:
            self.loaded = (report.total, report.total)

    def _retry_at(self, when: datetime) -> None:
        """Push again when the earliest waiting change falls due."""
        delay = (when - datetime.now(UTC)).total_seconds()
        self._retry.start(int(min(_MAX_RETRY_S, max(0.5, delay)) * 1000))

    def _failed(
        self, error: ProviderError, doing: str, next_attempt_at: datetime | None = None
    ) -> None:
        if error.transient:
            self._failures += 1
            self._offline = True
            if next_attempt_at is not None:
                self._retry_at(next_attempt_at)
            else:
                delay = min(_MAX_RETRY_S, _FIRST_RETRY_S * 2 ** (self._failures - 1))
                self._retry.start(delay * 1000)
            self._set_state("Offline: changes are kept here")
        else:
            self._set_state("Needs attention")
        self.problem.emit(Problem(self.account_id, error, doing))

    def _succeeded(self) -> None:
        self._failures = 0
        if self._offline:
            self._offline = False
            self.problem_cleared.emit("offline")
        self._retry.stop()
        counts = self.reader.pending_counts()
        if counts.needs_attention:
            self._set_state("Up to date, but some changes need you")
        elif counts.total:
            self._set_state("Sending changes…")
        else:
            self._set_state("Up to date")

    def _pending_may_change(self) -> None:
        if not self.closed:
            self.pending_changed.emit(self.reader.pending_counts())

    def _set_state(self, text: str) -> None:
        if text != self.sync_state:
            self.sync_state = text
            self.sync_state_changed.emit(text)
