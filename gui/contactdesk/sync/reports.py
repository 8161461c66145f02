"""What a refresh or an outbox replay did, handed back to the UI as a value.

Reports are built on the worker thread and not changed after they are returned, so the
UI thread may read them freely. ``changed_ids`` and ``structure`` let the table repaint
exactly what changed: ``dataChanged`` for the ids, a re-run of the query when rows came
or went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from contactdesk.core.errors import ProviderError


@dataclass(slots=True)
class SyncReport:
    """One refresh (server -> store).

    ``complete``: every page of every scope was read and the deletion sweep ran; only
    then are ``deleted`` contacts removed (a partial, failed or cancelled refresh never
    sweeps). ``resumed``: it continued an interrupted refresh. ``sweep_postponed``: the
    list moved while it was read and too many contacts went unseen to check them one by
    one, so the sweep waits for the next refresh.
    """

    added: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    duration: float = 0.0
    errors: list[ProviderError] = field(default_factory=list)
    complete: bool = False
    cancelled: bool = False
    resumed: bool = False
    sweep_postponed: bool = False
    pages: int = 0  # pages fetched by this run
    total: int | None = None  # contacts on the server, as its last answers said
    changed_ids: set[int] = field(default_factory=set)  # rows whose shown values changed
    structure: bool = False  # rows appeared or disappeared
    groups_changed: bool = False

    @property
    def error(self) -> ProviderError | None:
        """The failure that stopped the refresh, if any."""
        return self.errors[0] if self.errors else None


@dataclass(slots=True)
class ReplayReport:
    """One or more passes over the outbox (store -> server).

    ``sent``: entries the server applied. ``reconciled``: of those, entries whose earlier
    attempt turned out to have been applied already (found by looking, not sent again).
    ``retrying``: transient failures now waiting for ``next_attempt_at``. ``blocked``: an
    account-wide refusal (the key) that stopped the replay; nothing was rejected for it.
    """

    attempted: int = 0  # entries taken out of the queue to send
    sent: int = 0
    reconciled: int = 0
    retrying: int = 0
    rejected: int = 0
    conflicts: int = 0
    errors: list[ProviderError] = field(default_factory=list)
    blocked: ProviderError | None = None
    offline: bool = False  # stopped early: the server or the network looks down
    #: nothing left that could be sent without the user (no entry waits for a retry)
    idle: bool = False
    next_attempt_at: datetime | None = None
    duration: float = 0.0
    changed_ids: set[int] = field(default_factory=set)
    structure: bool = False

    @property
    def error(self) -> ProviderError | None:
        return self.blocked or (self.errors[0] if self.errors else None)

    def absorb(self, other: ReplayReport) -> None:
        """Add a later pass to this report (``replay_until_idle``)."""
        self.attempted += other.attempted
        self.sent += other.sent
        self.reconciled += other.reconciled
        self.retrying = other.retrying
        self.rejected += other.rejected
        self.conflicts += other.conflicts
        self.errors.extend(other.errors)
        self.blocked = other.blocked or self.blocked
        self.offline = other.offline
        self.idle = other.idle
        self.next_attempt_at = other.next_attempt_at
        self.duration += other.duration
        self.changed_ids |= other.changed_ids
        self.structure = self.structure or other.structure
