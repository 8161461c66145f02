"""The process the crash test kills: apply a plan of edits and send them, resuming each run.

Run as ``python -m tests.integration.sync.crash_worker <workdir> [--final]`` from the
repository root. ``<workdir>/plan.json`` (written by the test) names the accounts (simulator URL,
store file) and the steps; the API keys come in the environment
(``CRASH_KEY_<ACCOUNT>``), never on the command line.

Each run:
1. opens every account's store (entries left in flight by a killed run become
   ``uncertain``) and finishes its first mirror (a killed refresh resumes);
2. applies the plan from the cursor on: each step is one local edit (one store
   transaction), after which the cursor file is replaced atomically. A kill between the
   edit and the cursor write re-runs that one step, so every step is written to be a
   no-op when already applied (a create finds its phone, a delete finds it gone, an
   update to the same values changes nothing);
3. sends after every step (one outbox pass of that account) and refreshes each account
   every ``refresh_every`` steps;
4. when the plan is done: with ``--final`` (the last run, faults off) it drains every
   outbox and prints ``DONE``; without, it keeps refreshing and sending until killed, so
   the test's kills that outlast the plan still land on work (a refresh resuming).

Every line starting with ``EVENT`` is a point where the test may kill it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from contactdesk.core.models import Contact
from contactdesk.providers.base import Provider
from contactdesk.providers.flexacore import FlexacoreClient
from contactdesk.providers.ratelimit import RateLimiter
from contactdesk.providers.textflow import TextFlowClient
from contactdesk.store import ContactQuery, StoredContact
from contactdesk.sync import AccountSync, Backoff, ProgressCallback

DRAIN_SECONDS = 60.0


def say(*parts: object) -> None:
    print(*parts, flush=True)


def no_wait(_seconds: float) -> None:
    """Retries inside a request go at once: the faults are injected, time is short."""


def save_cursor(path: Path, cursor: dict[str, Any]) -> None:
    """Write, fsync, then replace: the cursor file is always the old or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cursor-")
    with os.fdopen(fd, "w") as out:
        json.dump(cursor, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def load_cursor(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"next_step": 0, "mirrored": []}
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def provider_for(kind: str, url: str, key: str) -> Provider:
    limiter = RateLimiter(None, sleep=no_wait)
    if kind == "flexacore":
        return FlexacoreClient(url, key, limiter=limiter, timeout=(2.0, 5.0))
    return TextFlowClient(url, key, limiter=limiter, timeout=(2.0, 5.0))


def find(sync: AccountSync, phone: str) -> StoredContact | None:
    """The visible contact with exactly this phone (phones in the plan are unique)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    with sync.store.query(ContactQuery(text=digits)) as rs:
        rows = [s for s in rs.window(0, rs.count) if s is not None]
    same = [s for s in rows if s.contact.phone == phone]
    if len(same) > 1:
        raise SystemExit(f"two local contacts hold {phone}: {[s.local_id for s in same]}")
    return same[0] if same else None


def apply(sync: AccountSync, step: dict[str, Any]) -> str:
    """Apply one step as a local edit, unless it is already applied. Returns what it did."""
    op, phone = step["op"], step["phone"]
    row = find(sync, phone)
    edits = sync.store.edits
    if op == "create":
        if row is not None:
            return "create already applied"
        edits.create(
            Contact(
                phone=phone,
                first_name=step["first_name"],
                last_name=step["last_name"],
                email=step.get("email"),
                group_id=step.get("group_id"),
            )
        )
        return "create"
    if op == "delete":
        if row is None:
            return "delete already applied"
        edits.delete(row.local_id)
        return "delete"
    if row is None:
        raise SystemExit(f"update of {phone}: no such contact here")
    changes = {k: step[k] for k in ("first_name", "last_name", "email") if k in step}
    edits.update(row.local_id, replace(row.contact, **changes))
    return "update"


def page_event(name: str) -> ProgressCallback:
    return lambda progress: say("EVENT", name, "page", progress.done)


def main(workdir: Path, *, final: bool) -> int:
    plan = json.loads((workdir / "plan.json").read_text())
    cursor_path = workdir / "cursor.json"
    cursor = load_cursor(cursor_path)
    backoff = Backoff(base=plan["backoff_base"], cap=plan["backoff_cap"])
    syncs: dict[str, AccountSync] = {}
    for name, account in plan["accounts"].items():
        provider = provider_for(account["kind"], account["url"], os.environ[f"CRASH_KEY_{name}"])
        sync = AccountSync(provider, Path(account["store"]), backoff=backoff)
        sync.on_entry_state = lambda local_id, state, n=name: say("EVENT", n, local_id, state)
        syncs[name] = sync
        recovered = sync.store.recovered
        if recovered:
            say("recovered", name, len(recovered), "entries left in flight")

    for name, sync in syncs.items():
        while name not in cursor["mirrored"]:
            report = sync.refresh(progress=page_event(name))
            if report.complete:
                cursor["mirrored"].append(name)
                save_cursor(cursor_path, cursor)

    steps: list[dict[str, Any]] = plan["steps"]
    while cursor["next_step"] < len(steps):
        index = cursor["next_step"]
        step = steps[index]
        sync = syncs[step["account"]]
        did = apply(sync, step)
        say("EVENT step", index, step["account"], did)
        cursor["next_step"] = index + 1
        save_cursor(cursor_path, cursor)
        sync.push()
        if (index + 1) % plan["refresh_every"] == 0:
            report = sync.refresh()
            say("EVENT refresh", step["account"], report.complete, report.added, report.deleted)

    if not final:
        # the plan is done before the test's last kill: keep the accounts busy (refresh
        # and send, with the faults still on) until the test kills this run too
        while True:
            for name, sync in syncs.items():
                report = sync.refresh(progress=page_event(name))
                say("EVENT refresh", name, report.complete, report.added, report.deleted)
                sync.push()

    stop = threading.Event()
    for name, sync in syncs.items():
        sync.retry_all()
        drained = sync.push(stop, max_seconds=DRAIN_SECONDS)
        states = [e.state for e in sync.store.outbox.open_entries()]
        if states:
            # rejected or conflict entries would mean a lost edit: the test fails on this
            say("NOT DRAINED", name, [s.value for s in states], drained.error)
            return 3
    for sync in syncs.values():
        sync.close()
        sync.provider.close()
    say("DONE")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), final="--final" in sys.argv[2:]))
