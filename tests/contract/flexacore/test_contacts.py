"""The contact endpoints C1-C5 (spec §3): shapes, create quirks, update and delete rules."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.contract.flexacore.harness import CONTACT_MODEL, INVALID, T0, Flexa, api_error, error

PHONE = "8801721970168"
STAMP = "2026-01-01T00:00:00.000000Z"  # T0
STORE_KEYS = [
    "customer_id",
    "group_id",
    "phone",
    "first_name",
    "last_name",
    "uid",
    "status",
    "updated_at",
    "created_at",
    "id",
]
ROW_KEYS = [
    "id",
    "uid",
    "customer_id",
    "group_id",
    "phone",
    "status",
    "first_name",
    "last_name",
    "email",
    "username",
    "company",
    "address",
    "birth_date",
    "anniversary_date",
    "created_at",
    "updated_at",
]


def _store(flexa: Flexa, group: str | None = None, **payload: Any) -> dict[str, Any]:
    body = {"first_name": None, "last_name": None, **payload}
    return flexa.body("POST", f"/contacts/{group or flexa.groups[0]}/store", json=body)


# --- C3 store -----------------------------------------------------------------------------


def test_store_returns_the_ten_model_attributes(flexa: Flexa) -> None:
    answer = _store(flexa, phone=PHONE, first_name="Rina")
    assert answer["message"] == "Contact was successfully added"
    data = answer["data"]
    assert list(data) == STORE_KEYS
    group = flexa.sim.group(flexa.groups[0])
    assert group is not None
    assert data["customer_id"] == flexa.sim.customer_id
    assert data["group_id"] == group.id
    assert (data["phone"], data["first_name"], data["last_name"]) == (PHONE, "Rina", None)
    assert (data["status"], data["created_at"], data["updated_at"]) == ("subscribe", STAMP, STAMP)
    assert isinstance(data["id"], int)
    stored = flexa.sim.contacts_in(flexa.groups[0])[-1]
    assert (stored.uid, stored.id, stored.phone) == (data["uid"], data["id"], PHONE)


def test_store_phone_type_mirrors_the_input(flexa: Flexa) -> None:
    as_number = _store(flexa, phone=int(PHONE))["data"]
    assert as_number["phone"] == int(PHONE)
    # the column is a varchar: every later read gives a string
    search = flexa.body("POST", f"/contacts/{flexa.groups[0]}/search/{as_number['uid']}")
    assert search["data"]["phone"] == PHONE


def test_new_uids_are_time_based_lowercase_hex_and_increase(flexa: Flexa) -> None:
    uids = [_store(flexa, phone=PHONE)["data"]["uid"] for _ in range(3)]  # frozen clock
    assert all(re.fullmatch(r"[0-9a-f]{13}", uid) for uid in uids)
    assert uids == sorted(uids)
    assert len(set(uids)) == 3
    assert uids[0][:8] == f"{int(T0):08x}"


def test_store_forces_status_subscribe_and_does_not_dedupe(flexa: Flexa) -> None:
    group = flexa.groups[0]
    before = len(flexa.sim.contacts_in(group))
    first = _store(flexa, phone=PHONE, status="unsubscribe")["data"]
    second = _store(flexa, phone=PHONE)["data"]
    assert first["uid"] != second["uid"]
    rows = flexa.sim.contacts_in(group)
    assert len(rows) == before + 2
    assert [r.phone for r in rows[-2:]] == [PHONE, PHONE]
    assert {r.status for r in rows[-2:]} == {"subscribe"}


def test_store_into_another_customers_group_belongs_to_the_group_owner(flexa: Flexa) -> None:
    data = _store(flexa, flexa.sim.other_group_uid, phone=PHONE)["data"]
    assert data["customer_id"] == flexa.sim.other_customer_id


def test_store_updates_the_group_count_cache(flexa: Flexa) -> None:
    group = flexa.groups[1]
    before = flexa.sim.group(group)
    assert before is not None
    _store(flexa, group, phone=PHONE)
    after = flexa.sim.group(group)
    assert after is not None
    assert after.subscribers_count == before.subscribers_count + 1


@pytest.mark.parametrize("missing", ["first_name", "last_name"])
def test_store_needs_both_name_keys(flexa: Flexa, missing: str) -> None:
    group = flexa.groups[0]
    before = len(flexa.sim.contacts_in(group))
    payload = {"phone": PHONE, "first_name": "A", "last_name": "B"}
    del payload[missing]
    answer = flexa.body("POST", f"/contacts/{group}/store", json=payload)
    assert answer == error(f'Undefined array key "{missing}"')
    assert len(flexa.sim.contacts_in(group)) == before


def test_store_without_names_in_php_7_wording(flexa: Flexa) -> None:
    flexa.sim.configure(php_major=7)
    answer = flexa.body("POST", f"/contacts/{flexa.groups[0]}/store", json={"phone": PHONE})
    assert answer == error("Undefined index: first_name")


@pytest.mark.parametrize(
    "phone",
    [
        "+880 1721-970168",
        "(880) 1721 970168",
        "880.1721.970168",
        "8801721970168 x12",
        "1234567",
        "12345678901234567",
        "+44 7400 123456",
    ],
)
def test_phones_the_rule_accepts(flexa: Flexa, phone: str) -> None:
    flexa.sim.configure(phone_check=False)
    assert _store(flexa, phone=phone)["status"] == "success"


@pytest.mark.parametrize(
    "phone",
    [None, "", "   ", "123456", "123456789012345678", "abcdefg", "8801721970168abc", True, []],
)
def test_phones_the_rule_refuses(flexa: Flexa, phone: object) -> None:
    assert _store(flexa, phone=phone) == error(INVALID)


def test_an_array_phone_is_a_php_type_error(flexa: Flexa) -> None:
    assert _store(flexa, phone=[PHONE]) == error(
        "preg_match(): Argument #2 ($subject) must be of type string, array given"
    )


@pytest.mark.parametrize("phone", ["01711000000", "00447400123456", "99912345678"])
def test_unparseable_phone_is_saved_then_reported(flexa: Flexa, phone: str) -> None:
    group = flexa.groups[1]
    count_before = flexa.sim.group(group)
    assert count_before is not None
    answer = _store(flexa, group, phone=phone)
    assert answer == error("Could not interpret numbers after plus-sign.")
    saved = flexa.sim.contacts_in(group)[-1]
    assert (saved.phone, saved.status) == (phone, "subscribe")
    # the error came before the count refresh, so the cache is stale
    after = flexa.sim.group(group)
    assert after is not None
    assert after.subscribers_count == count_before.subscribers_count


def test_a_leading_plus_is_harmless(flexa: Flexa) -> None:
    data = _store(flexa, phone="+" + PHONE)["data"]
    assert data["phone"] == "+" + PHONE


def test_without_the_phone_check_a_leading_zero_is_a_plain_success(flexa: Flexa) -> None:
    flexa.sim.configure(phone_check=False)
    assert _store(flexa, phone="01711000000")["status"] == "success"


def test_a_welcome_sms_is_sent_when_the_group_has_one(flexa: Flexa) -> None:
    group = flexa.groups[0]
    flexa.body(
        "PATCH",
        f"/contacts/{group}",
        json={
            "name": "Staff",
            "sending_server": 1,
            "send_welcome_sms": True,
            "welcome_sms": "Welcome!",
        },
    )
    _store(flexa, group, phone=PHONE)
    assert flexa.sim.sms_sent == [(PHONE, "Welcome!")]


# --- C2 search ----------------------------------------------------------------------------


def test_search_returns_four_fields_and_ignores_uid_case(flexa: Flexa) -> None:
    group = flexa.groups[1]
    contact = flexa.sim.contacts_in(group)[3]
    answer = flexa.body("POST", f"/contacts/{group.upper()}/search/{contact.uid.upper()}")
    assert answer == {
        "status": "success",
        "message": None,
        "data": {
            "uid": contact.uid,
            "phone": contact.phone,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
        },
    }


def test_search_in_the_wrong_group_is_a_success_with_null(flexa: Flexa) -> None:
    first, second = flexa.groups[:2]
    answer = flexa.body("POST", f"/contacts/{second}/search/{flexa.first_contact(first)}")
    assert answer == {"status": "success", "message": None, "data": None}


def test_search_sees_another_customers_contact_in_its_group(flexa: Flexa) -> None:
    group = flexa.sim.other_group_uid
    answer = flexa.body("POST", f"/contacts/{group}/search/{flexa.first_contact(group)}")
    assert answer["data"]["uid"] == flexa.first_contact(group)


def test_a_colleagues_change_is_visible(flexa: Flexa) -> None:
    group = flexa.groups[0]
    uid = flexa.first_contact(group)
    flexa.sim.update_directly(uid, first_name="Changed")
    answer = flexa.body("POST", f"/contacts/{group}/search/{uid}")
    assert answer["data"]["first_name"] == "Changed"


# --- C1 list ------------------------------------------------------------------------------


def test_the_list_hides_status_but_includes_unsubscribed(flexa: Flexa) -> None:
    group = flexa.groups[1]  # 30 contacts: two pages
    contacts = flexa.sim.contacts_in(group)
    unsubscribed = {c.uid for c in contacts if c.status == "unsubscribe"}
    assert unsubscribed
    rows = []
    for page in (1, 2):
        rows += flexa.body("POST", f"/contacts/{group}/all", json={"page": page})["data"]["data"]
    assert [row["uid"] for row in rows] == [c.uid for c in contacts]
    assert unsubscribed <= {row["uid"] for row in rows}
    assert all("status" not in row for row in rows)


# --- C4 update ----------------------------------------------------------------------------


def test_update_returns_the_whole_row(flexa: Flexa) -> None:
    group = flexa.groups[0]
    uid = flexa.first_contact(group)
    flexa.sim.update_directly(uid, birth_date="1990-05-01", updated_at=int(T0) - 50)
    flexa.clock.advance(100)
    answer = flexa.body("PATCH", f"/contacts/{group}/update/{uid}", json={"phone": PHONE})
    assert answer["message"] == "Contact was successfully updated"
    data = answer["data"]
    assert list(data) == ROW_KEYS
    assert data["birth_date"] == "1990-05-01T00:00:00.000000Z"
    assert data["updated_at"] == "2026-01-01T00:01:40.000000Z"
    assert data == flexa.sim.contact_json(uid)


def test_update_needs_the_phone_every_time(flexa: Flexa) -> None:
    group = flexa.groups[0]
    uid = flexa.first_contact(group)
    answer = flexa.body("PATCH", f"/contacts/{group}/update/{uid}", json={"first_name": "X"})
    assert answer == error(INVALID)


def test_update_changes_names_only_when_sent(flexa: Flexa) -> None:
    group = flexa.groups[0]
    before = flexa.sim.contacts_in(group)[0]
    path = f"/contacts/{group}/update/{before.uid}"
    kept = flexa.body("PATCH", path, json={"phone": PHONE})["data"]
    assert (kept["first_name"], kept["last_name"]) == (before.first_name, before.last_name)
    cleared = flexa.body("PATCH", path, json={"phone": PHONE, "last_name": None})["data"]
    assert (cleared["first_name"], cleared["last_name"]) == (before.first_name, None)


def test_update_touches_updated_at_only_when_something_changed(flexa: Flexa) -> None:
    group = flexa.groups[0]
    contact = flexa.sim.contacts_in(group)[0]
    path = f"/contacts/{group}/update/{contact.uid}"
    flexa.clock.advance(100)
    same = flexa.body("PATCH", path, json={"phone": int(contact.phone)})["data"]
    assert same["updated_at"] == flexa.sim.contact_json(contact.uid)["updated_at"]
    assert flexa.sim.contact(contact.uid) == contact
    changed = flexa.body("PATCH", path, json={"phone": PHONE})["data"]
    assert changed["updated_at"] == "2026-01-01T00:01:40.000000Z"


def test_update_never_touches_status(flexa: Flexa) -> None:
    group = flexa.groups[1]
    contact = next(c for c in flexa.sim.contacts_in(group) if c.status == "unsubscribe")
    path = f"/contacts/{group}/update/{contact.uid}"
    data = flexa.body("PATCH", path, json={"phone": PHONE, "status": "subscribe"})["data"]
    assert data["status"] == "unsubscribe"


def test_update_in_the_wrong_group_is_a_404(flexa: Flexa) -> None:
    first, second = flexa.groups[:2]
    uid = flexa.first_contact(first)
    response = flexa.call("PATCH", f"/contacts/{second}/update/{uid}", json={"phone": PHONE})
    assert response.status_code == 404
    assert response.json() == api_error(
        "Sorry, but the page you were trying to view does not exist."
    )


# --- C5 delete ----------------------------------------------------------------------------


def test_delete_removes_the_contact_and_refreshes_the_count(flexa: Flexa) -> None:
    group = flexa.groups[1]
    contact = next(c for c in flexa.sim.contacts_in(group) if c.status == "subscribe")
    before = flexa.sim.group(group)
    assert before is not None
    answer = flexa.body("DELETE", f"/contacts/{group}/delete/{contact.uid.upper()}")
    assert answer == {
        "status": "success",
        "message": "Contact was successfully deleted",
        "data": None,
    }
    assert flexa.sim.contact(contact.uid) is None
    after = flexa.sim.group(group)
    assert after is not None
    assert after.subscribers_count == before.subscribers_count - 1
    again = flexa.body("DELETE", f"/contacts/{group}/delete/{contact.uid}")
    assert again == error(f"No query results for model [{CONTACT_MODEL}] {contact.uid}")


def test_delete_in_the_wrong_group_is_a_404_and_keeps_the_contact(flexa: Flexa) -> None:
    first, second = flexa.groups[:2]
    uid = flexa.first_contact(first)
    response = flexa.call("DELETE", f"/contacts/{second}/delete/{uid}")
    assert response.status_code == 404
    assert response.json() == api_error("Something went wrong. Please try again")
    assert flexa.sim.contact(uid) is not None
