"""The "Pending changes" panel and the conflict resolver.

Lists the account's open outbox entries (waiting, refused, in conflict) with Retry,
Discard and Resolve. Resolve shows both versions side by side: keep mine (send my
version over the platform's) or keep theirs (drop my edit).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from contactdesk.core.models import Contact
from contactdesk.core.schema import FieldSpec
from contactdesk.store import ContactState, OutboxEntry, OutboxState, Resolution, StoredContact
from contactdesk.ui.models.columns import PhoneFormatter, plain_phone
from contactdesk.ui.models.pending_model import PendingModel
from contactdesk.ui.widgets.detail_pane import field_value_text


def _plain(parent: QWidget, text: str = "", name: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setAccessibleName(name)
    return label


class PendingPanel(QWidget):
    """The open edits of one account.

    Signals:
        retry_requested(int): an entry id to send again.
        discard_requested(int): an entry id to drop.
        resolve_requested(int): an entry id whose conflict the person wants to settle.
    """

    retry_requested = Signal(int)
    discard_requested = Signal(int)
    resolve_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pendingPanel")
        self.setAccessibleName("Pending changes")
        self.model = PendingModel(self)
        self.view = QTableView(self)
        self.view.setAccessibleName("Pending changes list")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setWordWrap(False)
        self.summary = _plain(self, name="Summary")
        self.retry_button = QPushButton("Retry", self)
        self.discard_button = QPushButton("Discard", self)
        self.resolve_button = QPushButton("Resolve…", self)
        for b, name in (
            (self.retry_button, "Retry sending this change"),
            (self.discard_button, "Discard this change"),
            (self.resolve_button, "Resolve this conflict"),
        ):
            b.setAccessibleName(name)
        self.retry_button.clicked.connect(lambda: self._emit(self.retry_requested))
        self.discard_button.clicked.connect(lambda: self._emit(self.discard_requested))
        self.resolve_button.clicked.connect(lambda: self._emit(self.resolve_requested))
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.view.doubleClicked.connect(lambda _i: self._double_clicked())
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        for b in (self.retry_button, self.discard_button, self.resolve_button):
            buttons.addWidget(b)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.view, 1)
        box.addLayout(buttons)
        self._update_buttons()

    def set_entries(self, entries: Sequence[OutboxEntry]) -> None:
        selected = self.selected()
        self.model.set_entries(entries)
        n = len(entries)
        self.summary.setText(
            "Nothing is waiting: every change was sent."
            if not n
            else f"{n} change{'s' if n != 1 else ''} not sent yet."
        )
        row = 0
        if selected is not None:
            row = next((i for i, e in enumerate(entries) if e.id == selected.id), 0)
        if n:
            self.view.selectRow(row)
        self._update_buttons()

    def selected(self) -> OutboxEntry | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.entry(rows[0].row()) if rows else None

    def select_entry(self, entry_id: int) -> bool:
        for row, e in enumerate(self.model.entries()):
            if e.id == entry_id:
                self.view.selectRow(row)
                return True
        return False

    def _emit(self, signal: SignalInstance) -> None:
        entry = self.selected()
        if entry is not None:
            signal.emit(entry.id)

    def _double_clicked(self) -> None:
        entry = self.selected()
        if entry is not None and entry.state is OutboxState.CONFLICT:
            self.resolve_requested.emit(entry.id)

    def _update_buttons(self) -> None:
        entry = self.selected()
        state = entry.state if entry is not None else None
        self.retry_button.setEnabled(
            state in (OutboxState.PENDING, OutboxState.REJECTED, OutboxState.UNCERTAIN)
        )
        self.discard_button.setEnabled(
            state
            in (
                OutboxState.PENDING,
                OutboxState.REJECTED,
                OutboxState.UNCERTAIN,
                OutboxState.CONFLICT,
            )
        )
        self.resolve_button.setEnabled(state is OutboxState.CONFLICT)


class ConflictDialog(QDialog):
    """Both versions of a contact side by side; keep mine or keep theirs.

    Signals:
        resolved(object): ``Resolution.MINE`` or ``Resolution.THEIRS``.
    """

    resolved = Signal(object)

    def __init__(
        self,
        entry: OutboxEntry,
        fields: Sequence[FieldSpec],
        *,
        phone: PhoneFormatter = plain_phone,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle("Resolve a conflict")
        mine: Contact = entry.payload
        theirs = entry.conflict
        intro = (
            f"“{mine.display_name}” was deleted on the platform after you edited it."
            if entry.conflict_deleted
            else f"“{mine.display_name}” was changed on the platform after you edited it. "
            "Choose which version to keep."
        )
        grid = QGridLayout()
        grid.addWidget(_plain(self, "Field"), 0, 0)
        grid.addWidget(_plain(self, "Your version"), 0, 1)
        grid.addWidget(_plain(self, "On the platform now"), 0, 2)
        self.rows: dict[str, tuple[QLabel, QLabel]] = {}

        def text(c: Contact | None, spec: FieldSpec) -> str:
            if c is None:
                return "(deleted)"
            stored = StoredContact(local_id=0, contact=c, state=ContactState.SYNCED)
            return field_value_text(stored, spec, phone) or "—"

        for row, spec in enumerate(fields, start=1):
            a, b = text(mine, spec), text(theirs, spec)
            left = _plain(self, a, f"Your {spec.label}")
            right = _plain(self, b, f"Platform's {spec.label}")
            if a != b:
                for lab in (left, right):
                    font = lab.font()
                    font.setBold(True)
                    lab.setFont(font)
            grid.addWidget(_plain(self, spec.label), row, 0)
            grid.addWidget(left, row, 1)
            grid.addWidget(right, row, 2)
            self.rows[spec.key] = (left, right)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.mine_button = self.buttons.addButton(
            "Keep mine (add it again)" if entry.conflict_deleted else "Keep mine",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.theirs_button = self.buttons.addButton(
            "Accept the delete" if entry.conflict_deleted else "Keep theirs",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.mine_button.setAccessibleName("Keep my version")
        self.theirs_button.setAccessibleName("Keep the platform's version")
        self.mine_button.clicked.connect(lambda: self._choose(Resolution.MINE))
        self.theirs_button.clicked.connect(lambda: self._choose(Resolution.THEIRS))
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(_plain(self, intro, "Explanation"))
        box.addLayout(grid)
        box.addWidget(self.buttons)

    def _choose(self, choice: Resolution) -> None:
        self.resolved.emit(choice)
        self.accept()
