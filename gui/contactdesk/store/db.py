"""Opening an account's SQLite file: where it lives, the checks, the pragmas, transactions.

One connection per thread (Python's ``check_same_thread`` stays on, so misuse fails
loudly). WAL lets the UI thread's reader and the account worker's writer run at once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from contactdesk.paths import app_dirs
from contactdesk.store.errors import StoreUnavailable

#: seconds since the epoch; injectable so tests can move time without sleeping
Clock = Callable[[], float]

MIN_SQLITE = (3, 34, 0)  # the trigram tokenizer arrived in 3.34.0
BUSY_TIMEOUT_S = 5.0
_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def account_store_path(account_id: str, *, data_dir: Path | None = None) -> Path:
    """``<data>/accounts/<account_id>.sqlite3``; ``data_dir`` defaults to the platform's."""
    if not _ACCOUNT_ID.match(account_id) or ".." in account_id:
        raise ValueError(f"account id not usable as a file name: {account_id!r}")
    base = data_dir if data_dir is not None else app_dirs().data
    return base / "accounts" / f"{account_id}.sqlite3"


def check_sqlite() -> None:
    """Raise ``StoreUnavailable`` unless this Python's SQLite has FTS5 with trigram."""
    version = sqlite3.sqlite_version_info
    advice = (
        "Install the official Contact Desk build, which includes a suitable one, "
        "or run it with a newer Python."
    )
    if version < MIN_SQLITE:
        raise StoreUnavailable(
            f"Contact Desk cannot keep a local copy of your contacts: this computer's "
            f"database component is too old. {advice}",
            detail=f"SQLite {sqlite3.sqlite_version}; need 3.34.0 or later (FTS5 trigram)",
        )
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='trigram')")
    except sqlite3.Error as exc:
        raise StoreUnavailable(
            f"Contact Desk cannot keep a local copy of your contacts: this computer's "
            f"database component was built without full-text search. {advice}",
            detail=f"SQLite {sqlite3.sqlite_version}: {exc}",
        ) from exc
    finally:
        probe.close()


def connect(path: Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A configured autocommit connection (transactions are explicit, see ``transaction``)."""
    check_sqlite()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreUnavailable(
            "Contact Desk cannot open this account's saved data. Check that the disk is "
            "not full and that you may write to your user folder.",
            detail=f"{path}: {exc}",
        ) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            # e.g. a network drive: without WAL the UI would stall behind every sync write
            raise StoreUnavailable(
                "Contact Desk cannot use this folder for its saved data (it looks like a "
                "network drive). Use a folder on this computer.",
                detail=f"{path}: journal_mode={mode}",
            )
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across app crashes
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")  # query results live in temp tables
        conn.execute("PRAGMA cache_size = -32000")  # 32 MB: the 100k-row indexes stay hot
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreUnavailable(
            "This account's saved data is damaged or is not a Contact Desk file. Remove the "
            "account and add it again to download a fresh copy.",
            detail=f"{path}: {exc}",
        ) from exc
    except BaseException:
        conn.close()
        raise
    return conn


class Database:
    """One thread's connection plus the clock, with explicit transactions.

    Store modules share one ``Database`` per ``Store`` object.
    """

    def __init__(self, conn: sqlite3.Connection, clock: Clock = time.time) -> None:
        self.conn = conn
        self.clock = clock
        #: write transactions committed on this connection (``PRAGMA data_version`` only
        #: sees other connections' commits); together they say "the data changed"
        self.writes = 0
        #: None outside a batch, else "ok" or "failed"
        self._batch: str | None = None

    def now(self) -> float:
        return self.clock()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run several write calls as one transaction: a commit costs milliseconds
        whatever its size, so a refresh merging small pages groups a few of them. The
        batch is all or nothing: if any call inside fails, the whole batch is rolled
        back when the block ends (even if the error was caught) and further calls in it
        are refused."""
        if self._batch is not None:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._batch = "ok"
        try:
            yield
        except BaseException:
            self._batch = None
            self.conn.rollback()
            raise
        failed, self._batch = self._batch == "failed", None
        if failed:
            self.conn.rollback()
            raise RuntimeError("a write inside the batch failed; the batch was rolled back")
        self.conn.commit()
        self.writes += 1

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all or nothing. ``BEGIN IMMEDIATE`` takes the write lock
        up front, so a busy file waits here (busy_timeout) rather than failing mid-way.
        Inside ``batch()`` it joins the batch (no savepoint: FTS5 flushes its pending
        index at every savepoint, which is what batching is meant to avoid)."""
        if self._batch is not None:
            if self._batch == "failed":
                raise RuntimeError("an earlier write in this batch failed; leave the batch")
            try:
                yield self.conn
            except BaseException:
                self._batch = "failed"
                raise
            return
        if self.conn.in_transaction:
            raise RuntimeError("store transactions do not nest")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()
        self.writes += 1

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several SELECTs see one consistent state. Keep it short
        (a long read blocks WAL checkpoints)."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        finally:
            self.conn.rollback()

    @contextmanager
    def temp_work(self) -> Iterator[sqlite3.Connection]:
        """A transaction that reads one snapshot of the file and writes only temp tables
        (query results): no write lock on the file is taken."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def to_datetime(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


def require_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def to_epoch(when: datetime) -> float:
    if when.tzinfo is None:
        raise ValueError("use an aware datetime (UTC) so retry times mean the same everywhere")
    return when.timestamp()
