"""The sidebar: accounts, and under each "All contacts" plus its groups or tags, with counts.

Two levels only. A top-level row is an account; its children are ``SidebarEntry`` rows.
Item views draw ``DisplayRole`` as plain text, so group and tag names (server text) can
never be read as markup.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

Index = QModelIndex | QPersistentModelIndex

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
ACCOUNT_ID_ROLE = Qt.ItemDataRole.UserRole + 2


class EntryKind(enum.Enum):
    ACCOUNT = "account"
    ALL = "all"
    GROUP = "group"
    TAG = "tag"


@dataclass(frozen=True, slots=True)
class SidebarEntry:
    """One row under an account: all its contacts, one group (key = group id) or one tag."""

    kind: EntryKind
    key: str
    label: str
    count: int | None = None

    @property
    def noun(self) -> str:
        return {EntryKind.GROUP: "group", EntryKind.TAG: "tag"}.get(self.kind, "")


@dataclass(slots=True)
class SidebarAccount:
    account_id: str
    name: str
    practice: bool = False
    entries: list[SidebarEntry] = field(default_factory=list)
    status: str = ""  # "Offline"...: said in the tooltip and the accessible text

    @property
    def label(self) -> str:
        return f"{self.name} (practice)" if self.practice else self.name


def count_text(count: int | None) -> str:
    return "" if count is None else f"{count:,}"


class AccountTreeModel(QAbstractItemModel):
    """Accounts and their groups/tags, with contact counts.

    No Signals beyond QAbstractItemModel's.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._accounts: list[SidebarAccount] = []

    # -- updates -------------------------------------------------------------------------
    def set_accounts(self, accounts: Sequence[SidebarAccount]) -> None:
        self.beginResetModel()
        self._accounts = list(accounts)
        self.endResetModel()

    def accounts(self) -> list[SidebarAccount]:
        return list(self._accounts)

    def account_row(self, account_id: str) -> int:
        for i, a in enumerate(self._accounts):
            if a.account_id == account_id:
                return i
        return -1

    def set_status(self, account_id: str, status: str) -> None:
        row = self.account_row(account_id)
        if row < 0 or self._accounts[row].status == status:
            return
        self._accounts[row].status = status
        idx = self.index(row, 0)
        self.dataChanged.emit(idx, idx, [])

    def set_entries(self, account_id: str, entries: Sequence[SidebarEntry]) -> None:
        """New groups/tags and counts for one account; a same-shaped list only repaints."""
        row = self.account_row(account_id)
        if row < 0:
            return
        account = self._accounts[row]
        parent = self.index(row, 0)
        new = list(entries)
        old = account.entries
        if [(e.kind, e.key) for e in old] == [(e.kind, e.key) for e in new]:
            account.entries = new
            changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
            if changed:
                self.dataChanged.emit(
                    self.index(min(changed), 0, parent), self.index(max(changed), 0, parent), []
                )
            return
        # keep the rows both lists share at the start and the end (a selected row there
        # stays selected); replace only the middle
        keys_old = [(e.kind, e.key) for e in old]
        keys_new = [(e.kind, e.key) for e in new]
        head = 0
        while head < min(len(old), len(new)) and keys_old[head] == keys_new[head]:
            head += 1
        tail = 0
        while (
            tail < min(len(old), len(new)) - head
            and keys_old[len(old) - 1 - tail] == keys_new[len(new) - 1 - tail]
        ):
            tail += 1
        if len(old) - tail > head:
            self.beginRemoveRows(parent, head, len(old) - tail - 1)
            account.entries = old[:head] + old[len(old) - tail :]
            self.endRemoveRows()
        if len(new) - tail > head:
            self.beginInsertRows(parent, head, len(new) - tail - 1)
            account.entries = new[: len(new) - tail] + account.entries[head:]
            self.endInsertRows()
        account.entries = new
        if new:
            self.dataChanged.emit(self.index(0, 0, parent), self.index(len(new) - 1, 0, parent), [])

    def entry_index(self, account_id: str, kind: EntryKind, key: str = "") -> QModelIndex:
        row = self.account_row(account_id)
        if row < 0:
            return QModelIndex()
        parent = self.index(row, 0)
        if kind is EntryKind.ACCOUNT:
            return parent
        for i, e in enumerate(self._accounts[row].entries):
            if e.kind is kind and (kind is EntryKind.ALL or e.key == key):
                return self.index(i, 0, parent)
        return QModelIndex()

    # -- reading -------------------------------------------------------------------------
    def entry(self, index: Index) -> tuple[SidebarAccount, SidebarEntry | None] | None:
        if not index.isValid():
            return None
        parent_row = index.internalId() - 1
        if parent_row < 0:
            return self._accounts[index.row()], None
        account = self._accounts[parent_row]
        return account, account.entries[index.row()]

    # -- Qt model API --------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            if row >= len(self._accounts):
                return QModelIndex()
            return self.createIndex(row, 0, 0)
        if parent.internalId() != 0:  # children have no children
            return QModelIndex()
        prow = parent.row()
        if prow >= len(self._accounts) or row >= len(self._accounts[prow].entries):
            return QModelIndex()
        return self.createIndex(row, 0, prow + 1)

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid():
            return QModelIndex()
        parent_row = child.internalId() - 1
        if parent_row < 0:
            return QModelIndex()
        return self.createIndex(parent_row, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._accounts)
        if parent.column() != 0 or parent.internalId() != 0:
            return 0
        return len(self._accounts[parent.row()].entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        found = self.entry(index)
        if found is None:
            return None
        account, entry = found
        if entry is None:
            if role == Qt.ItemDataRole.DisplayRole:
                return account.label
            if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
                status = f": {account.status}" if account.status else ""
                return f"Account {account.label}{status}"
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            if role == ACCOUNT_ID_ROLE:
                return account.account_id
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            count = count_text(entry.count)
            return f"{entry.label}  ({count})" if count else entry.label
        if role == Qt.ItemDataRole.AccessibleTextRole:
            noun = f" {entry.noun}" if entry.noun else ""
            count = f", {count_text(entry.count)} contacts" if entry.count is not None else ""
            return f"{entry.label}{noun}{count}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.label
        if role == ENTRY_ROLE:
            return entry
        if role == ACCOUNT_ID_ROLE:
            return account.account_id
        return None

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0
