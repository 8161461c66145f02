"""The local mirror of one account: SQLite with WAL, FTS5 trigram search, an outbox.

Public API (import from ``contactdesk.store``)::

    store = Store.open_account(account_id)       # account worker: the one writer
    reader = StoreReader.open_account(account_id) # UI thread: reads only

    # table (UI): one indexed query, then O(limit) windows
    rs = reader.query(ContactQuery(text="rina", group_id=None, tag=None,
                                   sort=SortColumn.NAME, descending=False))
    rs.count; rs.window(offset, 200) -> list[StoredContact | None]; rs.row_of(local_id)
    reader.get(local_id); reader.pending_counts(); reader.open_entries(); reader.data_version()

    # sync: server -> store
    store.mirror.upsert_groups(groups, complete=True)
    cp = store.mirror.begin_refresh(group_id); store.mirror.merge_page(page.items, ...)
    store.mirror.finish_refresh(group_id); store.mirror.mark_deleted_on_server(ids)

    # user edits (on the worker), then sync sends them
    store.edits.create(c) / update(local_id, c) / delete(local_id) / undo_delete(local_id)
    store.outbox.next_entries(); mark_in_flight(e); complete(e, server_copy);
    fail_transient(e, msg, retry_at, uncertain=...); reject(e, msg); conflict(e, copy)
    store.outbox.retry(e) / discard(e) / resolve(e, Resolution.MINE | THEIRS | merged)

Errors: ``StoreError`` and subclasses, each with a plain ``message``; ``StoreUnavailable``
when this Python's SQLite lacks FTS5/trigram or the file cannot be used.
"""

from __future__ import annotations

from contactdesk.store.db import account_store_path, check_sqlite
from contactdesk.store.errors import (
    ContactBusy,
    ContactNotFound,
    EntryStateError,
    ResultClosed,
    StoreError,
    StoreUnavailable,
)
from contactdesk.store.mirror import MergeResult
from contactdesk.store.query import ResultSet
from contactdesk.store.records import (
    Checkpoint,
    ContactQuery,
    ContactState,
    DeletedSnapshot,
    HistoryEntry,
    Origin,
    OutboxEntry,
    OutboxOp,
    OutboxState,
    PendingCounts,
    Resolution,
    SortColumn,
    StoredContact,
)
from contactdesk.store.store import Store, StoreReader

__all__ = [
    "Checkpoint",
    "ContactBusy",
    "ContactNotFound",
    "ContactQuery",
    "ContactState",
    "DeletedSnapshot",
    "EntryStateError",
    "HistoryEntry",
    "MergeResult",
    "Origin",
    "OutboxEntry",
    "OutboxOp",
    "OutboxState",
    "PendingCounts",
    "Resolution",
    "ResultClosed",
    "ResultSet",
    "SortColumn",
    "Store",
    "StoreError",
    "StoreReader",
    "StoreUnavailable",
    "StoredContact",
    "account_store_path",
    "check_sqlite",
]
