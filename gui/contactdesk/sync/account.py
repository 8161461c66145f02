"""One account's sync: refresh (server -> store) and push (outbox -> server) together.

The UI reaches it only through the account's worker (``worker.py``), e.g.::

    sync = AccountSync(client, store_path, plan=plan)          # built on the UI thread
    worker.submit_cancellable(lambda stop: sync.refresh(progress, stop))
    worker.call(sync.push, on_done=...)                         # -> Ok(ReplayReport)

Every method blocks and must run on that one worker thread: the store it opens is bound
to the thread that opened it (it is opened on first use, so build the object anywhere).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contactdesk.core.schema import RatePlan
from contactdesk.providers.base import Provider
from contactdesk.store import OutboxState, Store
from contactdesk.sync.backoff import Backoff
from contactdesk.sync.progress import ProgressCallback
from contactdesk.sync.refresh import Refresher
from contactdesk.sync.replay import EntryListener, OutboxReplayer
from contactdesk.sync.reports import ReplayReport, SyncReport

#: pages a refresh reads ahead: with 50 ms of latency, 4 at once read a list about three
#: times faster than one by one (bench/sync_bench.py --latency 0.05). Under a paced plan
#: the rate limiter gates every request anyway; 2 only hides the round trip.
PREFETCH_UNPACED = 4
PREFETCH_PACED = 2


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """For the status bar: what waits, what needs the user, when it last synced.

    ``last_refresh_at``: when the last complete refresh finished (``None``: never).
    ``refresh_interrupted``: a refresh stopped part-way; the next one resumes it.
    ``next_attempt_at``: when the earliest waiting change is tried again.
    """

    pending: int
    in_flight: int
    uncertain: int
    rejected: int
    conflict: int
    last_refresh_at: datetime | None
    refresh_interrupted: bool
    next_attempt_at: datetime | None
    last_push_at: datetime | None

    @property
    def waiting(self) -> int:
        """Changes still on their way (sent automatically)."""
        return self.pending + self.in_flight + self.uncertain

    @property
    def needs_attention(self) -> int:
        """Changes only a person can move on (Retry / Discard / Resolve)."""
        return self.rejected + self.conflict


class AccountSync:
    """Refresh, push and status of one account (a provider client and its store).

    ``store`` is an open ``Store`` (opened on the worker thread) or the path of the
    account's store file, opened on first use. ``clock`` is the store's clock (retry
    times); ``plan`` the account's request budget (time-left estimates, read-ahead).
    ``on_entry_state(local_id, state)`` hears each outbox transition while pushing.
    """

    def __init__(
        self,
        provider: Provider,
        store: Store | Path,
        *,
        plan: RatePlan | None = None,
        clock: Callable[[], float] = time.time,
        backoff: Backoff | None = None,
        on_entry_state: EntryListener | None = None,
        prefetch: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.provider = provider
        self.plan = plan
        self.on_entry_state = on_entry_state
        self._clock = clock
        self._backoff = backoff
        self._rng = rng
        self._path = store if isinstance(store, Path) else store.path
        self._store: Store | None = None if isinstance(store, Path) else store
        self._owns_store = isinstance(store, Path)
        unpaced = plan is None or plan.requests is None
        default = PREFETCH_UNPACED if unpaced else PREFETCH_PACED
        self._prefetch = prefetch if prefetch is not None else default
        self._replayer: OutboxReplayer | None = None
        self._last_refresh_at: datetime | None = None
        self._last_push_at: datetime | None = None

    def __repr__(self) -> str:
        return f"AccountSync({self.provider!r}, {self._path.name!r})"

    # -- worker-thread objects -------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The account's writable store (opened on first use, on the calling thread)."""
        if self._store is None:
            self._store = Store.open(self._path, clock=self._clock)
        return self._store

    @property
    def replayer(self) -> OutboxReplayer:
        if self._replayer is None:
            self._replayer = OutboxReplayer(
                self.provider,
                self.store,
                on_entry_state=self._entry_state,
                backoff=self._backoff,
                clock=self._clock,
                rng=self._rng,
            )
        return self._replayer

    def _entry_state(self, local_id: int, state: OutboxState) -> None:
        if self.on_entry_state is not None:
            self.on_entry_state(local_id, state)

    # -- the three calls -------------------------------------------------------------------

    def refresh(
        self, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
    ) -> SyncReport:
        """Mirror the account (resuming an interrupted refresh). Never raises a provider
        error: it is in ``report.errors``."""
        refresher = Refresher(
            self.provider,
            self.store,
            plan=self.plan,
            prefetch=self._prefetch,
            wall_clock=self._clock,
        )
        report = refresher.run(progress, cancel)
        if report.complete:
            self._last_refresh_at = datetime.fromtimestamp(self._clock(), tz=UTC)
            self.store.optimize()
        return report

    def push(
        self, cancel: threading.Event | None = None, *, max_seconds: float | None = None
    ) -> ReplayReport:
        """Send the outbox: one pass over what is due now, or (``max_seconds``) pass after
        pass, waiting for retry times, until nothing is left or the time is up."""
        if max_seconds is None:
            report = self.replayer.replay_once(cancel)
        else:
            report = self.replayer.replay_until_idle(max_seconds, cancel)
        self._last_push_at = datetime.fromtimestamp(self._clock(), tz=UTC)
        return report

    def retry_all(self) -> int:
        """The Retry button: every waiting change is due now and any hold is lifted.
        Returns how many changes were made due; push afterwards."""
        outbox = self.store.outbox
        waiting = [
            e
            for e in outbox.open_entries()
            if e.state in (OutboxState.PENDING, OutboxState.UNCERTAIN)
        ]
        for entry in waiting:
            outbox.retry(entry)
        self.replayer.resume_now()
        return len(waiting)

    def status(self) -> AccountStatus:
        store = self.store
        counts = store.pending_counts()
        scopes: list[str | None] = [None]
        if self.provider.capabilities.groups:
            scopes = [g.remote_id for g in store.groups()]
        checkpoints = [store.mirror.checkpoint(s) for s in scopes]
        interrupted = any(cp is not None and not cp.finished for cp in checkpoints)
        finished = [cp.finished_at for cp in checkpoints if cp is not None and cp.finished_at]
        last = self._last_refresh_at
        if checkpoints and len(finished) == len(checkpoints):
            last = min(finished)
        return AccountStatus(
            pending=counts.pending,
            in_flight=counts.in_flight,
            uncertain=counts.uncertain,
            rejected=counts.rejected,
            conflict=counts.conflict,
            last_refresh_at=last,
            refresh_interrupted=interrupted,
            next_attempt_at=store.outbox.next_due_at(),
            last_push_at=self._last_push_at,
        )

    def close(self) -> None:
        """Close the store if this object opened it (the provider is the caller's)."""
        if self._store is not None and self._owns_store:
            self._store.close()
        self._store = None
        self._replayer = None
