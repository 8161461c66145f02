"""Accounts driven from the real window, built by app.py's composition root (`Desk`).

A person with no accounts opens Contact Desk, chooses File → Add an account…, pastes a key,
tests the connection, saves, and sees the account's contacts; later the platform refuses
the key, the banner's "Update key" takes a new one, and finally the account is removed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from contactdesk.app import CrashReporter, Desk, build_parser
from contactdesk.core.models import ProviderKind
from contactdesk.paths import app_dirs
from contactdesk.sandbox.practice import PracticeSandbox
from contactdesk.sandbox.textflow_limits import ApiKeySpec
from contactdesk.ui.dialogs.account_dialog import AccountDialog
from contactdesk.ui.models.account_tree_model import EntryKind
from tests.helpers import MemoryKeyring

WAIT_MS = 30_000


@pytest.fixture
def sandbox() -> Iterator[PracticeSandbox]:
    with PracticeSandbox("small") as box:
        yield box


@pytest.fixture
def desk(qtbot: QtBot, qapp: QApplication) -> Iterator[Desk]:
    desk = Desk(
        qapp,
        build_parser().parse_args([]),
        dirs=app_dirs().ensure(),
        handler=logging.NullHandler(),
        reporter=CrashReporter(),
    )
    qtbot.addWidget(desk.window)
    try:
        yield desk
    finally:
        desk.shutdown()


def _type(qtbot: QtBot, edit: object, text: str) -> None:
    from PySide6.QtWidgets import QLineEdit

    assert isinstance(edit, QLineEdit)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def _open_dialog(desk: Desk, qtbot: QtBot, account_id: str | None = None) -> AccountDialog:
    qtbot.waitUntil(lambda: desk.accounts_ui().dialog(account_id) is not None, timeout=WAIT_MS)
    dialog = desk.accounts_ui().dialog(account_id)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def _save(desk: Desk, qtbot: QtBot, dialog: AccountDialog, account_id: str | None = None) -> None:
    qtbot.waitUntil(lambda: desk.accounts_ui().keychain is not None, timeout=WAIT_MS)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    # the dialog closes (and is deleted) once the account and its key are saved
    qtbot.waitUntil(lambda: desk.accounts_ui().dialog(account_id) is None, timeout=WAIT_MS)


def test_add_browse_refused_key_update_and_remove_from_the_window(
    desk: Desk, qtbot: QtBot, sandbox: PracticeSandbox, memory_keyring: MemoryKeyring
) -> None:
    window = desk.window
    assert window.sessions == []  # first run: nothing yet

    # File → Add an account…
    window.act_add_account.trigger()
    dialog = _open_dialog(desk, qtbot)
    dialog.provider_box.setCurrentIndex(dialog.provider_box.findData(ProviderKind.TEXTFLOW))
    _type(qtbot, dialog.name_edit, "Front office")
    _type(qtbot, dialog.url_edit, sandbox.textflow_url)
    _type(qtbot, dialog.key_edit, sandbox.textflow_key)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_result.text().startswith("Works"), timeout=WAIT_MS)
    live = len(sandbox.textflow.contacts())
    assert dialog.test_result.text() == f"Works: {live} contacts"
    _save(desk, qtbot, dialog)

    # the account appears in the sidebar, syncs, and its contacts fill the table
    account = next(a for a in desk.accounts.list() if a.name == "Front office")
    qtbot.waitUntil(lambda: window.session(account.id) is not None, timeout=WAIT_MS)
    session = window.session(account.id)
    assert session is not None
    qtbot.waitUntil(
        lambda: not session.busy and session.sync_state == "Up to date", timeout=WAIT_MS
    )
    window.apply_changes_now()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == live, timeout=WAIT_MS)
    assert sandbox.textflow_key not in (app_dirs().config / "accounts.toml").read_text()

    # the platform stops accepting the key: a refresh ends in a banner offering "Update key"
    sandbox.textflow.change_key(sandbox.textflow_key, active=False)
    session.refresh()
    bar = window.message_bar
    qtbot.waitUntil(lambda: bar.button("Update key") is not None, timeout=WAIT_MS)
    assert "refused" in bar.text()
    new_key = "sk_live_rotated_key_for_front_office_01"
    sandbox.textflow.add_key(ApiKeySpec(new_key))
    button = bar.button("Update key")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = _open_dialog(desk, qtbot, account.id)
    assert dialog.windowTitle() == "Update the key for Front office"
    _type(qtbot, dialog.key_edit, new_key)
    _save(desk, qtbot, dialog, account.id)
    assert [v for (_s, user), v in memory_keyring.entries.items() if user == account.id] == [
        new_key
    ]
    # the reopened session works with the new key
    qtbot.waitUntil(lambda: window.session(account.id) is not None, timeout=WAIT_MS)
    reopened = window.session(account.id)
    assert reopened is not None
    qtbot.waitUntil(
        lambda: not reopened.busy and reopened.sync_state == "Up to date", timeout=WAIT_MS
    )

    # File → Remove account…, confirmed
    assert window.select(account.id, EntryKind.ALL)
    window.act_remove_account.trigger()
    qtbot.waitUntil(lambda: desk.accounts_ui().question is not None, timeout=WAIT_MS)
    box = desk.accounts_ui().question
    assert isinstance(box, QMessageBox)
    assert "Front office" in box.text()
    remove = next(b for b in box.buttons() if b.text() == "Remove account")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session(account.id) is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: desk.accounts.list() == [], timeout=WAIT_MS)
    assert all(user != account.id for (_s, user) in memory_keyring.entries)
