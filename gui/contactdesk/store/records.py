"""The store's value types: what callers get back and pass in.

All are frozen dataclasses or string enums, safe to hand from the worker thread to the
UI thread. Timestamps are ``datetime`` in UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from contactdesk.core.models import Contact


class ContactState(enum.StrEnum):
    """Where a contact row stands relative to the server.

    ``SYNCED``: the row holds the last-known server version. ``PENDING``: a local edit
    waits to be sent (or is being sent). ``REJECTED``: the server refused an edit (see
    ``error``). ``CONFLICT``: the server copy changed under a local edit. ``DELETED``: a
    local delete waits to be sent; such rows are hidden from table queries.
    """

    SYNCED = "synced"
    PENDING = "pending"
    REJECTED = "rejected"
    CONFLICT = "conflict"
    DELETED = "deleted"


class OutboxOp(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class OutboxState(enum.StrEnum):
    """Life of an outbox entry.

    ``PENDING`` -> ``IN_FLIGHT`` -> ``DONE`` is the happy path. ``UNCERTAIN``: the entry
    was in flight when the app stopped, or the connection failed after the request may
    have reached the server; sync must check the server before sending it again.
    ``REJECTED``/``CONFLICT`` wait for the user (Retry / Discard / Resolve).
    ``DISCARDED``: closed without being applied (discard, undo, resolve "theirs").
    """

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    UNCERTAIN = "uncertain"
    REJECTED = "rejected"
    CONFLICT = "conflict"
    DONE = "done"
    DISCARDED = "discarded"

    @property
    def is_open(self) -> bool:
        return self not in (OutboxState.DONE, OutboxState.DISCARDED)


OPEN_STATES: tuple[OutboxState, ...] = tuple(s for s in OutboxState if s.is_open)


class Origin(enum.StrEnum):
    """Who made a change recorded in history or a deleted-contact snapshot."""

    LOCAL = "local"
    REMOTE = "remote"


class SortColumn(enum.StrEnum):
    """Columns a table query can sort by (each backed by an index)."""

    NAME = "name"
    FIRST = "first"
    LAST = "last"
    PHONE = "phone"
    EMAIL = "email"
    UPDATED = "updated"
    STATE = "state"


class Resolution(enum.StrEnum):
    """The two whole-record answers to a conflict; a merged ``Contact`` is the third."""

    MINE = "mine"
    THEIRS = "theirs"


@dataclass(frozen=True, slots=True)
class ContactQuery:
    """What the table shows: an optional group (Flexacore) or tag (TextFlow) filter,
    free text, and a sort order. Equal queries give equal results, so the UI can use the
    query as a cache key."""

    text: str = ""
    group_id: str | None = None
    tag: str | None = None
    sort: SortColumn = SortColumn.NAME
    descending: bool = False


@dataclass(frozen=True, slots=True)
class StoredContact:
    """One contact row: the desired values plus the store's bookkeeping.

    ``contact`` holds what the user wants (for a synced row, the server's values).
    ``pending_op`` is the first open outbox operation (``None`` when synced); ``error``
    the plain-language message of a failed or rejected send.
    """

    local_id: int
    contact: Contact
    state: ContactState
    pending_op: OutboxOp | None = None
    error: str | None = None
    group_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One pending edit as sync sees it.

    ``payload`` is the desired contact (for a delete: the contact as it was), with
    ``remote_id``/``uuid`` taken from the contact row when read, so an update queued
    behind a pending create carries the id the create obtained. ``base`` is the server
    version the edit was based on (``None`` for a create). ``server`` is the last-known
    server version now; when it differs from ``base`` the server changed under the edit
    (see ``server_changed``). ``conflict`` holds the conflicting server copy;
    ``conflict_deleted`` says the server deleted the contact instead.
    """

    id: int
    local_id: int | None
    op: OutboxOp
    state: OutboxState
    payload: Contact
    base: Contact | None
    server: Contact | None
    attempts: int
    next_attempt_at: datetime | None
    error: str | None
    conflict: Contact | None
    conflict_deleted: bool
    created_at: datetime
    closed_at: datetime | None

    @property
    def uncertain(self) -> bool:
        """The request may already have been applied: check the server before resending."""
        return self.state is OutboxState.UNCERTAIN

    @property
    def display_name(self) -> str:
        return self.payload.display_name

    @property
    def server_changed(self) -> bool:
        """True when the last-known server version is not the one the edit was based on."""
        return not same_server_version(self.base, self.server)


def same_server_version(a: Contact | None, b: Contact | None) -> bool:
    """Whether two server copies are the same version.

    TextFlow stamps ``updated_at`` on every write, so equal stamps mean the same version.
    Flexacore list pages carry no timestamps, so without stamps we compare the values.
    """
    if a is None or b is None:
        return a is b
    if a.updated_at and b.updated_at:
        return a.updated_at == b.updated_at
    return a == b


@dataclass(frozen=True, slots=True)
class PendingCounts:
    """Open outbox entries by state, for the status bar."""

    pending: int = 0
    in_flight: int = 0
    uncertain: int = 0
    rejected: int = 0
    conflict: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.in_flight + self.uncertain + self.rejected + self.conflict

    @property
    def needs_attention(self) -> int:
        """Entries only a person can move on (rejected or in conflict)."""
        return self.rejected + self.conflict


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One applied change: ``before``/``after`` are server versions (``None`` = absent)."""

    id: int
    at: datetime
    local_id: int | None
    remote_id: str | None
    origin: Origin
    op: OutboxOp
    before: Contact | None
    after: Contact | None


@dataclass(frozen=True, slots=True)
class DeletedSnapshot:
    """A deleted contact as it was, kept so Undo can recreate it with its group, tags and
    opt-out flag. ``applied_at`` is ``None`` while the delete is still pending."""

    local_id: int
    contact: Contact
    origin: Origin
    deleted_at: datetime
    applied_at: datetime | None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Progress of one full refresh of a scope (a Flexacore group id, or ``""`` for a
    whole TextFlow account), so an interrupted refresh resumes at the next page."""

    scope: str
    generation: int
    started_at: datetime
    last_page_done: int
    pages: int | None
    total: int | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def next_page(self) -> int:
        return self.last_page_done + 1
