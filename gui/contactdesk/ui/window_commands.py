"""The main window's layout and commands: actions with shortcuts, the toolbar, the menus."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from contactdesk.ui.main_window import MainWindow

Shortcut = QKeySequence | QKeySequence.StandardKey | str


def arrange(w: MainWindow) -> tuple[QSplitter, QStackedWidget]:
    """Lay the parts out: message bar over [sidebar | search, undo bar, table | details],
    and the welcome page in front of it all while there is no account."""
    center = QWidget(w)
    box = QVBoxLayout(center)
    box.setContentsMargins(0, 0, 0, 0)
    # above the table, never folded away into a toolbar overflow on a narrow window
    box.addWidget(w.search)
    box.addWidget(w.undo_bar)
    box.addWidget(w.table, 1)  # with the empty-table words over it (``empty_label``)
    splitter = QSplitter(Qt.Orientation.Horizontal, w)
    splitter.setObjectName("mainSplitter")
    splitter.addWidget(w.sidebar)
    splitter.addWidget(center)
    splitter.addWidget(w.detail)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes([250, 730, 300])
    workspace = QWidget(w)
    outer = QVBoxLayout(workspace)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(w.message_bar)
    outer.addWidget(splitter, 1)
    pages = QStackedWidget(w)
    pages.addWidget(w.welcome)
    pages.addWidget(workspace)
    return splitter, pages


def _action(window: MainWindow, text: str, shortcut: Shortcut | None, slot: object) -> QAction:
    act = QAction(text, window)
    if shortcut is not None:
        act.setShortcut(QKeySequence(shortcut))
    act.triggered.connect(slot)
    window.addAction(act)
    return act


def install_commands(w: MainWindow) -> None:
    """Ctrl+N new, Ctrl+E / Enter edit, Del delete, F5 refresh, Ctrl+F find, Esc clear."""
    a = w.actions_
    keys = QKeySequence.StandardKey
    w.act_new = _action(w, "&New contact…", keys.New, a.new_contact)
    w.act_edit = _action(w, "&Edit…", "Ctrl+E", a.edit_selected)
    w.act_delete = _action(w, "&Delete", keys.Delete, a.delete_selected)
    # Del deletes contacts only from the table: in the search box it deletes text
    w.act_delete.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    w.removeAction(w.act_delete)
    w.table.addAction(w.act_delete)
    w.act_refresh = _action(w, "&Refresh", keys.Refresh, w.refresh)
    w.act_refresh.setShortcuts([QKeySequence("F5"), QKeySequence("Ctrl+R")])
    w.act_find = _action(w, "&Find", keys.Find, w.focus_search)
    w.act_pending = _action(w, "&Pending changes", "Ctrl+P", a.show_pending)
    w.act_new_group = _action(w, "New &group…", None, a.new_group)
    w.act_rename_group = _action(w, "&Rename group…", None, a.rename_group)
    w.act_delete_group = _action(w, "De&lete group…", None, a.delete_group)
    w.act_quit = _action(w, "&Quit", keys.Quit, w.close)
    w.act_add_account = _action(w, "&Add an account…", None, w.add_account_requested)
    w.act_account_settings = _action(w, "Account &settings…", None, w.open_account_settings)
    w.act_remove_account = _action(w, "&Remove account…", None, w.remove_current_account)
    w.act_clear = _action(w, "Clear search", "Esc", w.clear_search)
    w.table.edit_requested.connect(a.edit_selected)
    w.table.delete_requested.connect(a.delete_selected)
    w.detail.edit_requested.connect(a.edit_local_id)
    w.status.pending_clicked.connect(a.show_pending)

    style = w.style()
    icons = QStyle.StandardPixmap
    for act, icon in (
        (w.act_new, icons.SP_FileDialogNewFolder),
        (w.act_edit, icons.SP_FileDialogDetailedView),
        (w.act_delete, icons.SP_TrashIcon),
        (w.act_refresh, icons.SP_BrowserReload),
        (w.act_pending, icons.SP_FileDialogListView),
    ):
        act.setIcon(style.standardIcon(icon))
    bar = QToolBar("Main", w)
    bar.setObjectName("mainToolBar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for act in (w.act_new, w.act_edit, w.act_delete, w.act_refresh):
        bar.addAction(act)
    bar.addSeparator()
    bar.addAction(w.act_pending)
    w.addToolBar(bar)
    for child in bar.findChildren(QToolButton, "qt_toolbar_ext_button"):
        child.setAccessibleName("More commands")  # shown when the window is narrow
    for act in bar.actions():
        label = act.text().replace("&", "").rstrip("…")
        shortcut = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        act.setToolTip(f"{label} ({shortcut})" if shortcut else label)

    menu = w.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.addAction(w.act_add_account)
    file_menu.addAction(w.act_account_settings)
    file_menu.addAction(w.act_remove_account)
    file_menu.addSeparator()
    file_menu.addAction(w.act_quit)
    contacts_menu = menu.addMenu("&Contacts")
    for act in (w.act_new, w.act_edit, w.act_delete):
        contacts_menu.addAction(act)
    contacts_menu.addSeparator()
    contacts_menu.addAction(w.act_find)
    group_menu = menu.addMenu("&Groups")
    for act in (w.act_new_group, w.act_rename_group, w.act_delete_group):
        group_menu.addAction(act)
    view_menu = menu.addMenu("&View")
    view_menu.addAction(w.act_refresh)
    view_menu.addAction(w.act_pending)
