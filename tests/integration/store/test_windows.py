"""Sorting, windows, counts and row lookup agree with each other and with the data."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactdesk.core.models import Contact
from contactdesk.store import (
    ContactQuery,
    ResultClosed,
    SortColumn,
    Store,
    StoreReader,
)
from contactdesk.store import query as query_module
from contactdesk.store.query import MAX_OPEN_RESULTS
from contactdesk.store.ranks import RANK_MIN, SORT_KEYS
from contactdesk.store.text import fold, fold_name
from tests.integration.store.factories import server_contact

NAMES = ["Ana", "Ána", "ana", "Bo", "Zoë", "Émile", "O'Neil", "王", "محمد", "", "Ann-Marie"]
GROUPS = ["g1", "g2", None]
TAGS = ["a", "b", "c"]

contacts_strategy = st.lists(
    st.tuples(
        st.sampled_from(NAMES),
        st.sampled_from(NAMES),
        st.integers(min_value=0, max_value=10**6),
        st.sampled_from(["", "x@example.com", "ana@ex.org", "Zed@ex.net"]),
        st.sampled_from(GROUPS),
        st.lists(st.sampled_from(TAGS), unique=True, max_size=3),
        st.one_of(st.none(), st.integers(min_value=0, max_value=50)),
    ),
    min_size=0,
    max_size=60,
)
query_strategy = st.builds(
    ContactQuery,
    text=st.sampled_from(["", "ana", "émi", "a", "an", "55", "0001", "ex.org", "王"]),
    group_id=st.sampled_from(GROUPS),
    tag=st.sampled_from([None, *TAGS]),
    sort=st.sampled_from(list(SortColumn)),
    descending=st.booleans(),
)


Row = tuple[str, str, int, str, str | None, list[str], int | None]


def _build(rows: list[Row]) -> list[Contact]:
    return [
        Contact(
            phone=f"+1555{n:07d}{i:02d}",
            first_name=first or None,
            last_name=last or None,
            email=email or None,
            remote_id=f"r{i}",
            group_id=group,
            tags=tuple(tags),
            updated_at=None if upd is None else f"2026-01-01T00:00:{upd:02d}Z",
        )
        for i, (first, last, n, email, group, tags, upd) in enumerate(rows)
    ]


def _expected_ids(store: Store, contacts: list[Contact], q: ContactQuery) -> set[int]:
    """The rows the query should find, by a direct reading of the search rules."""
    out: set[int] = set()
    for c in contacts:
        stored = store.get_by_remote_id(c.remote_id or "")
        assert stored is not None
        if q.group_id is not None and c.group_id != q.group_id:
            continue
        if q.tag is not None and q.tag not in c.tags:
            continue
        text = fold(q.text)
        digits = c.phone.lstrip("+")
        name = fold_name(f"{c.first_name or ''} {c.last_name or ''}")
        if text.isdigit():
            ok = text in digits if len(text) >= 3 else digits.startswith(text)
        elif len(text) >= 3:
            hay = [name, name.replace("-", ""), (c.email or "").casefold()]
            ok = any(part in h for h in hay for part in [text.replace(".", " ")]) or (
                all(p in (c.email or "").casefold() for p in text.split("."))
            )
        elif text:
            ok = fold_name(c.display_name).startswith(text) or fold_name(c.last_name).startswith(
                text
            )
        else:
            ok = True
        if ok:
            out.add(stored.local_id)
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=contacts_strategy, queries=st.lists(query_strategy, min_size=1, max_size=4))
@pytest.mark.parametrize("start", ["ordered at once", "lazily"])
def test_windows_count_order_and_row_of_agree(
    rows: list[Row],
    queries: list[ContactQuery],
    start: str,
) -> None:
    contacts = _build(rows)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store.open(Path(tmp) / "s.sqlite3") as store,
        pytest.MonkeyPatch.context() as mp,
    ):
        if start == "lazily":  # every result starts from a walk of the sort index
            mp.setattr(query_module, "LAZY_ABOVE", 0)
            mp.setattr(query_module, "FIRST_ROWS", 4)
        store.mirror.merge_page(contacts)
        conn = store._db.conn
        for q in queries:
            with store.query(q) as rs:
                ids = rs.local_ids()
                assert rs.count == len(ids) == store.count(q)
                assert set(ids) == _expected_ids(store, contacts, q)
                # windows of any size tile the whole result in the same order
                for size in (1, 7, 50):
                    tiled = [
                        s.local_id
                        for start in range(0, rs.count, size)
                        for s in rs.window(start, size)
                        if s is not None
                    ]
                    assert tiled == ids
                assert rs.window(rs.count, 10) == []
                for row, local_id in enumerate(ids):
                    assert rs.row_of(local_id) == row
                # the order is the stored sort key, ties broken by local id
                key = SORT_KEYS[q.sort]
                keys = dict(conn.execute(f"SELECT id, {key} FROM contacts").fetchall())
                pairs = [((keys[i] is not None, keys[i] or ""), i) for i in ids]
                assert pairs == sorted(pairs, reverse=q.descending)


@pytest.fixture
def hundred(store: Store) -> Store:
    store.mirror.merge_page([server_contact(n) for n in range(100)])
    return store


def test_row_of_is_none_for_a_contact_outside_the_result(hundred: Store) -> None:
    with hundred.query(ContactQuery(text="First42")) as rs:
        assert rs.count == 1
        other = hundred.get_by_remote_id("r7")
        assert other is not None
        assert rs.row_of(other.local_id) is None


def test_windows_read_current_values_and_mark_removed_rows(
    hundred: Store, reader: StoreReader
) -> None:
    rs = reader.query(ContactQuery(sort=SortColumn.PHONE))
    first = rs.window(0, 3)
    assert [s.contact.remote_id for s in first if s] == ["r0", "r1", "r2"]
    hundred.edits.update(first[1].local_id, first[1].contact.with_changes(first_name="Renamed"))  # type: ignore[union-attr]
    hundred.mirror.mark_deleted_on_server(["r2"])
    again = rs.window(0, 3)  # same snapshot of ids, live values
    assert again[1] is not None
    assert again[1].contact.first_name == "Renamed"
    assert again[2] is None  # gone since the query ran
    assert rs.count == 100
    fresh = reader.query(ContactQuery(sort=SortColumn.PHONE))
    assert fresh.count == 99
    rs.close()
    fresh.close()


def test_descending_reverses_ties_by_id_too(store: Store) -> None:
    store.mirror.merge_page(
        [server_contact(n, first_name="Same", last_name="Name") for n in range(5)]
    )
    up = [s.local_id for s in store.query(ContactQuery()).window(0, 5) if s]
    down = [s.local_id for s in store.query(ContactQuery(descending=True)).window(0, 5) if s]
    assert up == sorted(up)
    assert down == up[::-1]


def test_too_many_held_results_close_the_oldest(hundred: Store) -> None:
    held = [hundred.query(ContactQuery(text=f"First{n}")) for n in range(MAX_OPEN_RESULTS + 1)]
    assert held[0].closed
    with pytest.raises(ResultClosed) as err:
        held[0].window(0, 1)
    assert "refresh" in err.value.message
    assert not held[-1].closed
    assert held[-1].window(0, 1)[0] is not None
    for rs in held:
        rs.close()


def test_results_released_by_their_holders_are_evicted_first(hundred: Store) -> None:
    kept = hundred.query(ContactQuery(text="First1"))
    for n in range(2, MAX_OPEN_RESULTS + 5):
        hundred.query(ContactQuery(text=f"First{n}")).close()
    assert not kept.closed
    assert kept.count == 11  # First1, First10..First19
    kept.close()


def test_a_stale_result_stays_usable_until_closed(hundred: Store) -> None:
    old = hundred.query(ContactQuery())
    hundred.mirror.merge_page([server_contact(500)])
    new = hundred.query(ContactQuery())
    assert (old.count, new.count) == (100, 101)
    assert old.window(0, 1)[0] is not None
    old.close()
    assert new.window(100, 5)[0] is not None
    new.close()


def test_negative_window_arguments_are_refused(hundred: Store) -> None:
    with hundred.query(ContactQuery()) as rs, pytest.raises(ValueError, match="negative"):
        rs.window(-1, 5)


def test_big_match_sets_are_ordered_like_the_plain_sorted_list(store: Store) -> None:
    """Above RANK_MIN matches the order comes from the rank table; it must be exactly
    the order a sort index gives, in both directions, and follow edits at once."""
    firsts = ["Émile", "ana", "Zoë", "Bo", "O'Neil", None]
    contacts = [
        server_contact(
            n,
            first_name=firsts[n % 6],
            last_name=f"Person{(n * 7919) % 1000:03d}",
            email=None if n % 5 == 0 else f"p{(n * 31) % 97}@example.org",
            updated_at=None if n % 4 == 0 else f"2026-01-{1 + n % 28:02d}T00:00:00Z",
        )
        for n in range(RANK_MIN + 500)
    ]
    store.mirror.merge_page(contacts)
    for sort in SortColumn:
        for descending in (False, True):
            everyone = ContactQuery(sort=sort, descending=descending)
            matched = ContactQuery(text="person", sort=sort, descending=descending)
            with store.query(everyone) as plain, store.query(matched) as ranked:
                assert ranked.count == plain.count == len(contacts)
                assert ranked.local_ids() == plain.local_ids()
    # an edit moves the contact in the next ranked result (the rank table is rebuilt)
    first = store.query(ContactQuery(text="person")).local_ids()[0]
    row = store.get(first)
    assert row is not None
    store.edits.update(first, row.contact.with_changes(first_name="Zzz"))
    after = store.query(ContactQuery(text="person", sort=SortColumn.NAME)).local_ids()
    assert after[-1] == first
    hidden = after[0]
    store.edits.delete(hidden)
    assert hidden not in store.query(ContactQuery(text="person")).local_ids()


@pytest.mark.parametrize("walk_limit", [3, 10_000])
def test_a_lazy_result_answers_its_first_rows_then_the_rest(
    store: Store, monkeypatch: pytest.MonkeyPatch, walk_limit: int
) -> None:
    """A big result finds its first rows by walking the sort index (or, when they are
    not found within the walk limit, orders everything at once); either way windows,
    row_of and local_ids agree with the plain ordered list."""
    monkeypatch.setattr(query_module, "LAZY_ABOVE", 10)
    monkeypatch.setattr(query_module, "FIRST_ROWS", 5)
    monkeypatch.setattr(query_module, "WALK_LIMIT", walk_limit)
    contacts = [
        server_contact(n, first_name=("Ana", "Bo", "Cy")[n % 3], last_name=f"L{n:03d}")
        for n in range(120)
    ]
    store.mirror.merge_page(contacts)
    everyone = store.query(ContactQuery(sort=SortColumn.PHONE, descending=True)).local_ids()
    with store.query(ContactQuery(text="bo", sort=SortColumn.PHONE, descending=True)) as rs:
        assert rs.count == 40 == store.count(ContactQuery(text="bo"))
        expected = [i for i in everyone if store.get(i).contact.first_name == "Bo"]  # type: ignore[union-attr]
        first = [s.local_id for s in rs.window(0, 5) if s is not None]
        assert first == expected[:5]
        assert rs.row_of(expected[2]) == 2
        assert rs.row_of(everyone[-1]) == (None if everyone[-1] not in expected else 39)
        assert [s.local_id for s in rs.window(3, 10) if s is not None] == expected[3:13]
        assert rs.local_ids() == expected


def test_a_lazy_result_built_after_a_change_lists_the_rows_matching_now(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_module, "LAZY_ABOVE", 10)
    monkeypatch.setattr(query_module, "FIRST_ROWS", 5)
    store.mirror.merge_page([server_contact(n, first_name="Ana") for n in range(30)])
    with store.query(ContactQuery(text="an", sort=SortColumn.PHONE)) as rs:
        assert rs.count == 30
        assert len(rs.window(0, 5)) == 5
        store.mirror.merge_page([server_contact(100 + n, first_name="Ana") for n in range(3)])
        assert rs.count == 30  # the snapshot's count stays
        assert len(rs.local_ids(0, 100)) == 33  # the rest is computed on today's data
