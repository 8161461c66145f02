"""An edit made while the platform fails stays pending and is sent later; a conflict made
on the server is shown and resolved from the "Pending changes" panel."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from contactdesk.sandbox.server import FaultPlan
from contactdesk.store import ContactState, OutboxState
from contactdesk.ui.dialogs.pending_panel import ConflictDialog
from contactdesk.ui.models.contact_table_model import STATE_ROLE
from contactdesk.ui.session import AccountSession
from tests.gui.conftest import Practice


def _edit_first_name(p: Practice, session: AccountSession, row: int, name: str) -> int:
    """Edit the contact at ``row`` through the window's editor; returns its local id."""
    p.show_all(session)
    p.window.table.selectRow(row)
    stored = p.window.current_contact()
    assert stored is not None
    p.window.act_edit.trigger()
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is not None)
    editor = p.window.actions_.editor
    assert editor is not None
    first = editor.line("first_name")
    first.selectAll()
    p.qtbot.keyClicks(first, name)
    p.qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(lambda: p.window.actions_.editor is None)
    return stored.local_id


def _state(p: Practice, session: AccountSession, local_id: int) -> ContactState:
    stored = session.get(local_id)
    assert stored is not None
    return stored.state


def test_offline_edit_stays_pending_then_is_sent_when_back(practice: Practice) -> None:
    p = practice
    server = p.sandbox.textflow_server
    server.faults = FaultPlan(error_rate=1.0)
    local_id = _edit_first_name(p, p.textflow, 4, "Offline")

    # shown at once, marked pending; the failure is explained with a next step
    p.window.apply_changes_now()
    row = p.window.table_model.row_of(local_id)
    assert row is not None
    assert str(p.window.table_model.index(row, 0).data()).startswith("Offline")
    p.qtbot.waitUntil(lambda: p.textflow.offline, timeout=30_000)
    assert _state(p, p.textflow, local_id) is ContactState.PENDING
    assert p.window.table_model.index(row, 0).data(STATE_ROLE) == "pending"
    accessible = p.window.table_model.index(row, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "waiting to be sent" in str(accessible)
    retry = p.window.message_bar.button("Retry")
    assert retry is not None
    assert "kept here" in p.window.message_bar.text()
    assert "1 change waiting" in p.window.status.pending.text()
    stored = p.textflow.get(local_id)
    assert stored is not None
    remote_id = stored.contact.remote_id
    assert remote_id is not None
    record = p.sandbox.textflow.contact(int(remote_id))
    assert record is not None
    assert record["first_name"] != "Offline"

    server.clear_faults()
    p.qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(
        lambda: _state(p, p.textflow, local_id) is ContactState.SYNCED, timeout=20_000
    )
    record = p.sandbox.textflow.contact(int(remote_id))
    assert record is not None
    assert record["first_name"] == "Offline"
    p.qtbot.waitUntil(lambda: not p.textflow.offline)
    p.qtbot.waitUntil(lambda: "reachable again" in p.window.message_bar.text())
    p.qtbot.waitUntil(lambda: p.window.status.pending.text() == "No changes waiting")


def test_a_conflict_made_on_the_server_is_resolved_keeping_mine(practice: Practice) -> None:
    p = practice
    p.show_all(p.flexacore)
    p.window.table.selectRow(6)
    stored = p.window.current_contact()
    assert stored is not None
    uid = stored.contact.remote_id
    assert uid is not None
    # a colleague changes the contact on Flexacore after we last read it
    p.sandbox.flexacore.update_directly(uid, first_name="Colleague")

    local_id = _edit_first_name(p, p.flexacore, 6, "Mine")
    p.qtbot.waitUntil(
        lambda: _state(p, p.flexacore, local_id) is ContactState.CONFLICT, timeout=20_000
    )
    row = p.window.table_model.row_of(local_id)
    assert row is not None
    index = p.window.table_model.index(row, 0)
    p.qtbot.waitUntil(lambda: index.data(STATE_ROLE) == "conflict")
    tip = str(index.data(Qt.ItemDataRole.ToolTipRole))
    assert "needs a decision" in tip
    p.qtbot.waitUntil(lambda: "1 needs you" in p.window.status.pending.text())
    contact = p.sandbox.flexacore.contact(uid)
    assert contact is not None
    assert contact.first_name == "Colleague"  # nothing was overwritten silently

    p.qtbot.mouseClick(p.window.status.pending, Qt.MouseButton.LeftButton)
    panel = p.window.actions_.pending_panel
    assert panel is not None
    p.qtbot.waitUntil(panel.isVisible)
    entry = panel.selected()
    assert entry is not None
    assert entry.state is OutboxState.CONFLICT
    assert panel.resolve_button.isEnabled()
    p.qtbot.mouseClick(panel.resolve_button, Qt.MouseButton.LeftButton)
    dialog = p.window.actions_.dialog
    assert isinstance(dialog, ConflictDialog)
    mine, theirs = dialog.rows["first_name"]
    assert mine.text() == "Mine"
    assert theirs.text() == "Colleague"
    p.qtbot.mouseClick(dialog.mine_button, Qt.MouseButton.LeftButton)

    p.qtbot.waitUntil(
        lambda: (c := p.sandbox.flexacore.contact(uid)) is not None and c.first_name == "Mine",
        timeout=20_000,
    )
    p.qtbot.waitUntil(lambda: _state(p, p.flexacore, local_id) is ContactState.SYNCED)
    p.qtbot.waitUntil(lambda: panel.model.rowCount() == 0)
    assert "every change was sent" in panel.summary.text()


def test_a_conflict_resolved_keeping_theirs(practice: Practice) -> None:
    p = practice
    p.show_all(p.textflow)
    p.window.table.selectRow(2)
    stored = p.window.current_contact()
    assert stored is not None
    assert stored.contact.remote_id is not None
    remote_id = int(stored.contact.remote_id)
    p.sandbox.textflow.update_directly(remote_id, first_name="Theirs")
    local_id = _edit_first_name(p, p.textflow, 2, "Ours")
    p.qtbot.waitUntil(
        lambda: _state(p, p.textflow, local_id) is ContactState.CONFLICT, timeout=20_000
    )
    entry = next(e for e in p.textflow.open_entries() if e.local_id == local_id)
    p.window.actions_.show_pending()
    p.window.actions_.resolve_entry(entry.id)
    dialog = p.window.actions_.dialog
    assert isinstance(dialog, ConflictDialog)
    p.qtbot.mouseClick(dialog.theirs_button, Qt.MouseButton.LeftButton)
    p.qtbot.waitUntil(lambda: _state(p, p.textflow, local_id) is ContactState.SYNCED)
    after = p.textflow.get(local_id)
    assert after is not None
    assert after.contact.first_name == "Theirs"
    record = p.sandbox.textflow.contact(remote_id)
    assert record is not None
    assert record["first_name"] == "Theirs"
    assert replace(after.contact, first_name="x") != stored.contact
