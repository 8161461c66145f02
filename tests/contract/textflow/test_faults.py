"""Each fault the sandbox server can inject, as a requests client sees it from TextFlow.

These pin what a client must cope with; they never measure time (latency is shown by a
client timeout far shorter than the injected delay).
"""

from __future__ import annotations

import pytest
import requests

from contactdesk.sandbox.server import HTML_PROXY_PAGE, FaultPlan
from tests.contract.textflow.harness import TextFlowHarness

NEW = {"phoneNumber": "5550105000", "firstName": "Fault"}


def count(tf: TextFlowHarness) -> int:
    return len(tf.sim.contacts())


def exists(tf: TextFlowHarness, phone: str = "+15550105000") -> bool:
    return any(c["phone_number"] == phone for c in tf.sim.contacts())


def test_latency_makes_a_short_timeout_fire_and_state_is_untouched(tf: TextFlowHarness) -> None:
    tf.server.faults = FaultPlan(latency=3.0)
    with pytest.raises(requests.ReadTimeout):
        tf.get(timeout=(2, 0.2))
    tf.server.clear_faults()
    assert tf.get().status_code == 200


def test_latency_set_over_http_then_cleared(tf: TextFlowHarness) -> None:
    set_plan = tf.admin("POST", "faults", json={"latency": 3.0})
    assert set_plan.json()["plan"]["latency"] == 3.0
    with pytest.raises(requests.ReadTimeout):
        tf.get(timeout=(2, 0.2))
    tf.admin("DELETE", "faults")
    assert tf.get().status_code == 200


def test_server_errors_touch_nothing(tf: TextFlowHarness) -> None:
    tf.server.faults = FaultPlan(error_rate=1.0)
    before = count(tf)
    statuses = {tf.post(json=NEW).status_code for _ in range(12)}
    assert statuses <= {500, 502, 503}
    assert tf.get().json() == {"message": "Server Error"}
    assert count(tf) == before
    assert not exists(tf)


def test_error_share_is_a_share(tf: TextFlowHarness) -> None:
    tf.server.faults = FaultPlan(error_rate=0.5, seed=3)
    statuses = [tf.get(params={"limit": 1}).status_code for _ in range(40)]
    assert 0 < statuses.count(200) < 40
    assert set(statuses) - {200} <= {500, 502, 503}


def test_reset_before_write_applies_nothing(tf: TextFlowHarness) -> None:
    tf.server.faults = FaultPlan(reset_before_write=1.0, limit=1)
    with pytest.raises(requests.ConnectionError):
        tf.post(json=NEW)
    assert not exists(tf)
    # reads are never reset by this fault, and the limit of one is spent
    assert tf.post(json=NEW).status_code == 201
    assert exists(tf)


def test_reset_after_write_applies_it_and_a_blind_retry_hits_the_duplicate(
    tf: TextFlowHarness,
) -> None:
    tf.server.faults = FaultPlan(reset_after_write=1.0, limit=1)
    with pytest.raises(requests.ConnectionError):
        tf.post(json=NEW)
    assert exists(tf)  # applied, though the client never heard so
    retry = tf.post(json=NEW)
    assert retry.status_code == 409
    assert tf.server.injector.stats.by_kind == {"reset_after_write": 1}


def test_reset_after_an_update_or_delete_is_applied_too(tf: TextFlowHarness) -> None:
    a, b = tf.sim.contacts()[:2]
    tf.server.faults = FaultPlan(reset_after_write=1.0)
    with pytest.raises(requests.ConnectionError):
        tf.put(f"/{a['id']}", json={"firstName": "Applied"})
    with pytest.raises(requests.ConnectionError):
        tf.delete(f"/{b['id']}")
    tf.server.clear_faults()
    assert tf.get(f"/{a['id']}").json()["data"]["first_name"] == "Applied"
    assert tf.get(f"/{b['id']}").status_code == 404


def test_a_hung_read_ends_in_a_client_read_timeout(tf: TextFlowHarness) -> None:
    tf.server.faults = FaultPlan(hang_rate=1.0, limit=1)
    with pytest.raises(requests.ReadTimeout):
        tf.get(timeout=(2, 0.3))
    assert tf.get().status_code == 200


def test_a_truncated_body_is_not_json(tf: TextFlowHarness) -> None:
    whole = tf.get(params={"limit": 5}).content
    tf.server.faults = FaultPlan(truncate_rate=1.0, limit=1)
    response = tf.get(params={"limit": 5})
    assert response.status_code == 200
    assert response.content == whole[: len(whole) // 2]
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_a_non_json_body_arrives_as_200_text(tf: TextFlowHarness) -> None:
    tf.server.faults = FaultPlan(non_json_rate=1.0, limit=1)
    response = tf.get()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_a_proxy_html_page_instead_of_the_api(tf: TextFlowHarness) -> None:
    tf.server.faults = FaultPlan(html_proxy_rate=1.0, limit=1)
    response = tf.post(json=NEW)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == HTML_PROXY_PAGE
    assert not exists(tf)


def test_faults_skip_the_admin_paths(tf: TextFlowHarness) -> None:
    tf.server.faults = FaultPlan(error_rate=1.0)
    assert tf.admin("GET", "state").status_code == 200
