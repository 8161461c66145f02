"""The local mirror of one account: SQLite with WAL, FTS5 trigram search, an outbox.

One file per account (``account_store_path``: ``<data>/accounts/<id>.sqlite3``). One
store object per thread: the account worker opens the single writable ``Store``; the UI
thread opens a ``StoreReader``. WAL lets them run at once. Everything is imported from
``contactdesk.store``::

    store = Store.open_account(account_id)        # worker thread: the one writer
    reader = StoreReader.open_account(account_id) # UI thread: reads only

    # the table (UI): one indexed query computes the ordered ids, windows are O(limit)
    rs = reader.query(ContactQuery(text="rina", group_id=None, tag=None,
                                   sort=SortColumn.NAME, descending=False))
    rs.count; rs.window(offset, 200) -> list[StoredContact | None]; rs.row_of(local_id)
    rs.local_ids(); rs.close()                     # or: with reader.query(q) as rs: ...
    reader.count(q); reader.get(local_id); reader.get_by_remote_id(rid)
    reader.groups(); reader.tags(); reader.pending_counts(); reader.open_entries()
    reader.history(local_id=...); reader.deleted_snapshots(); reader.data_version()

    # sync: server -> store (see mirror.py for the refresh loop)
    store.mirror.upsert_groups(groups, complete=True)
    cp = store.mirror.begin_refresh(group_id)      # resumes an interrupted refresh
    store.mirror.merge_page(items, group_id=..., page=n, pages=..., total=..., fields=...)
    store.mirror.unseen(group_id); store.mirror.finish_refresh(group_id, sweep=True)
    store.mirror.mark_deleted_on_server(remote_ids); store.mirror.remove_group(group_id)

    # the user's edits (run on the worker), committed locally before any request
    store.edits.create(c) / update(local_id, c) / delete(local_id) / delete_many(ids)
    store.edits.undo_delete(local_id)

    # sync: store -> server (see outbox.py for the loop)
    store.outbox.next_entries(); mark_in_flight(e); complete(e, server_copy | None)
    fail_transient(e, message, retry_at, uncertain=...); reject(e, message)
    conflict(e, server_copy | None); next_due_at(); store.recovered (uncertain at open)
    store.outbox.retry(e) / discard(e) / resolve(e, Resolution.MINE | THEIRS | merged)

Query results are cached per connection until the data changes (any commit), so
re-running an equal query is free; the first query after a change pays in full. The UI
should re-query after the writer commits (poll ``data_version()`` or be told by the
worker), at most a few times a second while a big download runs.

Errors: ``StoreError`` and subclasses, each with a plain ``message`` (and ``detail``
for support); ``StoreUnavailable`` when this Python's SQLite lacks FTS5/trigram, the
file is damaged, or it was written by a newer version.
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
