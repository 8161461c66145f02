"""How input is read (spec §2): JSON bodies only, merged with the query string, cleaned
only when the client's own Content-Type was JSON."""

from __future__ import annotations

import json

import pytest

from tests.contract.flexacore.harness import INVALID, Flexa, error

PHONE = "8801721970168"


def _store(flexa: Flexa, **kwargs: object) -> dict[str, object]:
    return flexa.body("POST", f"/contacts/{flexa.groups[0]}/store", **kwargs)


def test_a_form_encoded_body_is_ignored(flexa: Flexa) -> None:
    """What the Codeglen docs' `curl -d "phone=..."` examples send."""
    form = {"phone": PHONE, "first_name": "Rina", "last_name": "Das"}
    assert _store(flexa, data=form) == error(INVALID)


def test_a_multipart_body_is_ignored(flexa: Flexa) -> None:
    files = {"phone": (None, PHONE), "first_name": (None, "R"), "last_name": (None, "D")}
    assert _store(flexa, files=files) == error(INVALID)


def test_json_sent_as_text_plain_is_read_but_not_cleaned(flexa: Flexa) -> None:
    payload = {"phone": PHONE, "first_name": "  Rina  ", "last_name": ""}
    answer = _store(flexa, data=json.dumps(payload), headers={"Content-Type": "text/plain"})
    assert answer["status"] == "success"
    data = answer["data"]
    assert isinstance(data, dict)
    assert (data["first_name"], data["last_name"]) == ("  Rina  ", "")
    stored = flexa.sim.contact(str(data["uid"]))
    assert stored is not None
    assert (stored.first_name, stored.last_name) == ("  Rina  ", "")


@pytest.mark.parametrize("ctype", ["application/json", "application/vnd.api+json; charset=utf-8"])
def test_json_content_type_trims_and_turns_empty_into_null(flexa: Flexa, ctype: str) -> None:
    payload = {"phone": f"  {PHONE}\n", "first_name": " Rina\t", "last_name": "   "}
    answer = _store(flexa, data=json.dumps(payload), headers={"Content-Type": ctype})
    data = answer["data"]
    assert isinstance(data, dict)
    assert (data["phone"], data["first_name"], data["last_name"]) == (PHONE, "Rina", None)


def test_the_query_string_counts_and_the_body_wins(flexa: Flexa) -> None:
    answer = _store(
        flexa,
        params={"first_name": "Query", "last_name": "Query", "phone": "123"},
        json={"phone": PHONE, "first_name": "Body"},
    )
    data = answer["data"]
    assert isinstance(data, dict)
    assert (data["phone"], data["first_name"], data["last_name"]) == (PHONE, "Body", "Query")


def test_the_query_string_is_always_cleaned(flexa: Flexa) -> None:
    answer = _store(
        flexa,
        params={"phone": PHONE, "first_name": "  Q  ", "last_name": ""},
        data="not json",
        headers={"Content-Type": "text/plain"},
    )
    data = answer["data"]
    assert isinstance(data, dict)
    assert (data["first_name"], data["last_name"]) == ("Q", None)


def test_a_form_body_with_the_fields_in_the_query_string_works(flexa: Flexa) -> None:
    params = {"phone": PHONE, "first_name": "Q", "last_name": "R"}
    answer = _store(flexa, params=params, data={"phone": "ignored"})
    assert answer["status"] == "success"


def test_php_turns_dots_in_query_names_into_underscores(flexa: Flexa) -> None:
    answer = _store(
        flexa, params={"first.name": "Dot", "last name": "Space"}, json={"phone": PHONE}
    )
    data = answer["data"]
    assert isinstance(data, dict)
    assert (data["first_name"], data["last_name"]) == ("Dot", "Space")


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b'["8801721970168"]', b'"8801721970168"', b"null", b"NaN"],
)
def test_bodies_that_are_not_an_object_count_as_empty(flexa: Flexa, raw: bytes) -> None:
    answer = _store(flexa, data=raw, headers={"Content-Type": "application/json"})
    assert answer == error(INVALID)


def test_the_page_number_may_come_from_the_body(flexa: Flexa) -> None:
    group = flexa.groups[2]  # 60 contacts: 3 pages
    assert (
        flexa.body("POST", f"/contacts/{group}/all", json={"page": 2})["data"]["current_page"] == 2
    )
    from_query = flexa.body("POST", f"/contacts/{group}/all", params={"page": 3})
    assert from_query["data"]["current_page"] == 3
    both = flexa.body("POST", f"/contacts/{group}/all", params={"page": 3}, json={"page": 2})
    assert both["data"]["current_page"] == 2


def test_a_get_with_a_json_body_reads_it_too(flexa: Flexa) -> None:
    for index in range(30):
        flexa.sim.add_group(f"Extra {index}")
    answer = flexa.body("GET", "/contacts", json={"page": 2})
    assert answer["data"]["current_page"] == 2
    assert answer["data"]["total"] == 33


def test_unknown_keys_are_ignored_on_store(flexa: Flexa) -> None:
    payload = {
        "phone": PHONE,
        "first_name": "A",
        "last_name": "B",
        "email": "a@example.com",
        "status": "unsubscribe",
        "custom": {"company": "Acme"},
    }
    answer = _store(flexa, json=payload)
    data = answer["data"]
    assert isinstance(data, dict)
    assert "email" not in data
    stored = flexa.sim.contact(str(data["uid"]))
    assert stored is not None
    assert (stored.email, stored.status) == (None, "subscribe")
