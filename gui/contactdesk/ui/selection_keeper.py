"""Which contacts stay selected when the table's rows change under the person.

Two ways rows change: a new result (another search, sidebar entry or sort: the model is
reset and the selection is restored here by local id), and the same query run again as
rows arrive or go (the model moves the selection with its contacts; here the view only
follows it). A row the person picked is followed; a row the app picked (the first one,
so the details pane is not empty) is not: as rows pour in, the first row stays selected
(and a view scrolled by the person stays where it was).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from contactdesk.ui.main_window import MainWindow


class SelectionKeeper(QObject):
    """The table's selection across re-queries. No Signals."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        #: (selected ids, current id, scroll value or None) to restore after a reset
        self._keep: tuple[list[int], int | None, int | None] | None = None
        self.auto_selected = False  # the selected row was picked by us, not the person

    def chosen(self, *_args: object) -> None:
        """The person picked the selected rows (a click, a key, an edit...)."""
        self.auto_selected = False

    def remember(self, *, scroll: bool) -> None:
        """Note the selection (and the scroll position) before the table is re-queried."""
        table = self.w.table
        if self.auto_selected:
            # nobody chose that row: as rows pour in, stay at the top of the list
            self._keep = ([], None, 0 if scroll else None)
            return
        ids = [s.local_id for s in self.w.selected_contacts()]
        cur = self.w.current_contact()
        value = table.verticalScrollBar().value() if scroll else None
        self._keep = (ids, cur.local_id if cur else None, value)

    def restore(self) -> None:
        """A new result replaced the rows (model reset): select the noted contacts again."""
        keep, self._keep = self._keep, None
        table = self.w.table
        if keep is not None:
            ids, current, scroll = keep
            if scroll is not None:
                table.verticalScrollBar().setValue(scroll)
            if ids:
                table.select_local_ids(ids, current)
        self._select_first_if_none()

    def follow(self) -> None:
        """The same query's rows changed in place: the model kept the selection on its
        contacts; keep a picked row in view, or the app's pick at the top."""
        self._keep = None
        table = self.w.table
        if self.auto_selected:
            # at the top, the first row stays the one selected; a person who scrolled
            # away (without picking a row) keeps their place
            at_top = table.verticalScrollBar().value() == 0
            if at_top and table.selected_rows() != [0] and self.w.table_model.rowCount():
                table.selectRow(0)
        else:
            rows = table.selected_rows()
            cur = table.currentIndex()
            focus = cur.row() if cur.isValid() and cur.row() in rows else None
            if focus is None and rows:
                focus = rows[0]
            if focus is not None:
                table.scrollTo(table.model().index(focus, 0))  # no-op when in view
        self._select_first_if_none()

    def _select_first_if_none(self) -> None:
        table = self.w.table
        if not table.selected_rows() and self.w.table_model.rowCount():
            table.selectRow(0)
            self.auto_selected = True
