"""The outbox: pending local edits on their way to the server.

Sync's loop, on the account worker::

    for entry in store.outbox.next_entries():
        if entry.uncertain:            # may already be applied: look before resending
            ...check the server, then complete() / mark_in_flight() and resend
        entry = store.outbox.mark_in_flight(entry)
        try:
            server = provider.<create|update|delete>(...)
        except ProviderError as e:     # transient / rejected / conflict, see below
            ...
        store.outbox.complete(entry, server)      # server copy; None for a delete

- ``next_entries`` hands out entries in creation order, and never an entry for a contact
  while an earlier entry for the same contact is still open (not done or discarded).
- ``fail_transient(entry, message, retry_at, uncertain=...)`` puts it back for later;
  ``uncertain=True`` when the request may have been applied (``NetworkError.uncertain``).
- ``reject(entry, message)``: the server refused; waits for the user (Retry / Discard).
- ``conflict(entry, server_copy)``: the server copy changed under the edit
  (``entry.server_changed`` tells sync before it sends); ``None`` = deleted on server.
- The user's answers: ``retry``, ``discard`` (back to the last-known server version),
  ``resolve(entry, Resolution.MINE | Resolution.THEIRS | merged_contact)``.

Crash safety: each transition is one transaction. Entries found ``in_flight`` when a
writable store opens were interrupted mid-request: they become ``uncertain``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from contactdesk.core.models import Contact
from contactdesk.store.answers import discard, resolve
from contactdesk.store.codec import optional_json
from contactdesk.store.db import Database, to_datetime, to_epoch
from contactdesk.store.entries import (
    ENTRY_SELECT,
    OPEN_SQL,
    EntryRef,
    close_entry,
    entry_id,
    mark_snapshot,
    open_entries_of,
    read_entry,
)
from contactdesk.store.errors import EntryStateError
from contactdesk.store.records import (
    ContactState,
    Origin,
    OutboxEntry,
    OutboxOp,
    OutboxState,
    PendingCounts,
    Resolution,
)
from contactdesk.store.rows import (
    RowInfo,
    current_generation,
    refresh_state,
    remove_contact,
    row_info,
    set_server_json,
    write_history,
    write_values,
)

_S = OutboxState


class Outbox:
    """Reads and moves outbox entries; every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- reading ---------------------------------------------------------------------

    def _select(self, where: str, params: Sequence[Any] = ()) -> list[OutboxEntry]:
        conn = self._db.conn
        with self._db.snapshot():
            rows = conn.execute(ENTRY_SELECT + where, params)
            return [read_entry(conn, r) for r in rows.fetchall()]

    def entry(self, ref: EntryRef) -> OutboxEntry:
        found = self._select("WHERE id = ?", (entry_id(ref),))
        if not found:
            raise EntryStateError("That change is no longer in the queue.", detail=f"{ref!r}")
        return found[0]

    def next_entries(self, limit: int = 20) -> list[OutboxEntry]:
        """Entries to send now, oldest first: pending or uncertain, due, and not behind an
        earlier open entry for the same contact."""
        return self._select(
            "WHERE o.state IN ('pending', 'uncertain')"
            " AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)"
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.contact_id = o.contact_id"
            " AND p.id < o.id AND p.state IN"
            " ('pending','in_flight','uncertain','rejected','conflict')) ORDER BY o.id LIMIT ?",
            (self._db.now(), limit),
        )

    def next_due_at(self) -> datetime | None:
        """When the earliest waiting retry falls due (``None``: nothing waits), so sync
        can sleep until then instead of polling."""
        row = self._db.conn.execute(
            "SELECT min(coalesce(next_attempt_at, 0)) FROM outbox"
            " WHERE state IN ('pending', 'uncertain')"
        ).fetchone()
        return to_datetime(row[0])

    def open_entries(self) -> list[OutboxEntry]:
        """Every open entry, oldest first (the "Pending changes" panel)."""
        return self._select(f"WHERE o.state IN {OPEN_SQL} ORDER BY o.id")

    def entries_for(self, local_id: int, *, include_closed: bool = False) -> list[OutboxEntry]:
        cond = "" if include_closed else f" AND o.state IN {OPEN_SQL}"
        return self._select(f"WHERE o.contact_id = ?{cond} ORDER BY o.id", (local_id,))

    def pending_counts(self) -> PendingCounts:
        counts = dict(
            self._db.conn.execute(
                "SELECT state, count(*) FROM outbox WHERE state IN"
                " ('pending','in_flight','uncertain','rejected','conflict') GROUP BY state"
            ).fetchall()
        )
        return PendingCounts(
            pending=counts.get("pending", 0),
            in_flight=counts.get("in_flight", 0),
            uncertain=counts.get("uncertain", 0),
            rejected=counts.get("rejected", 0),
            conflict=counts.get("conflict", 0),
        )

    # ---- transitions (sync) --------------------------------------------------------------

    def _load(self, conn: sqlite3.Connection, ref: EntryRef, allowed: Sequence[_S]) -> OutboxEntry:
        row = conn.execute(ENTRY_SELECT + "WHERE o.id = ?", (entry_id(ref),)).fetchone()
        if row is None:
            raise EntryStateError("That change is no longer in the queue.", detail=f"{ref!r}")
        entry = read_entry(conn, row)
        if entry.state not in allowed:
            raise EntryStateError(
                "That change has moved on in the meantime; the list will refresh.",
                detail=f"entry {entry.id} is {entry.state}, expected one of "
                f"{[s.value for s in allowed]}",
            )
        return entry

    def recover_interrupted(self) -> list[OutboxEntry]:
        """Entries left in flight by a previous run become uncertain (done on opening a
        writable store; sync must check the server before resending them)."""
        now = self._db.now()
        with self._db.transaction() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM outbox WHERE state = 'in_flight'")]
            for entry_id in ids:
                conn.execute(
                    "UPDATE outbox SET state = 'uncertain', in_flight_since = NULL,"
                    " changed_at = ?, error = ? WHERE id = ?",
                    (
                        now,
                        "Contact Desk stopped while sending this change; it will check "
                        "with the server before sending it again.",
                        entry_id,
                    ),
                )
        return [self.entry(i) for i in ids]

    def mark_in_flight(self, ref: EntryRef) -> OutboxEntry:
        now = self._db.now()
        with self._db.transaction() as conn:
            entry = self._load(conn, ref, (_S.PENDING, _S.UNCERTAIN))
            conn.execute(
                "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1,"
                " in_flight_since = ?, changed_at = ? WHERE id = ?",
                (now, now, entry.id),
            )
        return self.entry(entry.id)

    def complete(self, ref: EntryRef, server_contact: Contact | None) -> None:
        """The server applied the entry; ``server_contact`` is its copy now (``None`` for
        a delete). Applies it to the row, closes the entry and writes history."""
        now = self._db.now()
        with self._db.transaction() as conn:
            entry = self._load(conn, ref, (_S.IN_FLIGHT, _S.UNCERTAIN))
            assert entry.local_id is not None
            info = row_info(conn, entry.local_id)
            close_entry(conn, entry.id, _S.DONE, now)
            if entry.op is OutboxOp.DELETE:
                self._complete_delete(conn, entry, info, now)
                return
            if server_contact is None or not server_contact.remote_id:
                raise ValueError("complete() of a create/update needs the server copy with its id")
            server = server_contact
            remote_id = server_contact.remote_id
            if server.group_id is None and entry.payload.group_id is not None:
                server = replace(server, group_id=entry.payload.group_id)
            if server.opted_out is None and info.server is not None:
                server = replace(server, opted_out=info.server.opted_out)
            self._adopt_mirrored_copy(conn, entry.local_id, remote_id)
            write_history(
                conn,
                now=now,
                local_id=entry.local_id,
                remote_id=server.remote_id,
                origin=Origin.LOCAL,
                op=entry.op,
                before=info.server,
                after=server,
            )
            later = open_entries_of(conn, entry.local_id)
            if later:
                # later edits keep their desired values; they are now based on this copy
                values = replace(info.values, remote_id=server.remote_id, uuid=server.uuid)
                write_values(conn, entry.local_id, values, now=now, old_tags=info.values.tags)
                set_server_json(conn, entry.local_id, server)
                conn.executemany(
                    "UPDATE outbox SET base_json = ? WHERE id = ?",
                    [(optional_json(server), eid) for eid, _, _ in later],
                )
            else:
                write_values(conn, entry.local_id, server, now=now, old_tags=info.values.tags)
                set_server_json(conn, entry.local_id, None)
            # the server just told us it has this contact: seen by any refresh now running
            conn.execute(
                "UPDATE contacts SET seen_generation = ? WHERE id = ?",
                (current_generation(conn), entry.local_id),
            )
            refresh_state(conn, entry.local_id)

    @staticmethod
    def _complete_delete(
        conn: sqlite3.Connection, entry: OutboxEntry, info: RowInfo, now: float
    ) -> None:
        assert entry.local_id is not None
        write_history(
            conn,
            now=now,
            local_id=entry.local_id,
            remote_id=info.values.remote_id,
            origin=Origin.LOCAL,
            op=OutboxOp.DELETE,
            before=info.server,
            after=None,
        )
        mark_snapshot(conn, entry.local_id, "applied_at", now)
        # edits queued behind a delete cannot exist (edits of a deleted row are refused),
        # but never leave an open entry pointing at nothing
        for eid, _, _ in open_entries_of(conn, entry.local_id):
            close_entry(conn, eid, _S.DISCARDED, now)
        remove_contact(conn, entry.local_id)

    @staticmethod
    def _adopt_mirrored_copy(conn: sqlite3.Connection, local_id: int, remote_id: str) -> None:
        """A refresh may have mirrored our own create before its answer arrived (an
        uncertain create): that row is this contact, so it makes way for ours."""
        other = conn.execute(
            "SELECT id, state FROM contacts WHERE remote_id = ? AND id <> ?", (remote_id, local_id)
        ).fetchone()
        if other is None:
            return
        if ContactState(other[1]) is not ContactState.SYNCED:
            raise EntryStateError(
                "Another contact here already has this server id and has its own changes.",
                detail=f"remote id {remote_id} held by local id {other[0]}",
            )
        remove_contact(conn, other[0])

    def fail_transient(
        self, ref: EntryRef, message: str, retry_at: datetime, *, uncertain: bool = False
    ) -> OutboxEntry:
        """Sending failed in a way that may pass (network, 5xx, 429): retry at ``retry_at``.
        ``uncertain``: the request may have been applied, so check before resending. An
        entry still ``uncertain`` (its check failed before it was put in flight) stays so;
        for one in flight the caller decides (sync knows whether it had checked)."""
        now = self._db.now()
        with self._db.transaction() as conn:
            entry = self._load(conn, ref, (_S.IN_FLIGHT, _S.UNCERTAIN, _S.PENDING))
            state = _S.UNCERTAIN if uncertain or entry.state is _S.UNCERTAIN else _S.PENDING
            conn.execute(
                "UPDATE outbox SET state = ?, error = ?, next_attempt_at = ?,"
                " in_flight_since = NULL, changed_at = ? WHERE id = ?",
                (state.value, message, to_epoch(retry_at), now, entry.id),
            )
            assert entry.local_id is not None
            refresh_state(conn, entry.local_id)
        return self.entry(entry.id)

    def reject(self, ref: EntryRef, message: str) -> OutboxEntry:
        """The server refused the change (validation, duplicate, limit, permission)."""
        now = self._db.now()
        with self._db.transaction() as conn:
            entry = self._load(conn, ref, (_S.IN_FLIGHT, _S.UNCERTAIN, _S.PENDING))
            conn.execute(
                "UPDATE outbox SET state = 'rejected', error = ?, in_flight_since = NULL,"
                " changed_at = ? WHERE id = ?",
                (message, now, entry.id),
            )
            assert entry.local_id is not None
            refresh_state(conn, entry.local_id)
        return self.entry(entry.id)

    def conflict(self, ref: EntryRef, server_contact: Contact | None) -> OutboxEntry:
        """The server copy changed since the edit was made (``None``: it was deleted).
        The copy also becomes the row's last-known server version."""
        now = self._db.now()
        with self._db.transaction() as conn:
            entry = self._load(conn, ref, (_S.IN_FLIGHT, _S.UNCERTAIN, _S.PENDING))
            message = (
                "This contact was deleted on the server."
                if server_contact is None
                else "This contact was changed on the server after you edited it."
            )
            conn.execute(
                "UPDATE outbox SET state = 'conflict', conflict_json = ?, conflict_deleted = ?,"
                " error = ?, in_flight_since = NULL, changed_at = ? WHERE id = ?",
                (
                    optional_json(server_contact),
                    int(server_contact is None),
                    message,
                    now,
                    entry.id,
                ),
            )
            assert entry.local_id is not None
            if server_contact is not None:
                set_server_json(conn, entry.local_id, server_contact)
            refresh_state(conn, entry.local_id)
        return self.entry(entry.id)

    # ---- the user's answers ----------------------------------------------------------------

    def retry(self, ref: EntryRef) -> OutboxEntry:
        """Send again now (after a rejection, or without waiting for the next retry)."""
        now = self._db.now()
        with self._db.transaction() as conn:
            entry = self._load(conn, ref, (_S.REJECTED, _S.PENDING, _S.UNCERTAIN))
            state = _S.UNCERTAIN if entry.state is _S.UNCERTAIN else _S.PENDING
            conn.execute(
                "UPDATE outbox SET state = ?, error = NULL, next_attempt_at = NULL,"
                " changed_at = ? WHERE id = ?",
                (state.value, now, entry.id),
            )
            assert entry.local_id is not None
            refresh_state(conn, entry.local_id)
        return self.entry(entry.id)

    def discard(self, ref: EntryRef) -> None:
        """Drop the change. The row goes back to the last-known server version (or to the
        later edits still queued); a discarded create removes the new contact."""
        now = self._db.now()
        with self._db.transaction() as conn:
            entry = self._load(conn, ref, (_S.PENDING, _S.UNCERTAIN, _S.REJECTED, _S.CONFLICT))
            discard(conn, entry, now, everything=False)

    def resolve(self, ref: EntryRef, choice: Resolution | Contact) -> None:
        """Answer a conflict. ``THEIRS``: take the server's version (all queued edits of
        the contact are dropped). ``MINE``: send my version over the server's.
        A ``Contact``: send this merged version. If the server deleted the contact,
        "mine"/merged re-creates it."""
        now = self._db.now()
        with self._db.transaction() as conn:
            entry = self._load(conn, ref, (_S.CONFLICT,))
            resolve(conn, entry, choice, now)

    def prune_closed(self, before: datetime) -> int:
        """Forget closed entries older than ``before`` (history keeps the changes)."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM outbox WHERE state IN ('done', 'discarded') AND closed_at < ?",
                (to_epoch(before),),
            )
            return cur.rowcount
