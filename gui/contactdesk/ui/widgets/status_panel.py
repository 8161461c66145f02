"""The status bar's parts: sync state, rows loaded, edits waiting, rate-limit waits."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from contactdesk.store import PendingCounts


def _plain(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName(name)
    return label


def pending_text(counts: PendingCounts) -> str:
    if not counts.total:
        return "No changes waiting"
    parts = []
    waiting = counts.pending + counts.in_flight + counts.uncertain
    if waiting:
        parts.append(f"{waiting} change{'s' if waiting != 1 else ''} waiting")
    if counts.needs_attention:
        parts.append(
            f"{counts.needs_attention} need{'s' if counts.needs_attention == 1 else ''} you"
        )
    return ", ".join(parts)


def loaded_text(shown: int, total_in_store: int, server_total: int | None) -> str:
    if server_total is not None and total_in_store < server_total:
        return f"{total_in_store:,} of {server_total:,} loaded"
    noun = "contact" if shown == 1 else "contacts"
    if shown != total_in_store:
        return f"{shown:,} of {total_in_store:,} {noun} shown"
    return f"{shown:,} {noun}"


class StatusPanel(QObject):
    """Holds the status bar labels and keeps the rate-limit countdown going.

    Signals:
        pending_clicked(): the person pressed the "changes waiting" button.
    """

    pending_clicked = Signal()

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.sync = _plain(bar, "Sync state")
        self.loaded = _plain(bar, "Contacts loaded")
        self.wait = _plain(bar, "Rate limit")
        self.pending = QPushButton("No changes waiting", bar)
        self.pending.setFlat(True)
        self.pending.setAccessibleName("Pending changes")
        self.pending.setToolTip("Show changes that are waiting to be sent (Pending changes)")
        self.pending.clicked.connect(self.pending_clicked)
        self.sync.setContentsMargins(6, 0, 12, 0)
        bar.addWidget(self.sync)
        bar.addWidget(self.loaded, 1)
        bar.addPermanentWidget(self.wait)
        bar.addPermanentWidget(self.pending)
        self.wait.hide()
        self._wait_until = 0.0
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._countdown)

    def set_sync(self, text: str) -> None:
        self.sync.setText(text)

    def set_loaded(self, text: str) -> None:
        self.loaded.setText(text)

    def set_pending(self, counts: PendingCounts) -> None:
        self.pending.setText(pending_text(counts))

    def set_waiting(self, seconds: float) -> None:
        """A request waits for the plan's rate limit: count down in the status bar."""
        self._wait_until = max(self._wait_until, time.monotonic() + seconds)
        self._countdown()
        self._tick.start()

    def _countdown(self) -> None:
        left = self._wait_until - time.monotonic()
        if left <= 0:
            self._tick.stop()
            self.wait.hide()
            return
        self.wait.setText(f"Waiting {int(left + 0.999)} s: plan limit")
        self.wait.show()
