"""The product window: accounts and groups/tags on the left, the contact table, the details.

Layout::

    [toolbar: New  Edit  Delete  Refresh  Pending changes          search box      ]
    [message bar (errors in plain words, with a next step)                         ]
    [sidebar | undo bar / contact table                              | detail pane  ]
    [status: sync state | n of N loaded            rate-limit wait | changes waiting]

The window owns no data: each account is an ``AccountSession`` handed in by app.py.
The table reads the selected account's store through a windowed model; searching and
sorting are store queries. Editing lives in ``ContactActions``, what the sessions report
(store changes, sync state, progress) in ``LiveUpdates``, and keeping the selection
across re-queries in ``SelectionKeeper``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QMainWindow,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from contactdesk import APP_NAME
from contactdesk.store import ContactQuery, StoredContact
from contactdesk.ui.contact_actions import ContactActions
from contactdesk.ui.live_updates import LiveUpdates
from contactdesk.ui.models.account_tree_model import (
    AccountTreeModel,
    EntryKind,
    SidebarAccount,
    SidebarEntry,
)
from contactdesk.ui.models.columns import phone_formatter
from contactdesk.ui.models.contact_table_model import ContactTableModel
from contactdesk.ui.problems import problem_cleared, show_problem
from contactdesk.ui.selection_keeper import SelectionKeeper
from contactdesk.ui.session import AccountSession, Problem
from contactdesk.ui.ui_state import UiState
from contactdesk.ui.widgets.contact_table import ContactTable
from contactdesk.ui.widgets.detail_pane import DetailPane
from contactdesk.ui.widgets.message_bar import Level, MessageAction, MessageBar
from contactdesk.ui.widgets.search_box import SearchBox
from contactdesk.ui.widgets.status_panel import StatusPanel
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
        #: where the person was last time; selected again when that account is added
        self._wanted = ui_state.last_selection()

        self._save_header = QTimer(self)
        self._save_header.setSingleShot(True)
        self._save_header.setInterval(500)
        self._save_header.timeout.connect(self._store_header)
        self.tree_model = AccountTreeModel(self)
        self.table_model = ContactTableModel(parent=self)
        self._build_widgets()
        self.keeper = SelectionKeeper(self)
        self.live = LiveUpdates(self)
        self._connect_table()
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
        # over the empty table, its column headers in view: when the first rows of a
        # download arrive only the rows are painted, nothing is laid out again
        self.empty_label = QLabel(self.table.viewport())
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAccessibleName("No contacts")
        self.empty_label.hide()
        QVBoxLayout(self.table.viewport()).addWidget(self.empty_label)
        self.detail = DetailPane(self)

        self.welcome = WelcomePage(self)
        self.welcome.add_account_requested.connect(self.add_account_requested)
        self.welcome.practice_requested.connect(self.practice_requested)
        self.splitter, self.pages = arrange(self)
        self.setCentralWidget(self.pages)

        self.status = StatusPanel(self.statusBar())
        self.search.search_changed.connect(self._search_changed)

    def _connect_table(self) -> None:
        table, keeper = self.table, self.keeper
        table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        table.selectionModel().currentChanged.connect(lambda *_: self._selection_changed())
        # a click or a key in the table is a person choosing a row
        table.clicked.connect(keeper.chosen)
        table.pressed.connect(keeper.chosen)
        table.key_navigated.connect(keeper.chosen)
        table.header_changed.connect(self._save_header.start)
        self.table_model.loaded.connect(lambda _n: self._rows_arrived(keeper.restore))
        self.table_model.updated.connect(lambda _n: self._rows_arrived(keeper.follow))

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
        self.live.watch(session)
        accounts = self.tree_model.accounts()
        first = [SidebarEntry(EntryKind.ALL, "", "All contacts", session.size_hint)]
        accounts.append(
            SidebarAccount(
                session.account_id, session.account.name, session.account.practice, first
            )
        )
        self.tree_model.set_accounts(accounts)
        self.live.refresh_sidebar(session)
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
        self.live.stop()
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
        self.keeper.remember(scroll=False)
        self.table_model.set_query(self._query())
        self.table.show_sort_indicator()
        self._selection_changed()

    def _rows_arrived(self, keep: Callable[[], None]) -> None:
        """A query's rows arrived (at once, or from the background)."""
        keep()
        self._selection_changed()
        self.live.update_loaded()

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

    def select_contacts(self, local_ids: list[int]) -> None:
        """Select these contacts for the person (after saving, undoing...)."""
        self.keeper.chosen()
        self.table.select_local_ids(local_ids)

    def select_row(self, row: int) -> None:
        self.keeper.chosen()
        self.table.selectRow(row)

    def _selection_changed(self) -> None:
        self.detail.show_contact(self.current_contact())
        self._update_actions()
        self.update_empty()

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

    def update_empty(self) -> None:
        """The table, or words saying why it is empty."""
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

    # -- store changes -------------------------------------------------------------------
    def apply_changes_now(self) -> None:
        """Apply collected store changes at once (tests, and before showing a dialog)."""
        self.live.apply_changes()

    def entry_refreshed(self) -> None:
        """The sidebar rows were rebuilt: keep the chosen entry's fresh label and count."""
        found = self.tree_model.entry(self.sidebar.currentIndex())
        if found is not None and found[1] is not None:
            self._entry = found[1]

    # -- messages ------------------------------------------------------------------------
    def show_problem(self, problem: Problem) -> None:
        show_problem(self, problem)

    def clear_problem(self, account_id: str, kind: str) -> None:
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
