"""Server -> store: mirror one account's groups and contacts, page by page, resumably.

Order of work (so the progress bar knows its total early):

1. groups (Flexacore): the whole list, stored with ``complete=True`` (groups gone on the
   server are removed with their contacts);
2. the first page of every scope (each Flexacore group, or the whole TextFlow account):
   it carries the scope's total;
3. the remaining pages of each scope in turn, then the deletion sweep of that scope.

Every page is merged under the scope's checkpoint in one transaction with the page
number, so an interrupted refresh (cancel, network failure, crash, closed lid) resumes
at the page after the last one stored. Only a scope whose every page was read is swept,
and the contacts it did not see are first asked about one by one (a list read page by
page can shift under us: a colleague deletes a contact on page 2 while we read page 5,
and one contact slides back onto a page already read, unseen but not gone), unless there
are many and the list held still while it was read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta

from contactdesk.core.errors import NotFound, ProviderError
from contactdesk.core.models import Contact, Page
from contactdesk.core.schema import RatePlan
from contactdesk.providers.base import Provider
from contactdesk.store import Checkpoint, Store
from contactdesk.sync.pages import PageFetcher
from contactdesk.sync.progress import EtaEstimator, Phase, ProgressCallback, SyncProgress
from contactdesk.sync.reports import SyncReport

log = logging.getLogger(__name__)

#: unseen contacts checked one by one before a sweep; above this, see `_sweep`
VERIFY_LIMIT = 100

#: pages are stored in batches of about this many contacts (one transaction each: the
#: store merges 1,000 rows about twice as fast as ten times 100) ...
MERGE_BATCH = 1000
#: ... or of whatever arrived in this many seconds (a paced plan: rows show up steadily)
FLUSH_SECONDS = 0.5

#: an interrupted refresh older than this starts over instead of resuming: its early
#: pages are too old to stand for "what the server has now"
MAX_RESUME_AGE = timedelta(hours=6)

#: a round begins every scope within moments; a scope that finished and began at most
#: this long before the round's first unfinished scope belongs to that round
ROUND_SLACK_S = 300.0

#: what a listing of a provider with groups carries (Flexacore C1: uid, phone, names);
#: the group is the one asked for. Other fields keep their stored values on merge.
GROUP_LISTING_FIELDS: frozenset[str] = frozenset({"phone", "first_name", "last_name", "group_id"})


def listing_fields_for(provider: Provider) -> frozenset[str] | None:
    """The ``Contact`` fields the provider's list answers carry (``None``: all of them).

    Flexacore's list and show answers hold only phone and names; TextFlow's hold the
    whole contact. (Wish: ``Capabilities.listing_fields``, so this is declared by the
    provider instead of inferred from ``groups``.)
    """
    return GROUP_LISTING_FIELDS if provider.capabilities.groups else None


class Cancelled(Exception):
    """Internal: the cancel event was set; the refresh stops between pages."""


@dataclass(slots=True)
class _Scope:
    """One unit of refresh: a Flexacore group (``group_id``) or a whole account (None)."""

    group_id: str | None
    name: str | None
    next_page: int
    pages: int | None
    total: int | None
    first_total: int | None
    walked: bool = False  # every page read (the sweep may still be due)
    swept: bool = False  # finished (earlier in the round being resumed)
    stable: bool = True  # the total did not move while we read


class Refresher:
    """Mirrors one account into its store. Blocking: run it on the account's worker.

    ``run(progress, cancel)`` returns a `SyncReport`; provider failures end up in
    ``report.errors`` (never raised). ``cancel`` is checked before every request.
    ``plan`` feeds the time-left estimate; ``prefetch`` > 1 reads that many pages of a
    scope at once (merged in order, so checkpoints stay exact).
    """

    def __init__(
        self,
        provider: Provider,
        store: Store,
        *,
        plan: RatePlan | None = None,
        listing_fields: Collection[str] | None = None,
        infer_listing_fields: bool = True,
        verify_limit: int = VERIFY_LIMIT,
        max_resume_age: timedelta = MAX_RESUME_AGE,
        prefetch: int = 1,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider
        self.store = store
        self.plan = plan
        if listing_fields is None and infer_listing_fields:
            listing_fields = listing_fields_for(provider)
        self.listing_fields = None if listing_fields is None else frozenset(listing_fields)
        self.verify_limit = verify_limit
        self.max_resume_age = max_resume_age
        self.prefetch = max(1, prefetch)
        self._clock = clock
        self._wall_clock = wall_clock
        self._page_size = max(1, provider.capabilities.page_size)

    # -- the run -------------------------------------------------------------------------

    def run(
        self, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
    ) -> SyncReport:
        started = self._clock()
        report = SyncReport()
        run = _Run(self, report, progress, cancel or threading.Event())
        try:
            run.execute()
            report.complete = not report.sweep_postponed
        except Cancelled:
            report.cancelled = True
            log.info("refresh cancelled after %d pages", report.pages)
        except ProviderError as err:
            report.errors.append(err)
            log.info("refresh stopped: %s", type(err).__name__)
        finally:
            report.duration = self._clock() - started
        return report

    def begin(self, group_id: str | None) -> Checkpoint:
        """The scope's refresh: the unfinished one if recent, else a fresh one."""
        mirror = self.store.mirror
        checkpoint = mirror.begin_refresh(group_id)
        if checkpoint.last_page_done == 0:
            return checkpoint
        age = self._wall_clock() - checkpoint.started_at.timestamp()
        if age <= self.max_resume_age.total_seconds():
            return checkpoint
        log.info("interrupted refresh is %.0f h old; starting over", age / 3600)
        mirror.finish_refresh(group_id, sweep=False)
        return mirror.begin_refresh(group_id)

    def round_start(self, group_ids: list[str | None]) -> float | None:
        """When the interrupted refresh being resumed began (epoch s; ``None``: none, or
        too old to resume). Its scopes that finished since are not read again."""
        starts = [
            cp.started_at.timestamp()
            for cp in map(self.store.mirror.checkpoint, group_ids)
            if cp is not None and not cp.finished
        ]
        if not starts:
            return None
        start = min(starts)
        if self._wall_clock() - start > self.max_resume_age.total_seconds():
            return None
        return start

    def fetch(self, group_id: str | None, number: int) -> Page[Contact]:
        return self.provider.list_contacts(group_id=group_id, page=number)


class _Run:
    """The state of one ``Refresher.run`` (scopes, counters, the estimator)."""

    def __init__(
        self,
        refresher: Refresher,
        report: SyncReport,
        progress: ProgressCallback | None,
        cancel: threading.Event,
    ) -> None:
        self.r = refresher
        self.report = report
        self.progress = progress
        self.cancel = cancel
        self.scopes: list[_Scope] = []
        self.eta = EtaEstimator(refresher.plan, clock=refresher._clock)
        self.read_this_run = 0

    # -- steps ---------------------------------------------------------------------------

    def execute(self) -> None:
        self.scopes = self._scopes()
        for scope in self.scopes:
            if scope.pages is None and not scope.walked:
                self._read(scope, first_only=True)
        for scope in self.scopes:
            if not scope.walked:
                self._read(scope, first_only=False)
            if not scope.swept:
                self._sweep(scope)
        self.report.total = self._total()
        self._emit(Phase.DONE, None)

    def _check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled

    def _scopes(self) -> list[_Scope]:
        provider, store = self.r.provider, self.r.store
        named: list[tuple[str | None, str | None]] = [(None, None)]
        if provider.capabilities.groups:
            self._emit(Phase.GROUPS, None)
            self._check()
            groups = provider.list_groups()
            before = [(g.remote_id, g.name) for g in store.groups()]
            removed = store.mirror.upsert_groups(groups, complete=True)
            self.report.groups_changed = before != [(g.remote_id, g.name) for g in groups]
            self.report.structure = self.report.structure or bool(removed)
            named = [(g.remote_id, g.name) for g in groups]
        round_start = self.r.round_start([g for g, _ in named])
        scopes = []
        for group_id, name in named:
            cp = store.mirror.checkpoint(group_id)
            if cp is not None and cp.finished and round_start is not None:
                # finished earlier in the round being resumed: not read again. A round
                # begins all its scopes at once, so a sibling that finished may have
                # begun a moment before the first unfinished one
                done_in_round = cp.started_at.timestamp() >= round_start - ROUND_SLACK_S
            else:
                done_in_round = False
            if not done_in_round:
                cp = self.r.begin(group_id)
            assert cp is not None
            if cp.last_page_done > 0:
                self.report.resumed = True
            walked = cp.pages is not None and cp.last_page_done >= cp.pages
            scopes.append(
                _Scope(
                    group_id=group_id,
                    name=name,
                    next_page=cp.next_page,
                    pages=cp.pages,
                    total=cp.total,
                    first_total=cp.total,
                    walked=walked or done_in_round,
                    swept=done_in_round,
                )
            )
        return scopes

    def _read(self, scope: _Scope, *, first_only: bool) -> None:
        """Read the scope's pages from ``next_page`` (only that one with ``first_only``)
        until its last page; store them in batches (see ``MERGE_BATCH``)."""
        self._emit(Phase.CONTACTS, scope.name)
        fetcher = PageFetcher(
            lambda n: self.r.fetch(scope.group_id, n),
            start=scope.next_page,
            last=lambda: scope.pages,
            width=1 if first_only else self.r.prefetch,
            cancel=self.cancel,
        )
        held: list[tuple[int, Page[Contact]]] = []  # arrived, not stored yet
        flushed_at = self.r._clock()
        try:
            for number, page in fetcher:
                held.append((number, page))
                scope.pages = page.pages  # how far the fetcher may read ahead
                end = page.is_last or not page.items or number >= page.pages
                due = sum(len(p.items) for _, p in held) >= MERGE_BATCH
                if end or first_only or due or self.r._clock() - flushed_at >= FLUSH_SECONDS:
                    self._merge(scope, held)
                    held = []
                    flushed_at = self.r._clock()
                    self._emit(Phase.CONTACTS, scope.name)
                if end:
                    scope.walked = True
                    return
                if first_only:
                    return
        except ProviderError:
            self._merge(scope, held)  # the pages that arrived before the failure are kept
            raise
        finally:
            fetcher.close()
        # the fetcher ends on its own only when cancelled: keep what already arrived
        self._merge(scope, held)
        raise Cancelled

    def _merge(self, scope: _Scope, held: list[tuple[int, Page[Contact]]]) -> None:
        """Store consecutive pages in one transaction; the checkpoint moves to the last."""
        if not held:
            return
        report = self.report
        number, last = held[-1]
        items = [c for _, page in held for c in page.items]
        merged = self.r.store.mirror.merge_page(
            items,
            group_id=scope.group_id,
            page=number,
            pages=last.pages,
            total=last.total,
            fields=self.r.listing_fields,
        )
        changed = len(merged.updated) + len(merged.server_only)
        report.pages += len(held)
        report.added += merged.inserted
        report.changed += changed
        report.unchanged += max(0, len(items) - merged.inserted - changed)
        report.changed_ids.update(merged.updated, merged.server_only)
        report.structure = report.structure or merged.inserted > 0
        for _, page in held:
            if scope.first_total is None:
                scope.first_total = page.total
            elif page.total != scope.first_total:
                scope.stable = False
        scope.next_page = number + 1
        scope.pages = last.pages
        scope.total = last.total
        self.read_this_run += len(items)
        self.eta.observe(self.read_this_run)

    def _sweep(self, scope: _Scope) -> None:
        """Remove what the server no longer has, once the scope was read completely."""
        mirror, report = self.r.store.mirror, self.report
        unseen = mirror.unseen(scope.group_id)
        if len(unseen) <= self.r.verify_limit:
            gone: list[str] = []
            for _local_id, remote_id in unseen:
                self._check()
                self._emit(Phase.CHECKING, scope.name)
                try:
                    found = self.r.provider.get_contact(remote_id, group_id=scope.group_id)
                except NotFound:
                    gone.append(remote_id)
                    continue
                # it is still there: the list moved while we read it
                merged = mirror.merge_page(
                    [found], group_id=scope.group_id, fields=self.r.listing_fields
                )
                report.changed_ids.update(merged.updated, merged.server_only)
            if gone:
                report.deleted += len(mirror.mark_deleted_on_server(gone))
            swept = mirror.finish_refresh(scope.group_id, sweep=False)  # all checked
        elif scope.stable:
            swept = mirror.finish_refresh(scope.group_id, sweep=True)
        else:
            log.info("list moved while read; sweep of %d contacts postponed", len(unseen))
            mirror.finish_refresh(scope.group_id, sweep=False)
            report.sweep_postponed = True
            swept = []
        report.deleted += len(swept)
        report.structure = report.structure or report.deleted > 0

    # -- progress ------------------------------------------------------------------------

    def _total(self) -> int | None:
        totals = [s.total for s in self.scopes]
        if not totals or any(t is None for t in totals):
            return None
        return sum(t for t in totals if t is not None)

    def _done(self, scope: _Scope) -> int:
        if scope.total is None:
            return 0
        if scope.walked:
            return scope.total
        return min(scope.total, (scope.next_page - 1) * self.r._page_size)

    def _emit(self, phase: Phase, group_name: str | None) -> None:
        if self.progress is None:
            return
        total = self._total()
        done = sum(self._done(s) for s in self.scopes)
        if phase is Phase.DONE:
            total = done if total is None else total
            done = total
        requests_left = sum(
            1 if s.pages is None else max(0, s.pages - s.next_page + 1)
            for s in self.scopes
            if not s.walked
        )
        eta = self.eta.eta(None if total is None else total - done, requests_left)
        if phase is Phase.DONE:
            eta = 0.0
        self.progress(SyncProgress(phase, done, total, eta, group_name))
