"""The ``SyncEngine`` interface the session drives, and a minimal engine of its own.

app.py hands each ``AccountSession`` a ``SyncEngine``: ``ui.sync_bridge.AccountSyncEngine``
(the real ``contactdesk.sync``) by default. ``InterimSync`` below was the stand-in used
before sync/ landed; it stays as a small reference engine for tests of the session.

Everything here runs on the account's worker thread with the worker's writable
``Store`` and provider client. It follows the store's own protocol: a refresh merges
pages under a checkpoint and sweeps what the server no longer has; a push takes due
outbox entries, marks them in flight, sends them and closes them as done, transient
failure (retry later), rejected or conflict. An update is checked against the server's
current copy first, so a colleague's change is never overwritten silently.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from contactdesk.core.errors import (
    NetworkError,
    NotFound,
    ProviderError,
    RateLimited,
)
from contactdesk.core.models import Contact, Group
from contactdesk.store import OutboxEntry, OutboxOp, OutboxState, Store
from contactdesk.ui.remote import RemoteContacts

log = logging.getLogger(__name__)

#: (loaded so far, total expected or None) while a refresh runs
Progress = Callable[[int, int | None], None]

_MAX_BACKOFF_S = 300.0


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


def _now() -> datetime:
    return datetime.now(UTC)


class InterimSync:
    """Refresh (server -> store) and push (outbox -> server) for one account.

    ``groups``: the provider has groups (Flexacore: every contact lives in one).
    ``carried``: the ``Contact`` fields the listing carries (``None``: all of them).
    ``compare``: the fields an update is checked on when the server gives no timestamp.
    """

    def __init__(
        self,
        *,
        groups: bool,
        carried: Collection[str] | None,
        compare: Sequence[str],
    ) -> None:
        self.groups = groups
        self.carried = carried
        self.compare = tuple(compare)

    # -- server -> store -----------------------------------------------------------------
    def refresh(
        self, store: Store, remote: RemoteContacts, stop: threading.Event, progress: Progress
    ) -> SyncReport:
        report = SyncReport()
        try:
            scopes: list[str | None] = [None]
            if self.groups:
                groups = remote.list_groups()
                before = [(g.remote_id, g.name) for g in store.groups()]
                removed = store.mirror.upsert_groups(groups, complete=True)
                report.groups = before != [(g.remote_id, g.name) for g in groups]
                report.structure = bool(removed)
                scopes = [g.remote_id for g in groups]
            loaded = 0
            finished_total = 0  # server totals of the scopes already read
            for scope in scopes:
                if stop.is_set():
                    return report
                cp = store.mirror.begin_refresh(scope)
                page = cp.next_page
                while True:
                    if stop.is_set():
                        return report
                    got = remote.list_contacts(group_id=scope, page=page)
                    merged = store.mirror.merge_page(
                        got.items,
                        group_id=scope,
                        page=got.page,
                        pages=got.pages,
                        total=got.total,
                        fields=self.carried,
                    )
                    report.changed.update(merged.updated)
                    report.changed.update(merged.server_only)
                    report.structure = report.structure or merged.inserted > 0
                    loaded += len(got.items)
                    progress(loaded, finished_total + got.total)
                    if got.is_last or not got.items:
                        finished_total += got.total
                        break
                    page += 1
                swept = store.mirror.finish_refresh(scope)
                report.structure = report.structure or bool(swept)
            report.total = finished_total
        except ProviderError as err:
            report.error = err
        return report

    # -- outbox -> server ----------------------------------------------------------------
    def push(self, store: Store, remote: RemoteContacts, stop: threading.Event) -> SyncReport:
        report = SyncReport()
        while not stop.is_set():
            entries = store.outbox.next_entries()
            if not entries:
                break
            for entry in entries:
                if stop.is_set():
                    break
                if not self._send(store, remote, entry, report):
                    return report  # offline or throttled: the rest waits for the retry
        return report

    def make_due(self, store: Store, remote: RemoteContacts) -> None:
        for entry in store.outbox.open_entries():
            if entry.state in (OutboxState.PENDING, OutboxState.UNCERTAIN):
                store.outbox.retry(entry)

    def _send(
        self, store: Store, remote: RemoteContacts, entry: OutboxEntry, report: SyncReport
    ) -> bool:
        entry = store.outbox.mark_in_flight(entry)
        if entry.local_id is not None:
            report.changed.add(entry.local_id)
        group_id = entry.payload.group_id
        try:
            if entry.op is OutboxOp.CREATE:
                server = remote.create_contact(entry.payload, group_id=group_id)
                store.outbox.complete(entry, server)
            elif entry.op is OutboxOp.UPDATE:
                assert entry.payload.remote_id is not None
                try:
                    current = remote.get_contact(entry.payload.remote_id, group_id=group_id)
                except NotFound:
                    store.outbox.conflict(entry, None)
                    report.conflicts += 1
                    return True
                if not self._same(entry.base, current):
                    if self._same_values(entry.payload, current):
                        store.outbox.complete(entry, current)  # someone made the same change
                    else:
                        store.outbox.conflict(entry, current)
                        report.conflicts += 1
                    return True
                server = remote.update_contact(entry.payload, group_id=group_id, base=entry.base)
                store.outbox.complete(entry, server)
            else:
                if entry.payload.remote_id is not None:
                    with contextlib.suppress(NotFound):  # already gone: what was wanted
                        remote.delete_contact(entry.payload.remote_id, group_id=group_id)
                store.outbox.complete(entry, None)
                report.structure = True
            report.sent += 1
            return True
        except ProviderError as err:
            if err.transient:
                wait = (
                    err.retry_after
                    if isinstance(err, RateLimited)
                    else min(_MAX_BACKOFF_S, 5.0 * 2 ** max(0, entry.attempts - 1))
                )
                uncertain = isinstance(err, NetworkError) and err.uncertain
                store.outbox.fail_transient(
                    entry, err.message, _now() + timedelta(seconds=wait), uncertain=uncertain
                )
                report.error = err
                return False
            store.outbox.reject(entry, err.message)
            report.rejected += 1
            if report.error is None:
                report.error = err
            return True

    def _same(self, a: Contact | None, b: Contact | None) -> bool:
        if a is None or b is None:
            return a is b
        if a.updated_at and b.updated_at:
            return a.updated_at == b.updated_at
        return self._same_values(a, b)

    def _same_values(self, a: Contact, b: Contact) -> bool:
        return all(getattr(a, k) == getattr(b, k) for k in self.compare)
