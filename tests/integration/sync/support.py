"""Shared pieces of the sync tests: simulators on real HTTP, a store clock, state readers.

Not a test module. The simulators run in the test process behind `SandboxServer`; the
clients talk to them over real HTTP. Two things are configured, not faked: the clients'
rate limiter sleeps for no time (the HTTP policy's own retry backoff would otherwise add
real seconds to every injected fault), and the store gets a `StoreClock` the test moves
forward, so "retry at" times come due without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contactdesk.core.models import Contact
from contactdesk.core.phones import from_flexacore_wire
from contactdesk.providers.base import Provider
from contactdesk.providers.flexacore import FlexacoreClient
from contactdesk.providers.ratelimit import RateLimiter
from contactdesk.providers.textflow import TextFlowClient
from contactdesk.sandbox.flexacore import FlexacoreConfig, FlexacoreSim
from contactdesk.sandbox.server import SandboxServer
from contactdesk.sandbox.textflow import TextFlowConfig, TextFlowSim
from contactdesk.store import ContactQuery, OutboxState, Store, StoredContact
from contactdesk.sync import AccountSync, Backoff

#: a short read timeout: an injected hang ends a test quickly
TIMEOUT = (2.0, 2.0)
#: retries due within a few milliseconds, for tests that wait for real (replay_until_idle)
QUICK = Backoff(base=0.01, cap=0.05)


def no_wait(_seconds: float) -> None:
    """The clients' limiter sleep: no pacing waits and no backoff waits in tests."""


def fast_limiter() -> RateLimiter:
    return RateLimiter(None, sleep=no_wait)


class StoreClock:
    """Epoch seconds for the store and the replayer; moves only when the test says."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass
class Env:
    """One simulator on real HTTP, the client for it, and what a test opened."""

    kind: str  # "flexacore" or "textflow"
    sim: Any  # FlexacoreSim | TextFlowSim (their helpers differ; tests know which)
    server: SandboxServer
    provider: Provider
    tmp: Path
    clock: StoreClock = field(default_factory=StoreClock)
    opened: list[AccountSync] = field(default_factory=list)

    def sync(self, name: str = "account", **kwargs: Any) -> AccountSync:
        kwargs.setdefault("clock", self.clock)
        sync = AccountSync(self.provider, self.tmp / f"{name}.sqlite3", **kwargs)
        self.opened.append(sync)
        return sync

    def close(self) -> None:
        for sync in self.opened:
            sync.close()
        self.provider.close()


@contextmanager
def flexacore_env(tmp: Path, *, preset: str = "small", seed: int = 3) -> Iterator[Env]:
    sim = FlexacoreSim(FlexacoreConfig.preset(preset, seed=seed))
    with SandboxServer(sim) as server:
        client = FlexacoreClient(
            server.root_url + "/api/v3", sim.token, limiter=fast_limiter(), timeout=TIMEOUT
        )
        env = Env("flexacore", sim, server, client, tmp)
        try:
            yield env
        finally:
            env.close()


@contextmanager
def textflow_env(tmp: Path, *, count: int | None = None, seed: int = 7) -> Iterator[Env]:
    sim = TextFlowSim(
        TextFlowConfig(preset="small", count=count, seed=seed, practice_per_minute=None)
    )
    with SandboxServer(sim) as server:
        client = TextFlowClient(
            server.root_url + "/api", sim.api_key, limiter=fast_limiter(), timeout=TIMEOUT
        )
        env = Env("textflow", sim, server, client, tmp)
        try:
            yield env
        finally:
            env.close()


# -- normalised states: what the server holds vs what the store mirrors ---------------------

Row = tuple[object, ...]


def flexacore_server_state(sim: FlexacoreSim) -> dict[str, Row]:
    """uid -> (group uid, phone E.164, first name, last name) of the main customer."""
    out: dict[str, Row] = {}
    for group in sim.group_uids():
        for c in sim.contacts_in(group):
            phone = from_flexacore_wire(c.phone)
            out[c.uid] = (group, phone, c.first_name or None, c.last_name or None)
    return out


def textflow_server_state(sim: TextFlowSim) -> dict[str, Row]:
    """id -> every field a TextFlow listing carries (opt-out included)."""
    return {
        str(c["id"]): (
            c["phone_number"],
            c["first_name"] or None,
            c["last_name"] or None,
            c["email"] or None,
            tuple(c["tags"]),
            tuple(sorted((str(k), str(v)) for k, v in c["custom_fields"].items())),
            c["consent_status"],
            c["is_opted_out"],
        )
        for c in sim.contacts()
    }


def stored(store: Store, query: ContactQuery | None = None) -> list[StoredContact]:
    with store.query(query or ContactQuery()) as rs:
        return [s for s in rs.window(0, rs.count) if s is not None]


def _flexacore_row(c: Contact) -> Row:
    return (c.group_id, c.phone, c.first_name or None, c.last_name or None)


def _textflow_row(c: Contact) -> Row:
    return (
        c.phone,
        c.first_name or None,
        c.last_name or None,
        c.email or None,
        tuple(c.tags),
        tuple(sorted(c.custom_fields.items())),
        c.consent_status,
        c.opted_out,
    )


def store_state(store: Store, kind: str) -> dict[str, Row]:
    """remote id -> the same tuple as the server state, from the store's visible rows."""
    shape = _flexacore_row if kind == "flexacore" else _textflow_row
    out: dict[str, Row] = {}
    for s in stored(store):
        assert s.contact.remote_id is not None, f"unsent row {s.local_id} in a synced store"
        out[s.contact.remote_id] = shape(s.contact)
    return out


def assert_mirrors(store: Store, env: Env) -> None:
    """The store's visible rows equal the server's contacts. An opt-out flag the store
    does not know (``None``: TextFlow's create answer leaves it out) matches either."""
    mine, theirs = store_state(store, env.kind), server_state(env)
    if env.kind == "textflow":
        for key, row in mine.items():
            if row[7] is None and key in theirs:
                mine[key] = (*row[:7], theirs[key][7])
    assert mine == theirs


def server_state(env: Env) -> dict[str, Row]:
    if env.kind == "flexacore":
        return flexacore_server_state(env.sim)
    return textflow_server_state(env.sim)


def open_states(store: Store) -> list[OutboxState]:
    return [e.state for e in store.outbox.open_entries()]


def by_remote_id(store: Store, remote_id: str) -> StoredContact:
    found = store.get_by_remote_id(remote_id)
    assert found is not None, f"no row for {remote_id}"
    return found
