"""Create, get, update, delete: camelCase in / snake_case out, phone/email/consent rules,
duplicates, replace semantics, soft delete, and the opt-out flag nobody can write."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from contactdesk.sandbox.textflow_limits import SimClock
from tests.contract.textflow.harness import TextFlowHarness

SNAKE_OUT = {
    "id", "uuid", "phone_number", "first_name", "last_name", "email", "tags",
    "custom_fields", "consent_status", "is_opted_out", "created_at", "updated_at",
}  # fmt: skip


def create(tf: TextFlowHarness, **body: Any) -> dict[str, Any]:
    response = tf.post(json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_create_takes_camel_case_and_answers_snake_case(tf: TextFlowHarness) -> None:
    response = tf.post(
        json={
            "phoneNumber": "555-010-2000",
            "firstName": "Siobhán",
            "lastName": "Ó Súilleabháin",
            "email": "s@example.ie",
            "tags": ["vip"],
            "customFields": {"city": "Cork", "visits": 3, "member": True},
            "consentStatus": "implied",
        }
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["success"], body["message"]) == (True, "Contact created successfully")
    data = body["data"]
    # like the doc's create example: everything but is_opted_out
    assert set(data) == SNAKE_OUT - {"is_opted_out"}
    assert data["phone_number"] == "+15550102000"
    assert (data["first_name"], data["last_name"]) == ("Siobhán", "Ó Súilleabháin")
    assert data["custom_fields"] == {"city": "Cork", "visits": 3, "member": True}
    assert data["created_at"] == data["updated_at"] == "2026-01-01T00:00:15Z"
    fetched = tf.get(f"/{data['id']}").json()["data"]
    assert set(fetched) == SNAKE_OUT
    assert fetched["is_opted_out"] is False


def test_snake_case_in_a_body_is_ignored(tf: TextFlowHarness) -> None:
    response = tf.post(json={"phone_number": "5550102001", "first_name": "Nope"})
    assert response.status_code == 400
    assert response.json()["code"] == "PHONE_REQUIRED"
    contact = tf.sim.contacts()[0]
    after = tf.put(f"/{contact['id']}", json={"first_name": "Nope", "last_name": "Nope"})
    assert after.status_code == 200
    assert after.json()["data"]["first_name"] == contact["first_name"]
    assert after.json()["data"]["last_name"] == contact["last_name"]


def test_get_by_numeric_id_or_by_uuid(tf: TextFlowHarness) -> None:
    contact = tf.sim.contacts()[17]
    by_id = tf.get(f"/{contact['id']}").json()
    by_uuid = tf.get(f"/{contact['uuid']}").json()
    by_upper_uuid = tf.get(f"/{contact['uuid'].upper()}").json()
    assert by_id == by_uuid == by_upper_uuid == {"success": True, "data": contact}


@pytest.mark.parametrize("ref", ["999999", "00000000-0000-4000-8000-000000000000", "abc", "12a"])
def test_unknown_id_or_uuid_is_404(tf: TextFlowHarness, ref: str) -> None:
    response = tf.get(f"/{ref}")
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": "Contact not found",
        "code": "CONTACT_NOT_FOUND",
    }


@pytest.mark.parametrize(("typed", "stored"), [
    ("5551234567", "+15551234567"),
    ("(555) 123-4567", "+15551234567"),
    ("555.123.4567", "+15551234567"),
    ("15551234567", "+15551234567"),
    ("+1 555 123 4567", "+15551234567"),
    ("1-555-123-4567", "+15551234567"),
])  # fmt: skip
def test_phone_is_reduced_to_digits_and_stored_as_plus_1(
    tf: TextFlowHarness, typed: str, stored: str
) -> None:
    assert create(tf, phoneNumber=typed)["phone_number"] == stored


@pytest.mark.parametrize(
    "typed",
    ["555123456", "25551234567", "+44 20 7946 0958", "555-CALL-NOW", "", 5551234567, None],
)
def test_a_phone_that_is_not_10_or_11_digits_is_400(tf: TextFlowHarness, typed: object) -> None:
    response = tf.post(json={"phoneNumber": typed})
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid phone number format",
        "code": "INVALID_PHONE",
    }
    contact = tf.sim.contacts()[0]
    assert tf.put(f"/{contact['id']}", json={"phoneNumber": typed}).status_code == 400
    assert tf.sim.contact(contact["id"]) == contact


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.com", "sp ace@x.com", 42])
def test_a_malformed_email_is_400_invalid_email(tf: TextFlowHarness, email: object) -> None:
    response = tf.post(json={"phoneNumber": "5550102002", "email": email})
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_EMAIL"
    assert tf.get(params={"search": "5550102002"}).json()["data"] == []


@pytest.mark.parametrize("consent", ["EXPLICIT", "opted-in", "", 1])
def test_consent_outside_the_three_values_is_400(tf: TextFlowHarness, consent: object) -> None:
    response = tf.post(json={"phoneNumber": "5550102003", "consentStatus": consent})
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_CONSENT_STATUS"


@pytest.mark.parametrize(("body", "problem"), [
    ({"tags": "vip"}, "tags must be an array of strings"),
    ({"tags": ["vip", 3]}, "tags must be an array of strings"),
    ({"customFields": ["a"]}, "customFields must be an object"),
    ({"customFields": {"a": {"b": 1}}}, "customFields values must be text"),
    ({"firstName": 12}, "firstName must be a string"),
])  # fmt: skip
def test_wrongly_typed_fields_are_400(
    tf: TextFlowHarness, body: dict[str, Any], problem: str
) -> None:
    response = tf.post(json={"phoneNumber": "5550102004", **body})
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["error"].startswith(problem)


def test_a_body_that_is_not_json_is_400_and_a_form_body_is_not_read(tf: TextFlowHarness) -> None:
    broken = tf.post(data=b"{not json", headers={"Content-Type": "application/json"})
    assert (broken.status_code, broken.json()["code"]) == (400, "INVALID_JSON")
    form = tf.post(data={"phoneNumber": "5550102005"})  # form-encoded, as a careless client
    assert (form.status_code, form.json()["code"]) == (400, "PHONE_REQUIRED")
    listed = tf.post(json=["5550102005"])
    assert (listed.status_code, listed.json()["code"]) == (400, "VALIDATION_ERROR")


def test_duplicate_phone_on_create_is_409_even_typed_differently(tf: TextFlowHarness) -> None:
    existing = tf.sim.contacts()[3]
    digits = existing["phone_number"][2:]
    typed = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    response = tf.post(json={"phoneNumber": typed, "firstName": "Copy"})
    assert response.status_code == 409
    body = response.json()
    assert {k: body[k] for k in ("success", "error", "code")} == {
        "success": False,
        "error": "Duplicate contact",
        "code": "DUPLICATE_CONTACT",
    }
    # [sim] the only extra key, documented; clients must not need it
    assert set(body) - {"success", "error", "code"} == {"existing_contact_id"}
    assert body["existing_contact_id"] == existing["id"]
    assert len(tf.sim.contacts()) == 120


def test_update_to_another_live_contacts_phone_is_409(tf: TextFlowHarness) -> None:
    a, b = tf.sim.contacts()[:2]
    response = tf.put(f"/{a['id']}", json={"phoneNumber": b["phone_number"], "firstName": "X"})
    assert response.status_code == 409
    assert tf.sim.contact(a["id"]) == a  # nothing of the update applied
    own = tf.put(f"/{a['id']}", json={"phoneNumber": a["phone_number"]})
    assert own.status_code == 200


def test_update_changes_only_the_fields_sent(tf: TextFlowHarness) -> None:
    before = next(c for c in tf.sim.contacts() if c["email"] and c["custom_fields"])
    response = tf.put(f"/{before['id']}", json={"lastName": "Newname"})
    assert response.status_code == 200
    body = response.json()
    assert (body["success"], body["message"]) == (True, "Contact updated successfully")
    after = body["data"]
    assert "is_opted_out" not in after  # the doc's update example leaves it out too
    expected = {**before, "last_name": "Newname", "updated_at": after["updated_at"]}
    expected.pop("is_opted_out")
    assert after == expected
    assert after["created_at"] == before["created_at"]


def test_tags_and_custom_fields_replace_what_was_stored(tf: TextFlowHarness) -> None:
    contact = create(
        tf, phoneNumber="5550102006", tags=["a", "b"], customFields={"company": "X", "city": "Y"}
    )
    path = f"/{contact['id']}"
    data = tf.put(path, json={"tags": ["c"], "customFields": {"notes": "n"}}).json()["data"]
    assert (data["tags"], data["custom_fields"]) == (["c"], {"notes": "n"})
    data = tf.put(path, json={"customFields": {}}).json()["data"]
    assert (data["tags"], data["custom_fields"]) == (["c"], {})
    data = tf.put(path, json={"tags": []}).json()["data"]
    assert data["tags"] == []


def test_null_or_empty_clears_an_optional_text_field(tf: TextFlowHarness) -> None:
    contact = create(tf, phoneNumber="5550102007", firstName="A", lastName="B", email="a@b.co")
    data = tf.put(f"/{contact['id']}", json={"email": None, "lastName": ""}).json()["data"]
    assert (data["first_name"], data["last_name"], data["email"]) == ("A", None, None)


def test_updated_at_changes_on_every_update_even_within_one_second(tf: TextFlowHarness) -> None:
    contact = tf.sim.contacts()[0]
    stamps = [contact["updated_at"]]
    for n in range(3):  # the clock is frozen: all three land in the same real second
        stamps.append(
            tf.put(f"/{contact['id']}", json={"firstName": f"N{n}"}).json()["data"]["updated_at"]
        )
    stamps.append(tf.put(f"/{contact['id']}", json={}).json()["data"]["updated_at"])
    assert stamps == sorted(set(stamps))  # strictly increasing, no repeats


def test_updated_at_follows_the_clock(tf: TextFlowHarness, clock: SimClock) -> None:
    contact = tf.sim.contacts()[0]
    clock.advance(3600)
    data = tf.put(f"/{contact['id']}", json={"firstName": "Later"}).json()["data"]
    assert data["updated_at"] == "2026-01-01T01:00:15Z"


def test_soft_delete_then_404_everywhere_and_the_phone_is_free_again(tf: TextFlowHarness) -> None:
    contact = tf.sim.contacts()[5]
    path = f"/{contact['id']}"
    response = tf.delete(path)
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Contact deleted successfully"}
    for method, kwargs in (("GET", {}), ("PUT", {"json": {"firstName": "Z"}}), ("DELETE", {})):
        again = tf.call(method, path, **kwargs)
        assert again.status_code == 404, method
        assert again.json()["error"] == "Contact not found"
    assert tf.get(f"/{contact['uuid']}").status_code == 404
    # soft: the row is still there for the platform, with its data untouched
    kept = next(c for c in tf.sim.contacts(include_deleted=True) if c["id"] == contact["id"])
    assert kept["deleted_at"] is not None
    assert kept["first_name"] == contact["first_name"]
    reused = create(tf, phoneNumber=contact["phone_number"])
    assert reused["id"] != contact["id"]
    other = tf.sim.contacts()[1]
    assert (
        tf.put(f"/{other['id']}", json={"phoneNumber": contact["phone_number"]}).status_code == 409
    )


def test_updating_to_a_deleted_contacts_phone_is_allowed(tf: TextFlowHarness) -> None:
    gone, keep = tf.sim.contacts()[:2]
    tf.sim.delete_directly(gone["id"])
    response = tf.put(f"/{keep['id']}", json={"phoneNumber": gone["phone_number"]})
    assert response.status_code == 200
    assert response.json()["data"]["phone_number"] == gone["phone_number"]


def test_the_old_phone_is_free_after_a_phone_change(tf: TextFlowHarness) -> None:
    contact = tf.sim.contacts()[0]
    assert tf.put(f"/{contact['id']}", json={"phoneNumber": "5550102008"}).status_code == 200
    assert (
        create(tf, phoneNumber=contact["phone_number"])["phone_number"] == contact["phone_number"]
    )


def test_opt_out_hook_shows_in_the_api_and_the_flag_cannot_be_written(
    tf: TextFlowHarness,
) -> None:
    contact = next(c for c in tf.sim.contacts() if not c["is_opted_out"])
    path = f"/{contact['id']}"
    hook = tf.admin("POST", f"opt-out/{contact['id']}")
    assert hook.status_code == 200
    flagged = tf.get(path).json()["data"]
    assert flagged["is_opted_out"] is True
    assert flagged["updated_at"] > contact["updated_at"]  # an opt-out is a change
    # a client trying to clear it, in either spelling, is ignored
    for body in ({"isOptedOut": False}, {"is_opted_out": False}, {"optedOut": False}):
        assert tf.put(path, json={**body, "firstName": "Still"}).status_code == 200
        assert tf.get(path).json()["data"]["is_opted_out"] is True
    assert tf.get(path).json()["data"]["first_name"] == "Still"
    # nor can a client set it
    other = next(c for c in tf.sim.contacts() if not c["is_opted_out"])
    tf.put(f"/{other['id']}", json={"isOptedOut": True})
    assert tf.get(f"/{other['id']}").json()["data"]["is_opted_out"] is False
    created = tf.post(json={"phoneNumber": "5550102009", "isOptedOut": True}).json()["data"]
    assert tf.get(f"/{created['id']}").json()["data"]["is_opted_out"] is False
    # the hook can also undo it, for practice
    assert tf.admin("DELETE", f"opt-out/{contact['id']}").status_code == 200
    assert tf.get(path).json()["data"]["is_opted_out"] is False
    assert tf.admin("POST", "opt-out/999999").status_code == 404


def test_a_colleagues_change_is_seen_with_a_new_updated_at(tf: TextFlowHarness) -> None:
    contact = tf.sim.contacts()[2]
    changed = tf.sim.update_directly(contact["id"], lastName="Colleague", tags=["staff"])
    fetched = tf.get(f"/{contact['id']}").json()["data"]
    assert fetched == changed
    assert (fetched["last_name"], fetched["tags"]) == ("Colleague", ["staff"])
    assert fetched["updated_at"] > contact["updated_at"]


def test_tags_are_trimmed_and_kept_once_in_order(tf: TextFlowHarness) -> None:
    data = create(tf, phoneNumber="5550102010", tags=[" vip", "lead", "vip", "", "lead "])
    assert data["tags"] == ["vip", "lead"]


def test_concurrent_creates_of_one_phone_make_exactly_one_contact(tf: TextFlowHarness) -> None:
    def attempt(n: int) -> int:
        # one session per thread: requests sessions are not shared across threads
        with requests.Session() as http:
            response = http.post(
                tf.url(),
                json={"phoneNumber": "5550109000", "firstName": f"Racer {n}"},
                headers={"X-API-Key": tf.key},
                timeout=10,
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(attempt, range(16)))
    assert statuses == [201] + [409] * 15
    matches = [c for c in tf.sim.contacts() if c["phone_number"] == "+15550109000"]
    assert len(matches) == 1
