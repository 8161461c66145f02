"""The contact table view: fixed row height, interactive columns, a header menu.

Nothing here measures contents (no resize-to-contents): with 100,000 rows that would read
every row. Widths start from the font and the field type, then the person's own widths,
order and hidden columns are restored per account.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QItemSelectionModel, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from contactdesk.core.schema import FieldType
from contactdesk.ui.models.columns import NAME_KEY
from contactdesk.ui.models.contact_table_model import ContactTableModel

#: width of each column type, in average character widths
_CHARS = {
    FieldType.PHONE: 17,
    FieldType.EMAIL: 24,
    FieldType.TAGS: 18,
    FieldType.CUSTOM_FIELDS: 24,
    FieldType.DATETIME: 16,
    FieldType.BOOL: 8,
    FieldType.CHOICE: 9,
}
_HIDDEN_BY_DEFAULT = {"first_name", "last_name"}  # the Name column shows them together


class ContactTable(QTableView):
    """The contacts of the selected account/group/tag.

    Signals:
        edit_requested(): Enter (or a double click) on a row.
        delete_requested(): Delete pressed in the table.
        header_changed(): columns were moved, resized, hidden or shown (save them).
        key_navigated(): the person moved the selection with the keyboard.
    """

    edit_requested = Signal()
    delete_requested = Signal()
    header_changed = Signal()
    key_navigated = Signal()

    def __init__(self, model: ContactTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactTable")
        self.setAccessibleName("Contacts")
        self.setModel(model)
        self._model = model
        model.visible_rows = self.visible_rows
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setTabKeyNavigation(False)
        self.setCornerButtonEnabled(False)
        vh = self.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        vh.hide()
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setSectionsMovable(True)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._header_menu)
        hh.sectionMoved.connect(lambda *_: self.header_changed.emit())
        hh.sectionResized.connect(lambda *_: self.header_changed.emit())
        hh.setSortIndicatorShown(True)
        hh.sortIndicatorChanged.connect(self._sort_clicked)
        self.setSortingEnabled(False)  # sorting goes through the model's query, see below
        hh.setSectionsClickable(True)
        self.doubleClicked.connect(lambda _i: self.edit_requested.emit())

    # -- columns -------------------------------------------------------------------------
    def apply_default_columns(self) -> None:
        """Widths from the font and field types; first/last name hidden behind Name."""
        hh = self.horizontalHeader()
        avg = max(6, self.fontMetrics().averageCharWidth())
        hh.blockSignals(True)
        try:
            for i, col in enumerate(self._model.columns):
                logical = hh.logicalIndex(i)
                if logical != i:
                    hh.moveSection(hh.visualIndex(i), i)
                chars = 22 if col.key == NAME_KEY else 16
                if col.spec is not None:
                    chars = _CHARS.get(col.spec.type, chars)
                # never narrower than the header's own words (plus the sort arrow)
                label = hh.fontMetrics().horizontalAdvance(col.label) + 3 * avg
                hh.resizeSection(i, max(chars * avg, label))
                hidden = not col.visible_by_default or col.key in _HIDDEN_BY_DEFAULT
                hh.setSectionHidden(i, hidden)
        finally:
            hh.blockSignals(False)
        self.show_sort_indicator()

    def restore_columns(self, state: QByteArray | None) -> None:
        self.apply_default_columns()
        if state is not None:
            hh = self.horizontalHeader()
            hh.blockSignals(True)
            try:
                if not hh.restoreState(state) or hh.count() != len(self._model.columns):
                    self.apply_default_columns()
            finally:
                hh.blockSignals(False)
            if all(hh.isSectionHidden(i) for i in range(hh.count())):
                self.apply_default_columns()
        self.show_sort_indicator()

    def save_columns(self) -> QByteArray:
        return self.horizontalHeader().saveState()

    def show_sort_indicator(self) -> None:
        hh = self.horizontalHeader()
        hh.blockSignals(True)
        try:
            order = (
                Qt.SortOrder.DescendingOrder
                if self._model.query.descending
                else Qt.SortOrder.AscendingOrder
            )
            hh.setSortIndicator(self._model.sort_column(), order)
        finally:
            hh.blockSignals(False)

    def set_column_visible(self, column: int, visible: bool) -> None:
        hh = self.horizontalHeader()
        if not visible and sum(not hh.isSectionHidden(i) for i in range(hh.count())) <= 1:
            return  # keep at least one column
        hh.setSectionHidden(column, not visible)
        self.header_changed.emit()

    def _header_menu(self, pos: QPoint) -> None:
        self.header_menu().popup(self.horizontalHeader().mapToGlobal(pos))

    def header_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setAccessibleName("Columns")
        hh = self.horizontalHeader()
        for i, col in enumerate(self._model.columns):
            act = menu.addAction(col.label)
            act.setCheckable(True)
            act.setChecked(not hh.isSectionHidden(i))
            act.toggled.connect(lambda on, c=i: self.set_column_visible(c, on))
        menu.addSeparator()
        reset = menu.addAction("Reset columns")
        reset.triggered.connect(self._reset_columns)
        return menu

    def _reset_columns(self) -> None:
        self.apply_default_columns()
        self.header_changed.emit()

    def _sort_clicked(self, column: int, order: Qt.SortOrder) -> None:
        if self._model.is_sortable(column):
            self._model.sort(column, order)
        self.show_sort_indicator()

    def visible_rows(self) -> tuple[int, int]:
        """The first and last row on screen (the last one a guess when the rows end)."""
        first = max(0, self.rowAt(0))
        height = max(1, self.verticalHeader().defaultSectionSize())
        return first, first + self.viewport().height() // height + 1

    # -- selection -----------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.selectionModel().selectedRows())

    def select_local_ids(self, local_ids: list[int], current: int | None = None) -> None:
        """Select these contacts (where they are in the current result) and scroll to one."""
        sm = self.selectionModel()
        sm.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        focus_row: int | None = None
        for local_id, row in self._model.rows_of(local_ids[:1000]).items():
            sm.select(self._model.index(row, 0), flags)
            if focus_row is None or local_id == current:
                focus_row = row
        if focus_row is not None:
            idx = self._model.index(focus_row, 0)
            sm.setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.scrollTo(idx)  # no-op when it is already in view

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_rows():
            self.edit_requested.emit()
            event.accept()
            return
        if key == Qt.Key.Key_Delete and self.selected_rows():
            self.delete_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
        self.key_navigated.emit()
