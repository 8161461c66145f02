"""A read the store does not offer yet: the contacts a running refresh has not seen.

ADAPTER (remove when ``Mirror`` has it): ``finish_refresh(sweep=True)`` removes every
contact of the scope last seen before the refresh's generation, but offers no way to
see that list first. Sync wants it to check each one with the server before removing
it, because a list read page by page can shift under us (a colleague deletes a contact
on page 2 while we read page 5: one contact slides back onto a page already read and
would be swept although it still exists). Requested API::

    Mirror.unseen(group_id: str | None = None) -> list[tuple[int, str]]
        # (local id, remote id) of the scope's contacts with a remote id whose
        # seen_generation is below the scope's unfinished refresh generation

Until then this reads the same rows through the store's own connection, with the same
conditions as ``Mirror._sweep``. If the store changes shape, it answers ``None`` and
sync falls back to sweeping only when the read was stable.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from contactdesk.store import Store

log = logging.getLogger(__name__)


def unseen_contacts(store: Store, group_id: str | None) -> list[tuple[int, str]] | None:
    """(local id, remote id) of the scope's contacts its unfinished refresh has not seen;
    ``None`` when that cannot be told (no refresh running, or the store changed)."""
    checkpoint = store.mirror.checkpoint(group_id)
    if checkpoint is None or checkpoint.finished:
        return None
    conn = getattr(getattr(store, "_db", None), "conn", None)
    if not isinstance(conn, sqlite3.Connection):
        log.warning("store has no connection to read unseen contacts from; sweep unchecked")
        return None
    sql = "SELECT id, remote_id FROM contacts WHERE remote_id IS NOT NULL AND seen_generation < ?"
    params: list[Any] = [checkpoint.generation]
    if group_id is not None:
        sql += " AND group_id = ?"
        params.append(group_id)
    try:
        rows = conn.execute(sql + " ORDER BY id", params).fetchall()
    except sqlite3.Error as exc:
        log.warning("could not read unseen contacts (%s); sweep unchecked", type(exc).__name__)
        return None
    return [(int(r[0]), str(r[1])) for r in rows]
