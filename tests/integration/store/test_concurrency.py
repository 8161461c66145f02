"""A reader and a writer on two threads, two connections, one file (WAL)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from contactdesk.core.models import Group
from contactdesk.store import ContactQuery, Store, StoreReader
from tests.integration.store.conftest import FakeClock
from tests.integration.store.factories import server_contact

PAGE = 50
PAGES = 40


def test_reader_sees_whole_pages_while_the_writer_merges(
    store_path: Path, clock: FakeClock
) -> None:
    Store.open(store_path, clock=clock).close()  # create the file before the race
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            with Store.open(store_path, clock=clock) as store:
                store.mirror.begin_refresh()
                for page in range(PAGES):
                    contacts = [server_contact(page * PAGE + i) for i in range(PAGE)]
                    store.mirror.merge_page(contacts, page=page + 1)
                store.mirror.finish_refresh()
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    seen: list[int] = []
    with StoreReader.open(store_path) as reader:
        writer.start()
        while not done.is_set() or len(seen) < 3:
            with reader.query(ContactQuery(text="first")) as rs:
                rows = rs.window(max(0, rs.count - 10), 10)
                assert all(r is not None for r in rows)
                seen.append(rs.count)
            # every transaction adds a whole page: a reader never sees half of one
            assert reader.count(ContactQuery()) % PAGE == 0
        writer.join()
        assert errors == []
        assert seen == sorted(seen)  # never goes backwards
        assert reader.count(ContactQuery()) == PAGE * PAGES
        assert reader.integrity_check() == ["ok"]


def test_reads_go_on_while_another_connection_holds_the_write_lock(
    store: Store, reader: StoreReader, store_path: Path
) -> None:
    store.mirror.merge_page([server_contact(1)])
    locked = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def hold_the_lock() -> None:
        try:
            conn = sqlite3.connect(store_path, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO groups (remote_id, name) VALUES ('g', 'Uncommitted')")
            locked.set()
            release.wait(timeout=30)
            conn.execute("COMMIT")
            conn.close()
        except BaseException as exc:
            errors.append(exc)
            locked.set()

    t = threading.Thread(target=hold_the_lock)
    t.start()
    assert locked.wait(timeout=30)
    # while the other writer is mid-transaction, the reader answers from the last commit
    assert reader.count(ContactQuery()) == 1
    assert reader.groups() == []
    with reader.query(ContactQuery(text="first1")) as rs:
        assert rs.count == 1
    release.set()
    t.join()
    assert errors == []
    assert reader.groups() == [Group("g", "Uncommitted")]
