"""The product window: accounts and groups/tags on the left, the contact table, the details.

Layout::

    [toolbar: New  Edit  Delete  Refresh  Pending changes          search box      ]
    [message bar (errors in plain words, with a next step)                         ]
    [sidebar | undo bar / contact table                              | detail pane  ]
    [status: sync state | n of N loaded            rate-limit wait | changes waiting]

The window owns no data: each account is an ``AccountSession`` handed in by app.py.
The table reads the selected account's store through a windowed model; searching and
sorting are store queries. Editing lives in ``ContactActions``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QMainWindow,
    QTreeView,
    QWidget,
)

from contactdesk import APP_NAME
from contactdesk.store import ContactQuery, PendingCounts, StoredContact
from contactdesk.ui.background_reads import SidebarCounts
from contactdesk.ui.change_queue import ChangeQueue
from contactdesk.ui.contact_actions import ContactActions
from contactdesk.ui.models.account_tree_model import (
    AccountTreeModel,
    EntryKind,
    SidebarAccount,
    SidebarEntry,
)
from contactdesk.ui.models.columns import phone_formatter
from contactdesk.ui.models.contact_table_model import ContactTableModel
from contactdesk.ui.problems import problem_cleared, show_problem
from contactdesk.ui.session import AccountSession, ChangeSet, Problem
from contactdesk.ui.ui_state import UiState
from contactdesk.ui.widgets.contact_table import ContactTable
from contactdesk.ui.widgets.detail_pane import DetailPane
from contactdesk.ui.widgets.message_bar import Level, MessageAction, MessageBar
from contactdesk.ui.widgets.search_box import SearchBox
from contactdesk.ui.widgets.status_panel import StatusPanel, loaded_text
from contactdesk.ui.widgets.welcome import WelcomePage
from contactdesk.ui.window_commands import arrange, install_commands

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """The main window.

    Signals:
        close_requested(): the person closed the window (app.py shuts down, then quits).
        practice_requested(): "Try practice mode" on the welcome page.
        add_account_requested(): "Add an account".
        update_key_requested(str): the account id whose key should be replaced.
        account_settings_requested(str): the account id whose settings should open.
        remove_account_requested(str): the account id the person wants to remove.
    """

    close_requested = Signal()
    practice_requested = Signal()
    add_account_requested = Signal()
    update_key_requested = Signal(str)
    account_settings_requested = Signal(str)
    remove_account_requested = Signal(str)

    # commands, made by ``install_commands``
    act_new: QAction
    act_edit: QAction
    act_delete: QAction
    act_refresh: QAction
    act_find: QAction
    act_pending: QAction
    act_new_group: QAction
    act_rename_group: QAction
    act_delete_group: QAction
    act_quit: QAction
    act_add_account: QAction
    act_account_settings: QAction
    act_remove_account: QAction
    act_clear: QAction

    def __init__(self, ui_state: UiState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.ui_state = ui_state
        self._sessions: dict[str, AccountSession] = {}
        self._current: AccountSession | None = None
        self._entry: SidebarEntry | None = None
        self._header_account = ""
        #: (selected ids, current id, scroll value or None) to restore when rows arrive
        self._keep: tuple[list[int], int | None, int | None] | None = None
        self._auto_selected = False  # the selected row was picked by us, not the person
        #: where the person was last time; selected again when that account is added
        self._wanted = ui_state.last_selection()

        self._queue = ChangeQueue(self)
        self._queue.ready.connect(self._apply_changes)
        self._save_header = QTimer(self)
        self._save_header.setSingleShot(True)
        self._save_header.setInterval(500)
        self._save_header.timeout.connect(self._store_header)
        self.tree_model = AccountTreeModel(self)
        self.table_model = ContactTableModel(parent=self)
        self._build_widgets()
        self.actions_ = ContactActions(self)
        self.undo_bar.dismissed.connect(self.actions_.finish_undo)
        install_commands(self)
        self._update_actions()
        self._restore_geometry()
        self._update_page()

    # -- building ------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.search = SearchBox(self)
        self.message_bar = MessageBar(self)
        self.undo_bar = MessageBar(self)
        self.undo_bar.setObjectName("undoBar")
        self.undo_bar.setAccessibleName("Undo")
        self.sidebar = QTreeView(self)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName("Accounts, groups and tags")
        self.sidebar.setModel(self.tree_model)
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setUniformRowHeights(True)
        self.sidebar.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sidebar.selectionModel().currentChanged.connect(self._sidebar_changed)
        self.table = ContactTable(self.table_model, self)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        # a click or a key in the table is a person choosing a row
        self.table.clicked.connect(self._chosen)
        self.table.pressed.connect(self._chosen)
        self.table.key_navigated.connect(self._chosen)
        self.table.selectionModel().currentChanged.connect(lambda *_: self._selection_changed())
        self.table.header_changed.connect(self._save_header.start)
        self.empty_label = QLabel(self)
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setAccessibleName("No contacts")
        self.empty_label.hide()
        self.detail = DetailPane(self)

        self.welcome = WelcomePage(self)
        self.welcome.add_account_requested.connect(self.add_account_requested)
        self.welcome.practice_requested.connect(self.practice_requested)
        self.splitter, self.pages = arrange(self)
        self.setCentralWidget(self.pages)

        self.status = StatusPanel(self.statusBar())
        self.search.search_changed.connect(self._search_changed)
        self.table_model.loaded.connect(self._loaded)

    # -- sessions ------------------------------------------------------------------------
    @property
    def sessions(self) -> list[AccountSession]:
        return list(self._sessions.values())

    @property
    def current_session(self) -> AccountSession | None:
        return self._current

    @property
    def current_entry(self) -> SidebarEntry | None:
        return self._entry

    def session(self, account_id: str) -> AccountSession | None:
        return self._sessions.get(account_id)

    def add_session(self, session: AccountSession) -> None:
        self._sessions[session.account_id] = session
        session.contacts_changed.connect(lambda cs, a=session.account_id: self._changed(a, cs))
        session.groups_changed.connect(lambda a=session.account_id: self._sidebar_stale(a))
        session.pending_changed.connect(lambda c, a=session.account_id: self._pending(a, c))
        session.sync_state_changed.connect(lambda t, a=session.account_id: self._sync_state(a, t))
        session.progress.connect(lambda n, t, a=session.account_id: self._progress(a, n, t))
        session.problem.connect(self.show_problem)
        session.problem_cleared.connect(lambda k, a=session.account_id: self._cleared(a, k))
        session.waiting.connect(self.status.set_waiting)
        accounts = self.tree_model.accounts()
        first = [SidebarEntry(EntryKind.ALL, "", "All contacts", session.size_hint)]
        accounts.append(
            SidebarAccount(
                session.account_id, session.account.name, session.account.practice, first
            )
        )
        self.tree_model.set_accounts(accounts)
        self._refresh_sidebar(session)
        self.sidebar.expandAll()
        self._update_page()
        wanted_account, kind, key = self._wanted
        if session.account_id == wanted_account:
            self._wanted = ("", "", "")
            try:
                entry_kind = EntryKind(kind)
            except ValueError:
                entry_kind = EntryKind.ALL
            if self.select(session.account_id, entry_kind, key):
                return
            self.select(session.account_id, EntryKind.ALL)
        elif self._current is None:
            self.select(session.account_id, EntryKind.ALL)

    def remove_session(self, account_id: str) -> None:
        """Stop showing an account (removed, or about to be rebuilt with new settings)."""
        session = self._sessions.pop(account_id, None)
        if session is None:
            return
        if session is self._current:
            self._store_header()
            self._current = None
            self._header_account = ""
            self.table_model.set_source((), None)
            self.detail.show_contact(None)
        session.close()
        self.tree_model.set_accounts(
            [a for a in self.tree_model.accounts() if a.account_id != account_id]
        )
        self.sidebar.expandAll()
        self._update_page()
        if self._current is None and self._sessions:
            self.select(next(iter(self._sessions)), EntryKind.ALL)
        self._update_actions()

    def close_sessions(self) -> None:
        """Stop every account; the window shows nothing more from their stores."""
        self._queue.stop()
        self._current = None
        self.table_model.set_source((), None)
        self.tree_model.set_accounts([])
        for s in self._sessions.values():
            s.close()
        self._sessions.clear()

    def select(self, account_id: str, kind: EntryKind, key: str = "") -> bool:
        idx = self.tree_model.entry_index(account_id, kind, key)
        if not idx.isValid():
            return False
        self.sidebar.setCurrentIndex(idx)
        return True

    @staticmethod
    def _entries(counts: SidebarCounts) -> list[SidebarEntry]:
        entries = [SidebarEntry(EntryKind.ALL, "", "All contacts", counts.total)]
        entries.extend(
            SidebarEntry(EntryKind.GROUP, g.remote_id, g.name, n) for g, n in counts.groups
        )
        entries.extend(SidebarEntry(EntryKind.TAG, t, t, n) for t, n in counts.tags)
        return entries

    def _refresh_sidebar(self, session: AccountSession) -> None:
        """New counts for an account's sidebar rows (off the UI thread for big accounts:
        counting tags over 100,000 contacts takes a tenth of a second)."""
        if session.closed:
            return
        if session.prefers_background():
            account_id = session.account_id

            def arrived(counts: SidebarCounts) -> None:
                self.tree_model.set_entries(account_id, self._entries(counts))
                self._entry_refreshed()

            session.sidebar_counts_later(arrived)
        else:
            self.tree_model.set_entries(session.account_id, self._entries(session.sidebar_counts()))

    # -- sidebar and query ---------------------------------------------------------------
    def _sidebar_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        found = self.tree_model.entry(current)
        if found is None:
            return
        account, entry = found
        session = self._sessions.get(account.account_id)
        if session is None or session.closed:
            return
        if entry is None:
            # the account row itself means all its contacts: show that row as chosen
            child = self.tree_model.entry_index(account.account_id, EntryKind.ALL)
            if child.isValid():
                self.sidebar.setCurrentIndex(child)
                return
            entry = SidebarEntry(EntryKind.ALL, "", "All contacts")
        self._entry = entry
        if session is not self._current:
            self._store_header()
            self._current = session
            phone = phone_formatter(session.account.default_region)
            self.table_model.set_source(
                session.fields, session, query=self._query(), phone_formatter=phone
            )
            self.detail.set_fields(session.fields, phone)
            self.table.restore_columns(self.ui_state.header(session.account_id))
            self._header_account = session.account_id
            self.status.set_sync(f"{session.account.name}: {session.sync_state}")
            self.status.set_pending(session.pending_counts())
        self.ui_state.save_last_selection(account.account_id, entry.kind.value, entry.key)
        self._run_query()
        self._update_actions()

    def _query(self) -> ContactQuery:
        entry = self._entry
        q = self.table_model.query
        return ContactQuery(
            text=self.search.text().strip(),
            group_id=entry.key if entry and entry.kind is EntryKind.GROUP else None,
            tag=entry.key if entry and entry.kind is EntryKind.TAG else None,
            sort=q.sort,
            descending=q.descending,
        )

    def _run_query(self) -> None:
        """Show the sidebar entry + search text + sort now chosen; the selected contact
        stays selected if it still matches."""
        self._keep_selection(scroll=False)
        self.table_model.set_query(self._query())
        self.table.show_sort_indicator()
        self._selection_changed()

    def _keep_selection(self, *, scroll: bool) -> None:
        if self._auto_selected:
            # nobody chose that row: as rows pour in, stay at the top of the list
            self._keep = ([], None, 0 if scroll else None)
            return
        ids = [s.local_id for s in self.selected_contacts()]
        cur = self.current_contact()
        value = self.table.verticalScrollBar().value() if scroll else None
        self._keep = (ids, cur.local_id if cur else None, value)

    def _loaded(self, _count: int) -> None:
        """A query's rows arrived (at once, or from the background): restore the selection."""
        keep, self._keep = self._keep, None
        if keep is not None:
            ids, current, scroll = keep
            if scroll is not None:
                self.table.verticalScrollBar().setValue(scroll)
            if ids:
                self.table.select_local_ids(ids, current)
        if not self.table.selected_rows() and self.table_model.rowCount():
            self.table.selectRow(0)
            self._auto_selected = True
        self._selection_changed()
        self._update_loaded()

    def _search_changed(self, _text: str) -> None:
        if self._current is not None:
            self._run_query()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def clear_search(self) -> None:
        if self.search.text():
            self.search.clear()
        elif self.undo_bar.current is None and self.message_bar.current is not None:
            self.message_bar.dismiss()

    def open_account_settings(self) -> None:
        if self._current is not None:
            self.account_settings_requested.emit(self._current.account_id)

    def remove_current_account(self) -> None:
        if self._current is not None:
            self.remove_account_requested.emit(self._current.account_id)

    def refresh(self) -> None:
        session = self._current
        if session is not None:
            session.refresh()

    # -- selection and details -----------------------------------------------------------
    def selected_contacts(self) -> list[StoredContact]:
        out = []
        for row in self.table.selected_rows():
            s = self.table_model.stored_at(row)
            if s is not None:
                out.append(s)
        return out

    def current_contact(self) -> StoredContact | None:
        idx = self.table.currentIndex()
        if idx.isValid() and self.table.selectionModel().isRowSelected(idx.row()):
            return self.table_model.stored_at(idx.row())
        selected = self.selected_contacts()
        return selected[0] if selected else None

    def _chosen(self, *_args: object) -> None:
        self._auto_selected = False

    def select_contacts(self, local_ids: list[int]) -> None:
        """Select these contacts for the person (after saving, undoing...)."""
        self._auto_selected = False
        self.table.select_local_ids(local_ids)

    def select_row(self, row: int) -> None:
        self._auto_selected = False
        self.table.selectRow(row)

    def _selection_changed(self) -> None:
        self.detail.show_contact(self.current_contact())
        self._update_actions()
        self._update_empty()

    def _update_actions(self) -> None:
        has_session = self._current is not None
        n = len(self.table.selected_rows())
        self.act_new.setEnabled(has_session)
        self.act_edit.setEnabled(n == 1)
        self.act_delete.setEnabled(n >= 1)
        self.act_refresh.setEnabled(has_session)
        self.act_account_settings.setEnabled(has_session)
        practice = self._current is not None and self._current.account.practice
        self.act_remove_account.setEnabled(has_session and not practice)
        groups = has_session and self._current is not None and self._current.capabilities.groups
        in_group = groups and self._entry is not None and self._entry.kind is EntryKind.GROUP
        self.act_new_group.setEnabled(bool(groups))
        self.act_rename_group.setEnabled(bool(in_group))
        self.act_delete_group.setEnabled(bool(in_group))

    def _update_empty(self) -> None:
        empty = self._current is not None and self.table_model.rowCount() == 0
        if empty:
            q = self.table_model.query
            if q.text:
                self.empty_label.setText(
                    f"No contact matches “{q.text}”. Check the spelling, or press Esc to clear."
                )
            elif self._current is not None and self._current.busy:
                self.empty_label.setText("Loading contacts…")
            else:
                self.empty_label.setText("No contacts here yet. Press Ctrl+N to add one.")
        self.empty_label.setVisible(empty)
        self.table.setVisible(not empty)

    # -- store changes -------------------------------------------------------------------
    def _changed(self, account_id: str, change: ChangeSet) -> None:
        session = self._sessions.get(account_id)
        big = session is not None and session.prefers_background()
        self._queue.add(account_id, change, big=big)

    def _sidebar_stale(self, account_id: str) -> None:
        self._queue.sidebar_stale(account_id)

    def apply_changes_now(self) -> None:
        """Apply collected store changes at once (tests, and before showing a dialog)."""
        self._apply_changes()

    def _apply_changes(self) -> None:
        changes, stale = self._queue.take()
        for account_id in stale:
            session = self._sessions.get(account_id)
            if session is not None:
                self._refresh_sidebar(session)
        self._entry_refreshed()
        current = self._current
        change = changes.get(current.account_id) if current is not None else None
        if change is None:
            return
        if change.structure:
            self._requery_keeping_selection()
        elif change.ids:
            self.table_model.rows_changed(change.ids)
        self.detail.show_contact(self._refetch(self.detail.stored))
        self._update_loaded()

    def _entry_refreshed(self) -> None:
        found = self.tree_model.entry(self.sidebar.currentIndex())
        if found is not None and found[1] is not None:
            self._entry = found[1]  # same row, fresh label and count

    def _refetch(self, stored: StoredContact | None) -> StoredContact | None:
        if stored is None or self._current is None:
            return None
        return self._current.get(stored.local_id)

    def _requery_keeping_selection(self) -> None:
        self._keep_selection(scroll=True)
        self.table_model.refresh()

    def _pending(self, account_id: str, counts: object) -> None:
        current = self._current
        mine = current is not None and current.account_id == account_id
        if mine and isinstance(counts, PendingCounts):
            self.status.set_pending(counts)
        self.actions_.pending_changed(account_id)

    def _sync_state(self, account_id: str, text: str) -> None:
        session = self._sessions.get(account_id)
        short = "" if text == "Up to date" else text
        self.tree_model.set_status(account_id, short)
        if session is not None and session is self._current:
            self.status.set_sync(f"{session.account.name}: {text}")
            self._update_loaded()

    def _progress(self, account_id: str, loaded: int, total: object) -> None:
        session = self._sessions.get(account_id)
        if session is not None:
            session.loaded = (loaded, total if isinstance(total, int) else None)
            session.size_hint = max(session.size_hint, loaded)
            # rows arrive page by page: show them as they come (coalesced)
            self._changed(account_id, ChangeSet(structure=True))

    def _update_loaded(self) -> None:
        session = self._current
        if session is None:
            self.status.set_loaded("")
            return
        shown = self.table_model.rowCount()
        in_store = session.size_hint if self.table_model.query != ContactQuery() else shown
        server_total = session.loaded[1] if session.busy else None
        self.status.set_loaded(loaded_text(shown, in_store, server_total))
        self._update_empty()

    # -- messages ------------------------------------------------------------------------
    def show_problem(self, problem: Problem) -> None:
        show_problem(self, problem)

    def _cleared(self, account_id: str, kind: str) -> None:
        problem_cleared(self, account_id, kind)

    def show_message(
        self,
        text: str,
        level: Level = Level.INFO,
        actions: Sequence[MessageAction] = (),
        *,
        timeout_ms: int = 0,
    ) -> None:
        self.message_bar.show_text(text, level, actions, timeout_ms=timeout_ms)

    def report_unexpected(self, exc: BaseException) -> None:
        """A bug reached the top: say so plainly; the traceback is already in the log."""
        del exc
        self.message_bar.show_text(
            "Something went wrong inside Contact Desk. Your contacts and edits are safe. "
            "If it happens again, send the log file to support.",
            Level.ERROR,
        )

    # -- window state --------------------------------------------------------------------
    def _update_page(self) -> None:
        self.pages.setCurrentIndex(1 if self._sessions else 0)

    def _restore_geometry(self) -> None:
        geometry = self.ui_state.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            # first run: most of the screen, the table needs the room
            avail = self.screen().availableGeometry()
            self.resize(min(1320, avail.width() - 40), min(860, avail.height() - 40))
        state = self.ui_state.window_state()
        if state is not None:
            self.restoreState(state)
        splitter = self.ui_state.splitter()
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def _store_header(self) -> None:
        if self._header_account:
            self.ui_state.save_header(self._header_account, self.table.save_columns())

    def save_state(self) -> None:
        self._store_header()
        self.ui_state.save_window(self.saveGeometry(), self.saveState())
        self.ui_state.save_splitter(self.splitter.saveState())
        self.ui_state.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.actions_.may_close():
            event.ignore()
            return
        self.save_state()
        self.actions_.finish_undo()
        event.accept()
        self.close_requested.emit()
