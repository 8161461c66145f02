"""The search box: search-as-you-type with a short debounce; the store does the search."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

#: long enough to skip intermediate keystrokes, short enough to feel instant
DEBOUNCE_MS = 150


class SearchBox(QLineEdit):
    """A line edit that reports the search text once typing pauses.

    Signals:
        search_changed(str): the (stripped) text to search for, after ``DEBOUNCE_MS`` of quiet;
            emitted at once when the box is cleared (Esc or the clear button).
    """

    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self.setObjectName("searchBox")
        self.setAccessibleName("Search contacts")
        self.setPlaceholderText("Search names, emails or any part of a number (Ctrl+F)")
        self.setClearButtonEnabled(True)
        self._last = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._fire)
        self.textChanged.connect(self._edited)

    def flush(self) -> None:
        """Emit now if a search is waiting for the debounce (Enter in the box)."""
        if self._timer.isActive():
            self._timer.stop()
            self._fire()

    def _edited(self, text: str) -> None:
        if not text.strip():
            self._timer.stop()
            self._fire()
        else:
            self._timer.start()

    def _fire(self) -> None:
        text = self.text().strip()
        if text != self._last:
            self._last = text
            self.search_changed.emit(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.flush()
        super().keyPressEvent(event)
