"""Every route with exactly its verbs (spec §1, §6.5): wrong verbs, unknown paths, OPTIONS, HEAD."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.flexacore.harness import Flexa, error

# path template -> the verbs Laravel accepts, in Router::$verbs order
ROUTES: dict[str, tuple[str, ...]] = {
    "/contacts/{g}/all": ("POST",),
    "/contacts/{g}/search/{c}": ("POST",),
    "/contacts/{g}/store": ("POST",),
    "/contacts/{g}/update/{c}": ("PATCH",),
    "/contacts/{g}/delete/{c}": ("DELETE",),
    "/contacts": ("GET", "HEAD", "POST"),
    "/contacts/{g}/show": ("POST",),
    "/contacts/{g}": ("PUT", "PATCH", "DELETE"),
}
VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# (verb, path, JSON body, the success message the endpoint answers with)
ALLOWED: list[tuple[str, str, dict[str, Any] | None, str | None]] = [
    ("POST", "/contacts/{g}/all", None, None),
    ("POST", "/contacts/{g}/search/{c}", None, None),
    (
        "POST",
        "/contacts/{g}/store",
        {"phone": "8801721970168", "first_name": None, "last_name": None},
        "Contact was successfully added",
    ),
    (
        "PATCH",
        "/contacts/{g}/update/{c}",
        {"phone": "8801721970168"},
        "Contact was successfully updated",
    ),
    ("DELETE", "/contacts/{g}/delete/{c}", None, "Contact was successfully deleted"),
    ("GET", "/contacts", None, None),
    ("POST", "/contacts", {"name": "Brand new"}, "Contact group was successfully added"),
    ("POST", "/contacts/{g}/show", None, None),
    (
        "PUT",
        "/contacts/{g}",
        {"name": "Renamed", "sending_server": 1},
        "Contact group was successfully updated",
    ),
    (
        "PATCH",
        "/contacts/{g}",
        {"name": "Renamed", "sending_server": 1},
        "Contact group was successfully updated",
    ),
    ("DELETE", "/contacts/{g}", None, "Contact group was successfully deleted"),
]


def _fill(flexa: Flexa, template: str) -> str:
    group = flexa.groups[0]
    return template.replace("{g}", group).replace("{c}", flexa.first_contact(group))


@pytest.mark.parametrize(("verb", "template", "body", "message"), ALLOWED)
def test_each_route_answers_its_verbs(
    flexa: Flexa, verb: str, template: str, body: dict[str, Any] | None, message: str | None
) -> None:
    answer = flexa.body(verb, _fill(flexa, template), json=body)
    assert answer["status"] == "success", answer
    assert answer["message"] == message
    assert list(answer) == ["status", "message", "data"]


WRONG = [(t, v) for t, allowed in ROUTES.items() for v in VERBS if v not in allowed]


@pytest.mark.parametrize(("template", "verb"), WRONG)
def test_wrong_verb_lists_the_supported_ones(flexa: Flexa, template: str, verb: str) -> None:
    supported = ", ".join(ROUTES[template])
    # the router runs before authentication: no key is needed to get this answer
    answer = flexa.body(verb, _fill(flexa, template), token=None, json={})
    assert answer == error(
        f"The {verb} method is not supported for this route. Supported methods: {supported}."
    )


def test_the_spec_examples_of_wrong_verbs(flexa: Flexa) -> None:
    group = flexa.groups[0]
    contact = flexa.first_contact(group)
    put = flexa.body("PUT", f"/contacts/{group}/update/{contact}", json={"phone": "8801721970168"})
    assert put["message"].endswith("Supported methods: PATCH.")
    assert flexa.body("GET", f"/contacts/{group}")["message"].endswith(
        "Supported methods: PUT, PATCH, DELETE."
    )
    assert flexa.body("DELETE", "/contacts")["message"].endswith(
        "Supported methods: GET, HEAD, POST."
    )
    assert flexa.sim.contact(contact) is not None  # PUT did not update anything


def test_an_unusual_verb_is_a_wrong_verb_too(flexa: Flexa) -> None:
    answer = flexa.body("PURGE", "/contacts")
    assert answer == error(
        "The PURGE method is not supported for this route. Supported methods: GET, HEAD, POST."
    )


@pytest.mark.parametrize("template", list(ROUTES))
def test_options_answers_empty_with_allow(flexa: Flexa, template: str) -> None:
    response = flexa.call("OPTIONS", _fill(flexa, template), token=None)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Allow"] == ",".join(ROUTES[template])


def test_head_on_the_group_list_has_headers_and_no_body(flexa: Flexa) -> None:
    response = flexa.call("HEAD", "/contacts")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""


def test_head_on_a_post_route_is_a_wrong_verb_without_body(flexa: Flexa) -> None:
    response = flexa.call("HEAD", f"/contacts/{flexa.groups[0]}/all")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/{g}/unknown",
        "/contacts/{g}/delete",  # the uid segment is missing
        "/contacts/{g}/search/{c}/extra",
        "/groups",
        "/contacts/{g}/show/{c}",
        "",
    ],
)
def test_unknown_path_is_an_error_with_an_empty_message(flexa: Flexa, path: str) -> None:
    assert flexa.body("POST", _fill(flexa, path), token=None) == error("")


def test_unknown_path_outside_the_api_prefix(flexa: Flexa) -> None:
    response = flexa.session.post(
        flexa.root + "/api/v2/contacts", headers={"Accept": "application/json"}, timeout=5
    )
    assert (response.status_code, response.json()) == (200, error(""))


def test_a_trailing_slash_is_redirected_by_the_stock_htaccess(flexa: Flexa) -> None:
    response = flexa.call("GET", "/contacts/?page=2")
    assert response.status_code == 301
    assert response.headers["Location"] == flexa.base_url + "/contacts?page=2"


def test_a_redirected_post_turns_into_a_get_and_fails(flexa: Flexa) -> None:
    """What most clients do with a 301 after a POST: retry it as a GET."""
    group = flexa.groups[0]
    response = flexa.call("POST", f"/contacts/{group}/show/", allow_redirects=True)
    assert response.json()["message"].startswith("The GET method is not supported")


def test_without_the_redirect_laravel_ignores_the_trailing_slash(flexa: Flexa) -> None:
    flexa.sim.configure(redirect_trailing_slash=False)
    group = flexa.groups[0]
    answer = flexa.body("POST", f"/contacts/{group}/show/")
    assert answer["data"]["uid"] == group
    page = flexa.body("GET", "/contacts/")["data"]
    assert page["path"] == flexa.base_url + "/contacts"  # no slash in the paginator's URLs
