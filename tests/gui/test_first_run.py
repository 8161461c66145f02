"""The whole app as app.py builds it (``Desk``): first run, practice mode, adding an account."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from contactdesk.app import CrashReporter, Desk, build_parser
from contactdesk.core.models import ProviderKind
from contactdesk.paths import app_dirs
from contactdesk.sandbox.practice import PracticeSandbox
from contactdesk.ui.dialogs.account_dialog import AccountDialog

SYNC_MS = 30_000


@pytest.fixture
def desk(qtbot: QtBot, qapp: QApplication) -> Iterator[Desk]:
    args = build_parser().parse_args(["--practice-preset", "small"])
    desk = Desk(
        qapp,
        args,
        dirs=app_dirs().ensure(),
        handler=logging.NullHandler(),
        reporter=CrashReporter(),
    )
    qtbot.addWidget(desk.window)
    try:
        yield desk
    finally:
        desk.shutdown()


def test_first_run_practice_mode_opens_two_synced_accounts(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    assert window.pages.currentWidget() is window.welcome
    qtbot.mouseClick(window.welcome.practice_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.sessions) == 2)
    assert window.pages.currentWidget() is not window.welcome
    qtbot.waitUntil(
        lambda: all(s.sync_state == "Up to date" for s in window.sessions), timeout=SYNC_MS
    )
    window.apply_changes_now()
    assert window.table_model.rowCount() > 0
    assert {s.account.kind for s in window.sessions} == {
        ProviderKind.FLEXACORE,
        ProviderKind.TEXTFLOW,
    }
    assert all(s.account.practice for s in window.sessions)
    # keys of practice accounts are never written anywhere
    assert not (app_dirs().config / "accounts.toml").exists()


def test_add_an_account_from_the_welcome_page(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    with PracticeSandbox("small") as sandbox:
        qtbot.mouseClick(window.welcome.add_button, Qt.MouseButton.LeftButton)
        controller = desk.accounts_ui()
        dialog = controller.dialog()
        assert isinstance(dialog, AccountDialog)
        dialog.provider_box.setCurrentIndex(dialog.provider_box.findData(ProviderKind.TEXTFLOW))
        dialog.name_edit.setText("Office")
        dialog.url_edit.setText(sandbox.textflow_url)
        dialog.key_edit.setText(sandbox.textflow_key)
        qtbot.waitUntil(lambda: controller.keychain is not None, timeout=SYNC_MS)
        with qtbot.waitSignal(controller.account_added, timeout=SYNC_MS):
            qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

        qtbot.waitUntil(lambda: len(window.sessions) == 1)
        session = window.sessions[0]
        assert session.account.name == "Office"
        assert window.current_session is session
        qtbot.waitUntil(lambda: session.sync_state == "Up to date", timeout=SYNC_MS)
        window.apply_changes_now()
        assert window.table_model.rowCount() == len(sandbox.textflow.contacts())

        # the File menu reaches the account's settings and its removal (which asks first)
        assert window.act_account_settings.isEnabled()
        window.act_account_settings.trigger()
        qtbot.waitUntil(lambda: controller.dialog(session.account_id) is not None)
        settings = controller.dialog(session.account_id)
        assert settings is not None
        assert settings.name_edit.text() == "Office"
        settings.reject()
        window.act_remove_account.trigger()
        qtbot.waitUntil(lambda: controller.question is not None)
        question = controller.question
        assert question is not None
        assert "Office" in question.text()
        question.reject()
        assert len(window.sessions) == 1
        desk.shutdown()
