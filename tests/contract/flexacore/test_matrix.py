"""Every row of the status/body matrix of spec §7 (client sends ``Accept: application/json``).

Each case builds its request against the seeded data and states the exact HTTP status and
body; a body without ``data`` is the HANDLER's envelope, one with ``data: null`` is
ApiResponser's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

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

PHONE = "8801721970168"


@dataclass(frozen=True)
class Row:
    name: str
    send: Callable[[Flexa], requests.Response]
    status: int
    body: dict[str, Any] | Callable[[Flexa], dict[str, Any]]


def _without_ability(
    ability: str, method: str, template: str
) -> Callable[[Flexa], requests.Response]:
    def send(flexa: Flexa) -> requests.Response:
        token = flexa.sim.mint_token(abilities=ALL_PERMISSIONS - {ability})
        group = flexa.groups[0]
        path = template.format(g=group, c=flexa.first_contact(group))
        return flexa.call(method, path, token=token)

    return send


def _without_gate(
    permission: str, method: str, template: str, body: dict[str, Any]
) -> Callable[[Flexa], requests.Response]:
    def send(flexa: Flexa) -> requests.Response:
        customer = flexa.sim.add_customer(permissions=ALL_PERMISSIONS - {permission})
        group = flexa.sim.add_group("Theirs", customer_id=customer, size=1).uid
        token = flexa.sim.mint_token(customer_id=customer)
        path = template.format(g=group, c=flexa.first_contact(group))
        return flexa.call(method, path, token=token, json=body)

    return send


def _cross_group(
    method: str, action: str, body: dict[str, Any] | None = None
) -> Callable[[Flexa], requests.Response]:
    def send(flexa: Flexa) -> requests.Response:
        first, second = flexa.groups[:2]
        return flexa.call(
            method, f"/contacts/{second}/{action}/{flexa.first_contact(first)}", json=body
        )

    return send


# (endpoint, the Gate permission its FormRequest checks, verb, path, a valid body)
GATE_CASES: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("C3", "create_contact", "POST", "/contacts/{g}/store", {"phone": PHONE}),
    ("C4", "create_contact", "PATCH", "/contacts/{g}/update/{c}", {"phone": PHONE}),
    ("G2", "create_contact_group", "POST", "/contacts", {"name": "New"}),
    ("G4", "update_contact_group", "PUT", "/contacts/{g}", {"name": "New", "sending_server": 1}),
]

ROWS = [
    Row(
        "success",
        lambda f: f.call("POST", f"/contacts/{f.groups[0]}/show"),
        200,
        lambda f: {
            "status": "success",
            "message": None,
            "data": {"uid": f.groups[0], "name": "Staff"},
        },
    ),
    *(
        Row(
            f"no ability {name}",
            _without_ability(ability, method, path),
            403,
            api_error(PERMISSION_403),
        )
        for name, ability, method, path in [
            ("C1", "view_contact", "POST", "/contacts/{g}/all"),
            ("C2", "view_contact", "POST", "/contacts/{g}/search/{c}"),
            ("C5", "delete_contact", "DELETE", "/contacts/{g}/delete/{c}"),
            ("G1", "view_contact_group", "GET", "/contacts"),
            ("G3", "view_contact_group", "POST", "/contacts/{g}/show"),
            ("G5", "delete_contact_group", "DELETE", "/contacts/{g}"),
        ]
    ),
    Row(
        "C4 not in group",
        _cross_group("PATCH", "update", {"phone": PHONE}),
        404,
        api_error("Sorry, but the page you were trying to view does not exist."),
    ),
    Row(
        "C5 not in group",
        _cross_group("DELETE", "delete"),
        404,
        api_error("Something went wrong. Please try again"),
    ),
    Row(
        "C2 not in group",
        _cross_group("POST", "search"),
        200,
        {"status": "success", "message": None, "data": None},
    ),
    Row(
        "missing token",
        lambda f: f.call("GET", "/contacts", token=None),
        200,
        error(UNAUTHENTICATED),
    ),
    Row(
        "invalid token",
        lambda f: f.call("GET", "/contacts", token="49|" + "a" * 40),
        200,
        error(UNAUTHENTICATED),
    ),
    Row(
        "unknown group",
        lambda f: f.call("POST", "/contacts/6065ecdc9184x/all"),
        200,
        error(f"No query results for model [{GROUP_MODEL}] 6065ecdc9184x"),
    ),
    Row(
        "unknown contact",
        lambda f: f.call("POST", f"/contacts/{f.groups[0]}/search/606732aec870x"),
        200,
        error(f"No query results for model [{CONTACT_MODEL}] 606732aec870x"),
    ),
    Row(
        "validation failure",
        lambda f: f.call("POST", f"/contacts/{f.groups[0]}/store", json={"phone": "12"}),
        200,
        error(INVALID),
    ),
    *(
        Row(
            f"no gate {name}",
            _without_gate(permission, method, path, body),
            200,
            error("This action is unauthorized."),
        )
        for name, permission, method, path, body in GATE_CASES
    ),
    Row(
        "wrong verb",
        lambda f: f.call("GET", f"/contacts/{f.groups[0]}/all"),
        200,
        error("The GET method is not supported for this route. Supported methods: POST."),
    ),
    Row("unknown path", lambda f: f.call("POST", "/contacts/a/b/c/d"), 200, error("")),
    Row(
        "C3 without first_name",
        lambda f: f.call(
            "POST", f"/contacts/{f.groups[0]}/store", json={"phone": PHONE, "last_name": "x"}
        ),
        200,
        error('Undefined array key "first_name"'),
    ),
    Row(
        "C3 unparseable phone",
        lambda f: f.call(
            "POST",
            f"/contacts/{f.groups[0]}/store",
            json={"phone": "0171100000", "first_name": None, "last_name": None},
        ),
        200,
        error("Could not interpret numbers after plus-sign."),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_matrix_row(flexa: Flexa, row: Row) -> None:
    response = row.send(flexa)
    expected = row.body(flexa) if callable(row.body) else row.body
    assert response.status_code == row.status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == expected


def test_matrix_row_sql_error(flexa: Flexa) -> None:
    response = flexa.call(
        "PUT", f"/contacts/{flexa.groups[0]}", json={"name": "X", "sending_server": 7}
    )
    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["status", "message"]
    assert body["status"] == "error"
    assert body["message"].startswith("SQLSTATE[")
    assert "(SQL: " in body["message"]


def test_a_forbidden_gate_customer_is_not_admin(flexa: Flexa) -> None:
    """User id 1 passes every Gate; the practice customer is not user 1."""
    assert flexa.sim.customer_id != 1
    flexa.sim.set_permissions(flexa.sim.customer_id, [])
    answer = flexa.body("POST", "/contacts", json={"name": "New"})
    assert answer == error("This action is unauthorized.")
    # abilities are a snapshot: the practice token can still read
    assert flexa.body("GET", "/contacts")["status"] == "success"
