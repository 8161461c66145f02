"""Sync: mirror the server into the local store, and send the outbox to the server.

Runs on the account's worker thread (plain blocking code; never on the UI thread, never
Qt). Public API::

    sync = AccountSync(provider, store_or_path, plan=plan, on_entry_state=cb)
    report = sync.refresh(progress=cb, cancel=event)   # -> SyncReport (resumes, sweeps)
    replay = sync.push(cancel=event)                   # one pass  -> ReplayReport
    replay = sync.push(max_seconds=30)                 # until idle or time is up
    sync.retry_all(); sync.status()                    # -> AccountStatus

    Refresher(provider, store).run(progress, cancel)   # the refresh alone
    OutboxReplayer(provider, store).replay_once() / replay_until_idle(max_seconds)

Progress events are `SyncProgress` (phase, done, total, eta_seconds, group_name).
"""

from __future__ import annotations

from contactdesk.sync.account import AccountStatus, AccountSync
from contactdesk.sync.backoff import Backoff
from contactdesk.sync.progress import (
    EtaEstimator,
    Phase,
    ProgressCallback,
    SyncProgress,
    budget_seconds,
)
from contactdesk.sync.refresh import Refresher, listing_fields_for
from contactdesk.sync.replay import EntryListener, OutboxReplayer
from contactdesk.sync.reports import ReplayReport, SyncReport
from contactdesk.sync.versions import VersionCheck

__all__ = [
    "AccountStatus",
    "AccountSync",
    "Backoff",
    "EntryListener",
    "EtaEstimator",
    "OutboxReplayer",
    "Phase",
    "ProgressCallback",
    "Refresher",
    "ReplayReport",
    "SyncProgress",
    "SyncReport",
    "VersionCheck",
    "budget_seconds",
    "listing_fields_for",
]
