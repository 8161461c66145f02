"""What an ``AccountSession`` asks of sync, and the report it gets back.

app.py hands each session a ``SyncEngine``: ``ui.sync_bridge.AccountSyncEngine``, backed by
``contactdesk.sync.AccountSync``. Every call runs on the account's worker thread with the
worker's writable ``Store`` and provider client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from contactdesk.core.errors import ProviderError
from contactdesk.core.models import Group
from contactdesk.store import Store
from contactdesk.ui.remote import RemoteContacts

#: (loaded so far, total expected or None) while a refresh runs
Progress = Callable[[int, int | None], None]


@dataclass(slots=True)
class SyncReport:
    """What one refresh or push did, for the UI to repaint exactly what changed."""

    changed: set[int] = field(default_factory=set)  # local ids whose shown values changed
    structure: bool = False  # rows appeared or disappeared
    groups: bool = False  # the group list changed
    sent: int = 0
    rejected: int = 0
    conflicts: int = 0
    error: ProviderError | None = None  # the first failure that stopped the run
    total: int | None = None
    group: Group | None = None  # the group a group operation made or renamed
    next_attempt_at: datetime | None = None  # when waiting changes are next tried

    def merge(self, other: SyncReport) -> None:
        self.changed |= other.changed
        self.structure = self.structure or other.structure
        self.groups = self.groups or other.groups
        self.sent += other.sent
        self.rejected += other.rejected
        self.conflicts += other.conflicts
        self.error = self.error or other.error


class SyncEngine(Protocol):
    """What an ``AccountSession`` asks of sync; every call runs on the worker thread."""

    def refresh(
        self, store: Store, remote: RemoteContacts, stop: threading.Event, progress: Progress
    ) -> SyncReport: ...
    def push(self, store: Store, remote: RemoteContacts, stop: threading.Event) -> SyncReport: ...
    def make_due(self, store: Store, remote: RemoteContacts) -> None:
        """Every waiting change is due now (the Retry button)."""
        ...
