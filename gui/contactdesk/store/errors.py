"""Errors the store raises, each with a plain-language ``message`` a person can act on."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error raised by ``contactdesk.store``."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: technical text for "copy details for support" (never shown as markup)
        self.detail = detail


class StoreUnavailable(StoreError):
    """This Python's SQLite cannot run the store (too old, or built without FTS5/trigram),
    or the file cannot be opened (permissions, disk full, a newer app version's file)."""


class ContactNotFound(StoreError):
    """No contact with that local id (it may have been removed by a sync)."""


class EntryStateError(StoreError):
    """An outbox transition was asked of an entry in a state that does not allow it,
    e.g. completing an entry that was already closed. Usually a programming error in sync."""


class ContactBusy(StoreError):
    """The contact cannot be changed right now (its change is being sent, or it has a
    conflict that must be resolved first)."""


class ResultClosed(StoreError):
    """A query result was used after it was closed (or evicted by newer queries)."""
