"""GET /v1/contacts: pagination, limit clamp, order, search and tags semantics."""

from __future__ import annotations

from typing import Any

import pytest

from contactdesk.sandbox.textflow import TextFlowConfig, TextFlowSim
from tests.contract.textflow.conftest import MakeTextFlow
from tests.contract.textflow.harness import TextFlowHarness


def ids(body: dict[str, Any]) -> list[int]:
    return [c["id"] for c in body["data"]]


def test_defaults_are_page_1_of_50(tf: TextFlowHarness) -> None:
    body = tf.get().json()
    assert body["success"] is True
    assert body["pagination"] == {"page": 1, "limit": 50, "total": 120, "pages": 3}
    assert len(body["data"]) == 50


@pytest.mark.parametrize(("asked", "served"), [(100, 100), (101, 100), (5000, 100), (7, 7)])
def test_limit_above_100_is_clamped_without_error(
    tf: TextFlowHarness, asked: int, served: int
) -> None:
    response = tf.get(params={"limit": asked})
    assert response.status_code == 200
    body = response.json()
    assert len(body["data"]) == served
    assert body["pagination"]["limit"] == served
    assert body["pagination"]["pages"] == -(-120 // served)


@pytest.mark.parametrize(("params", "page", "limit"), [
    ({"page": "0"}, 1, 50),
    ({"page": "-3"}, 1, 50),
    ({"page": "two"}, 1, 50),
    ({"limit": "0"}, 1, 50),
    ({"limit": "lots"}, 1, 50),
])  # fmt: skip
def test_nonsense_page_or_limit_falls_back_to_the_default(
    tf: TextFlowHarness, params: dict[str, str], page: int, limit: int
) -> None:
    body = tf.get(params=params).json()
    assert (body["pagination"]["page"], body["pagination"]["limit"]) == (page, limit)


def test_last_page_is_partial_and_past_the_end_is_empty_with_the_same_total(
    tf: TextFlowHarness,
) -> None:
    last = tf.get(params={"page": 3}).json()
    assert len(last["data"]) == 20
    past = tf.get(params={"page": 4}).json()
    assert past["data"] == []
    assert past["pagination"] == {"page": 4, "limit": 50, "total": 120, "pages": 3}
    far = tf.get(params={"page": 1000, "search": "a"}).json()
    assert far["data"] == []
    assert (
        far["pagination"]["total"] == tf.get(params={"search": "a"}).json()["pagination"]["total"]
    )


def test_exactly_one_full_page(make_textflow: MakeTextFlow) -> None:
    tf = make_textflow(count=50)
    body = tf.get().json()
    assert len(body["data"]) == 50
    assert body["pagination"] == {"page": 1, "limit": 50, "total": 50, "pages": 1}
    assert tf.get(params={"page": 2}).json()["data"] == []


def test_an_empty_account_lists_nothing(make_textflow: MakeTextFlow) -> None:
    body = make_textflow(count=0).get().json()
    assert body == {
        "success": True,
        "data": [],
        "pagination": {"page": 1, "limit": 50, "total": 0, "pages": 0},
    }


def test_paging_visits_every_live_contact_once_newest_first(tf: TextFlowHarness) -> None:
    seen = tf.all_pages()
    assert len(seen) == len({c["id"] for c in seen}) == 120
    keys = [(c["created_at"], c["id"]) for c in seen]
    assert keys == sorted(keys, reverse=True)
    assert seen == tf.sim.contacts()


def test_same_second_creates_are_ordered_by_id_descending(tf: TextFlowHarness) -> None:
    # the clock is frozen, so both get the same created_at
    a = tf.post(json={"phoneNumber": "5550001001"}).json()["data"]
    b = tf.post(json={"phoneNumber": "5550001002"}).json()["data"]
    assert a["created_at"] == b["created_at"]
    assert ids(tf.get(params={"limit": 2}).json()) == [b["id"], a["id"]]


def test_deleted_contacts_never_appear(tf: TextFlowHarness) -> None:
    deleted = tf.sim.contacts(include_deleted=True)
    gone = [c for c in deleted if "deleted_at" in c]
    assert gone, "the practice data keeps a few soft-deleted rows"
    listed = {c["id"] for c in tf.all_pages()}
    assert not listed & {c["id"] for c in gone}
    victim = tf.sim.contacts()[0]
    assert tf.delete(f"/{victim['id']}").status_code == 200
    assert tf.get().json()["pagination"]["total"] == 119
    assert tf.get(params={"search": victim["phone_number"]}).json()["data"] == []


@pytest.fixture
def people(tf: TextFlowHarness) -> dict[str, dict[str, Any]]:
    """A few known contacts, with text no practice contact holds."""
    make = tf.sim.create_directly
    return {
        "zoe": make("+15557770001", firstName="Zoë", lastName="Quixbury", email="zq@x.example"),
        "anne": make("+15557770002", firstName="Anne-Marie", lastName="Vantwerp", tags=["vip"]),
        "mail": make("+15557770003", email="Quixbury.Office@corp.example", tags=["vip", "lead"]),
        "notes": make("+15557770004", customFields={"company": "Quixbury"}, tags=["lead"]),
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("quixbury", {"zoe", "mail"}),          # last name and email, any case
    ("QUIXBURY", {"zoe", "mail"}),
    ("zoë quix", {"zoe"}),                  # full name
    ("ZOË QUIX", {"zoe"}),                  # case-folding beyond ASCII
    ("anne-marie vant", {"anne"}),
    ("office@corp", {"mail"}),              # email substring
    ("5557770", {"zoe", "anne", "mail", "notes"}),  # phone digits
    ("+1555777", {"zoe", "anne", "mail", "notes"}),
    ("(555) 777-0002", {"anne"}),           # digits however they are typed
    ("777 0004", {"notes"}),
])  # fmt: skip
def test_search_matches_names_email_and_phone_digits(
    tf: TextFlowHarness, people: dict[str, dict[str, Any]], query: str, expected: set[str]
) -> None:
    found = set(ids(tf.get(params={"search": query, "limit": 100}).json()))
    wanted = {people[name]["id"] for name in expected}
    assert found & {p["id"] for p in people.values()} == wanted
    if not any(ch.isdigit() for ch in query):
        assert found == wanted  # no practice contact has these words


def test_search_does_not_look_in_custom_fields_or_tags(
    tf: TextFlowHarness, people: dict[str, dict[str, Any]]
) -> None:
    found = ids(tf.get(params={"search": "quixbury"}).json())
    assert people["notes"]["id"] not in found
    assert tf.get(params={"search": "wholesale-nope"}).json()["pagination"]["total"] == 0


def test_search_with_no_match_is_an_empty_page(tf: TextFlowHarness) -> None:
    body = tf.get(params={"search": "no such person xyzzy"}).json()
    assert body["data"] == []
    assert body["pagination"]["total"] == 0


def _expected_tags(tf: TextFlowHarness, wanted: set[str], *, every: bool) -> list[int]:
    out = []
    for c in tf.sim.contacts():
        have = set(c["tags"])
        if (wanted <= have) if every else (wanted & have):
            out.append(c["id"])
    return out


def test_tags_filter_matches_any_listed_tag(tf: TextFlowHarness) -> None:
    got = [c["id"] for c in tf.all_pages(tags="vip, lead")]
    assert got == _expected_tags(tf, {"vip", "lead"}, every=False)
    assert 0 < len(got) < 120


def test_tags_filter_can_be_switched_to_all(make_textflow: MakeTextFlow) -> None:
    tf = make_textflow(tags_match="all")
    got = [c["id"] for c in tf.all_pages(tags="vip,lead")]
    assert got == _expected_tags(tf, {"vip", "lead"}, every=True)
    assert len(got) < len(_expected_tags(tf, {"vip", "lead"}, every=False))
    # and back, while running, through the admin hook
    tf.admin("POST", "settings", json={"tags_match": "any"})
    assert [c["id"] for c in tf.all_pages(tags="vip,lead")] == _expected_tags(
        tf, {"vip", "lead"}, every=False
    )


def test_tags_and_search_combine(tf: TextFlowHarness, people: dict[str, dict[str, Any]]) -> None:
    assert ids(tf.get(params={"search": "quixbury", "tags": "lead"}).json()) == [
        people["mail"]["id"]
    ]
    assert tf.get(params={"tags": "no-such-tag"}).json()["pagination"]["total"] == 0
    assert tf.get(params={"tags": " , "}).json()["pagination"]["total"] == 120 + len(people)


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown preset"):
        TextFlowSim(TextFlowConfig(preset="huge"))
