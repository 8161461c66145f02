"""Store -> server: send the outbox, one entry at a time, in order per contact.

Every edit was already committed locally by ``store.edits`` (state ``pending``); this
module only sends. For each entry:

- **create**: sent once. If an earlier attempt may have been applied (the entry is
  ``uncertain``: the answer was lost, or the app stopped while it was in flight) the
  phone is looked up first and a contact found there with the same name is adopted:
  never a second copy.
- **update / delete**: the server's current copy is fetched first and compared with the
  version the edit was based on (``versions``). Changed -> ``conflict`` holding both
  versions, nothing overwritten. Already as wanted -> done without sending. An update
  of a contact deleted on the server -> ``conflict`` ("deleted on the server"; the user
  may re-create it or let it go). A delete whose contact is already gone -> done.
- failures: transient ones (``ProviderError.transient``) wait for a retry time from
  `Backoff` (``Retry-After`` for a 429); refusals become ``rejected`` with the server's
  reason in plain words; a refused key stops the replay without rejecting anything.

A pass stops early when the network looks down (any ``NetworkError``, or three
transient failures in a row), so fifty waiting edits do not become fifty timeouts.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from contactdesk.core.errors import (
    AuthRefused,
    InsecureURL,
    NetworkError,
    NotFound,
    ProviderError,
    RateLimited,
)
from contactdesk.core.models import Contact
from contactdesk.providers.base import Provider
from contactdesk.store import OutboxEntry, OutboxOp, OutboxState, Store
from contactdesk.sync.backoff import Backoff
from contactdesk.sync.reports import ReplayReport
from contactdesk.sync.versions import VersionCheck

log = logging.getLogger(__name__)

#: told after every transition of an entry: (local id of the contact, the entry's state)
EntryListener = Callable[[int, OutboxState], None]

#: transient failures in a row after which a pass stops (the server looks down)
MAX_FAILURES_IN_A_ROW = 3

#: how long a refused key parks the outbox before it tries again on its own
BLOCKED_RETRY_S = 600.0

_KEY_PROBLEMS = (AuthRefused, InsecureURL)
_CRASHED = (
    "Something went wrong inside Contact Desk while sending this change. It is kept "
    "here and will be tried again."
)


def _norm(text: str | None) -> str:
    return (text or "").strip().casefold()


@dataclass(slots=True)
class _Pass:
    """Counters of one pass."""

    report: ReplayReport
    failures_in_a_row: int = 0
    stop: bool = False


class OutboxReplayer:
    """Sends one account's outbox. Blocking: run it on the account's worker thread.

    ``on_entry_state(local_id, state)`` hears every transition (``in_flight``, ``done``,
    ``pending`` with a retry time, ``uncertain``, ``rejected``, ``conflict``) so the UI
    can repaint exactly that row. ``clock`` must be the store's clock (retry times are
    compared with it). ``backoff`` spaces retries; ``rng`` makes its jitter repeatable.
    """

    def __init__(
        self,
        provider: Provider,
        store: Store,
        *,
        on_entry_state: EntryListener | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        batch: int = 20,
    ) -> None:
        self.provider = provider
        self.store = store
        self.on_entry_state = on_entry_state
        self.backoff = backoff or Backoff()
        self.versions = VersionCheck.for_fields(provider.fields)
        self._clock = clock
        # jitter only spreads retries; it need not be unpredictable
        self._rng = rng or random.Random()  # noqa: S311
        self._batch = batch
        #: store-clock time before which no pass sends (the server looked down)
        self._hold_until = 0.0

    def resume_now(self) -> None:
        """Forget a hold after failures (the user pressed Retry, or the network is back)."""
        self._hold_until = 0.0

    # -- passes --------------------------------------------------------------------------

    def replay_once(self, cancel: threading.Event | None = None) -> ReplayReport:
        """Send every entry that is due now (in order per contact); return what happened."""
        started = time.monotonic()
        run = _Pass(ReplayReport())
        if self._clock() < self._hold_until:
            return self._held(run.report)
        tried: set[int] = set()
        while not run.stop and not (cancel is not None and cancel.is_set()):
            due = [e for e in self.store.outbox.next_entries(self._batch) if e.id not in tried]
            if not due:
                break
            for entry in due:
                if run.stop or (cancel is not None and cancel.is_set()):
                    break
                tried.add(entry.id)
                run.report.attempted += 1
                self._send(entry, run)
        report = run.report
        report.next_attempt_at = self._next_attempt_at()
        report.idle = not run.stop and self._idle(report.next_attempt_at)
        report.duration = time.monotonic() - started
        return report

    def _held(self, report: ReplayReport) -> ReplayReport:
        report.offline = True
        report.next_attempt_at = self._next_attempt_at()
        return report

    def _next_attempt_at(self) -> datetime | None:
        """When sending may next do something: the earliest retry time, not before a hold."""
        due = self.store.outbox.next_due_at()
        if due is None:
            return None
        return max(due, datetime.fromtimestamp(self._hold_until, tz=UTC))

    def _idle(self, due: datetime | None) -> bool:
        """Whether nothing is left to send without the user: no entry waits for a retry
        time, and any entry due now sits behind one that waits for the user (rejected
        or in conflict), so the queue does not hand it out."""
        if due is None:
            return True
        if due.timestamp() > self._clock():
            return False
        return not self.store.outbox.next_entries(1)

    def replay_until_idle(
        self, max_seconds: float, cancel: threading.Event | None = None
    ) -> ReplayReport:
        """Pass after pass, waiting for retry times, until nothing is left to send or
        ``max_seconds`` have passed (or ``cancel``). Rejected and conflicting entries wait
        for the user and do not count as left to send."""
        stop = cancel or threading.Event()
        deadline = time.monotonic() + max_seconds
        total = ReplayReport()
        while True:
            report = self.replay_once(stop)
            total.absorb(report)
            if report.blocked is not None or stop.is_set():
                return total
            due_at = report.next_attempt_at
            if report.idle or due_at is None:
                total.idle = True
                return total
            wait = max(0.0, due_at.timestamp() - self._clock())
            left = deadline - time.monotonic()
            if left <= 0 or wait > left:
                total.idle = False
                return total
            if wait > 0:
                stop.wait(wait)

    # -- one entry -----------------------------------------------------------------------

    def _notify(self, entry: OutboxEntry, state: OutboxState, report: ReplayReport) -> None:
        if entry.local_id is None:
            return
        report.changed_ids.add(entry.local_id)
        if self.on_entry_state is not None:
            self.on_entry_state(entry.local_id, state)

    def _send(self, entry: OutboxEntry, run: _Pass) -> None:
        was_uncertain = entry.uncertain
        entry = self.store.outbox.mark_in_flight(entry)
        self._notify(entry, OutboxState.IN_FLIGHT, run.report)
        try:
            if entry.op is OutboxOp.CREATE:
                self._create(entry, was_uncertain, run.report)
            elif entry.op is OutboxOp.UPDATE:
                self._update(entry, run.report)
            else:
                self._delete(entry, run.report)
            run.failures_in_a_row = 0
        except ProviderError as err:
            self._failed(entry, err, was_uncertain, run)
        except Exception:
            # a bug of ours: keep the edit (waiting, as if the answer was lost) and let
            # the worker report the crash
            log.exception("sending outbox entry %d failed", entry.id)
            self._retry_later(entry, _CRASHED, uncertain=True, failures=entry.attempts)
            self._notify(entry, OutboxState.UNCERTAIN, run.report)
            raise

    def _done(self, entry: OutboxEntry, server: Contact | None, report: ReplayReport) -> None:
        self.store.outbox.complete(entry, server)
        report.sent += 1
        if entry.op is not OutboxOp.UPDATE:
            report.structure = True
        self._notify(entry, OutboxState.DONE, report)

    def _conflict(self, entry: OutboxEntry, server: Contact | None, report: ReplayReport) -> None:
        self.store.outbox.conflict(entry, server)
        report.conflicts += 1
        self._notify(entry, OutboxState.CONFLICT, report)
        log.info("outbox entry %d: the server copy changed (conflict)", entry.id)

    def _create(self, entry: OutboxEntry, was_uncertain: bool, report: ReplayReport) -> None:
        group_id = entry.payload.group_id
        if was_uncertain:
            found = self._own_create(entry)
            if found is not None:
                report.reconciled += 1
                self._done(entry, found, report)
                return
        server = self.provider.create_contact(entry.payload, group_id=group_id)
        self._done(entry, server, report)

    def _own_create(self, entry: OutboxEntry) -> Contact | None:
        """The contact an earlier, unanswered attempt of this create made, if any: same
        phone and names (and email, where the provider has it)."""
        wanted = entry.payload
        found = self.provider.find_by_phone(wanted.phone, group_id=wanted.group_id)
        same = [
            c
            for c in found
            if _norm(c.first_name) == _norm(wanted.first_name)
            and _norm(c.last_name) == _norm(wanted.last_name)
            and (c.email is None or _norm(c.email) == _norm(wanted.email))
        ]
        if not same:
            return None

        def unclaimed(c: Contact) -> bool:
            # a copy another row here already stands for is someone's own contact
            held = None if c.remote_id is None else self.store.get_by_remote_id(c.remote_id)
            return held is None or held.local_id == entry.local_id

        pool = [c for c in same if unclaimed(c)] or same
        # uids and ids grow with time: the newest copy is the likeliest to be ours
        return max(pool, key=lambda c: (len(c.remote_id or ""), (c.remote_id or "").casefold()))

    def _update(self, entry: OutboxEntry, report: ReplayReport) -> None:
        wanted = entry.payload
        group_id = wanted.group_id
        if wanted.remote_id is None:
            self._reject(entry, "This contact has not been saved to the server yet.", report)
            return
        try:
            current = self.provider.get_contact(wanted.remote_id, group_id=group_id)
        except NotFound:
            self._conflict(entry, None, report)
            return
        if self.versions.same_values(current, wanted):
            # nothing to send: our earlier attempt landed, or someone made the same change
            report.reconciled += int(entry.attempts > 1)
            self._done(entry, current, report)
            return
        if not self.versions.same_version(entry.base, current):
            self._conflict(entry, current, report)
            return
        try:
            server = self.provider.update_contact(wanted, group_id=group_id, base=entry.base)
        except NotFound:
            self._conflict(entry, None, report)
            return
        self._done(entry, server, report)

    def _delete(self, entry: OutboxEntry, report: ReplayReport) -> None:
        remote_id = entry.payload.remote_id
        group_id = entry.payload.group_id
        if remote_id is None:
            self._done(entry, None, report)  # the server never had it
            return
        try:
            current = self.provider.get_contact(remote_id, group_id=group_id)
        except NotFound:
            self._done(entry, None, report)  # already gone: what was wanted
            return
        if not self.versions.same_version(entry.base, current):
            self._conflict(entry, current, report)
            return
        # gone between our look and the delete is what was wanted, too
        with contextlib.suppress(NotFound):
            self.provider.delete_contact(remote_id, group_id=group_id)
        self._done(entry, None, report)

    # -- failures ------------------------------------------------------------------------

    def _failed(
        self, entry: OutboxEntry, err: ProviderError, was_uncertain: bool, run: _Pass
    ) -> None:
        report = run.report
        report.errors.append(err)
        if isinstance(err, _KEY_PROBLEMS):
            # the account's key or address, not this edit: park everything, reject nothing
            self._retry_later(entry, err.message, uncertain=was_uncertain, seconds=BLOCKED_RETRY_S)
            self._notify(
                entry, OutboxState.UNCERTAIN if was_uncertain else OutboxState.PENDING, report
            )
            report.blocked = err
            run.stop = True
            return
        if not err.transient:
            self._reject(entry, err.message, report)
            log.info("outbox entry %d rejected: %s", entry.id, type(err).__name__)
            return
        uncertain = was_uncertain or _may_have_applied(err)
        seconds = err.retry_after if isinstance(err, RateLimited) else None
        retry_at = self._retry_later(
            entry, err.message, uncertain=uncertain, failures=entry.attempts, seconds=seconds
        )
        report.retrying += 1
        self._notify(entry, OutboxState.UNCERTAIN if uncertain else OutboxState.PENDING, report)
        run.failures_in_a_row += 1
        looks_down = isinstance(err, NetworkError | RateLimited)
        if looks_down or run.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            # hold every entry until this one's retry: one probe, not fifty timeouts
            report.offline = True
            run.stop = True
            self._hold_until = max(self._hold_until, retry_at)

    def _reject(self, entry: OutboxEntry, message: str, report: ReplayReport) -> None:
        self.store.outbox.reject(entry, message)
        report.rejected += 1
        self._notify(entry, OutboxState.REJECTED, report)

    def _retry_later(
        self,
        entry: OutboxEntry,
        message: str,
        *,
        uncertain: bool,
        failures: int = 1,
        seconds: float | None = None,
    ) -> float:
        """Put the entry back until a retry time (store clock, epoch seconds), returned."""
        delay = seconds if seconds is not None else self.backoff.delay(failures, self._rng)
        retry_at = self._clock() + delay
        when = datetime.fromtimestamp(retry_at, tz=UTC)
        self.store.outbox.fail_transient(entry, message, when, uncertain=uncertain)
        return retry_at


def _may_have_applied(err: ProviderError) -> bool:
    """Whether a failed write may still have reached the server.

    Only two answers say for sure that nothing was done: a 429 (refused before any work)
    and a connection that was never made. A 5xx or an unreadable answer may come after
    the server saved the row (Flexacore fails after the insert while sending its welcome
    SMS), so the next attempt of a create looks before it sends.
    """
    if isinstance(err, RateLimited):
        return False
    if isinstance(err, NetworkError):
        return err.uncertain
    return True
