"""What the window's commands do: new / edit / delete with Undo, groups, pending changes.

Every edit is written to the account's outbox first (the row shows it at once, marked
pending), then the session sends it. Deleting hides the rows at once and shows an Undo
bar for a few seconds; while it shows, the session holds the deletes back, so Undo
simply cancels them and nothing was ever sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget

from contactdesk.core.models import Contact, Group
from contactdesk.store import ContactQuery, Resolution, StoredContact
from contactdesk.ui.models.account_tree_model import EntryKind
from contactdesk.ui.models.columns import phone_formatter
from contactdesk.ui.session import AccountSession
from contactdesk.ui.widgets.message_bar import Level, MessageAction
from contactdesk.worker import Err, Ok, Result

if TYPE_CHECKING:
    from contactdesk.ui.dialogs.contact_editor import ContactEditor
    from contactdesk.ui.dialogs.group_dialogs import DeleteGroupDialog, GroupNameDialog
    from contactdesk.ui.dialogs.pending_panel import ConflictDialog, PendingPanel
    from contactdesk.ui.main_window import MainWindow

# The dialogs are imported when first opened: the window shows sooner without them.

UNDO_MS = 8000

_PLATFORM_NAMES = {"flexacore": "Flexacore", "textflow": "TextFlow"}


def platform_name(session: AccountSession) -> str:
    return _PLATFORM_NAMES.get(session.account.kind.value, session.account.kind.value)


class ContactActions(QObject):
    """The window's editing commands. No Signals; results show in the window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.editor: ContactEditor | None = None
        self._undo: tuple[AccountSession, tuple[int, ...]] | None = None
        self.pending_dock: QDockWidget | None = None
        self.pending_panel: PendingPanel | None = None
        self.dialog: object | None = None  # the open group/conflict dialog, for tests

    # -- contacts ------------------------------------------------------------------------
    def _editor_open(self) -> bool:
        """One editor at a time: a second New/Edit brings the open one to the front."""
        if self.editor is None:
            return False
        self.editor.raise_()
        self.editor.activateWindow()
        return True

    def new_contact(self) -> None:
        session = self.w.current_session
        if session is None or self._editor_open():
            return
        entry = self.w.current_entry
        group_id = entry.key if entry and entry.kind is EntryKind.GROUP else None
        tags = (entry.key,) if entry and entry.kind is EntryKind.TAG else ()
        self._open_editor(session, None, group_id=group_id, tags=tags)

    def edit_selected(self) -> None:
        stored = self.w.current_contact()
        if stored is not None:
            self.edit_local_id(stored.local_id)

    def edit_local_id(self, local_id: int) -> None:
        session = self.w.current_session
        if session is None or self._editor_open():
            return
        stored = session.get(local_id)
        if stored is not None:
            self._open_editor(session, stored)

    def _open_editor(
        self,
        session: AccountSession,
        original: StoredContact | None,
        *,
        group_id: str | None = None,
        tags: tuple[str, ...] = (),
    ) -> None:
        from contactdesk.ui.dialogs.contact_editor import ContactEditor

        exclude = original.local_id if original else None
        editor = ContactEditor(
            session.fields,
            session.capabilities,
            region=session.account.default_region,
            original=original,
            groups=session.groups(),
            group_id=group_id,
            tags=tags,
            duplicates=lambda phone: session.find_by_phone(phone, exclude=exclude),
            parent=self.w,
        )
        editor.save_requested.connect(lambda c: self._save(session, editor, original, c))
        editor.open_existing.connect(self._open_existing_later)
        editor.finished.connect(lambda _r: self._editor_closed(editor))
        self.editor = editor
        # a form, not a question: not modal, the list stays usable beside it
        editor.show()

    def _editor_closed(self, editor: ContactEditor) -> None:
        if self.editor is editor:
            self.editor = None
        editor.deleteLater()

    def _open_existing_later(self, local_id: int) -> None:
        # the editor is closing; open the other contact once it has gone
        def go() -> None:
            self.w.select_contacts([local_id])
            self.edit_local_id(local_id)

        QTimer.singleShot(0, go)

    def _save(
        self,
        session: AccountSession,
        editor: ContactEditor,
        original: StoredContact | None,
        contact: Contact,
    ) -> None:
        def done(result: Result[StoredContact]) -> None:
            if isinstance(result, Err):
                editor.saved(result.error.message)
                return
            editor.saved(None)
            self.w.apply_changes_now()
            self.w.select_contacts([result.value.local_id])

        if original is None:
            session.create(contact, done)
        else:
            session.update(original.local_id, contact, done)

    def delete_selected(self) -> None:
        session = self.w.current_session
        chosen = self.w.selected_contacts()
        if session is None or not chosen:
            return
        self.finish_undo()
        ids = tuple(s.local_id for s in chosen)
        names = chosen[0].contact.display_name if len(chosen) == 1 else f"{len(chosen)} contacts"
        session.hold()
        next_row = min(self.w.table.selected_rows())

        def done(result: Result[None]) -> None:
            if isinstance(result, Err):
                session.release()
                self.w.show_message(result.error.message, Level.ERROR)
                return
            self._undo = (session, ids)
            self.w.undo_bar.show_text(
                f"Deleted {names}.",
                Level.INFO,
                [MessageAction("Undo", self.undo_delete)],
                timeout_ms=UNDO_MS,
            )
            self.w.apply_changes_now()
            rows = self.w.table_model.rowCount()
            if rows:
                self.w.select_row(min(next_row, rows - 1))

        session.delete(ids, done)

    def undo_delete(self) -> None:
        if self._undo is None:
            return
        session, ids = self._undo
        self._undo = None

        def done(result: Result[None]) -> None:
            session.release()
            if isinstance(result, Err):
                self.w.show_message(result.error.message, Level.ERROR)
                return
            self.w.apply_changes_now()
            self.w.select_contacts(list(ids))
            n = len(ids)
            self.w.undo_bar.show_text(
                f"Restored {n} contact{'s' if n != 1 else ''}.", Level.INFO, timeout_ms=3000
            )

        session.undo_delete(ids, done)

    def finish_undo(self) -> None:
        """The Undo bar went away (timed out, closed, replaced): send the deletes."""
        if self._undo is not None:
            session, _ids = self._undo
            self._undo = None
            session.release()

    def undo_bar_dismissed(self) -> None:
        self.finish_undo()

    def may_close(self) -> bool:
        """The window may close unless an editor holds unsaved changes (then it asks)."""
        editor = self.editor
        if editor is not None and editor.isVisible() and editor.dirty:
            self._editor_open()
            editor.reject()  # asks "Discard your changes?"
            return False
        return True

    # -- groups --------------------------------------------------------------------------
    def _group_target(self) -> tuple[AccountSession, str, str] | None:
        session, entry = self.w.current_session, self.w.current_entry
        if session is None or entry is None or entry.kind is not EntryKind.GROUP:
            return None
        return session, entry.key, entry.label

    def new_group(self) -> None:
        session = self.w.current_session
        if session is None or not session.capabilities.groups:
            return
        from contactdesk.ui.dialogs.group_dialogs import GroupNameDialog

        dialog = GroupNameDialog(title="New group…", prompt="Name of the new group:", parent=self.w)
        dialog.name_chosen.connect(lambda name: self._create_group(session, name))
        self._open(dialog)

    def _create_group(self, session: AccountSession, name: str) -> None:
        def done(result: Result[Group]) -> None:
            if isinstance(result, Err):
                self.w.show_message(result.error.message, Level.ERROR)
                return
            self.w.apply_changes_now()
            self.w.select(session.account_id, EntryKind.GROUP, result.value.remote_id)
            self.w.show_message(f"Group “{name}” created.", Level.INFO, timeout_ms=4000)

        session.create_group(name, done)

    def rename_group(self) -> None:
        target = self._group_target()
        if target is None:
            return
        session, group_id, label = target
        from contactdesk.ui.dialogs.group_dialogs import GroupNameDialog

        dialog = GroupNameDialog(
            title="Rename group…", prompt="New name of the group:", current=label, parent=self.w
        )

        def chosen(name: str) -> None:
            def done(result: Result[Group]) -> None:
                if isinstance(result, Err):
                    self.w.show_message(result.error.message, Level.ERROR)
                    return
                self.w.apply_changes_now()
                self.w.select(session.account_id, EntryKind.GROUP, group_id)

            session.rename_group(group_id, name, done)

        dialog.name_chosen.connect(chosen)
        self._open(dialog)

    def delete_group(self) -> None:
        target = self._group_target()
        if target is None:
            return
        session, group_id, label = target
        count = session.count(ContactQuery(group_id=group_id))
        from contactdesk.ui.dialogs.group_dialogs import DeleteGroupDialog

        dialog = DeleteGroupDialog(
            group_name=label, count=count, platform=platform_name(session), parent=self.w
        )

        def confirmed() -> None:
            def done(result: Result[int]) -> None:
                if isinstance(result, Err):
                    self.w.show_message(result.error.message, Level.ERROR)
                    return
                self.w.apply_changes_now()
                self.w.select(session.account_id, EntryKind.ALL)
                self.w.show_message(
                    f"Group “{label}” and its {count:,} contacts were deleted.",
                    Level.INFO,
                    timeout_ms=6000,
                )

            session.delete_group(group_id, done)

        dialog.confirmed.connect(confirmed)
        self._open(dialog)

    def _open(self, dialog: GroupNameDialog | DeleteGroupDialog | ConflictDialog) -> None:
        self.dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        dialog.open()

    def _dialog_closed(self, dialog: object) -> None:
        if self.dialog is dialog:
            self.dialog = None
        if isinstance(dialog, QObject):
            dialog.deleteLater()

    # -- pending changes -----------------------------------------------------------------
    def show_pending(self) -> None:
        if self.pending_dock is None:
            from contactdesk.ui.dialogs.pending_panel import PendingPanel

            dock = QDockWidget("Pending changes", self.w)
            dock.setObjectName("pendingDock")
            panel = PendingPanel(dock)
            dock.setWidget(panel)
            self.w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            panel.retry_requested.connect(lambda i: self._entry_op("retry", i))
            panel.discard_requested.connect(lambda i: self._entry_op("discard", i))
            panel.resolve_requested.connect(self.resolve_entry)
            self.pending_dock, self.pending_panel = dock, panel
        self.pending_dock.show()
        self.pending_dock.raise_()
        self._reload_pending()
        if self.pending_panel is not None:
            self.pending_panel.view.setFocus()

    def pending_changed(self, account_id: str) -> None:
        session = self.w.current_session
        dock = self.pending_dock
        mine = session is not None and session.account_id == account_id
        if dock is not None and mine and dock.isVisible():
            self._reload_pending()

    def _reload_pending(self) -> None:
        session = self.w.current_session
        if self.pending_panel is None or self.pending_dock is None:
            return
        entries = session.open_entries() if session is not None else []
        name = session.account.name if session is not None else ""
        self.pending_dock.setWindowTitle(f"Pending changes: {name}" if name else "Pending changes")
        self.pending_panel.set_entries(entries)

    def _entry_op(self, op: str, entry_id: int) -> None:
        session = self.w.current_session
        if session is None:
            return

        def done(result: Result[object]) -> None:
            if isinstance(result, Err):
                self.w.show_message(result.error.message, Level.ERROR)
            self.w.apply_changes_now()
            self._reload_pending()

        call: Callable[[int, Callable[[Result[object]], None]], None] = (
            session.retry_entry if op == "retry" else session.discard_entry  # type: ignore[assignment]
        )
        call(entry_id, done)

    def resolve_entry(self, entry_id: int) -> None:
        session = self.w.current_session
        if session is None:
            return
        entry = next((e for e in session.open_entries() if e.id == entry_id), None)
        if entry is None:
            return
        from contactdesk.ui.dialogs.pending_panel import ConflictDialog

        dialog = ConflictDialog(
            entry,
            session.fields,
            phone=phone_formatter(session.account.default_region),
            parent=self.w,
        )

        def chosen(choice: object) -> None:
            def done(result: Result[None]) -> None:
                if isinstance(result, Err):
                    self.w.show_message(result.error.message, Level.ERROR)
                elif isinstance(result, Ok):
                    what = "Your version" if choice is Resolution.MINE else "The platform's version"
                    self.w.show_message(f"{what} was kept.", Level.INFO, timeout_ms=4000)
                self.w.apply_changes_now()
                self._reload_pending()

            if isinstance(choice, Resolution):
                session.resolve(entry_id, choice, done)

        dialog.resolved.connect(chosen)
        self._open(dialog)
