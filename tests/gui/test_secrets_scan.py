"""Must show: an API key never reaches a file or a log record, through a whole account's life.

Add an account (pasted key), test the connection, browse (a real sync through the client
into the local store), have the key revoked on the platform (the next call is refused and
the banner offers "Update key"), update the key, remove the account. DEBUG logging goes
to the app's own rotating file in the log dir and to caplog. Then every file under the
config, data, cache and log dirs, and every captured log record, is searched for every key
used, old and new, in the forms a key could be written in: zero hits.

The search is first shown to find a key that was planted on purpose, so this test fails
if the search itself stops working.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from contactdesk.accounts import Account
from contactdesk.app import LOG_FILE, Wiring
from contactdesk.core.errors import AuthRefused
from contactdesk.core.models import ProviderKind
from contactdesk.paths import app_dirs
from contactdesk.sandbox.practice import PracticeSandbox
from contactdesk.sandbox.textflow_limits import ApiKeySpec
from contactdesk.ui.session import AccountSession, Problem
from tests.gui.test_account_dialog import WAIT_MS, build_desk

OLD_KEY = "sk_live_scan_old_7Q2mX9vKp4Lr8TzW"
NEW_KEY = "sk_live_scan_new_3Hd6Yb1Nc5Fj0SgE"
KEYS = [OLD_KEY, NEW_KEY]


# -- the search --------------------------------------------------------------------------------


def text_forms(key: str) -> set[str]:
    """A key as typed and as it appears in a logged URL."""
    return {key, urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key)}


def forms(key: str) -> set[bytes]:
    """Every way a key could end up in a file: those, in UTF-8 and UTF-16 (Windows)."""
    return {t.encode(codec) for t in text_forms(key) for codec in ("utf-8", "utf-16-le")}


def files_holding(keys: Sequence[str], roots: Iterable[Path]) -> list[str]:
    hits = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            hits += [
                f"{path}: key {i}" for i, k in enumerate(keys) if any(f in data for f in forms(k))
            ]
    return hits


def record_text(record: logging.LogRecord) -> str:
    parts = [str(record.msg), repr(record.args), record.exc_text or "", record.stack_info or ""]
    with contextlib.suppress(Exception):  # a broken format string: its parts are above
        parts.append(record.getMessage())
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def records_holding(keys: Sequence[str], records: Iterable[logging.LogRecord]) -> list[str]:
    return [
        f"{r.name} {r.levelname}: key {i}"
        for r in records
        for i, k in enumerate(keys)
        if any(f in record_text(r) for f in text_forms(k))
    ]


def test_the_search_finds_a_planted_key(tmp_path: Path) -> None:
    """The search must be able to fail: it finds a key planted in a file and in a record."""
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "notes.txt").write_text(f"key={OLD_KEY}\n", encoding="utf-8")
    (tmp_path / "clean.txt").write_text("nothing here", encoding="utf-8")
    (tmp_path / "win.dat").write_bytes(NEW_KEY.encode("utf-16-le"))
    assert files_holding([OLD_KEY, NEW_KEY], [tmp_path]) == [
        f"{tmp_path / 'nested' / 'notes.txt'}: key 0",
        f"{tmp_path / 'win.dat'}: key 1",
    ]
    leaked = logging.LogRecord("x", logging.DEBUG, __file__, 1, "sent %s", (NEW_KEY,), None)
    clean = logging.LogRecord("x", logging.DEBUG, __file__, 1, "sent %s", ("***",), None)
    assert records_holding([OLD_KEY, NEW_KEY], [leaked, clean]) == ["x DEBUG: key 1"]


# -- the life of an account --------------------------------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[PracticeSandbox]:
    with PracticeSandbox("small") as sb:
        sb.textflow.add_key(ApiKeySpec(OLD_KEY))
        sb.textflow.add_key(ApiKeySpec(NEW_KEY))
        yield sb


class App:
    """The part of app.py an account's life needs: its sessions, wired as app.py would."""

    def __init__(self, qtbot: QtBot) -> None:
        self.desk = build_desk(qtbot, release_account=self.release)
        desk = self.desk
        self.wiring = Wiring(app_dirs(), desk.secrets, desk.accounts, desk.pool)
        self.sessions: dict[str, AccountSession] = {}

    def open(self, account_id: str) -> AccountSession:
        session = self.wiring.open_session(self.desk.accounts.get(account_id))
        session.problem.connect(self._problem)
        self.sessions[account_id] = session
        return session

    def _problem(self, problem: Problem) -> None:
        if isinstance(problem.error, AuthRefused):
            self.desk.controller.on_auth_refused(problem.account_id)

    def release(self, account_id: str) -> None:
        session = self.sessions.pop(account_id, None)
        if session is not None:
            session.close()

    def reopen(self, account_id: str) -> AccountSession:
        """After a key or settings change: a session built with the new settings."""
        self.release(account_id)
        return self.open(account_id)


def browse(qtbot: QtBot, session: AccountSession) -> str:
    """Sync through the client (listing every contact) and wait for the outcome."""
    session.refresh()
    qtbot.waitUntil(lambda: not session.busy, timeout=WAIT_MS)
    return session.sync_state


@pytest.fixture
def app(qtbot: QtBot) -> Iterator[App]:
    built = App(qtbot)
    yield built
    for session in built.sessions.values():
        session.close()
    built.desk.pool.shutdown(wait=True, timeout=10.0)


@contextlib.contextmanager
def debug_log_file() -> Iterator[Path]:
    """A rotating log file in the log dir at DEBUG, formatted as app.py's.

    Without app.py's redaction filter, on purpose: redaction is the second line of
    defence (and it rewrites the shared record, so caplog would only ever see scrubbed
    text). This checks the first line: no key is ever logged at all.
    """
    path = app_dirs().ensure().log / LOG_FILE
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)


def test_no_key_in_any_file_or_log_record(
    app: App, sandbox: PracticeSandbox, caplog: pytest.LogCaptureFixture, qtbot: QtBot
) -> None:
    caplog.set_level(logging.DEBUG)
    with debug_log_file() as log_file:
        live_an_accounts_life(app, sandbox, qtbot)
        for handler in logging.getLogger().handlers:
            handler.flush()
        dirs = app_dirs()
        roots = [dirs.config, dirs.data, dirs.cache, dirs.log]
        log_text = log_file.read_text(encoding="utf-8")
        assert " DEBUG " in log_text  # the log really captured the calls
        assert "GET /v1/contacts" in log_text
        assert len(caplog.records) > 10
        assert files_holding(KEYS, roots) == []
        assert records_holding(KEYS, caplog.records) == []


def live_an_accounts_life(app: App, sandbox: PracticeSandbox, qtbot: QtBot) -> None:
    desk = app.desk

    # add, with the key pasted as copied (a line break at the end), and test it
    dialog = desk.controller.add_account()
    desk.choose_platform(dialog, ProviderKind.TEXTFLOW)
    desk.type_into(dialog.name_edit, "Scan shop")
    desk.type_into(dialog.url_edit, sandbox.textflow_url)
    desk.paste_key(dialog, OLD_KEY + "\n")
    assert desk.test_connection(dialog).startswith("Works: ")
    desk.wait_probed(dialog)
    desk.save(dialog)
    account: Account = desk.account_named("Scan shop")

    # browse: a real sync through the client into the local store
    session = app.open(account.id)
    assert browse(qtbot, session) == "Up to date"
    assert session.count() == len(sandbox.textflow.contacts())

    # the key is revoked on the platform: the next call is refused, the banner says so
    sandbox.textflow.change_key(OLD_KEY, active=False)
    browse(qtbot, session)
    qtbot.waitUntil(lambda: desk.bar.text().startswith("The key for Scan shop was refused."))

    # update the key from the banner
    update = desk.bar.button("Update key")
    assert update is not None
    qtbot.mouseClick(update, Qt.MouseButton.LeftButton)
    rotate = desk.controller.dialog(account.id)
    assert rotate is not None
    assert rotate.windowTitle() == "Update the key for Scan shop"
    desk.paste_key(rotate, NEW_KEY + "\r\n")
    assert desk.test_connection(rotate).startswith("Works: ")
    desk.save(rotate, expect="changed")
    assert desk.bar.current is None or not desk.bar.text().startswith("The key for")
    session = app.reopen(account.id)
    assert browse(qtbot, session) == "Up to date"

    dirs = app_dirs()
    roots = [dirs.config, dirs.data, dirs.cache, dirs.log]
    assert (dirs.data / "accounts" / f"{account.id}.sqlite3").exists()  # searched too
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert files_holding(KEYS, roots) == []  # while the local copy is still there

    # remove: asks, then the key and the local copy go
    desk.controller.remove_account(account.id)
    box = desk.controller.question
    assert box is not None
    remove = next(b for b in box.buttons() if b.text() == "Remove account")
    with qtbot.waitSignal(desk.controller.account_removed, timeout=WAIT_MS):
        qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert account.id not in app.sessions
    assert not (dirs.data / "accounts" / f"{account.id}.sqlite3").exists()
