"""One row of the contact table as shown: the stored contact, the plain words that
mark its state, and its cells' text (made on first paint, then kept: formatting phones
and dates is the expensive part of painting).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from contactdesk.store.records import ContactState, StoredContact

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


def new_view(stored: StoredContact, columns: int) -> RowView:
    """A row with no cell made yet."""
    marker = state_words(stored)
    name = stored.contact.display_name
    accessible = f"{name}, {marker}" if marker else name
    return RowView(stored, [None] * columns, marker, accessible)


def state_words(stored: StoredContact) -> str:
    words = _STATE_WORDS.get(stored.state, "")
    if stored.error and stored.state in (ContactState.REJECTED, ContactState.PENDING):
        words = f"{words}: {stored.error}" if words else stored.error
    if stored.contact.opted_out:
        words = f"{words}. Opted out: gets no messages" if words else "Opted out: gets no messages"
    return words


class MarkerIcons:
    """The style's icons for row states, made on first paint (they need the app's style)."""

    def __init__(self) -> None:
        self._made: dict[str, QIcon] = {}

    def icon(self, stored: StoredContact) -> QIcon | None:
        """The icon marking this row's state or opt-out, if any."""
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
        icon = self._made.get(name)
        if icon is None:
            icon = self._made[name] = QApplication.style().standardIcon(pixmap)
        return icon
