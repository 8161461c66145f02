"""Editors for the non-text fields of a contact: tags and custom fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def split_tags(text: str) -> tuple[str, ...]:
    """ "vip, customer ,vip" -> ("vip", "customer"): trimmed, no empties, no repeats."""
    seen: dict[str, None] = {}
    for part in text.split(","):
        tag = " ".join(part.split())
        if tag:
            seen.setdefault(tag, None)
    return tuple(seen)


class TagsEdit(QLineEdit):
    """Tags typed as a comma-separated list ("customer, vip").

    Signals:
        tags_changed(): the list of tags changed.
    """

    tags_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("e.g. customer, vip (separate tags with commas)")
        self.textChanged.connect(lambda _t: self.tags_changed.emit())

    def tags(self) -> tuple[str, ...]:
        return split_tags(self.text())

    def set_tags(self, tags: Sequence[str]) -> None:
        self.setText(", ".join(tags))


class CustomFieldsEdit(QWidget):
    """Name/value pairs in a small table, with Add and Remove.

    Signals:
        fields_changed(): a name or value was added, changed or removed.
    """

    fields_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2, self)
        self.table.setAccessibleName("Custom fields")
        self.table.setHorizontalHeaderLabels(["Name", "Value"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMaximumHeight(140)
        self.table.itemChanged.connect(lambda _i: self.fields_changed.emit())
        self.add_button = QPushButton("Add field", self)
        self.add_button.setAccessibleName("Add custom field")
        self.remove_button = QPushButton("Remove field", self)
        self.remove_button.setAccessibleName("Remove custom field")
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.table)
        box.addLayout(buttons)

    def set_fields(self, fields: Mapping[str, str]) -> None:
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(0)
            for name, value in fields.items():
                self._append(name, value)
        finally:
            self.table.blockSignals(False)

    def fields(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for row in range(self.table.rowCount()):
            name_item, value_item = self.table.item(row, 0), self.table.item(row, 1)
            name = name_item.text().strip() if name_item is not None else ""
            if name:
                out[name] = value_item.text() if value_item is not None else ""
        return out

    def add_row(self) -> None:
        self._append("", "")
        row = self.table.rowCount() - 1
        self.table.setCurrentCell(row, 0)
        item = self.table.item(row, 0)
        if item is not None:
            self.table.editItem(item)

    def remove_current(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.fields_changed.emit()

    def _append(self, name: str, value: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(value))
