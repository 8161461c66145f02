"""The "Pending changes" list: open outbox entries of one account, oldest first."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from contactdesk.store import OutboxEntry, OutboxOp, OutboxState

Index = QModelIndex | QPersistentModelIndex
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1

_OPS = {OutboxOp.CREATE: "Add", OutboxOp.UPDATE: "Edit", OutboxOp.DELETE: "Delete"}
_STATES = {
    OutboxState.PENDING: "Waiting to be sent",
    OutboxState.IN_FLIGHT: "Being sent",
    OutboxState.UNCERTAIN: "Being checked",
    OutboxState.REJECTED: "Refused",
    OutboxState.CONFLICT: "Changed on the platform too",
}
HEADERS = ("Contact", "Change", "State", "Details")


def entry_cells(entry: OutboxEntry) -> tuple[str, str, str, str]:
    name = entry.display_name
    detail = " ".join((entry.error or "").split())
    return name, _OPS[entry.op], _STATES.get(entry.state, entry.state.value), detail


class PendingModel(QAbstractTableModel):
    """Rows are ``OutboxEntry`` values; ``set_entries`` replaces them. No extra Signals."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[OutboxEntry] = []
        self._cells: list[tuple[str, str, str, str]] = []

    def set_entries(self, entries: Sequence[OutboxEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self._cells = [entry_cells(e) for e in self._entries]
        self.endResetModel()

    def entry(self, row: int) -> OutboxEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def entries(self) -> list[OutboxEntry]:
        return list(self._entries)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        cells = self._cells[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return cells[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3 and cells[3]:
            return cells[3]
        if role == ENTRY_ROLE:
            return self._entries[index.row()]
        return None
