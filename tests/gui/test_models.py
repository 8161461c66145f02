"""Every model passes pytest-qt's model tester, watched while it changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from contactdesk.core.models import Contact
from contactdesk.core.schema import FieldSpec, FieldType
from contactdesk.store import (
    ContactQuery,
    ResultSet,
    SortColumn,
    Store,
    StoredContact,
    StoreReader,
)
from contactdesk.ui.models.account_tree_model import (
    AccountTreeModel,
    EntryKind,
    SidebarAccount,
    SidebarEntry,
)
from contactdesk.ui.models.contact_table_model import (
    LOCAL_ID_ROLE,
    STATE_ROLE,
    WINDOW,
    ContactTableModel,
)
from contactdesk.ui.models.pending_model import PendingModel
from contactdesk.ui.models.result_rows import MakeRow, RowsAnswer
from contactdesk.worker import AccountWorker, Ok, Result

FIELDS = (
    FieldSpec("phone", "Phone", FieldType.PHONE, required=True),
    FieldSpec("first_name", "First name"),
    FieldSpec("last_name", "Last name"),
    FieldSpec("email", "Email", FieldType.EMAIL),
    FieldSpec("tags", "Tags", FieldType.TAGS),
    FieldSpec("opted_out", "Opted out", FieldType.BOOL, editable=False),
)


class ReaderSource:
    """A ``RowSource`` over a reader; with ``background`` the ids come from a worker thread
    with its own reader, as an ``AccountSession`` of a big account does."""

    def __init__(self, reader: StoreReader, *, background: bool = False) -> None:
        self.reader = reader
        self.background = background
        self.worker = AccountWorker("query") if background else None
        self.asked: list[ContactQuery] = []
        self.followed: list[list[int]] = []
        self.hold = False
        self.held: list[Callable[[], None]] = []

    def prefers_background(self) -> bool:
        return self.background

    def query_now(self, query: ContactQuery) -> ResultSet:
        return self.reader.query(query)

    def query_rows_later(
        self,
        query: ContactQuery,
        starts: Sequence[int],
        limit: int,
        on_done: Callable[[RowsAnswer], None],
        *,
        follow: Sequence[int] = (),
        make_row: MakeRow,
    ) -> None:
        assert self.worker is not None
        self.followed.append(list(follow))
        self.asked.append(query)
        path = self.reader.path

        def job() -> RowsAnswer:
            with StoreReader.open(path) as own:
                with own.query(query) as rs:
                    ids = rs.local_ids()
                wanted = {*starts, *(ids.index(i) // limit * limit for i in follow if i in ids)}
                found = own.get_many([i for s in wanted for i in ids[s : s + limit]])
            windows = {s: [found.get(i) for i in ids[s : s + limit]] for s in wanted}
            return RowsAnswer(
                ids,
                {
                    s: [None if c is None else make_row(s + i, c) for i, c in enumerate(w)]
                    for s, w in windows.items()
                    if w
                },
            )

        def done(result: Result[RowsAnswer]) -> None:
            assert isinstance(result, Ok)
            on_done(result.value)

        if self.hold:  # read now, hand over when the test says so
            answer = job()
            self.held.append(lambda: on_done(answer))
            return
        self.worker.call(job, on_done=done)

    def rows(self, local_ids: Sequence[int]) -> dict[int, StoredContact]:
        return self.reader.get_many(list(local_ids))

    def close(self) -> None:
        if self.worker is not None:
            self.worker.shutdown(wait=True, timeout=5)


@pytest.fixture
def store(tmp_path: Path, qapp: QApplication) -> Iterator[tuple[Store, StoreReader]]:
    path = tmp_path / "a.sqlite3"
    writer = Store.open(path)
    people = [
        Contact(
            phone=f"+1415555{i:04d}",
            first_name=f"Person{i:04d}",
            last_name="Zed" if i % 2 else "Able",
            email=f"p{i}@example.com",
            remote_id=str(1000 + i),
            tags=("vip",) if i % 3 == 0 else (),
            opted_out=(i % 7 == 0),
        )
        for i in range(WINDOW * 3 + 17)
    ]
    writer.mirror.merge_page(people)
    reader = StoreReader.open(path)
    yield writer, reader
    reader.close()
    writer.close()


def test_contact_table_model_passes_the_model_tester(
    qtmodeltester: ModelTester, store: tuple[Store, StoreReader]
) -> None:
    writer, reader = store
    model = ContactTableModel(FIELDS, ReaderSource(reader))
    model.refresh()
    qtmodeltester.check(model)
    total = model.rowCount()
    assert total == WINDOW * 3 + 17
    assert model.columnCount() == len(FIELDS) + 1
    # changes while the tester watches: search, sort, edit, delete
    model.set_query(ContactQuery(text="person00"))
    assert 0 < model.rowCount() < total
    model.set_query(ContactQuery(sort=SortColumn.PHONE, descending=True))
    assert model.index(0, 1).data() == "+14155550616"
    model.sort(model.column_of("email"), Qt.SortOrder.AscendingOrder)
    assert model.query.sort is SortColumn.EMAIL
    model.sort(model.column_of("tags"), Qt.SortOrder.AscendingOrder)  # not sortable: ignored
    assert model.query.sort is SortColumn.EMAIL
    first = model.stored_at(0)
    assert first is not None
    writer.edits.update(first.local_id, first.contact.with_changes(first_name="Changed"))
    model.rows_changed([first.local_id])
    assert model.index(0, model.column_of("first_name")).data() == "Changed"
    assert model.index(0, 0).data(STATE_ROLE) == "pending"
    writer.edits.delete_many([first.local_id])
    model.refresh()
    assert model.rowCount() == total - 1
    qtmodeltester.check(model)


def test_contact_table_model_reads_windows_not_rows(store: tuple[Store, StoreReader]) -> None:
    _writer, reader = store
    model = ContactTableModel(FIELDS, ReaderSource(reader))
    model.refresh()
    for row in range(0, model.rowCount(), 7):
        assert model.index(row, 0).data(LOCAL_ID_ROLE) is not None
    assert model.windows_read == 4  # 617 rows, 200 a window
    assert model.index(model.rowCount(), 0).data() is None
    assert model.data(QModelIndex()) is None


def test_big_accounts_query_off_the_ui_thread_and_drop_stale_answers(
    qtmodeltester: ModelTester, qtbot: QtBot, store: tuple[Store, StoreReader]
) -> None:
    _writer, reader = store
    source = ReaderSource(reader, background=True)
    try:
        model = ContactTableModel(FIELDS, source)
        qtmodeltester.check(model)
        with qtbot.waitSignal(model.loaded):
            model.refresh()
        total = model.rowCount()
        assert total == WINDOW * 3 + 17
        # typing fast: three queries in flight, only the last one's answer is shown
        model.set_query(ContactQuery(text="person0"))
        model.set_query(ContactQuery(text="person00"))
        assert model.waiting
        assert model.rowCount() == total  # the old rows stay until the answer comes
        with qtbot.waitSignal(model.loaded) as blocker:
            model.set_query(ContactQuery(text="person001"))
        assert blocker.args == [10]
        qtbot.waitUntil(lambda: source.worker is not None and not source.worker.busy)
        qtbot.wait(50)  # stale answers delivered now must change nothing
        assert model.rowCount() == 10
        assert not model.waiting
        assert len(source.asked) == 3  # the first load ran in place
    finally:
        source.close()


def test_account_tree_model_passes_the_model_tester(
    qtmodeltester: ModelTester, qapp: QApplication
) -> None:
    model = AccountTreeModel()
    qtmodeltester.check(model)
    entries = [
        SidebarEntry(EntryKind.ALL, "", "All contacts", 12),
        SidebarEntry(EntryKind.GROUP, "g1", "<b>Staff</b>", 5),
    ]
    model.set_accounts([SidebarAccount("a", "Office", entries=entries)])
    qtmodeltester.check(model)
    model.set_entries("a", [*entries, SidebarEntry(EntryKind.GROUP, "g2", "New", 0)])
    model.set_entries("a", [SidebarEntry(EntryKind.ALL, "", "All contacts", 11)])
    model.set_entries("a", [SidebarEntry(EntryKind.ALL, "", "All contacts", 10)])
    model.set_status("a", "Offline")
    qtmodeltester.check(model)
    account = model.index(0, 0)
    assert model.rowCount(account) == 1
    assert model.index(0, 0, account).data() == "All contacts  (10)"
    acc = model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert acc == "Account Office: Offline"


def test_pending_model_passes_the_model_tester(
    qtmodeltester: ModelTester, store: tuple[Store, StoreReader]
) -> None:
    writer, reader = store
    model = PendingModel()
    qtmodeltester.check(model)
    first = reader.get(1)
    assert first is not None
    writer.edits.update(1, first.contact.with_changes(last_name="New"))
    writer.edits.create(Contact(phone="+14155550999", first_name="Fresh"))
    model.set_entries(reader.open_entries())
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert [model.index(r, 1).data() for r in range(2)] == ["Edit", "Add"]
    model.set_entries([])
    assert model.rowCount() == 0


def _person(i: int, first: str, last: str = "New") -> Contact:
    return Contact(phone=f"+1415556{i:04d}", first_name=first, last_name=last, remote_id=str(i))


def test_rows_arriving_during_a_sync_keep_the_selection_without_a_reset(
    qtmodeltester: ModelTester, qtbot: QtBot, store: tuple[Store, StoreReader]
) -> None:
    writer, reader = store
    source = ReaderSource(reader, background=True)
    try:
        model = ContactTableModel(FIELDS, source)
        qtmodeltester.check(model)
        with qtbot.waitSignal(model.loaded):
            model.refresh()
        selection = QItemSelectionModel(model)
        row = 5
        picked = model.local_id_at(row)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        flags |= QItemSelectionModel.SelectionFlag.Rows
        selection.setCurrentIndex(model.index(row, 0), flags)
        resets: list[str] = []
        model.modelReset.connect(lambda: resets.append("reset"))
        inserted: list[tuple[int, int]] = []
        model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
        total = model.rowCount()

        # a page whose names sort before everything: rows move under the selection
        writer.mirror.merge_page([_person(i, f"Aaron{i}") for i in range(3)])
        with qtbot.waitSignal(model.updated) as blocker:
            model.refresh()
        assert blocker.args == [total + 3]
        assert model.rowCount() == total + 3
        assert inserted == [(total, total + 2)]
        current = selection.currentIndex()
        assert current.row() == row + 3
        assert model.local_id_at(current.row()) == picked
        assert [i.row() for i in selection.selectedRows()] == [row + 3]
        # the rows on screen came with the answer: nothing was read on the UI thread
        reads = model.windows_read
        assert model.index(0, model.column_of("first_name")).data() == "Aaron0"
        assert model.windows_read == reads
        assert source.followed[-1] == [picked]

        # a page whose names sort last: only rows added at the end
        writer.mirror.merge_page([_person(10 + i, f"Zoe{i}") for i in range(2)])
        with qtbot.waitSignal(model.updated):
            model.refresh()
        assert inserted[-1] == (total + 3, total + 4)
        assert selection.currentIndex().row() == row + 3

        # a contact before the selected one goes: the selection moves up with its contact
        gone = model.local_id_at(0)
        assert gone is not None
        writer.edits.delete_many([gone])
        with qtbot.waitSignal(model.updated):
            model.refresh()
        assert model.rowCount() == total + 4
        assert model.local_id_at(selection.currentIndex().row()) == picked
        assert selection.currentIndex().row() == row + 2
        assert resets == []
        qtmodeltester.check(model)
    finally:
        source.close()


def test_an_edit_made_while_rows_are_read_in_the_background_is_shown(
    qtbot: QtBot, store: tuple[Store, StoreReader]
) -> None:
    writer, reader = store
    source = ReaderSource(reader, background=True)
    try:
        model = ContactTableModel(FIELDS, source)
        with qtbot.waitSignal(model.loaded):
            model.refresh()
        first = model.stored_at(0)
        assert first is not None
        source.hold = True
        model.refresh()  # answered (rows read) now, delivered after the edit below
        writer.edits.update(first.local_id, first.contact.with_changes(last_name="Edited"))
        model.rows_changed([first.local_id])
        with qtbot.waitSignal(model.updated):
            source.held.pop()()
        assert model.index(0, model.column_of("last_name")).data() == "Edited"
    finally:
        source.close()
