"""``contactdesk --self-check``: practice mode end to end, offscreen, one JSON line.

Waits for every practice account to finish its first sync, types a search in the real
search box and prints ``{version, qt_version, keyring_backend, fts5_available, accounts,
contacts, search_ms}``. Exit code 0 when everything worked, 1 otherwise (the JSON then
carries ``error``).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import qVersion

from contactdesk import __version__
from contactdesk.store import StoreUnavailable, check_sqlite

if TYPE_CHECKING:
    from contactdesk.secrets import SecretStore
    from contactdesk.ui.main_window import MainWindow

SYNC_DEADLINE_S = 120.0


def fts5_available() -> bool:
    try:
        check_sqlite()
    except StoreUnavailable:
        return False
    return True


async def run_self_check(window: MainWindow, secrets: SecretStore) -> int:
    report: dict[str, Any] = {
        "version": __version__,
        "qt_version": qVersion(),
        "keyring_backend": secrets.probe(timeout=3.0).backend_name,
        "fts5_available": fts5_available(),
    }
    error = ""
    deadline = time.monotonic() + SYNC_DEADLINE_S
    sessions = window.sessions
    while any(s.busy or s.sync_state == "Not synced yet" for s in sessions):
        if time.monotonic() > deadline:
            error = "sync did not finish in time"
            break
        await asyncio.sleep(0.05)
    failed = [s.account.name for s in sessions if s.sync_state not in ("Up to date",)]
    if failed and not error:
        error = "sync failed: " + ", ".join(failed)
    window.apply_changes_now()
    report["accounts"] = len(sessions)
    report["contacts"] = sum(s.count() for s in sessions)
    fragment = ""
    current = window.current_session
    if current is not None and window.table_model.rowCount():
        stored = window.table_model.stored_at(0)
        if stored is not None:
            fragment = "".join(ch for ch in stored.contact.phone if ch.isdigit())[-6:-1]
    started = time.perf_counter()
    window.search.setText(fragment or "a")
    window.search.flush()
    found = window.table_model.rowCount()
    report["search_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if fragment and not found:
        error = error or f"searching for {fragment} found nothing"
    if error:
        report["error"] = error
    print(json.dumps(report), flush=True)
    return 1 if error else 0
