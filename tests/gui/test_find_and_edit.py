"""Finding, editing and adding contacts in the real window, against practice mode."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from contactdesk.store import ContactState
from contactdesk.ui.dialogs.contact_editor import ContactEditor
from contactdesk.ui.models.account_tree_model import EntryKind
from tests.gui.conftest import Practice


def _editor(p: Practice) -> ContactEditor:
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is not None)
    editor = p.window.actions_.editor
    assert editor is not None
    p.qtbot.waitUntil(editor.isVisible)
    editor.activateWindow()
    p.qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    return editor


def _names_shown(p: Practice) -> list[str]:
    model = p.window.table_model
    return [str(model.index(r, 0).data()) for r in range(model.rowCount())]


def test_find_a_contact_by_a_fragment_of_its_number(practice: Practice) -> None:
    p = practice
    p.show_all(p.flexacore)
    total = p.window.table_model.rowCount()
    target = p.sandbox.flexacore.contacts_in(p.sandbox.flexacore.group_uids()[1])[3]
    fragment = "".join(ch for ch in target.phone if ch.isdigit())[-7:-2]

    p.window.act_find.trigger()
    assert p.window.search.hasFocus()
    p.qtbot.keyClicks(p.window.search, fragment)
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() < total)

    found = [p.window.table_model.stored_at(r) for r in range(p.window.table_model.rowCount())]
    assert any(s is not None and s.contact.remote_id == target.uid for s in found)
    assert all(s is not None and fragment in s.contact.phone for s in found)
    assert "shown" in p.window.status.loaded.text()

    p.qtbot.keyClick(p.window.search, Qt.Key.Key_Escape)
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() == total)
    assert p.window.search.text() == ""


def test_a_search_that_finds_nothing_says_so(practice: Practice) -> None:
    p = practice
    p.show_all(p.textflow)
    p.qtbot.keyClicks(p.window.search, "zzqxq")
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() == 0)
    assert p.window.empty_label.isVisible()
    assert "zzqxq" in p.window.empty_label.text()
    # the words sit over the empty table: its column headers stay in view
    assert p.window.table.isVisible()
    assert p.window.table.viewport().isAncestorOf(p.window.empty_label)
    p.qtbot.keyClick(p.window.search, Qt.Key.Key_Escape)
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() > 0)
    assert not p.window.empty_label.isVisible()


def test_edit_a_contact_and_save_it(practice: Practice) -> None:
    p = practice
    p.show_all(p.flexacore)
    p.window.table.setFocus()
    p.window.table.selectRow(2)
    stored = p.window.current_contact()
    assert stored is not None
    assert stored.contact.remote_id is not None

    p.qtbot.keyClick(p.window.table, Qt.Key.Key_Return)
    editor = _editor(p)
    first = editor.line("first_name")
    first.selectAll()
    p.qtbot.keyClicks(first, "Renamed")
    assert editor.dirty
    p.qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is None)

    # the edit is in the table at once, then sent
    p.window.apply_changes_now()
    row = p.window.table_model.row_of(stored.local_id)
    assert row is not None
    p.wait_idle(p.flexacore)
    remote_id = stored.contact.remote_id
    p.qtbot.waitUntil(
        lambda: (
            (c := p.sandbox.flexacore.contact(remote_id)) is not None and c.first_name == "Renamed"
        )
    )
    p.qtbot.waitUntil(
        lambda: (
            (s := p.flexacore.get(stored.local_id)) is not None and s.state is ContactState.SYNCED
        )
    )
    assert p.window.detail.title_text().startswith("Renamed")


def test_add_a_contact_with_a_badly_typed_number_and_follow_the_suggestion(
    practice: Practice,
) -> None:
    p = practice
    p.show_all(p.flexacore)
    group = p.flexacore.groups()[0]
    assert p.window.select(p.flexacore.account_id, EntryKind.GROUP, group.remote_id)
    p.qtbot.keyClick(p.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    editor = _editor(p)
    phone = editor.line("phone")
    p.qtbot.keyClicks(phone, "2348021234567")  # a Nigerian number that lost its +
    assert editor.phone_fix.isVisible()
    assert "country code" in editor.messages["phone"].text()
    assert not editor.save_button.isEnabled()
    assert editor.phone_fix.text() == "Use +234 802 123 4567"

    p.qtbot.mouseClick(editor.phone_fix, Qt.MouseButton.LeftButton)
    assert editor.phone_e164() == "+2348021234567"
    assert phone.text() == "+234 802 123 4567"
    assert not editor.messages["phone"].isVisible()
    p.qtbot.keyClicks(editor.line("first_name"), "Nadia")
    p.qtbot.keyClicks(editor.line("last_name"), "Okafor")
    assert editor.save_button.isEnabled()
    p.qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is None)

    p.window.apply_changes_now()
    assert "Nadia Okafor" in _names_shown(p)
    p.qtbot.waitUntil(
        lambda: any(
            c.phone.lstrip("+") == "2348021234567" and c.first_name == "Nadia"
            for c in p.sandbox.flexacore.contacts_in(group.remote_id)
        ),
        timeout=20_000,
    )
    p.wait_idle(p.flexacore)
    current = p.window.current_contact()
    assert current is not None
    assert current.contact.display_name == "Nadia Okafor"
    p.qtbot.waitUntil(
        lambda: (
            (s := p.flexacore.get(current.local_id)) is not None and s.state is ContactState.SYNCED
        )
    )


def test_adding_a_number_that_exists_offers_the_existing_contact(practice: Practice) -> None:
    p = practice
    p.show_all(p.textflow)
    existing = p.window.table_model.stored_at(0)
    assert existing is not None
    p.window.act_new.trigger()
    editor = _editor(p)
    p.qtbot.keyClicks(editor.line("phone"), existing.contact.phone)
    editor.check_now()
    assert editor.duplicate_note.isVisible()
    assert editor.save_button.text() == "Add anyway"
    p.qtbot.mouseClick(editor.open_existing_button, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(
        lambda: p.window.actions_.editor is not None and p.window.actions_.editor is not editor
    )
    other = _editor(p)
    assert other.windowTitle() == "Edit contact"
    assert other.line("phone").text() != ""
    other.reject()
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is None)


def _question(editor: ContactEditor) -> QMessageBox:
    found = editor.findChildren(QMessageBox, "discardChanges")
    visible = [b for b in found if b.isVisible()]
    assert visible
    return visible[0]


def test_closing_the_editor_with_changes_asks_first(practice: Practice) -> None:
    p = practice
    p.show_all(p.textflow)
    p.window.table.selectRow(0)
    p.window.act_edit.trigger()
    editor = _editor(p)
    p.qtbot.keyClicks(editor.line("last_name"), "xyz")

    p.qtbot.keyClick(editor, Qt.Key.Key_Escape)
    p.qtbot.waitUntil(lambda: any(b.isVisible() for b in editor.findChildren(QMessageBox)))
    _question(editor).button(QMessageBox.StandardButton.Cancel).click()
    assert editor.isVisible()  # kept editing
    assert editor.line("last_name").text().endswith("xyz")

    editor.reject()
    p.qtbot.waitUntil(lambda: any(b.isVisible() for b in editor.findChildren(QMessageBox)))
    _question(editor).button(QMessageBox.StandardButton.Discard).click()
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is None)
    assert p.textflow.pending_counts().total == 0
