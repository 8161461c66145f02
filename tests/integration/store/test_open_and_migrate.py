"""Opening a store file: where it lives, the SQLite checks, pragmas, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from contactdesk.paths import app_dirs
from contactdesk.store import Store, StoreReader, StoreUnavailable, account_store_path
from contactdesk.store.migrations import LATEST_VERSION, migrate, schema_version
from tests.integration.store.conftest import FakeClock
from tests.integration.store.factories import search, server_contact


def test_account_file_lives_in_the_platform_data_dir() -> None:
    path = account_store_path("acct-1")
    assert path == app_dirs().data / "accounts" / "acct-1.sqlite3"
    with Store.open_account("acct-1") as store:
        assert store.path == path
    assert path.exists()


@pytest.mark.parametrize("bad", ["../evil", "a/b", "", ".hidden", "x" * 101])
def test_account_ids_that_are_not_file_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="account id"):
        account_store_path(bad)


def test_connection_is_wal_with_foreign_keys_and_a_busy_timeout(store: Store) -> None:
    conn = store._db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert schema_version(conn) == LATEST_VERSION
    assert store.integrity_check() == ["ok"]


def test_old_sqlite_is_refused_with_plain_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(StoreUnavailable) as err:
        Store.open(tmp_path / "x.sqlite3")
    assert "too old" in err.value.message
    assert "3.31.1" in (err.value.detail or "")
    assert "sqlite" not in err.value.message.lower()  # plain words; the version is in detail
    assert not (tmp_path / "x.sqlite3").exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not a database, just some text " * 100)
    with pytest.raises(StoreUnavailable) as err:
        Store.open(path)
    assert "damaged" in err.value.message


def test_a_file_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with Store.open(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreUnavailable) as err:
        Store.open(path)
    assert "newer version" in err.value.message
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION + 1
    conn.close()


def _v1_file(path: Path) -> None:
    """A store as the first release wrote it: mirror tables only, one contact in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO contacts (phone, first_name, last_name, remote_id, name_key, first_key,"
        " last_key, digits, search_name) VALUES ('+15551234567', 'Zoë', 'Brontë', 'r1',"
        " 'zoe bronte', 'zoe', 'bronte', '15551234567', 'zoe bronte')"
    )
    conn.execute("INSERT INTO contact_tags (tag, contact_id) VALUES ('vip', 1)")
    conn.close()


def test_a_v1_file_is_migrated_forward_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    _v1_file(path)
    with Store.open(path) as store:
        assert schema_version(store._db.conn) == LATEST_VERSION
        found = search(store, "bront")
        assert [s.contact.first_name for s in found] == ["Zoë"]  # index built from old rows
        assert [s.contact.phone for s in search(store, "1234")] == ["+15551234567"]
        assert store.tags() == [("vip", 1)]
        # and the tables added later work on the migrated file
        store.edits.update(1, found[0].contact.with_changes(first_name="Zoe"))
        assert [e.op.value for e in store.outbox.next_entries()] == ["update"]
        assert store.integrity_check() == ["ok"]


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    _v1_file(path)
    # something already occupies a name the v2 step needs: that step fails half-way
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE contacts_fts (x)")
    conn.close()
    with pytest.raises(sqlite3.OperationalError):
        Store.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "outbox" not in tables
    assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 1
    conn.close()


def test_reader_and_writer_open_the_same_file(store_path: Path, clock: FakeClock) -> None:
    with Store.open(store_path, clock=clock) as store, StoreReader.open(store_path) as reader:
        store.mirror.merge_page([server_contact(1)])
        assert reader.get_by_remote_id("r1") is not None


def test_a_store_is_bound_to_the_thread_that_opened_it(store: Store) -> None:
    import threading

    errors: list[BaseException] = []

    def use() -> None:
        try:
            store.get(1)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert len(errors) == 1
    assert isinstance(errors[0], sqlite3.ProgrammingError)
