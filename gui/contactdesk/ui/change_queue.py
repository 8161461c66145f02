"""Store changes collected for a moment, then applied to the window in one go.

A refresh merges a page every few milliseconds; repainting for each would keep the UI
thread busy. Changes are merged per account and handed over once the burst settles
(sooner for small accounts, whose re-query is cheap).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from contactdesk.ui.session import ChangeSet

COALESCE_MS = 250
#: a big account re-queries in the background: once a second is plenty
COALESCE_BIG_MS = 1000


class ChangeQueue(QObject):
    """Pending ``ChangeSet``s per account and accounts whose sidebar counts are stale.

    Signals:
        ready(): time to ``take()`` and apply what was collected.
    """

    ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._changes: dict[str, ChangeSet] = {}
        self._sidebar: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self.ready)

    def add(self, account_id: str, change: ChangeSet, *, big: bool = False) -> None:
        old = self._changes.get(account_id, ChangeSet())
        self._changes[account_id] = ChangeSet(
            old.ids | change.ids, old.structure or change.structure
        )
        if change.structure:
            self._sidebar.add(account_id)
        if not self._timer.isActive():
            self._timer.start(COALESCE_BIG_MS if big else COALESCE_MS)

    def sidebar_stale(self, account_id: str) -> None:
        self._sidebar.add(account_id)
        if not self._timer.isActive():
            self._timer.start(COALESCE_MS)

    def take(self) -> tuple[dict[str, ChangeSet], set[str]]:
        """Everything collected so far (and forget it)."""
        self._timer.stop()
        changes, self._changes = self._changes, {}
        stale, self._sidebar = self._sidebar, set()
        return changes, stale

    def stop(self) -> None:
        self.take()
