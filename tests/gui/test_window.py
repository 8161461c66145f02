"""The window as a whole: first run, plain text everywhere, keyboard, remembered layout."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from contactdesk.store import ContactState
from contactdesk.ui.models.account_tree_model import EntryKind
from tests.gui.conftest import Practice, build_window

HTML_NAME = "<b>Bold</b> <img src=x onerror=alert(1)>"


def test_first_run_offers_to_add_an_account_or_try_practice(qtbot: QtBot) -> None:
    window, wiring = build_window(qtbot)
    try:
        window.show()
        assert window.pages.currentWidget() is window.welcome
        assert window.welcome.add_button.isVisible()
        with qtbot.waitSignal(window.practice_requested):
            qtbot.mouseClick(window.welcome.practice_button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(window.add_account_requested):
            qtbot.mouseClick(window.welcome.add_button, Qt.MouseButton.LeftButton)
        assert not window.act_new.isEnabled()
    finally:
        wiring.shutdown()


def test_html_in_a_name_is_shown_as_text(practice: Practice) -> None:
    p = practice
    group = p.sandbox.flexacore.group_uids()[0]
    p.sandbox.flexacore.add_contact(group, "447700900123", HTML_NAME, "<i>x</i>")
    p.show_all(p.flexacore)
    p.window.refresh()
    p.wait_synced(p.flexacore)
    p.qtbot.keyClicks(p.window.search, "447700900123")
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() == 1)
    p.window.table.selectRow(0)

    shown = p.window.table_model.index(0, 0).data()
    assert shown == f"{HTML_NAME} <i>x</i>"
    assert p.window.detail.title_text() == f"{HTML_NAME} <i>x</i>"
    for label in p.window.detail.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText
    p.window.act_edit.trigger()
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is not None)
    editor = p.window.actions_.editor
    assert editor is not None
    assert editor.line("first_name").text() == HTML_NAME
    assert all(
        label.textFormat() == Qt.TextFormat.PlainText for label in editor.findChildren(QLabel)
    )
    editor.reject()


def test_keyboard_find_escape_refresh_new(practice: Practice) -> None:
    p = practice
    p.show_all(p.textflow)
    total = p.window.table_model.rowCount()
    p.window.table.setFocus()
    p.qtbot.keyClick(p.window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert p.window.search.hasFocus()
    p.qtbot.keyClicks(p.window.search, "zzz-nobody")
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() == 0)
    p.qtbot.keyClick(p.window.search, Qt.Key.Key_Escape)
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() == total)

    p.qtbot.keyClick(p.window, Qt.Key.Key_F5)
    p.qtbot.waitUntil(lambda: p.textflow.busy)
    p.wait_synced(p.textflow)

    p.window.table.setFocus()
    p.qtbot.keyClick(p.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is not None)
    editor = p.window.actions_.editor
    assert editor is not None
    assert editor.windowTitle() == "New contact"
    assert "tags" in editor.editors  # TextFlow: tags, custom fields, consent
    assert "custom_fields" in editor.editors
    assert "opted_out" not in editor.editors  # never edited here
    editor.reject()
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is None)


def test_every_control_has_an_accessible_name(practice: Practice) -> None:
    p = practice
    p.show_all(p.flexacore)
    unnamed = [
        w.objectName() or type(w).__name__
        for w in p.window.findChildren(QWidget)
        if isinstance(w, QAbstractButton | QLineEdit)
        and w.isVisible()
        and not (w.accessibleName() or w.text())
    ]
    assert unnamed == []
    for w in (p.window.table, p.window.sidebar, p.window.search, p.window.detail):
        assert w.accessibleName()


def test_opted_out_contact_is_marked_and_stays_opted_out_after_an_edit(
    practice: Practice,
) -> None:
    p = practice
    p.show_all(p.textflow)
    p.window.table.selectRow(1)
    stored = p.window.current_contact()
    assert stored is not None
    assert stored.contact.remote_id is not None
    p.sandbox.textflow.opt_out(int(stored.contact.remote_id))
    p.window.refresh()
    p.wait_synced(p.textflow)
    row = p.window.table_model.row_of(stored.local_id)
    assert row is not None
    index = p.window.table_model.index(row, 0)
    assert "Opted out" in str(index.data(Qt.ItemDataRole.ToolTipRole))
    assert "Opted out" in str(index.data(Qt.ItemDataRole.AccessibleTextRole))
    assert p.window.table_model.index(row, p.window.table_model.column_of("opted_out")).data() == (
        "Opted out"
    )

    p.window.table.selectRow(row)
    p.window.act_edit.trigger()
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is not None)
    editor = p.window.actions_.editor
    assert editor is not None
    assert editor.opt_out.isVisible()
    assert "Opted out" in editor.opt_out.text()
    editor.line("last_name").setText("Edited")
    p.qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is None)
    p.qtbot.waitUntil(
        lambda: (
            (s := p.textflow.get(stored.local_id)) is not None
            and s.state is ContactState.SYNCED
            and s.contact.last_name == "Edited"
        )
    )
    after = p.textflow.get(stored.local_id)
    assert after is not None
    assert after.contact.opted_out is True
    record = p.sandbox.textflow.contact(int(stored.contact.remote_id))
    assert record is not None
    assert record["is_opted_out"] is True


def test_columns_and_window_layout_are_remembered(practice: Practice, qtbot: QtBot) -> None:
    p = practice
    p.show_all(p.textflow)
    email = p.window.table_model.column_of("email")
    menu = p.window.table.header_menu()
    action = next(a for a in menu.actions() if a.text() == "Email")
    assert action.isChecked()
    action.trigger()
    assert p.window.table.horizontalHeader().isSectionHidden(email)
    p.window.table.horizontalHeader().resizeSection(0, 333)
    p.window.resize(701, 501)
    p.window.save_state()

    other, wiring = build_window(qtbot)
    try:
        for account in p.wiring.accounts.list():
            other.add_session(wiring.open_session(account))
        other.show()
        assert other.width() == 701
        assert other.select(p.textflow.account_id, EntryKind.ALL)
        qtbot.waitUntil(lambda: other.current_session is not None)
        assert other.table.horizontalHeader().isSectionHidden(email)
        assert other.table.horizontalHeader().sectionSize(0) == 333
    finally:
        other.close_sessions()
        wiring.shutdown()
