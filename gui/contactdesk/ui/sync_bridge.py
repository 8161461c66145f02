"""The session's ``SyncEngine`` on top of ``contactdesk.sync.AccountSync``.

``AccountSession`` asks for three things on the account's worker thread: ``refresh``,
``push`` and ``make_due``, with the worker's writable ``Store`` and provider client. This
adapter builds the account's ``AccountSync`` on first use (same thread, same store: the
store allows one writer) and turns its reports into the session's ``SyncReport``.
"""

from __future__ import annotations

import threading
from typing import Any

from contactdesk.core.errors import NetworkError
from contactdesk.core.schema import RatePlan
from contactdesk.store import Store
from contactdesk.sync import AccountSync, SyncProgress
from contactdesk.ui.remote import RemoteContacts
from contactdesk.ui.sync_engine import Progress, SyncReport

_OFFLINE = (
    "The platform cannot be reached right now. Your changes are kept here and are sent "
    "when it answers again."
)


class AccountSyncEngine:
    """``SyncEngine`` for one account, backed by ``AccountSync``. Worker thread only."""

    def __init__(self, plan: RatePlan | None) -> None:
        self.plan = plan
        self._sync: AccountSync | None = None
        self._for: tuple[int, int] = (0, 0)

    def _account_sync(self, store: Store, remote: RemoteContacts) -> AccountSync:
        key = (id(store), id(remote))
        if self._sync is None or key != self._for:
            provider: Any = remote  # a providers.base.Provider, handed in by app.py
            self._sync = AccountSync(provider, store, plan=self.plan)
            self._for = key
        return self._sync

    def refresh(
        self, store: Store, remote: RemoteContacts, stop: threading.Event, progress: Progress
    ) -> SyncReport:
        def step(p: SyncProgress) -> None:
            progress(p.done, p.total)

        done = self._account_sync(store, remote).refresh(step, stop)
        return SyncReport(
            changed=set(done.changed_ids),
            structure=done.structure,
            groups=done.groups_changed,
            error=done.error,
            total=done.total,
        )

    def push(self, store: Store, remote: RemoteContacts, stop: threading.Event) -> SyncReport:
        done = self._account_sync(store, remote).push(stop)
        error = done.error
        if done.offline and (error is None or not error.transient):
            error = NetworkError(_OFFLINE)
        return SyncReport(
            changed=set(done.changed_ids),
            structure=done.structure,
            sent=done.sent,
            rejected=done.rejected,
            conflicts=done.conflicts,
            error=error,
            next_attempt_at=done.next_attempt_at,
        )

    def make_due(self, store: Store, remote: RemoteContacts) -> None:
        self._account_sync(store, remote).retry_all()
