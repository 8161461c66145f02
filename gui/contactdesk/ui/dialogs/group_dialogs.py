"""Group dialogs: name a new group, rename one, and delete one by typing its name.

Deleting a Flexacore group deletes every contact in it on the server, with no way back
there; so the dialog says so with the count, and the Delete button only wakes up once
the person has typed the group's name.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


def _plain(parent: QWidget, text: str, name: str) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    return label


class GroupNameDialog(QDialog):
    """Ask for a group name (new group or rename).

    Signals:
        name_chosen(str): the trimmed name, when the person pressed the OK button.
    """

    name_chosen = Signal(str)

    def __init__(
        self, *, title: str, prompt: str, current: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("groupNameDialog")
        self.setWindowTitle(title)
        self.name_edit = QLineEdit(current, self)
        self.name_edit.setAccessibleName("Group name")
        self.name_edit.setMaxLength(200)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(title.rstrip("…"))
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self._current = current
        box = QVBoxLayout(self)
        box.addWidget(_plain(self, prompt, "Prompt"))
        box.addWidget(self.name_edit)
        box.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._changed)
        self._changed(current)

    def _changed(self, text: str) -> None:
        name = text.strip()
        self.ok_button.setEnabled(bool(name) and name != self._current)

    def _ok(self) -> None:
        name = self.name_edit.text().strip()
        if name and name != self._current:
            self.name_chosen.emit(name)
            self.accept()


class DeleteGroupDialog(QDialog):
    """Confirm deleting a group by typing its name.

    Signals:
        confirmed(): the name was typed and Delete pressed.
    """

    confirmed = Signal()

    def __init__(
        self, *, group_name: str, count: int, platform: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("deleteGroupDialog")
        self.setWindowTitle("Delete group")
        self._name = group_name
        noun = "contact" if count == 1 else "contacts"
        warning = _plain(
            self,
            f"Deleting the group “{group_name}” on {platform} also deletes all {count:,} "
            f"{noun} in it. This cannot be undone on {platform}.",
            "Warning",
        )
        font = warning.font()
        font.setBold(True)
        warning.setFont(font)
        prompt = _plain(self, "To confirm, type the group's name:", "Prompt")
        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName("Type the group's name to confirm")
        self.name_edit.setPlaceholderText(group_name)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.delete_button = self.buttons.addButton(
            f"Delete group and {count:,} {noun}", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.delete_button.setAccessibleName("Delete group")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self._delete)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(
            lambda t: self.delete_button.setEnabled(t.strip() == self._name.strip())
        )
        box = QVBoxLayout(self)
        box.addWidget(warning)
        box.addWidget(prompt)
        box.addWidget(self.name_edit)
        box.addWidget(self.buttons)

    def _delete(self) -> None:
        if self.name_edit.text().strip() == self._name.strip():
            self.confirmed.emit()
            self.accept()
