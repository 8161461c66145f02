"""The contact table: a virtual model over one store query, read in windows of rows.

The store evaluates filter + search + sort once and hands back the ordered local ids;
``rowCount`` is their number and ``data()`` reads from a small LRU cache of windows of
``WINDOW`` rows, each window read with one primary-key lookup and turned into display
strings once. Nothing here sorts or filters in Python.

For a big account the query itself (tens of milliseconds over 100,000 rows) runs off the
UI thread: the table keeps showing the previous result until the new ids arrive, and a
newer query makes an older answer stale (dropped). Small accounts query in place.

Re-running the same query (rows arrived during a sync, or were added or removed) does
not reset the model: the worker also reads the windows that were on screen, rows added
at the end are inserted there, a new order is a layout change that moves the selection
and the current row with their contacts, and rows whose contact and values are the same
keep their formatted cells (nothing to format again when the view repaints).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from contactdesk.core.schema import FieldSpec
from contactdesk.store.records import ContactQuery, SortColumn, StoredContact
from contactdesk.ui.models.columns import (
    NAME_KEY,
    Column,
    PhoneFormatter,
    build_columns,
    cell_text,
    plain_phone,
)
from contactdesk.ui.models.result_rows import (
    IdRows,
    LiveRows,
    MakeRow,
    NoRows,
    Rows,
    RowsAnswer,
    RowSource,
)
from contactdesk.ui.models.row_views import MarkerIcons, RowView, new_view, state_words

WINDOW = 200
MAX_WINDOWS = 24  # ~4,800 rows of display strings: a few screens either side of the view
#: windows read along with a background query: the ones last painted (the screen spans two)
HOT_WINDOWS = 2
#: contacts held by the views (current row, selection) whose new windows are read too
FOLLOW_MAX = 4
#: rows either side of the screen whose cells are formatted along with a background query
VISIBLE_MARGIN = 10


def _emit_rows_moved(signal: SignalInstance) -> None:
    """Emit a layout signal through its overload with a hint: rows move, columns do not
    (views and the selection model then track one index per row)."""
    overloads: Any = signal  # PySide picks an overload by its C++ signature
    overloads["QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint"].emit(
        [], QAbstractItemModel.LayoutChangeHint.VerticalSortHint
    )


Index = QModelIndex | QPersistentModelIndex

LOCAL_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STORED_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3


class ContactTableModel(QAbstractTableModel):
    """Contacts of one account matching one ``ContactQuery``.

    Signals:
        query_changed(object): the ``ContactQuery`` now shown (after ``set_query``/sort).
        loaded(int): the rows of a new result, shown after a model reset (another
            query, account or first load): the view's selection is gone.
        updated(int): the rows of the same query run again, shown in place (rows
            inserted, removed or moved): selection and current row stayed with their
            contacts.
    """

    query_changed = Signal(object)
    loaded = Signal(int)
    updated = Signal(int)

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
        self._count = 0  # rows the views know of (differs from _rows.count mid-update)
        self._windows: OrderedDict[int, list[RowView | None]] = OrderedDict()
        self._icons = MarkerIcons()
        self._ticket = 0  # numbers queries; an answer to an older one is dropped
        self._waiting = False
        self._shown: ContactQuery | None = None  # the query the current ids answer
        #: contacts whose values changed while a background query ran (its rows are old)
        self._dirty: set[int] = set()
        #: windows read from the store so far (for tests and the bench)
        self.windows_read = 0
        #: the first and last row on screen (the view sets it; a guess until then)
        self.visible_rows: Callable[[], tuple[int, int]] = lambda: (0, 50)

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
        self._rows, self._shown, self._count = NoRows(), None, 0
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
            self._dirty.clear()

            def arrived(answer: RowsAnswer) -> None:
                rows = IdRows(answer.ids, source.rows)
                self._install(ticket, query, rows, answer.windows)

            follow = self._ids_of_rows(self._rows, self._persistent_rows()[:FOLLOW_MAX])
            source.query_rows_later(
                query,
                self._hot_starts(),
                WINDOW,
                arrived,
                follow=list(follow.values()),
                make_row=self._row_maker(),
            )
        else:
            self._install(ticket, query, LiveRows(source.query_now(query)))

    def _persistent_rows(self) -> list[int]:
        """Rows that views hold on to (the current row, the selection, hover...)."""
        return sorted({p.row() for p in self.persistentIndexList()})

    def _hot_starts(self) -> list[int]:
        """The windows painted last (the end of the LRU order), else the first one."""
        return list(self._windows)[-HOT_WINDOWS:] or [0]

    def _install(
        self,
        ticket: int,
        query: ContactQuery,
        rows: Rows,
        read: dict[int, list[RowView | None]] | None = None,
    ) -> None:
        if ticket != self._ticket:
            rows.close()
            return  # a newer query was asked for meanwhile
        self._waiting = False
        windows = self._adopt(read or {}, rows.count)
        if query == self._shown and self._count:
            self._update_in_place(rows, windows)
            self.updated.emit(rows.count)
            return
        self.beginResetModel()
        self._rows.close()
        self._rows, self._shown, self._count = rows, query, rows.count
        self._windows = windows
        self.endResetModel()
        self.loaded.emit(rows.count)

    def _row_maker(self) -> MakeRow:
        """Makes rows on the query worker; the cells of rows on screen (or near) are
        formatted there too. A contact whose values are those of a row on screen keeps
        that row (nothing to format again)."""
        columns, phone = list(self._columns), self._phone
        first, last = self.visible_rows()
        first, last = first - VISIBLE_MARGIN, last + VISIBLE_MARGIN
        known: dict[int, RowView] = {}
        for start in self._hot_starts():
            for view in self._windows.get(start, ()):
                if view is not None:
                    known[view.stored.local_id] = view

        def make(row: int, stored: StoredContact) -> RowView:
            old = known.get(stored.local_id)
            if old is not None and old.stored == stored:
                return old
            view = new_view(stored, len(columns))
            if first <= row <= last:
                view.cells = [cell_text(stored.contact, col, phone) for col in columns]
            return view

        return make

    def _adopt(
        self, read: dict[int, list[RowView | None]], count: int
    ) -> OrderedDict[int, list[RowView | None]]:
        """Windows made off the UI thread, as the cache; a window holding a contact
        edited meanwhile is dropped (read again when painted)."""
        dirty, self._dirty = self._dirty, set()
        out: OrderedDict[int, list[RowView | None]] = OrderedDict()
        for start, views in read.items():
            if start % WINDOW or start >= count:
                continue
            if dirty and any(v is not None and v.stored.local_id in dirty for v in views):
                continue
            out[start] = views
        return out

    def _update_in_place(self, rows: Rows, windows: OrderedDict[int, list[RowView | None]]) -> None:
        """Show the same query's new result without a reset (see the module docstring)."""
        old, old_count, new_count = self._rows, self._count, rows.count
        if isinstance(rows, IdRows) and rows.extends(old):
            before = self._windows
            self._rows, self._windows = rows, windows
            old.close()
            self._repaint_changed(before, old_count)
            self._resize(old_count, new_count)
            return
        if new_count > old_count:
            self._resize(old_count, new_count)  # the new rows first: the moves land in range
        _emit_rows_moved(self.layoutAboutToBeChanged)
        persistent = self.persistentIndexList()
        by_row = self._ids_of_rows(old, sorted({p.row() for p in persistent}))
        self._rows, self._windows = rows, windows
        moved = rows.rows_of(list(set(by_row.values())))
        to = []
        for p in persistent:
            row = moved.get(by_row.get(p.row(), -1))
            to.append(QModelIndex() if row is None else self.index(row, p.column()))
        self.changePersistentIndexList(persistent, to)
        old.close()
        _emit_rows_moved(self.layoutChanged)
        if new_count < old_count:
            self._resize(old_count, new_count)

    def _ids_of_rows(self, rows: Rows, wanted: list[int]) -> dict[int, int]:
        """Local ids at these rows of a result: from cached views, else read."""
        out: dict[int, int] = {}
        for row in wanted:
            window = self._windows.get(row - row % WINDOW)
            view = None if window is None or row % WINDOW >= len(window) else window[row % WINDOW]
            if view is not None:
                out[row] = view.stored.local_id
            else:
                found = rows.ids(row, 1)
                if found:
                    out[row] = found[0]
        return out

    def _resize(self, old_count: int, new_count: int) -> None:
        """Rows added or taken at the end (their contents are the current result's)."""
        if new_count > old_count:
            self.beginInsertRows(QModelIndex(), old_count, new_count - 1)
            self._count = new_count
            self.endInsertRows()
        elif new_count < old_count:
            self.beginRemoveRows(QModelIndex(), new_count, old_count - 1)
            self._count = new_count
            self.endRemoveRows()

    def _repaint_changed(self, before: OrderedDict[int, list[RowView | None]], count: int) -> None:
        """Rows kept their place: repaint those of the new windows whose view changed."""
        last = len(self._columns) - 1
        for start, views in self._windows.items():
            old = before.get(start)
            changed = [
                i
                for i, view in enumerate(views)
                if start + i < count and (old is None or i >= len(old) or old[i] is not view)
            ]
            if changed:
                self.dataChanged.emit(
                    self.index(start + changed[0], 0), self.index(start + changed[-1], last), []
                )

    def rows_changed(self, local_ids: Iterable[int]) -> None:
        """Values of these contacts changed (not their presence): re-read the cached
        windows that hold them and repaint just those rows."""
        wanted = set(local_ids)
        if not wanted:
            return
        if self._waiting:
            self._dirty |= wanted
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
        return 0 if parent.isValid() else self._count

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
            return self._icons.icon(view.stored)
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
        if not 0 <= row < self._count:
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
        return new_view(stored, len(self._columns))

    def _cell(self, view: RowView, col: int) -> str | None:
        if not 0 <= col < len(view.cells):
            return None
        text = view.cells[col]
        if text is None:
            text = view.cells[col] = cell_text(view.stored.contact, self._columns[col], self._phone)
        return text


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
    "RowSource",
    "SortColumn",
    "state_words",
]
