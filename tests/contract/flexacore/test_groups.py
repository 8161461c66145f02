"""The group endpoints G1-G5 (spec §3): scoping, uniqueness, update rules, cascade."""

from __future__ import annotations

from typing import Any

import pytest

from contactdesk.sandbox.flexacore import FlexacoreConfig
from tests.contract.flexacore.harness import GROUP_MODEL, INVALID, Flexa, error


def _create(flexa: Flexa, **payload: Any) -> dict[str, Any]:
    return flexa.body("POST", "/contacts", json=payload)


def _update(flexa: Flexa, group: str, verb: str = "PATCH", **payload: Any) -> dict[str, Any]:
    return flexa.body(verb, f"/contacts/{group}", json=payload)


# --- G1 / G3 ------------------------------------------------------------------------------


def test_the_list_shows_only_the_callers_groups(flexa: Flexa) -> None:
    rows = flexa.body("GET", "/contacts")["data"]["data"]
    assert rows == [
        {"uid": uid, "name": name}
        for uid, name in zip(
            flexa.groups, ["Staff", "Customers", "Newsletter subscribers"], strict=True
        )
    ]
    assert flexa.sim.other_group_uid not in {row["uid"] for row in rows}


def test_show_returns_uid_and_name_of_any_customers_group(flexa: Flexa) -> None:
    group = flexa.sim.other_group_uid
    answer = flexa.body("POST", f"/contacts/{group.upper()}/show")
    assert answer == {
        "status": "success",
        "message": None,
        "data": {"uid": group, "name": "Riverside Clinic patients"},
    }


def test_strict_ownership_hides_other_customers_groups(flexa: Flexa) -> None:
    flexa.sim.configure(strict_ownership=True)
    group = flexa.sim.other_group_uid
    assert flexa.body("POST", f"/contacts/{group}/show") == error(
        f"No query results for model [{GROUP_MODEL}] {group}"
    )


# --- G2 create ----------------------------------------------------------------------------


def test_create_returns_name_then_uid(flexa: Flexa) -> None:
    answer = _create(flexa, name="VIP customers")
    assert answer["message"] == "Contact group was successfully added"
    assert list(answer["data"]) == ["name", "uid"]
    uid = answer["data"]["uid"]
    assert answer["data"]["name"] == "VIP customers"
    assert flexa.groups[-1] == uid
    created = flexa.sim.group(uid)
    assert created is not None
    assert (created.customer_id, created.status) == (flexa.sim.customer_id, True)


@pytest.mark.parametrize(
    "payload", [{}, {"name": ""}, {"name": "   "}, {"name": None}, {"title": "x"}]
)
def test_create_needs_a_name(flexa: Flexa, payload: dict[str, Any]) -> None:
    assert _create(flexa, **payload) == error(INVALID)


@pytest.mark.parametrize("name", ["Staff", "staff", "STAFF  ", "Stäff"])
def test_create_refuses_a_name_the_caller_already_has(flexa: Flexa, name: str) -> None:
    assert _create(flexa, name=name) == error(INVALID)
    assert len(flexa.groups) == 3


def test_create_allows_a_name_another_customer_has(flexa: Flexa) -> None:
    assert _create(flexa, name="Riverside Clinic patients")["status"] == "success"


def test_create_truncates_long_names_to_191(flexa: Flexa) -> None:
    data = _create(flexa, name="x" * 300)["data"]
    assert data["name"] == "x" * 191
    shown = flexa.body("POST", f"/contacts/{data['uid']}/show")["data"]
    assert shown["name"] == "x" * 191


def test_create_sets_flags_off_unless_sent(flexa: Flexa) -> None:
    plain = flexa.sim.group(_create(flexa, name="Plain")["data"]["uid"])
    sent = flexa.sim.group(_create(flexa, name="Sent", send_welcome_sms=False)["data"]["uid"])
    assert plain is not None
    assert sent is not None
    assert plain.send_welcome_sms is False
    # a flag that is sent at all is left to the column default, which is true
    assert sent.send_welcome_sms is True
    assert sent.unsubscribe_notification is False


# --- G4 update ----------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["PUT", "PATCH"])
def test_update_renames_with_put_or_patch(flexa: Flexa, verb: str) -> None:
    group = flexa.groups[0]
    answer = _update(flexa, group, verb, name="Team", sending_server=2)
    assert answer == {
        "status": "success",
        "message": "Contact group was successfully updated",
        "data": {"name": "Team", "uid": group},
    }
    changed = flexa.sim.group(group)
    assert changed is not None
    assert (changed.name, changed.sending_server) == ("Team", 2)


def test_update_needs_name_and_sending_server(flexa: Flexa) -> None:
    group = flexa.groups[0]
    assert _update(flexa, group, name="Team") == error(INVALID)
    assert _update(flexa, group, sending_server=1) == error(INVALID)


def test_update_without_the_310_sending_server_rule(flexa: Flexa) -> None:
    flexa.sim.configure(sending_server_required=False)
    assert _update(flexa, flexa.groups[0], name="Team")["status"] == "success"


def test_update_keeps_its_own_name_but_refuses_a_sibling_name(flexa: Flexa) -> None:
    first = flexa.groups[0]
    assert _update(flexa, first, name="staff", sending_server=1)["status"] == "success"
    assert _update(flexa, first, name="Customers", sending_server=1) == error(INVALID)


def test_unknown_sending_server_is_an_sql_error_and_changes_nothing(flexa: Flexa) -> None:
    group = flexa.groups[0]
    answer = _update(flexa, group, name="Team", sending_server=99)
    assert set(answer) == {"status", "message"}
    assert answer["status"] == "error"
    assert answer["message"].startswith("SQLSTATE[23000]: Integrity constraint violation: 1452")
    assert "(SQL: update `contact_groups` set `sending_server` = 99" in answer["message"]
    unchanged = flexa.sim.group(group)
    assert unchanged is not None
    assert unchanged.name == "Staff"


def test_update_resets_flags_that_are_not_sent(flexa: Flexa) -> None:
    group = flexa.groups[0]
    _update(flexa, group, name="Staff", sending_server=1, send_welcome_sms=1, welcome_sms="Hi")
    on = flexa.sim.group(group)
    assert on is not None
    assert (on.send_welcome_sms, on.welcome_sms) == (True, "Hi")
    _update(flexa, group, name="Staff", sending_server=1)
    off = flexa.sim.group(group)
    assert off is not None
    assert (off.send_welcome_sms, off.welcome_sms) == (False, "Hi")


def test_update_originator_picks_the_sender(flexa: Flexa) -> None:
    group = flexa.groups[0]
    _update(
        flexa,
        group,
        name="Staff",
        sending_server=1,
        originator="phone_number",
        phone_number="15550001",
    )
    picked = flexa.sim.group(group)
    assert picked is not None
    assert picked.sender_id == "15550001"
    missing = _update(flexa, group, name="Staff", sending_server=1, originator="sender_id")
    assert missing == error('Undefined array key "sender_id"')


def test_update_can_move_a_group_to_another_customer(flexa: Flexa) -> None:
    """The mass-assignment hole the spec warns about: `customer_id` is fillable."""
    group = flexa.groups[0]
    _update(flexa, group, name="Staff", sending_server=1, customer_id=flexa.sim.other_customer_id)
    assert group not in flexa.groups
    assert group in flexa.sim.group_uids(flexa.sim.other_customer_id)
    bad = _update(flexa, flexa.groups[0], name="Customers", sending_server=1, customer_id=999)
    assert bad["message"].startswith("SQLSTATE[23000]")


# --- G5 delete ----------------------------------------------------------------------------


def test_delete_cascades_to_the_contacts(flexa: Flexa) -> None:
    group = flexa.groups[2]
    uids = [c.uid for c in flexa.sim.contacts_in(group)]
    answer = flexa.body("DELETE", f"/contacts/{group}")
    assert answer == {
        "status": "success",
        "message": "Contact group was successfully deleted",
        "data": None,
    }
    assert group not in flexa.groups
    assert all(flexa.sim.contact(uid) is None for uid in uids)
    gone = flexa.body("POST", f"/contacts/{group}/all")
    assert gone == error(f"No query results for model [{GROUP_MODEL}] {group}")


def test_delete_ignores_ownership(flexa: Flexa) -> None:
    group = flexa.sim.other_group_uid
    assert flexa.body("DELETE", f"/contacts/{group}")["status"] == "success"
    assert flexa.sim.group(group) is None


def test_a_contact_uid_on_the_group_route_is_not_found(flexa: Flexa) -> None:
    """The near-miss of spec §6.5 with a contact uid: no group has it, nothing happens."""
    uid = flexa.first_contact(flexa.groups[0])
    assert flexa.body("DELETE", f"/contacts/{uid}") == error(
        f"No query results for model [{GROUP_MODEL}] {uid}"
    )
    assert flexa.sim.contact(uid) is not None


def test_config_presets() -> None:
    assert FlexacoreConfig.preset("small").group_sizes == (5, 30, 60)
    assert FlexacoreConfig().group_sizes == (40, 400, 2500)
    assert sum(FlexacoreConfig.preset("large").group_sizes) == 100_000
    with pytest.raises(ValueError, match="unknown preset"):
        FlexacoreConfig.preset("huge")
