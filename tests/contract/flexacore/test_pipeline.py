"""The order checks run in (spec §2), authentication, CSRF, HTML errors and the throttle."""

from __future__ import annotations

import pytest

from contactdesk.sandbox.flexacore import ALL_PERMISSIONS
from tests.contract.flexacore.harness import (
    CONTACT_MODEL,
    GROUP_MODEL,
    INVALID,
    PERMISSION_403,
    UNAUTHENTICATED,
    Flexa,
    api_error,
    error,
)

MISSING_GROUP = "6065ecdc9184x"
MISSING_CONTACT = "606732aec870x"

# --- check order --------------------------------------------------------------------------


def test_routing_comes_before_authentication(flexa: Flexa) -> None:
    answer = flexa.body("GET", f"/contacts/{MISSING_GROUP}/all", token="bad")
    assert answer["message"].startswith("The GET method is not supported")


def test_bad_token_and_unknown_group_is_unauthenticated(flexa: Flexa) -> None:
    path = f"/contacts/{MISSING_GROUP}/search/{MISSING_CONTACT}"
    assert flexa.body("POST", path, token="49|nope") == error(UNAUTHENTICATED)


def test_unknown_group_and_unknown_contact_names_the_group(flexa: Flexa) -> None:
    path = f"/contacts/{MISSING_GROUP}/search/{MISSING_CONTACT}"
    assert flexa.body("POST", path) == error(
        f"No query results for model [{GROUP_MODEL}] {MISSING_GROUP}"
    )


def test_known_group_and_unknown_contact_names_the_contact(flexa: Flexa) -> None:
    path = f"/contacts/{flexa.groups[0]}/delete/{MISSING_CONTACT}"
    assert flexa.body("DELETE", path) == error(
        f"No query results for model [{CONTACT_MODEL}] {MISSING_CONTACT}"
    )


def test_binding_comes_before_the_token_ability(flexa: Flexa) -> None:
    weak = flexa.sim.mint_token(abilities=[])
    path = f"/contacts/{flexa.groups[0]}/delete/{MISSING_CONTACT}"
    assert flexa.body("DELETE", path, token=weak)["message"].startswith("No query results")


def test_the_ability_comes_before_the_group_check(flexa: Flexa) -> None:
    weak = flexa.sim.mint_token(abilities=ALL_PERMISSIONS - {"delete_contact"})
    first, second = flexa.groups[:2]
    path = f"/contacts/{second}/delete/{flexa.first_contact(first)}"
    response = flexa.call("DELETE", path, token=weak)
    assert (response.status_code, response.json()) == (403, api_error(PERMISSION_403))


def test_gate_comes_before_validation(flexa: Flexa) -> None:
    customer = flexa.sim.add_customer(permissions=ALL_PERMISSIONS - {"create_contact"})
    token = flexa.sim.mint_token(customer_id=customer)
    answer = flexa.body("POST", f"/contacts/{flexa.groups[0]}/store", token=token, json={})
    assert answer == error("This action is unauthorized.")


def test_validation_comes_before_the_group_check_on_update(flexa: Flexa) -> None:
    first, second = flexa.groups[:2]
    path = f"/contacts/{second}/update/{flexa.first_contact(first)}"
    assert flexa.body("PATCH", path, json={"first_name": "X"}) == error(INVALID)
    response = flexa.call("PATCH", path, json={"phone": "8801721970168"})
    assert response.status_code == 404


def test_store_and_update_check_no_token_ability(flexa: Flexa) -> None:
    """C3 and C4 rely on the Gate only; a token without any ability may still write."""
    bare = flexa.sim.mint_token(abilities=[])
    group = flexa.groups[0]
    body = {"phone": "8801721970168", "first_name": "A", "last_name": "B"}
    created = flexa.body("POST", f"/contacts/{group}/store", token=bare, json=body)
    assert created["status"] == "success"
    uid = created["data"]["uid"]
    updated = flexa.body("PATCH", f"/contacts/{group}/update/{uid}", token=bare, json=body)
    assert updated["status"] == "success"
    listed = flexa.call("POST", f"/contacts/{group}/all", token=bare)
    assert listed.status_code == 403


# --- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "bearer {token}",  # the prefix is case-sensitive
        "Token {token}",
        "{token}",
        "Bearer ",
        "Bearer 50|{secret}",  # the other customer's id with this secret
        "Bearer 49|{secret}x",
        "Bearer {secret}x",
    ],
)
def test_malformed_or_wrong_keys_are_unauthenticated(flexa: Flexa, header: str) -> None:
    token = flexa.sim.token
    value = header.format(token=token, secret=token.split("|", 1)[1])
    answer = flexa.body("GET", "/contacts", token=None, headers={"Authorization": value})
    assert answer == error(UNAUTHENTICATED)


def test_missing_header_is_unauthenticated(flexa: Flexa) -> None:
    assert flexa.body("GET", "/contacts", token=None) == error(UNAUTHENTICATED)


def test_a_key_in_the_query_string_is_not_read(flexa: Flexa) -> None:
    answer = flexa.body("GET", "/contacts", token=None, params={"api_token": flexa.sim.token})
    assert answer == error(UNAUTHENTICATED)


def test_the_secret_alone_is_accepted_as_sanctum_2_does(flexa: Flexa) -> None:
    """A token without "|" is looked up by the hash of the whole string."""
    secret = flexa.sim.token.split("|", 1)[1]
    assert flexa.body("GET", "/contacts", token=secret)["status"] == "success"


def test_the_practice_key_and_the_other_customers_key_work(flexa: Flexa) -> None:
    mine = flexa.body("GET", "/contacts")["data"]["data"]
    theirs = flexa.body("GET", "/contacts", token=flexa.sim.other_token)["data"]["data"]
    assert [g["uid"] for g in mine] == flexa.groups
    assert [g["uid"] for g in theirs] == [flexa.sim.other_group_uid]


# --- CSRF near-miss (Sanctum stateful) -----------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Referer", "{root}/"),
        ("Referer", "{root}/customer/developers"),
        ("Origin", "{root}"),
        ("Referer", "http://localhost/"),
        ("Referer", "https://127.0.0.1/app"),
        ("Origin", "http://127.0.0.1:8000"),
    ],
)
def test_a_first_party_referer_fails_csrf_on_post(flexa: Flexa, header: str, value: str) -> None:
    headers = {header: value.format(root=flexa.root)}
    # C1 is a read, but a POST: VerifyCsrfToken only lets GET, HEAD and OPTIONS through
    answer = flexa.body("POST", f"/contacts/{flexa.groups[0]}/all", headers=headers)
    assert answer == error("CSRF token mismatch.")


def test_csrf_comes_before_authentication(flexa: Flexa) -> None:
    headers = {"Referer": flexa.root + "/"}
    answer = flexa.body("DELETE", f"/contacts/{flexa.groups[0]}", token="bad", headers=headers)
    assert answer == error("CSRF token mismatch.")
    assert len(flexa.groups) == 3


@pytest.mark.parametrize(
    ("method", "header", "value"),
    [
        ("GET", "Referer", "{root}/"),  # a reading method passes
        ("POST", "Referer", "https://example.org/"),
        ("POST", "Referer", "http://127.0.0.1.example.org/"),
        ("POST", "Origin", "http://127.0.0.1:9"),
    ],
)
def test_other_referers_pass(flexa: Flexa, method: str, header: str, value: str) -> None:
    headers = {header: value.format(root=flexa.root)}
    path = "/contacts" if method == "GET" else f"/contacts/{flexa.groups[0]}/all"
    assert flexa.body(method, path, headers=headers)["status"] == "success"


# --- HTML errors without a JSON Accept -----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "token", "status"),
    [
        ("POST", "/nothing/here", "ok", 404),
        ("GET", "/contacts/{g}/all", "ok", 404),  # 405 renders the 404 page too
        ("GET", "/contacts", None, 401),
        ("POST", "/contacts/{g}/all", "bad", 401),
        ("POST", f"/contacts/{MISSING_GROUP}/all", "ok", 500),
        ("POST", "/contacts/{g}/search/" + MISSING_CONTACT, "ok", 500),
    ],
)
def test_pipeline_errors_are_html_pages_without_json_accept(
    flexa: Flexa, method: str, path: str, token: str | None, status: int
) -> None:
    key = flexa.sim.token if token == "ok" else token
    response = flexa.call(method, path.replace("{g}", flexa.groups[0]), token=key, accept=False)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.lstrip().startswith("<!DOCTYPE html>")


def test_csrf_without_json_accept_is_the_page_expired_page(flexa: Flexa) -> None:
    headers = {"Referer": flexa.root + "/"}
    response = flexa.call("POST", "/contacts", accept=False, headers=headers, json={"name": "x"})
    assert response.status_code == 419
    assert "Page Expired" in response.text


def test_errors_after_force_json_are_json_even_without_accept(flexa: Flexa) -> None:
    response = flexa.call("POST", f"/contacts/{flexa.groups[0]}/store", accept=False, json={})
    assert (response.status_code, response.json()) == (200, error(INVALID))


def test_success_is_json_without_accept(flexa: Flexa) -> None:
    response = flexa.call("POST", f"/contacts/{flexa.groups[0]}/show", accept=False)
    assert response.json()["status"] == "success"


@pytest.mark.parametrize(
    ("headers", "wants_json"),
    [
        ({"Accept": "application/json"}, True),
        ({"Accept": "application/vnd.api+json"}, True),
        ({"Accept": "text/html, application/json"}, False),
        ({"Accept": "text/html;q=0.5, application/json"}, True),
        ({"Accept": "*/*", "X-Requested-With": "XMLHttpRequest"}, True),
        ({"Accept": "text/html", "X-Requested-With": "XMLHttpRequest"}, False),
        ({"Accept": "*/*"}, False),
    ],
)
def test_which_accept_headers_want_json(
    flexa: Flexa, headers: dict[str, str], wants_json: bool
) -> None:
    response = flexa.call("GET", "/contacts", token=None, accept=False, headers=headers)
    assert response.status_code == (200 if wants_json else 401)


# --- throttle (3.0.1 builds) ---------------------------------------------------------------


def test_no_rate_limit_headers_by_default(flexa: Flexa) -> None:
    response = flexa.call("GET", "/contacts")
    assert "X-RateLimit-Limit" not in response.headers


def test_throttle_counts_down_then_refuses_until_the_minute_is_over(flexa: Flexa) -> None:
    flexa.sim.configure(throttle_per_minute=3)
    remaining = []
    for _ in range(3):
        response = flexa.call("GET", "/contacts")
        assert response.json()["status"] == "success"
        assert response.headers["X-RateLimit-Limit"] == "3"
        remaining.append(response.headers["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    refused = flexa.call("GET", "/contacts")
    assert (refused.status_code, refused.json()) == (200, error("Too Many Attempts."))
    assert "X-RateLimit-Remaining" not in refused.headers
    assert "Retry-After" not in refused.headers
    flexa.clock.advance(59)
    assert flexa.body("GET", "/contacts") == error("Too Many Attempts.")
    flexa.clock.advance(1)
    again = flexa.call("GET", "/contacts")
    assert again.json()["status"] == "success"
    assert again.headers["X-RateLimit-Remaining"] == "2"


def test_throttle_runs_before_auth_and_keys_by_ip(flexa: Flexa) -> None:
    flexa.sim.configure(throttle_per_minute=1)
    first = flexa.call("GET", "/contacts", token="bad")
    assert first.json() == error(UNAUTHENTICATED)
    assert first.headers["X-RateLimit-Remaining"] == "0"  # error answers count and carry them
    other_customer = flexa.body("GET", "/contacts", token=flexa.sim.other_token)
    assert other_customer == error("Too Many Attempts.")


def test_throttled_without_json_accept_is_the_404_page(flexa: Flexa) -> None:
    flexa.sim.configure(throttle_per_minute=1)
    flexa.call("GET", "/contacts")
    response = flexa.call("GET", "/contacts", accept=False)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
