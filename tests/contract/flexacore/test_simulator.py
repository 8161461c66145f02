"""The simulator itself: seeded data, keys, helpers that bypass HTTP, the admin path, threads."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import phonenumbers
import pytest

from contactdesk.sandbox.flexacore import FlexacoreConfig, FlexacoreSim
from tests.contract.flexacore.harness import T0, FakeClock, Flexa, small_config

TOKEN = re.compile(r"49\|[A-Za-z0-9]{40}")


def test_the_practice_key_has_the_sanctum_2_shape_and_follows_the_seed() -> None:
    clock = FakeClock()
    one, same, other = (FlexacoreSim(small_config(clock, seed=s)) for s in (3, 3, 4))
    assert TOKEN.fullmatch(one.token)
    assert one.token == same.token
    assert one.token != other.token
    assert one.other_token != one.token


def test_the_same_seed_gives_the_same_data() -> None:
    clock = FakeClock()
    one, same = (FlexacoreSim(small_config(clock, seed=9)) for _ in range(2))
    assert one.group_uids() == same.group_uids()
    for uid in one.group_uids():
        assert one.contacts_in(uid) == same.contacts_in(uid)


def test_the_seeded_data(flexa: Flexa) -> None:
    sizes = [len(flexa.sim.contacts_in(uid)) for uid in flexa.groups]
    assert sizes == [5, 30, 60]
    everyone = [c for uid in flexa.groups for c in flexa.sim.contacts_in(uid)]
    uids = [c.uid for c in everyone] + flexa.groups
    assert all(re.fullmatch(r"[0-9a-f]{13}", uid) for uid in uids)
    assert len(set(uids)) == len(uids)
    for contact in everyone:  # Flexacore's wire phone: E.164 without the "+"
        assert contact.phone.isdigit()
        assert phonenumbers.is_valid_number(phonenumbers.parse("+" + contact.phone))
    statuses = [{c.status for c in flexa.sim.contacts_in(uid)} for uid in flexa.groups]
    assert statuses == [{"subscribe"}, {"subscribe", "unsubscribe"}, {"subscribe", "unsubscribe"}]
    assert len(flexa.sim.contacts_in(flexa.sim.other_group_uid)) == 3


def test_the_default_preset_sizes() -> None:
    sim = FlexacoreSim(FlexacoreConfig(clock=FakeClock()))
    state = sim.state()
    assert [g["contacts"] for g in state["groups"]] == [40, 400, 2500, 3]
    assert state["contacts"] == 2943


def test_add_contact_and_update_directly(flexa: Flexa) -> None:
    group = flexa.groups[0]
    row = flexa.sim.add_contact(group, "447400123456", "Ada", None, status="unsubscribe")
    assert flexa.sim.contacts_in(group)[-1] == row
    flexa.clock.advance(30)
    changed = flexa.sim.update_directly(row.uid, last_name="Lovelace")
    assert changed.last_name == "Lovelace"
    assert changed.updated_at == int(T0) + 30
    with pytest.raises(ValueError, match="uid"):
        flexa.sim.update_directly(row.uid, uid="0" * 13)
    with pytest.raises(KeyError):
        flexa.sim.update_directly("missing", first_name="x")


def test_returned_rows_are_copies(flexa: Flexa) -> None:
    row = flexa.sim.contacts_in(flexa.groups[0])[0]
    row.first_name = "Mutated"
    fresh = flexa.sim.contact(row.uid)
    assert fresh is not None
    assert fresh.first_name != "Mutated"


def test_delete_helpers(flexa: Flexa) -> None:
    group = flexa.groups[1]
    uid = flexa.first_contact(group)
    assert flexa.sim.delete_directly(uid) is True
    assert flexa.sim.delete_directly(uid) is False
    assert flexa.sim.delete_group_directly(group) == 29
    assert group not in flexa.groups


def test_the_key_never_shows_in_a_repr(flexa: Flexa) -> None:
    secret = flexa.sim.token.split("|", 1)[1]
    assert secret not in repr(flexa.sim)
    assert secret not in repr(flexa.sim.store.tokens)
    assert secret not in repr(flexa.sim.config)


def test_admin_state_and_reset(flexa: Flexa) -> None:
    state = flexa.admin("GET", "state").json()
    assert state["contacts"] == 98
    assert [g["name"] for g in state["groups"]][:3] == [
        "Staff",
        "Customers",
        "Newsletter subscribers",
    ]
    assert flexa.sim.token not in flexa.admin("GET", "state").text
    flexa.body("DELETE", f"/contacts/{flexa.groups[2]}")
    assert flexa.admin("GET", "state").json()["contacts"] == 38
    assert flexa.admin("POST", "reset").json()["contacts"] == 98


def test_admin_reset_with_another_seed_and_preset(flexa: Flexa) -> None:
    token = flexa.sim.token
    state = flexa.admin("POST", "reset", json={"seed": 5, "preset": "small"}).json()
    assert state["seed"] == 5
    assert flexa.sim.token != token
    assert flexa.admin("POST", "reset", json={"preset": "nope"}).status_code == 400


def test_admin_settings(flexa: Flexa) -> None:
    assert flexa.admin("GET", "settings").json()["throttle_per_minute"] is None
    changed = flexa.admin("POST", "settings", json={"throttle_per_minute": 5})
    assert changed.json()["throttle_per_minute"] == 5
    assert flexa.call("GET", "/contacts").headers["X-RateLimit-Limit"] == "5"
    refused = flexa.admin("POST", "settings", json={"seed": 3})
    assert refused.status_code == 400


def test_unknown_admin_path_is_a_404(flexa: Flexa) -> None:
    assert flexa.admin("GET", "nothing").status_code == 404


def test_concurrent_creates_all_land_with_unique_uids(flexa: Flexa) -> None:
    group = flexa.groups[0]

    def create(index: int) -> str:
        body = {"phone": f"88017{index:08d}", "first_name": str(index), "last_name": None}
        response = flexa.call("POST", f"/contacts/{group}/store", json=body)
        return str(response.json()["data"]["uid"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        uids = list(pool.map(create, range(40)))
    assert len(set(uids)) == 40
    stored = {c.uid for c in flexa.sim.contacts_in(group)}
    assert set(uids) <= stored
    assert len(stored) == 45
