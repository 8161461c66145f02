"""The contact table: a virtual model over one store query, read in windows of rows.

The store evaluates filter + search + sort once and hands back the ordered local ids;
``rowCount`` is their number and ``data()`` reads from a small LRU cache of windows of
``WINDOW`` rows, each window read with one primary-key lookup and turned into display
strings once. Nothing here sorts or filters in Python.

For a big account the query itself (tens of milliseconds over 100,000 rows) runs off the
UI thread: the table keeps showing the previous result until the new ids arrive, and a
newer query makes an older answer stale (dropped). Small accounts query in place.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from contactdesk.core.schema import FieldSpec
from contactdesk.store import ResultSet
from contactdesk.store.records import ContactQuery, ContactState, SortColumn, StoredContact
from contactdesk.ui.models.columns import (
    NAME_KEY,
    Column,
    PhoneFormatter,
    build_columns,
    cell_text,
    plain_phone,
)
from contactdesk.ui.models.result_rows import IdRows, LiveRows, NoRows, Rows

WINDOW = 200
MAX_WINDOWS = 24  # ~4,800 rows of display strings: a few screens either side of the view


class RowSource(Protocol):
    """Where the rows come from (an ``AccountSession``)."""

    def prefers_background(self) -> bool:
        """Whether queries are slow enough to run off the UI thread."""
        ...

    def query_now(self, query: ContactQuery) -> ResultSet:
        """Run the query here and now, on the UI thread's reader."""
        ...

    def query_ids_later(self, query: ContactQuery, on_done: Callable[[list[int]], None]) -> None:
        """The same, computed on another thread; ``on_done`` runs on the UI thread."""
        ...

    def rows(self, local_ids: Sequence[int]) -> dict[int, StoredContact]:
        """The current values of these contacts (missing ones were removed)."""
        ...


Index = QModelIndex | QPersistentModelIndex

LOCAL_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STORED_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3

_STATE_WORDS: dict[ContactState, str] = {
    ContactState.PENDING: "Change waiting to be sent",
    ContactState.REJECTED: "Change refused by the platform",
    ContactState.CONFLICT: "Changed on the platform too: needs a decision",
    ContactState.DELETED: "Delete waiting to be sent",
}


@dataclass(slots=True)
class RowView:
    """One row: the stored contact, and its cells' text once a cell was asked for.

    Cells are made on first paint and kept, so a window of rows costs only the cells
    actually on screen (formatting phones and dates is the expensive part).
    """

    stored: StoredContact
    cells: list[str | None]
    marker: str  # plain words for the state / opt-out ("" when nothing to say)
    accessible: str


def state_words(stored: StoredContact) -> str:
    words = _STATE_WORDS.get(stored.state, "")
    if stored.error and stored.state in (ContactState.REJECTED, ContactState.PENDING):
        words = f"{words}: {stored.error}" if words else stored.error
    if stored.contact.opted_out:
        words = f"{words}. Opted out: gets no messages" if words else "Opted out: gets no messages"
    return words


class ContactTableModel(QAbstractTableModel):
    """Contacts of one account matching one ``ContactQuery``.

    Signals:
        query_changed(object): the ``ContactQuery`` now shown (after ``set_query``/sort).
        loaded(int): the number of rows of the new result (after every re-query).
    """

    query_changed = Signal(object)
    loaded = Signal(int)

    def __init__(
        self,
        fields: Sequence[FieldSpec] = (),
        source: RowSource | None = None,
        *,
        phone_formatter: PhoneFormatter = plain_phone,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._columns = build_columns(fields)
        self._source = source
        self._phone = phone_formatter
        self._query = ContactQuery()
        self._rows: Rows = NoRows()
        self._windows: OrderedDict[int, list[RowView | None]] = OrderedDict()
        self._icons: dict[str, QIcon] = {}  # made on first paint (needs the app's style)
        self._ticket = 0  # numbers queries; an answer to an older one is dropped
        self._waiting = False
        self._shown: ContactQuery | None = None  # the query the current ids answer
        #: windows read from the store so far (for tests and the bench)
        self.windows_read = 0

    # -- configuration ------------------------------------------------------------------
    @property
    def columns(self) -> list[Column]:
        return list(self._columns)

    @property
    def query(self) -> ContactQuery:
        return self._query

    @property
    def waiting(self) -> bool:
        """A query runs in the background; the rows shown answer the previous one."""
        return self._waiting

    def column_of(self, key: str) -> int:
        for i, col in enumerate(self._columns):
            if col.key == key:
                return i
        return -1

    def set_source(
        self,
        fields: Sequence[FieldSpec],
        source: RowSource | None,
        *,
        query: ContactQuery | None = None,
        phone_formatter: PhoneFormatter | None = None,
    ) -> None:
        """Show another account (its columns, its store and this query)."""
        self.beginResetModel()
        self._columns = build_columns(fields)
        self._source = source
        if phone_formatter is not None:
            self._phone = phone_formatter
        self._query = query or ContactQuery()
        self._rows.close()
        self._rows, self._shown = NoRows(), None
        self._windows.clear()
        self.endResetModel()
        self.query_changed.emit(self._query)
        self.refresh()

    def set_query(self, query: ContactQuery) -> None:
        if query == self._query and (self._shown == query or self._waiting):
            return
        self._query = query
        self.query_changed.emit(query)
        self.refresh()

    def refresh(self) -> None:
        """Run the query again (rows were added or removed, or the sort changed)."""
        self._ticket += 1
        source = self._source
        if source is None:
            self._install(self._ticket, self._query, NoRows())
            return
        ticket, query = self._ticket, self._query
        # the first load of an account runs here even when big: nothing is on screen yet
        if self._shown is not None and source.prefers_background():
            self._waiting = True

            def arrived(ids: list[int]) -> None:
                self._install(ticket, query, IdRows(ids, source.rows))

            source.query_ids_later(query, arrived)
        else:
            self._install(ticket, query, LiveRows(source.query_now(query)))

    def _install(self, ticket: int, query: ContactQuery, rows: Rows) -> None:
        if ticket != self._ticket:
            rows.close()
            return  # a newer query was asked for meanwhile
        self._waiting = False
        self.beginResetModel()
        self._rows.close()
        self._rows, self._shown = rows, query
        self._windows.clear()
        self.endResetModel()
        self.loaded.emit(rows.count)

    def rows_changed(self, local_ids: Iterable[int]) -> None:
        """Values of these contacts changed (not their presence): re-read the cached
        windows that hold them and repaint just those rows."""
        wanted = set(local_ids)
        if not wanted:
            return
        for start, rows in list(self._windows.items()):
            hits = [i for i, r in enumerate(rows) if r is not None and r.stored.local_id in wanted]
            if not hits:
                continue
            self._windows[start] = self._read_window(start)
            first, last = start + min(hits), start + max(hits)
            self.dataChanged.emit(
                self.index(first, 0), self.index(last, len(self._columns) - 1), []
            )

    # -- reading -------------------------------------------------------------------------
    def stored_at(self, row: int) -> StoredContact | None:
        view = self._row(row)
        return None if view is None else view.stored

    def local_id_at(self, row: int) -> int | None:
        view = self._row(row)
        return None if view is None else view.stored.local_id

    def row_of(self, local_id: int) -> int | None:
        return self._rows.rows_of([local_id]).get(local_id)

    def rows_of(self, local_ids: Sequence[int]) -> dict[int, int]:
        """Rows of many contacts at once (a selection to restore)."""
        return self._rows.rows_of(local_ids)

    def all_local_ids(self) -> list[int]:
        return self._rows.all_ids()

    @property
    def cached_rows(self) -> int:
        return sum(len(w) for w in self._windows.values())

    # -- Qt model API --------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows.count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation is Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            col = self._columns[section]
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return col.label
            if role == Qt.ItemDataRole.ToolTipRole:
                help_text = col.spec.help if col.spec is not None else ""
                sortable = "" if col.sort is not None else " (this column cannot be sorted)"
                return (help_text or col.label) + sortable
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role not in _ROLES or not index.isValid():
            return None
        view = self._row(index.row())
        if view is None:
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(view, col)
        if role == LOCAL_ID_ROLE:
            return view.stored.local_id
        if role == STORED_ROLE:
            return view.stored
        if role == STATE_ROLE:
            return view.stored.state.value
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if col == 0:
                return view.accessible
            return self._cell(view, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0 and view.marker:
                return view.marker
            text = self._cell(view, col) or ""
            return text if len(text) > 40 else None
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return self._marker_icon(view.stored)
        if role == Qt.ItemDataRole.ForegroundRole and view.stored.contact.opted_out:
            return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            return
        key = self._columns[column].sort
        if key is None:
            return
        self.set_query(
            ContactQuery(
                text=self._query.text,
                group_id=self._query.group_id,
                tag=self._query.tag,
                sort=key,
                descending=order == Qt.SortOrder.DescendingOrder,
            )
        )

    def sort_column(self) -> int:
        for i, col in enumerate(self._columns):
            if col.sort == self._query.sort:
                return i
        return -1

    def is_sortable(self, column: int) -> bool:
        return 0 <= column < len(self._columns) and self._columns[column].sort is not None

    # -- internals -----------------------------------------------------------------------
    def _row(self, row: int) -> RowView | None:
        if not 0 <= row < self._rows.count:
            return None
        start = row - row % WINDOW
        window = self._windows.get(start)
        if window is None:
            window = self._read_window(start)
            self._windows[start] = window
            while len(self._windows) > MAX_WINDOWS:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(start)
        i = row - start
        return window[i] if i < len(window) else None

    def _read_window(self, start: int) -> list[RowView | None]:
        self.windows_read += 1
        return [None if s is None else self._view(s) for s in self._rows.window(start, WINDOW)]

    def _view(self, stored: StoredContact) -> RowView:
        marker = state_words(stored)
        name = stored.contact.display_name
        accessible = f"{name}, {marker}" if marker else name
        return RowView(stored, [None] * len(self._columns), marker, accessible)

    def _cell(self, view: RowView, col: int) -> str | None:
        if not 0 <= col < len(view.cells):
            return None
        text = view.cells[col]
        if text is None:
            text = view.cells[col] = cell_text(view.stored.contact, self._columns[col], self._phone)
        return text

    def _marker_icon(self, stored: StoredContact) -> QIcon | None:
        state = stored.state
        if state is ContactState.CONFLICT:
            return self._icon("conflict", QStyle.StandardPixmap.SP_MessageBoxWarning)
        if state is ContactState.REJECTED:
            return self._icon("rejected", QStyle.StandardPixmap.SP_MessageBoxCritical)
        if state in (ContactState.PENDING, ContactState.DELETED):
            return self._icon("pending", QStyle.StandardPixmap.SP_BrowserReload)
        if stored.contact.opted_out:
            return self._icon("opted_out", QStyle.StandardPixmap.SP_DialogNoButton)
        return None

    def _icon(self, name: str, pixmap: QStyle.StandardPixmap) -> QIcon:
        icon = self._icons.get(name)
        if icon is None:
            icon = self._icons[name] = QApplication.style().standardIcon(pixmap)
        return icon


_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ForegroundRole,
        LOCAL_ID_ROLE,
        STORED_ROLE,
        STATE_ROLE,
    }
)

__all__ = [
    "LOCAL_ID_ROLE",
    "NAME_KEY",
    "STATE_ROLE",
    "STORED_ROLE",
    "WINDOW",
    "ContactTableModel",
    "SortColumn",
]
