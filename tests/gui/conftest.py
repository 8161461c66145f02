"""Fixtures for driving the real main window against practice mode.

The window is built by app.py's own ``Wiring`` (the composition root), pointed at a
``PracticeSandbox("small")`` started in-process, exactly as ``contactdesk --practice``
does, with the suite's temp platform dirs and in-memory keyring.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from contactdesk.accounts import AccountStore
from contactdesk.app import Wiring
from contactdesk.paths import app_dirs
from contactdesk.sandbox.practice import PracticeSandbox
from contactdesk.secrets import SecretStore
from contactdesk.ui.main_window import MainWindow
from contactdesk.ui.models.account_tree_model import EntryKind
from contactdesk.ui.session import AccountSession
from contactdesk.ui.ui_state import FILE_NAME, UiState
from contactdesk.worker import WorkerPool

SYNC_TIMEOUT_MS = 30_000


@pytest.fixture(autouse=True)
def _release_modifiers(qapp: QApplication) -> Iterator[None]:
    """A shortcut that opens a modal dialog never sees its key release (the window is
    blocked by then), so Qt would keep thinking Ctrl is held into the next test."""
    yield
    spare = QWidget()
    for key in (Qt.Key.Key_Control, Qt.Key.Key_Shift, Qt.Key.Key_Alt):
        QTest.keyRelease(spare, key)
    spare.deleteLater()


@dataclass
class Practice:
    """The running window, its wiring and the simulators behind it."""

    window: MainWindow
    wiring: Wiring
    qtbot: QtBot

    @property
    def sandbox(self) -> PracticeSandbox:
        assert self.wiring.sandbox is not None
        return self.wiring.sandbox

    def session(self, kind: str) -> AccountSession:
        return next(s for s in self.window.sessions if s.account.kind.value == kind)

    @property
    def flexacore(self) -> AccountSession:
        return self.session("flexacore")

    @property
    def textflow(self) -> AccountSession:
        return self.session("textflow")

    def show_all(self, session: AccountSession) -> None:
        assert self.window.select(session.account_id, EntryKind.ALL)
        self.qtbot.waitUntil(lambda: self.window.current_session is session)

    def wait_synced(self, session: AccountSession | None = None) -> None:
        sessions = [session] if session is not None else self.window.sessions

        def done() -> bool:
            return all(not s.busy and s.sync_state == "Up to date" for s in sessions)

        self.qtbot.waitUntil(done, timeout=SYNC_TIMEOUT_MS)
        self.window.apply_changes_now()

    def wait_idle(self, session: AccountSession) -> None:
        self.qtbot.waitUntil(lambda: not session.busy, timeout=SYNC_TIMEOUT_MS)
        self.window.apply_changes_now()


def build_window(qtbot: QtBot) -> tuple[MainWindow, Wiring]:
    dirs = app_dirs().ensure()
    wiring = Wiring(dirs, SecretStore(), AccountStore.default(), WorkerPool())
    window = MainWindow(UiState(dirs.config / FILE_NAME))
    qtbot.addWidget(window)
    return window, wiring


@pytest.fixture
def practice(qtbot: QtBot) -> Iterator[Practice]:
    window, wiring = build_window(qtbot)
    try:
        for account in wiring.start_practice("small"):
            window.add_session(wiring.open_session(account))
        window.show()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        for s in window.sessions:
            s.refresh()
        p = Practice(window, wiring, qtbot)
        p.wait_synced()
        yield p
    finally:
        window.close_sessions()
        wiring.shutdown()
