"""Laravel 8.77's LengthAwarePaginator on C1 and G1 (spec §3.1)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.flexacore.harness import Flexa

KEYS = [
    "current_page",
    "data",
    "first_page_url",
    "from",
    "last_page",
    "last_page_url",
    "links",
    "next_page_url",
    "path",
    "per_page",
    "prev_page_url",
    "to",
    "total",
]
PREV, NEXT = "pagination.previous", "pagination.next"


def _page(flexa: Flexa, group: str, page: object = None) -> dict[str, Any]:
    body = None if page is None else {"page": page}
    answer = flexa.body("POST", f"/contacts/{group}/all", json=body)
    assert answer["status"] == "success"
    data: dict[str, Any] = answer["data"]
    assert list(data) == KEYS
    return data


def _labels(page: dict[str, Any]) -> list[str]:
    return [link["label"] for link in page["links"]]


def test_an_empty_group_has_one_empty_page(flexa: Flexa) -> None:
    group = flexa.sim.add_group("Empty").uid
    path = f"{flexa.base_url}/contacts/{group}/all"
    assert _page(flexa, group) == {
        "current_page": 1,
        "data": [],
        "first_page_url": f"{path}?page=1",
        "from": None,
        "last_page": 1,
        "last_page_url": f"{path}?page=1",
        "links": [
            {"url": None, "label": PREV, "active": False},
            {"url": f"{path}?page=1", "label": "1", "active": True},
            {"url": None, "label": NEXT, "active": False},
        ],
        "next_page_url": None,
        "path": path,
        "per_page": 25,
        "prev_page_url": None,
        "to": None,
        "total": 0,
    }


def test_exactly_25_is_one_full_page(flexa: Flexa) -> None:
    group = flexa.sim.add_group("Twenty-five", size=25).uid
    page = _page(flexa, group)
    assert (page["from"], page["to"], page["last_page"], page["total"]) == (1, 25, 1, 25)
    assert page["next_page_url"] is None
    assert len(page["data"]) == 25
    assert _labels(page) == [PREV, "1", NEXT]


def test_26_makes_a_second_page_with_one_row(flexa: Flexa) -> None:
    group = flexa.sim.add_group("Twenty-six", size=26).uid
    path = f"{flexa.base_url}/contacts/{group}/all"
    first = _page(flexa, group)
    assert first["next_page_url"] == f"{path}?page=2"
    assert first["links"][-1] == {"url": f"{path}?page=2", "label": NEXT, "active": False}
    second = _page(flexa, group, 2)
    assert (second["from"], second["to"], second["last_page"]) == (26, 26, 2)
    assert second["prev_page_url"] == f"{path}?page=1"
    assert second["next_page_url"] is None
    assert [link["active"] for link in second["links"]] == [False, False, True, False]
    uids = [row["uid"] for row in first["data"] + second["data"]]
    assert uids == [c.uid for c in flexa.sim.contacts_in(group)]


def test_a_page_past_the_end_is_empty_and_echoes_the_number(flexa: Flexa) -> None:
    group = flexa.sim.add_group("Twenty-six", size=26).uid
    path = f"{flexa.base_url}/contacts/{group}/all"
    page = _page(flexa, group, 5)
    assert page["current_page"] == 5
    assert page["data"] == []
    assert (page["from"], page["to"], page["next_page_url"]) == (None, None, None)
    assert page["prev_page_url"] == f"{path}?page=4"
    assert _labels(page) == [PREV, "1", "2", NEXT]
    assert not any(link["active"] for link in page["links"])


@pytest.mark.parametrize(
    ("sent", "used"),
    [
        (0, 1),
        (-1, 1),
        ("abc", 1),
        ("2.5", 1),
        ("02", 1),
        (None, 1),
        ([2], 1),
        (2, 2),
        ("2", 2),
        (2.0, 2),
        (True, 1),
    ],
)
def test_invalid_page_numbers_mean_page_one(flexa: Flexa, sent: object, used: int) -> None:
    group = flexa.groups[2]  # 60 contacts
    body = flexa.body("POST", f"/contacts/{group}/all", json={"page": sent})
    assert body["data"]["current_page"] == used


def test_page_in_the_query_string(flexa: Flexa) -> None:
    group = flexa.groups[2]
    for sent, used in (("3", 3), ("-1", 1), ("x", 1), ("", 1)):
        data = flexa.body("POST", f"/contacts/{group}/all", params={"page": sent})["data"]
        assert data["current_page"] == used, sent


def test_all_pages_hold_every_contact_once_unsubscribed_included(flexa: Flexa) -> None:
    group = flexa.groups[2]
    contacts = flexa.sim.contacts_in(group)
    assert any(c.status == "unsubscribe" for c in contacts)
    seen: list[dict[str, Any]] = []
    page_no = 1
    while True:
        page = _page(flexa, group, page_no)
        seen += page["data"]
        if page["next_page_url"] is None:
            break
        page_no += 1
    assert page_no == 3
    assert [row["uid"] for row in seen] == [c.uid for c in contacts]
    assert all(list(row) == ["uid", "phone", "first_name", "last_name"] for row in seen)


# --- the links window (>= 14 pages) ---------------------------------------------------------


def _window(first: list[int], slider: list[int] | None, last: list[int]) -> list[str]:
    out = [PREV, *map(str, first), "..."]
    if slider is not None:
        out += [*map(str, slider), "..."]
    return [*out, *map(str, last), NEXT]


@pytest.fixture
def twenty_pages(flexa: Flexa) -> str:
    return flexa.sim.add_group("Twenty pages", size=20 * 25).uid


@pytest.mark.parametrize(
    ("current", "labels"),
    [
        (1, _window(list(range(1, 11)), None, [19, 20])),
        (7, _window(list(range(1, 11)), None, [19, 20])),
        (8, _window([1, 2], list(range(5, 12)), [19, 20])),
        (13, _window([1, 2], list(range(10, 17)), [19, 20])),
        (14, _window([1, 2], None, list(range(11, 21)))),
        (20, _window([1, 2], None, list(range(11, 21)))),
        (99, _window([1, 2], None, list(range(11, 21)))),
    ],
)
def test_the_window_with_twenty_pages(
    flexa: Flexa, twenty_pages: str, current: int, labels: list[str]
) -> None:
    page = _page(flexa, twenty_pages, current)
    assert _labels(page) == labels
    gaps = [link for link in page["links"] if link["label"] == "..."]
    assert gaps
    assert all(gap == {"url": None, "label": "...", "active": False} for gap in gaps)
    active = [link["label"] for link in page["links"] if link["active"]]
    assert active == ([str(current)] if current <= 20 else [])


def test_fourteen_pages_get_the_window_and_thirteen_do_not(flexa: Flexa) -> None:
    thirteen = flexa.sim.add_group("Thirteen", size=13 * 25).uid
    fourteen = flexa.sim.add_group("Fourteen", size=13 * 25 + 1, seed=2).uid
    assert _labels(_page(flexa, thirteen)) == [PREV, *map(str, range(1, 14)), NEXT]
    assert _labels(_page(flexa, fourteen)) == _window(list(range(1, 11)), None, [13, 14])


def test_urls_are_absolute_and_labels_configurable(flexa: Flexa) -> None:
    flexa.sim.configure(previous_label="&laquo; Previous", next_label="Next &raquo;")
    page = _page(flexa, flexa.groups[2], 2)
    assert _labels(page)[0] == "&laquo; Previous"
    assert _labels(page)[-1] == "Next &raquo;"
    urls = [link["url"] for link in page["links"] if link["url"]]
    assert urls
    assert all(u.startswith(flexa.root + "/api/v3/contacts/") for u in urls)


def test_slashes_and_non_ascii_are_escaped_on_the_wire(flexa: Flexa) -> None:
    group = flexa.sim.add_group("Escapes").uid
    flexa.sim.add_contact(group, "447400123456", "Zoë", "王")
    raw = flexa.call("POST", f"/contacts/{group}/all").content
    assert b'"path":"http:\\/\\/127.0.0.1:' in raw
    assert b'"first_name":"Zo\\u00eb","last_name":"\\u738b"' in raw
    assert raw.isascii()


def test_the_group_list_pages_by_25_too(flexa: Flexa) -> None:
    for index in range(25):
        flexa.sim.add_group(f"Extra {index}")
    first = flexa.body("GET", "/contacts")["data"]
    assert list(first) == KEYS
    assert (first["total"], first["last_page"], len(first["data"])) == (28, 2, 25)
    second = flexa.body("GET", "/contacts", params={"page": 2})["data"]
    assert [g["name"] for g in second["data"]] == ["Extra 22", "Extra 23", "Extra 24"]
    assert all(list(g) == ["uid", "name"] for g in first["data"] + second["data"])
    assert second["path"] == flexa.base_url + "/contacts"
