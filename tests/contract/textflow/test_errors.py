"""Every row of the doc's error table, in the doc's envelope, plus per-key access and limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from contactdesk.sandbox.textflow_limits import ApiKeySpec
from tests.contract.textflow import seed_doc
from tests.contract.textflow.conftest import MakeTextFlow
from tests.contract.textflow.harness import TextFlowHarness

DISABLED = "sk_test_disabled_key_0000000000000001"
REVOKED = "sk_test_revoked_key_00000000000000002"
CAPPED = "sk_test_capped_key_000000000000000003"
TINY = "sk_test_tiny_rate_key_0000000000000004"
KEYS = (
    ApiKeySpec(DISABLED, api_access=False),
    ApiKeySpec(REVOKED, active=False),
    ApiKeySpec(CAPPED, contact_limit=120),
    ApiKeySpec(TINY, plan="Enterprise", per_minute=1),
)


@pytest.fixture
def tf(make_textflow: MakeTextFlow) -> TextFlowHarness:
    return make_textflow(keys=KEYS)


def _existing_phone(tf: TextFlowHarness) -> str:
    phone: str = tf.sim.contacts()[0]["phone_number"]
    return phone


# one way to provoke each row of the doc's table; (status, words) -> (request, spec code)
Provoke = Callable[[TextFlowHarness], requests.Response]
SCENARIOS: dict[tuple[int, str], tuple[Provoke, str]] = {
    (400, "Invalid phone number format"): (
        lambda tf: tf.post(json={"phoneNumber": "12345"}),
        "INVALID_PHONE",
    ),
    (401, "API key required"): (lambda tf: tf.get(key=None), "API_KEY_REQUIRED"),
    (401, "Invalid or inactive API key"): (
        lambda tf: tf.get(key="sk_live_not_a_key_of_this_account"),
        "INVALID_API_KEY",
    ),
    (403, "API access not enabled"): (lambda tf: tf.get(key=DISABLED), "API_ACCESS_DISABLED"),
    (403, "Contact limit reached"): (
        lambda tf: tf.post(json={"phoneNumber": "5550103000"}, key=CAPPED),
        "CONTACT_LIMIT_REACHED",
    ),
    (404, "Contact not found"): (lambda tf: tf.get("/987654"), "CONTACT_NOT_FOUND"),
    (409, "Duplicate contact"): (
        lambda tf: tf.post(json={"phoneNumber": _existing_phone(tf)}),
        "DUPLICATE_CONTACT",
    ),
    (429, "Rate limit exceeded"): (
        lambda tf: [tf.get(key=TINY), tf.get(key=TINY)][-1],
        "RATE_LIMIT_EXCEEDED",
    ),
}
ROWS = seed_doc.documented_errors()


def test_we_provoke_exactly_the_rows_the_doc_lists() -> None:
    assert sorted(SCENARIOS) == sorted(ROWS)
    assert len(ROWS) == 8


@pytest.mark.parametrize("row", ROWS, ids=[f"{s}-{w}" for s, w in ROWS])
def test_each_documented_error_row(tf: TextFlowHarness, row: tuple[int, str]) -> None:
    provoke, code = SCENARIOS[row]
    response = provoke(tf)
    status, words = row
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    envelope = seed_doc.documented_error_envelope()
    assert set(envelope) <= set(body)
    assert {k: body[k] for k in envelope} == {"success": False, "error": words, "code": code}


def test_an_inactive_key_is_refused_like_an_unknown_one(tf: TextFlowHarness) -> None:
    response = tf.get(key=REVOKED)
    assert (response.status_code, response.json()["code"]) == (401, "INVALID_API_KEY")


def test_a_blank_key_header_counts_as_missing(tf: TextFlowHarness) -> None:
    response = tf.get(key="")
    assert (response.status_code, response.json()["code"]) == (401, "API_KEY_REQUIRED")


def test_auth_errors_never_use_a_keys_rate_budget(tf: TextFlowHarness) -> None:
    for _ in range(3):
        tf.get(key=DISABLED)
        tf.get(key=REVOKED)
    assert tf.sim.usage(DISABLED).total == 0
    assert tf.sim.usage(REVOKED).total == 0
    assert "X-RateLimit-Limit" not in tf.get(key=DISABLED).headers


def test_contact_limit_is_per_key_and_counts_live_contacts(tf: TextFlowHarness) -> None:
    assert tf.post(json={"phoneNumber": "5550103001"}, key=CAPPED).status_code == 403
    # the practice key has no cap on the same account
    made = tf.post(json={"phoneNumber": "5550103001"})
    assert made.status_code == 201
    # updates and deletes are not creates
    victim = tf.sim.contacts()[-1]["id"]
    assert tf.put(f"/{victim}", json={"firstName": "Ok"}, key=CAPPED).status_code == 200
    assert tf.delete(f"/{victim}", key=CAPPED).status_code == 200
    tf.sim.delete_directly(made.json()["data"]["id"])
    assert tf.post(json={"phoneNumber": "5550103002"}, key=CAPPED).status_code == 201
    assert tf.post(json={"phoneNumber": "5550103003"}, key=CAPPED).status_code == 403


def test_a_duplicate_at_the_cap_is_reported_as_the_duplicate(tf: TextFlowHarness) -> None:
    response = tf.post(json={"phoneNumber": _existing_phone(tf)}, key=CAPPED)
    assert response.status_code == 409


def test_api_access_can_be_switched_off_while_running(tf: TextFlowHarness) -> None:
    assert tf.get().status_code == 200
    tf.sim.change_key(tf.key, api_access=False)
    response = tf.get()
    assert (response.status_code, response.json()["code"]) == (403, "API_ACCESS_DISABLED")
    tf.sim.change_key(tf.key, api_access=True)
    assert tf.get().status_code == 200


def test_unknown_paths_and_verbs_answer_in_the_same_envelope(tf: TextFlowHarness) -> None:
    missing = tf.session.get(f"{tf.base_url}/v1/groups", headers={"X-API-Key": tf.key}, timeout=5)
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "error": "Not found", "code": "NOT_FOUND"}
    patch = tf.call("PATCH", "/1", json={})
    assert patch.status_code == 405
    assert patch.json()["code"] == "METHOD_NOT_ALLOWED"
    assert "PUT" in patch.headers["Allow"]
    assert tf.call("PUT", "", json={}).status_code == 405


def test_the_key_never_appears_in_the_key_spec_repr(tf: TextFlowHarness) -> None:
    spec = ApiKeySpec(tf.key)
    assert tf.key not in repr(spec)
    assert tf.key not in str(tf.sim.state())
