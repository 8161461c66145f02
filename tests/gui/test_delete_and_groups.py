"""Deleting with Undo, and group create / rename / delete, in the real window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from contactdesk.store import ContactQuery
from contactdesk.ui import contact_actions
from contactdesk.ui.dialogs.group_dialogs import DeleteGroupDialog, GroupNameDialog
from contactdesk.ui.models.account_tree_model import EntryKind
from tests.gui.conftest import Practice


def _select_rows(p: Practice, rows: list[int]) -> list[int]:
    table = p.window.table
    sm = table.selectionModel()
    sm.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for r in rows:
        sm.select(p.window.table_model.index(r, 0), flags)
    ids = [s.local_id for s in p.window.selected_contacts()]
    assert len(ids) == len(rows)
    return ids


def _remote_ids(p: Practice, local_ids: list[int]) -> list[str]:
    out = []
    for i in local_ids:
        stored = p.flexacore.get(i)
        assert stored is not None
        assert stored.contact.remote_id is not None
        out.append(stored.contact.remote_id)
    return out


def test_delete_three_then_undo(practice: Practice) -> None:
    p = practice
    p.show_all(p.flexacore)
    before = p.window.table_model.rowCount()
    ids = _select_rows(p, [1, 3, 5])
    remote = _remote_ids(p, ids)
    p.window.table.setFocus()

    p.qtbot.keyClick(p.window.table, Qt.Key.Key_Delete)
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() == before - 3)
    assert p.window.undo_bar.isVisible()
    assert p.window.undo_bar.text() == "Deleted 3 contacts."
    shown = {p.window.table_model.local_id_at(r) for r in range(before - 3)}
    assert not shown & set(ids)

    undo = p.window.undo_bar.button("Undo")
    assert undo is not None
    p.qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() == before)
    assert sorted(s.local_id for s in p.window.selected_contacts()) == sorted(ids)
    p.wait_synced(p.flexacore)
    # nothing was ever sent: the server still has all three
    assert all(p.sandbox.flexacore.contact(r) is not None for r in remote)
    assert p.flexacore.pending_counts().total == 0


def test_a_delete_is_sent_once_the_undo_bar_is_gone(
    practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = practice
    monkeypatch.setattr(contact_actions, "UNDO_MS", 150)
    p.show_all(p.flexacore)
    ids = _select_rows(p, [0, 1])
    remote = _remote_ids(p, ids)
    p.window.act_delete.trigger()
    p.qtbot.waitUntil(p.window.undo_bar.isVisible)
    p.qtbot.waitUntil(lambda: not p.window.undo_bar.isVisible())
    p.qtbot.waitUntil(
        lambda: all(p.sandbox.flexacore.contact(r) is None for r in remote), timeout=20_000
    )
    p.wait_idle(p.flexacore)
    assert all(p.flexacore.get(i) is None for i in ids)


def test_delete_a_group_by_typing_its_name(practice: Practice) -> None:
    p = practice
    group = p.flexacore.groups()[1]
    members = p.flexacore.count(ContactQuery(group_id=group.remote_id))
    assert members > 0
    total = p.flexacore.count()
    assert p.window.select(p.flexacore.account_id, EntryKind.GROUP, group.remote_id)
    assert p.window.act_delete_group.isEnabled()

    p.window.act_delete_group.trigger()
    dialog = p.window.actions_.dialog
    assert isinstance(dialog, DeleteGroupDialog)
    p.qtbot.waitUntil(dialog.isVisible)
    assert f"{members}" in dialog.delete_button.text()
    assert not dialog.delete_button.isEnabled()
    p.qtbot.keyClicks(dialog.name_edit, group.name[:-1])
    assert not dialog.delete_button.isEnabled()
    p.qtbot.keyClicks(dialog.name_edit, group.name[-1])
    assert dialog.delete_button.isEnabled()
    p.qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)

    p.qtbot.waitUntil(lambda: "deleted" in p.window.message_bar.text(), timeout=10_000)
    assert group.remote_id not in p.sandbox.flexacore.group_uids()
    assert all(g.remote_id != group.remote_id for g in p.flexacore.groups())
    assert p.flexacore.count() == total - members
    entry = p.window.current_entry
    assert entry is not None
    assert entry.kind is EntryKind.ALL
    assert p.window.table_model.rowCount() == total - members
    labels = [e.label for a in p.window.tree_model.accounts() for e in a.entries]
    assert group.name not in labels


def test_create_and_rename_a_group(practice: Practice) -> None:
    p = practice
    p.show_all(p.flexacore)
    p.window.act_new_group.trigger()
    dialog = p.window.actions_.dialog
    assert isinstance(dialog, GroupNameDialog)
    p.qtbot.keyClicks(dialog.name_edit, "Volunteers")
    p.qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(
        lambda: (e := p.window.current_entry) is not None and e.label == "Volunteers",
        timeout=10_000,
    )
    entry = p.window.current_entry
    assert entry is not None
    assert entry.key in p.sandbox.flexacore.group_uids()

    p.window.act_rename_group.trigger()
    rename = p.window.actions_.dialog
    assert isinstance(rename, GroupNameDialog)
    assert not rename.ok_button.isEnabled()  # same name: nothing to do
    rename.name_edit.selectAll()
    p.qtbot.keyClicks(rename.name_edit, "Helpers")
    p.qtbot.mouseClick(rename.ok_button, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(lambda: p.window.actions_.dialog is None)
    p.qtbot.waitUntil(
        lambda: (g := p.sandbox.flexacore.group(entry.key)) is not None and g.name == "Helpers",
        timeout=10_000,
    )
    p.qtbot.waitUntil(lambda: (e := p.window.current_entry) is not None and e.label == "Helpers")
