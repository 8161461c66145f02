"""Each fault of sandbox/server.py as a `requests` client sees it, against this simulator.

Every test gets a server of its own: the injector's ``limit`` counts faults over the
server's whole life (its stats survive `set_plan`), so plans must not share a server.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from contactdesk.sandbox.server import HTML_PROXY_PAGE, FaultPlan
from tests.contract.flexacore.harness import Flexa

PHONE = "8801721970168"


def _store(flexa: Flexa, **kwargs: Any) -> requests.Response:
    body = {"phone": PHONE, "first_name": "Fault", "last_name": "Test"}
    return flexa.call("POST", f"/contacts/{flexa.groups[0]}/store", json=body, **kwargs)


def _count(flexa: Flexa) -> int:
    return len(flexa.sim.contacts_in(flexa.groups[0]))


def test_latency_makes_a_short_read_timeout_fire(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(latency=0.4)
    with pytest.raises(requests.ReadTimeout):
        fresh_flexa.call("GET", "/contacts", timeout=(3, 0.05))
    assert fresh_flexa.body("GET", "/contacts", timeout=5)["status"] == "success"


def test_server_errors_change_nothing(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(error_rate=1.0)
    before = _count(fresh_flexa)
    statuses = set()
    for _ in range(8):
        response = _store(fresh_flexa)
        assert response.json() == {"message": "Server Error"}
        statuses.add(response.status_code)
    assert statuses <= {500, 502, 503}
    assert _count(fresh_flexa) == before


def test_reset_before_a_write_applies_nothing(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(reset_before_write=1.0)
    before = _count(fresh_flexa)
    with pytest.raises(requests.ConnectionError):
        _store(fresh_flexa)
    assert _count(fresh_flexa) == before


def test_reset_after_a_write_applies_it(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(reset_after_write=1.0)
    before = _count(fresh_flexa)
    with pytest.raises(requests.ConnectionError):
        _store(fresh_flexa)
    assert _count(fresh_flexa) == before + 1
    assert fresh_flexa.sim.contacts_in(fresh_flexa.groups[0])[-1].first_name == "Fault"


@pytest.mark.parametrize(
    ("method", "path", "write"),
    [
        ("POST", "/contacts/{g}/all", False),
        ("POST", "/contacts/{g}/search/{c}", False),
        ("POST", "/contacts/{g}/show", False),
        ("GET", "/contacts", False),
        ("POST", "/contacts/{g}/store", True),
        ("PATCH", "/contacts/{g}/update/{c}", True),
        ("DELETE", "/contacts/{g}/delete/{c}", True),
        ("POST", "/contacts", True),
        ("PUT", "/contacts/{g}", True),
        ("DELETE", "/contacts/{g}", True),
    ],
)
def test_writes_are_told_by_route_not_by_verb(
    fresh_flexa: Flexa, method: str, path: str, write: bool
) -> None:
    """Flexacore reads are POSTs; only the six writes may be reset by a write fault."""
    fresh_flexa.server.faults = FaultPlan(reset_before_write=1.0)
    group = fresh_flexa.groups[0]
    url = path.format(g=group, c=fresh_flexa.first_contact(group))
    body = {"phone": PHONE, "first_name": None, "last_name": None, "name": "N", "sending_server": 1}
    if write:
        with pytest.raises(requests.ConnectionError):
            fresh_flexa.call(method, url, json=body)
    else:
        assert fresh_flexa.body(method, url, json=body)["status"] == "success"


def test_a_hung_read_fires_the_client_read_timeout(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(hang_rate=1.0)
    with pytest.raises(requests.ReadTimeout):
        fresh_flexa.call("POST", f"/contacts/{fresh_flexa.groups[0]}/all", timeout=(3, 0.5))
    # writes never hang
    assert _store(fresh_flexa).json()["status"] == "success"


def test_a_truncated_body_is_not_json(fresh_flexa: Flexa) -> None:
    full = fresh_flexa.call("GET", "/contacts").content
    fresh_flexa.server.faults = FaultPlan(truncate_rate=1.0)
    response = fresh_flexa.call("GET", "/contacts")
    assert response.status_code == 200
    assert response.content == full[: len(full) // 2]
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_a_non_json_answer(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(non_json_rate=1.0)
    response = fresh_flexa.call("GET", "/contacts")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "OK<br>Service temporarily degraded"


def test_an_html_proxy_page(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(html_proxy_rate=1.0)
    before = _count(fresh_flexa)
    response = _store(fresh_flexa)
    assert (response.status_code, response.text) == (502, HTML_PROXY_PAGE)
    assert response.headers["Content-Type"].startswith("text/html")
    assert _count(fresh_flexa) == before


def test_limit_caps_the_number_of_faults(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(error_rate=1.0, limit=2)
    statuses = [fresh_flexa.call("GET", "/contacts").status_code for _ in range(4)]
    assert [s >= 500 for s in statuses] == [True, True, False, False]
    assert fresh_flexa.server.injector.stats.injected == 2


def test_the_next_write_is_reset_after_it_is_applied_then_all_is_well(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(reset_after_write=1.0, limit=1)
    before = _count(fresh_flexa)
    with pytest.raises(requests.ConnectionError):
        _store(fresh_flexa)
    assert _store(fresh_flexa).json()["status"] == "success"
    assert _count(fresh_flexa) == before + 2  # the lost answer's write is there too


def test_faults_are_set_and_cleared_over_the_admin_path(fresh_flexa: Flexa) -> None:
    plan = fresh_flexa.admin("POST", "faults", json={"error_rate": 1.0, "limit": 1})
    assert plan.status_code == 200
    assert plan.json()["plan"]["error_rate"] == 1.0
    assert fresh_flexa.call("GET", "/contacts").status_code >= 500
    assert fresh_flexa.call("GET", "/contacts").status_code == 200
    stats = fresh_flexa.admin("GET", "faults").json()["stats"]
    assert (stats["injected"], stats["by_kind"]) == (1, {"error": 1})
    cleared = fresh_flexa.admin("DELETE", "faults").json()
    assert cleared["plan"]["error_rate"] == 0.0
    assert fresh_flexa.server.faults == FaultPlan()


def test_unknown_fault_settings_are_refused(fresh_flexa: Flexa) -> None:
    response = fresh_flexa.admin("POST", "faults", json={"explode": 1.0})
    assert response.status_code == 400
    assert "explode" in response.json()["error"]


def test_admin_requests_are_never_faulted(fresh_flexa: Flexa) -> None:
    fresh_flexa.server.faults = FaultPlan(error_rate=1.0, html_proxy_rate=1.0)
    assert fresh_flexa.admin("GET", "state").status_code == 200


def test_a_redirected_write_is_not_a_write(fresh_flexa: Flexa) -> None:
    """The 301 of a trailing-slash URL applies nothing, so no write fault fires on it."""
    fresh_flexa.server.faults = FaultPlan(reset_before_write=1.0)
    response = fresh_flexa.call("DELETE", f"/contacts/{fresh_flexa.groups[0]}/")
    assert response.status_code == 301
    assert fresh_flexa.server.injector.stats.injected == 0
