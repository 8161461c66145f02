"""Every curl example of the public doc, run with real curl against the simulator.

Host, key and uids are swapped for the simulator's; everything else is sent as printed.
The doc promises ``{status: "success", data}`` or ``{status: "error", message}``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.contract.flexacore.harness import Flexa
from tests.contract.flexacore.seed_doc import CurlExample, curl_examples, documented_endpoints

EXAMPLES = curl_examples()
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def run_curl(argv: list[str]) -> tuple[int, dict[str, Any]]:
    assert argv[0] == "curl"
    done = subprocess.run(
        ["curl", "-sS", "--noproxy", "*", "--max-time", "10", "-w", "\n%{http_code}", *argv[1:]],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)


def _example(action: str) -> CurlExample:
    return next(e for e in EXAMPLES if e.action == action)


def test_every_documented_contact_route_has_an_example() -> None:
    actions = {e.action for e in EXAMPLES}
    assert actions == {"store", "search", "update", "delete", "all"}
    routed = {p.split("/")[5] for p in documented_endpoints() if "{group_id}" in p}
    assert routed == actions


def test_examples_send_the_documented_headers() -> None:
    for example in EXAMPLES:
        assert example.headers()["Accept"] == "application/json", example.title
        assert example.headers()["Authorization"].startswith("Bearer 49|")


def test_a_trailing_backslash_before_the_next_heading_does_not_swallow_it() -> None:
    search = _example("search")
    assert search.argv[-1] == "Accept: application/json"
    assert "Returns" not in search.argv
    assert [a for a in search.argv if a.startswith("http")] == [search.url]


def _run(flexa: Flexa, example: CurlExample, token: str | None = None) -> tuple[int, Any]:
    group = flexa.groups[0]
    argv = example.with_target(
        flexa.root, token or flexa.sim.token, group, flexa.first_contact(group)
    )
    return run_curl(argv)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.action)
def test_example_with_a_wrong_key_gets_the_documented_error_object(
    flexa: Flexa, example: CurlExample
) -> None:
    status, body = _run(flexa, example, token="49|" + "x" * 40)
    assert (status, body) == (200, {"status": "error", "message": "Unauthenticated."})


def test_store_example_fails_because_it_omits_the_name_keys(flexa: Flexa) -> None:
    """The doc calls the names optional, but the 3.1.0 repository reads both keys."""
    group = flexa.groups[0]
    before = len(flexa.sim.contacts_in(group))
    status, body = _run(flexa, _example("store"))
    assert (status, body) == (
        200,
        {"status": "error", "message": 'Undefined array key "first_name"'},
    )
    assert len(flexa.sim.contacts_in(group)) == before  # the warning fires before the insert


def test_search_example_returns_the_contact(flexa: Flexa) -> None:
    group = flexa.groups[0]
    contact = flexa.sim.contacts_in(group)[0]
    status, body = _run(flexa, _example("search"))
    assert status == 200
    assert body == {
        "status": "success",
        "message": None,
        "data": {
            "uid": contact.uid,
            "phone": contact.phone,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
        },
    }


def test_update_example_changes_the_phone_and_keeps_the_names(flexa: Flexa) -> None:
    group = flexa.groups[0]
    before = flexa.sim.contacts_in(group)[0]
    status, body = _run(flexa, _example("update"))
    assert status == 200
    assert body["status"] == "success"
    assert body["message"] == "Contact was successfully updated"
    after = flexa.sim.contact(before.uid)
    assert after is not None
    assert after.phone == "8801821475168"  # the example's body, sent as printed
    assert (after.first_name, after.last_name) == (before.first_name, before.last_name)
    assert body["data"] == flexa.sim.contact_json(before.uid)


def test_delete_example_deletes_the_contact(flexa: Flexa) -> None:
    group = flexa.groups[0]
    uid = flexa.first_contact(group)
    status, body = _run(flexa, _example("delete"))
    assert (status, body) == (
        200,
        {"status": "success", "message": "Contact was successfully deleted", "data": None},
    )
    assert flexa.sim.contact(uid) is None


def test_all_example_returns_the_first_page(flexa: Flexa) -> None:
    group = flexa.groups[0]
    contacts = flexa.sim.contacts_in(group)
    status, body = _run(flexa, _example("all"))
    assert status == 200
    assert body["status"] == "success"
    page = body["data"]
    assert page["total"] == len(contacts)
    assert [row["uid"] for row in page["data"]] == [c.uid for c in contacts[:25]]
    assert page["path"] == f"{flexa.base_url}/contacts/{group}/all"
