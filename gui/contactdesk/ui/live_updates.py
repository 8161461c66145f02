"""What the accounts' sessions report, brought to the window: store changes (collected
for a moment, then applied to the table, sidebar counts and details in one go), sync
state, download progress, changes waiting to be sent, and the status bar's counts.

While a big account downloads, rows arrive page by page: the changes are coalesced
(``ChangeQueue``, about once a second for a big account) and the table re-runs its
query off the UI thread and updates in place, so the person keeps their selection and
scroll position while the rows appear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from contactdesk.store import ContactQuery, PendingCounts, StoredContact
from contactdesk.ui.background_reads import SidebarCounts
from contactdesk.ui.change_queue import ChangeQueue
from contactdesk.ui.models.account_tree_model import EntryKind, SidebarEntry
from contactdesk.ui.session import AccountSession, ChangeSet
from contactdesk.ui.widgets.status_panel import loaded_text

if TYPE_CHECKING:
    from contactdesk.ui.main_window import MainWindow


def sidebar_entries(counts: SidebarCounts) -> list[SidebarEntry]:
    entries = [SidebarEntry(EntryKind.ALL, "", "All contacts", counts.total)]
    entries.extend(SidebarEntry(EntryKind.GROUP, g.remote_id, g.name, n) for g, n in counts.groups)
    entries.extend(SidebarEntry(EntryKind.TAG, t, t, n) for t, n in counts.tags)
    return entries


class LiveUpdates(QObject):
    """Session reports applied to the window. No Signals."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self._queue = ChangeQueue(self)
        self._queue.ready.connect(self.apply_changes)

    def watch(self, session: AccountSession) -> None:
        """Show what this session reports."""
        a = session.account_id
        session.contacts_changed.connect(lambda cs: self.changed(a, cs))
        session.groups_changed.connect(lambda: self._queue.sidebar_stale(a))
        session.pending_changed.connect(lambda c: self._pending(a, c))
        session.sync_state_changed.connect(lambda t: self._sync_state(a, t))
        session.progress.connect(lambda n, t: self._progress(a, n, t))
        session.problem.connect(self.w.show_problem)
        session.problem_cleared.connect(lambda k: self.w.clear_problem(a, k))
        session.waiting.connect(self.w.status.set_waiting)

    def stop(self) -> None:
        self._queue.stop()

    # -- store changes -------------------------------------------------------------------
    def changed(self, account_id: str, change: ChangeSet) -> None:
        session = self.w.session(account_id)
        big = session is not None and session.prefers_background()
        self._queue.add(account_id, change, big=big)

    def apply_changes(self) -> None:
        """Apply the collected store changes now."""
        w = self.w
        changes, stale = self._queue.take()
        for account_id in stale:
            session = w.session(account_id)
            if session is not None:
                self.refresh_sidebar(session)
        w.entry_refreshed()
        current = w.current_session
        change = changes.get(current.account_id) if current is not None else None
        if change is None:
            return
        if change.structure:
            w.keeper.remember(scroll=True)
            w.table_model.refresh()
        elif change.ids:
            w.table_model.rows_changed(change.ids)
        w.detail.show_contact(self._refetch(w.detail.stored))
        self.update_loaded()

    def _refetch(self, stored: StoredContact | None) -> StoredContact | None:
        current = self.w.current_session
        if stored is None or current is None:
            return None
        return current.get(stored.local_id)

    def refresh_sidebar(self, session: AccountSession) -> None:
        """New counts for an account's sidebar rows (off the UI thread for big accounts:
        counting tags over 100,000 contacts takes a tenth of a second)."""
        if session.closed:
            return
        tree = self.w.tree_model
        if session.prefers_background():
            account_id = session.account_id

            def arrived(counts: SidebarCounts) -> None:
                tree.set_entries(account_id, sidebar_entries(counts))
                self.w.entry_refreshed()

            session.sidebar_counts_later(arrived)
        else:
            tree.set_entries(session.account_id, sidebar_entries(session.sidebar_counts()))

    # -- sync state, progress, waiting changes -------------------------------------------
    def _pending(self, account_id: str, counts: object) -> None:
        current = self.w.current_session
        mine = current is not None and current.account_id == account_id
        if mine and isinstance(counts, PendingCounts):
            self.w.status.set_pending(counts)
        self.w.actions_.pending_changed(account_id)

    def _sync_state(self, account_id: str, text: str) -> None:
        session = self.w.session(account_id)
        short = "" if text == "Up to date" else text
        self.w.tree_model.set_status(account_id, short)
        if session is not None and session is self.w.current_session:
            self.w.status.set_sync(f"{session.account.name}: {text}")
            self.update_loaded()

    def _progress(self, account_id: str, loaded: int, total: object) -> None:
        session = self.w.session(account_id)
        if session is not None:
            session.loaded = (loaded, total if isinstance(total, int) else None)
            session.size_hint = max(session.size_hint, loaded)
            # rows arrive page by page: show them as they come (coalesced)
            self.changed(account_id, ChangeSet(structure=True))

    def update_loaded(self) -> None:
        """The status bar's "n of N" and the table's empty-state text."""
        w = self.w
        session = w.current_session
        if session is None:
            w.status.set_loaded("")
            return
        shown = w.table_model.rowCount()
        in_store = session.size_hint if w.table_model.query != ContactQuery() else shown
        server_total = session.loaded[1] if session.busy else None
        w.status.set_loaded(loaded_text(shown, in_store, server_total))
        w.update_empty()
