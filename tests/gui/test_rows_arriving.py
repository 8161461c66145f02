"""Rows arriving from a sync while the person looks at the table, in the real window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.conftest import Practice


def _click_row(p: Practice, row: int) -> None:
    table = p.window.table
    rect = table.visualRect(table.model().index(row, 0))
    p.qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_a_contact_the_person_picked_stays_picked_while_rows_arrive(practice: Practice) -> None:
    p = practice
    p.show_all(p.textflow)
    model = p.window.table_model
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    _click_row(p, 3)
    picked = p.window.current_contact()
    assert picked is not None
    total = model.rowCount()

    # colleagues add contacts whose names sort first: they arrive above the picked row
    for i in range(3):
        p.sandbox.textflow.create_directly(f"555010{i:04d}", first_name=f"Aaaron{i}")
    p.window.refresh()
    p.wait_synced(p.textflow)
    p.qtbot.waitUntil(lambda: model.rowCount() == total + 3)

    assert resets == []  # updated in place, not rebuilt
    assert [s.local_id for s in p.window.selected_contacts()] == [picked.local_id]
    now = p.window.current_contact()
    assert now is not None
    assert now.local_id == picked.local_id
    assert model.row_of(picked.local_id) == 3 + 3
    assert p.window.detail.stored is not None
    assert p.window.detail.stored.local_id == picked.local_id


def test_a_row_the_app_picked_stays_at_the_top_while_rows_arrive(practice: Practice) -> None:
    p = practice
    p.show_all(p.textflow)
    model = p.window.table_model
    p.window.table.verticalScrollBar().setValue(0)
    assert p.window.table.selected_rows() == [0]  # chosen by the app, not the person
    for i in range(2):
        p.sandbox.textflow.create_directly(f"555020{i:04d}", first_name=f"Aaaron{i}")
    total = model.rowCount()
    p.window.refresh()
    p.wait_synced(p.textflow)
    p.qtbot.waitUntil(lambda: model.rowCount() == total + 2)

    assert p.window.table.selected_rows() == [0]
    first = p.window.current_contact()
    assert first is not None
    assert first.contact.first_name == "Aaaron0"
    assert p.window.table.verticalScrollBar().value() == 0
    assert p.window.table.rowAt(0) == 0


def test_a_view_scrolled_by_the_person_stays_where_it_is_while_rows_arrive(
    practice: Practice,
) -> None:
    p = practice
    p.show_all(p.textflow)
    bar = p.window.table.verticalScrollBar()
    p.qtbot.waitUntil(lambda: bar.maximum() > 10)
    bar.setValue(10)  # the wheel, not a click: no row picked
    total = p.window.table_model.rowCount()
    p.sandbox.textflow.create_directly("5550300000", first_name="Aaaron")
    p.window.refresh()
    p.wait_synced(p.textflow)
    p.qtbot.waitUntil(lambda: p.window.table_model.rowCount() == total + 1)
    assert bar.value() == 10
