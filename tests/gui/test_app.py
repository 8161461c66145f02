"""The command line and what reaches the top: --version, --self-check, unexpected errors,
rate-limit waits, discarding a pending change, closing with an unsaved editor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from contactdesk import __version__
from contactdesk.app import CrashReporter, main
from contactdesk.sandbox.server import FaultPlan
from contactdesk.store import ContactState
from tests.gui.conftest import Practice, build_window


def test_version_is_instant_and_loads_no_qt() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); from contactdesk.app import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print('qt' if 'PySide6' in sys.modules else 'no-qt', time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    ).stdout.split()
    assert out[-3] == __version__
    assert out[-2] == "no-qt"
    assert float(out[-1]) < 1.0


def test_self_check_prints_one_json_line(isolated_dirs: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "contactdesk", "--self-check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=55,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["version"] == __version__
    assert report["fts5_available"] is True
    assert report["accounts"] == 2
    assert report["contacts"] > 0
    assert report["search_ms"] >= 0
    assert {"qt_version", "keyring_backend"} <= set(report)
    assert time.monotonic() - started < 55
    assert callable(main)


def test_unexpected_errors_are_logged_and_said_plainly(qtbot: QtBot) -> None:
    reporter = CrashReporter()
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        reporter.excepthook(type(exc), exc, exc.__traceback__)  # before the window exists
    window, wiring = build_window(qtbot)
    try:
        assert window.message_bar.text() == ""
        reporter.attach(window)
        assert "Something went wrong inside Contact Desk" in window.message_bar.text()
        assert "boom" not in window.message_bar.text()
    finally:
        wiring.shutdown()


def test_rate_limit_waits_show_in_the_status_bar(practice: Practice) -> None:
    p = practice
    p.show_all(p.textflow)
    p.textflow.waiting.emit(20.0)  # what the account's rate limiter reports
    p.qtbot.waitUntil(p.window.status.wait.isVisible)
    assert p.window.status.wait.text() == "Waiting 20 s: plan limit"


def test_discard_a_pending_change(practice: Practice) -> None:
    p = practice
    p.show_all(p.textflow)
    p.sandbox.textflow_server.faults = FaultPlan(error_rate=1.0)
    p.window.table.selectRow(3)
    stored = p.window.current_contact()
    assert stored is not None
    p.window.act_edit.trigger()
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is not None)
    editor = p.window.actions_.editor
    assert editor is not None
    editor.line("first_name").setText("Temporary")
    p.qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(lambda: p.textflow.offline, timeout=30_000)

    p.window.act_pending.trigger()
    panel = p.window.actions_.pending_panel
    assert panel is not None
    p.qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    assert panel.model.index(0, 0).data() == "Temporary " + (stored.contact.last_name or "")
    assert panel.discard_button.isEnabled()
    p.qtbot.mouseClick(panel.discard_button, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(lambda: panel.model.rowCount() == 0)
    after = p.textflow.get(stored.local_id)
    assert after is not None
    assert after.state is ContactState.SYNCED
    assert after.contact.first_name == stored.contact.first_name


def test_closing_the_window_with_an_unsaved_edit_asks_first(practice: Practice) -> None:
    p = practice
    p.show_all(p.flexacore)
    p.window.table.selectRow(0)
    p.window.act_edit.trigger()
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is not None)
    editor = p.window.actions_.editor
    assert editor is not None
    editor.line("last_name").setText("Unsaved")
    assert not p.window.close()  # refused: the editor asks instead
    p.qtbot.waitUntil(lambda: any(b.isVisible() for b in editor.findChildren(QMessageBox)))
    box = next(b for b in editor.findChildren(QMessageBox) if b.isVisible())
    box.button(QMessageBox.StandardButton.Discard).click()
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is None)
    assert p.window.isVisible()
