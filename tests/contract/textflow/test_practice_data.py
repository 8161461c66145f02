"""The seeded practice data and key, and the admin hooks that report and reset them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import phonenumbers
import pytest

from contactdesk.sandbox.textflow import PRESETS, TextFlowConfig, TextFlowSim, practice_key
from contactdesk.sandbox.textflow_limits import SimClock
from tests.contract.textflow.harness import T0, TextFlowHarness


def _when(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def test_practice_key_is_a_test_key_fixed_by_the_seed() -> None:
    assert re.fullmatch(r"sk_test_[A-Za-z0-9]{32}", practice_key(7))
    assert practice_key(7) == practice_key(7)
    assert practice_key(7) != practice_key(8)


def test_same_seed_same_data_other_seed_other_data() -> None:
    def build(seed: int) -> TextFlowSim:
        return TextFlowSim(TextFlowConfig(preset="small", seed=seed, clock=SimClock(start=T0)))

    assert build(3).contacts(include_deleted=True) == build(3).contacts(include_deleted=True)
    assert build(3).contacts() != build(4).contacts()
    assert build(3).api_key == practice_key(3)


def test_presets_have_the_documented_sizes() -> None:
    assert PRESETS == {"small": 120, "default": 5000, "large": 100_000}
    assert TextFlowConfig(preset="large").size == 100_000
    assert TextFlowConfig(preset="large", count=3).size == 3


def test_practice_contacts_look_like_a_real_account(tf: TextFlowHarness) -> None:
    contacts = tf.sim.contacts()
    assert len(contacts) == 120
    assert len({c["uuid"] for c in contacts}) == 120
    assert all(uuid.UUID(c["uuid"]).version == 4 for c in contacts)
    phones = [c["phone_number"] for c in contacts]
    assert len(set(phones)) == 120
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)
    assert {c["consent_status"] for c in contacts} == {"explicit", "implicit", "implied"}
    assert sum(c["is_opted_out"] for c in contacts) == round(120 * 0.03)
    created = [_when(c["created_at"]) for c in contacts]
    assert all(T0 - 2 * 365 * 86400 <= t <= T0 for t in created)
    assert max(created) - min(created) > 365 * 86400  # spread over the two years
    assert all(c["updated_at"] >= c["created_at"] for c in contacts)
    assert any(c["tags"] for c in contacts)
    assert any(c["custom_fields"] for c in contacts)
    assert any(c["email"] is None for c in contacts)
    assert any(not c["first_name"].isascii() for c in contacts if c["first_name"])


def test_ids_follow_creation_and_deleted_rows_leave_gaps(tf: TextFlowHarness) -> None:
    everyone = tf.sim.contacts(include_deleted=True)
    deleted = [c for c in everyone if "deleted_at" in c]
    assert len(deleted) == round(120 * 0.01)
    ids = sorted(c["id"] for c in everyone)
    assert ids == list(range(1, 122))
    live = tf.sim.contacts()
    assert [c["id"] for c in live] == sorted((c["id"] for c in live), reverse=True)


def test_state_reports_counts_and_settings_without_keys(tf: TextFlowHarness) -> None:
    state = tf.admin("GET", "state").json()
    assert (state["contacts"], state["deleted"], state["opted_out"]) == (120, 1, 4)
    assert state["clock"] == T0
    assert state["settings"] == {"rate_limit_headers": True, "tags_match": "any"}
    (key,) = state["keys"]
    assert key["plan"] == "Marketer"
    assert key["per_minute"] == 300
    assert tf.key not in str(state)
    assert key["label"].startswith("sk_test_")


def test_reset_restores_the_seeded_data_and_clears_counters(tf: TextFlowHarness) -> None:
    original = tf.sim.contacts()
    victim = original[0]["id"]
    tf.delete(f"/{victim}")
    tf.post(json={"phoneNumber": "5550106000"})
    tf.admin("POST", "settings", json={"tags_match": "all"})
    assert tf.sim.usage().total == 2
    state = tf.admin("POST", "reset").json()
    assert state["contacts"] == 120
    assert state["settings"]["tags_match"] == "any"
    assert tf.sim.contacts() == original
    assert tf.sim.usage().total == 0


def test_admin_refuses_bad_settings(tf: TextFlowHarness) -> None:
    assert tf.admin("POST", "settings", json={"tags_match": "some"}).status_code == 400
    assert tf.admin("GET", "no-such-hook").status_code == 404


def test_helpers_refuse_unknown_contacts(tf: TextFlowHarness) -> None:
    with pytest.raises(KeyError):
        tf.sim.update_directly(999999, firstName="x")
    with pytest.raises(KeyError):
        tf.sim.opt_out(999999)
    assert tf.sim.contact(999999) is None


def test_helpers_take_either_spelling_and_refuse_typos(tf: TextFlowHarness) -> None:
    made = tf.sim.create_directly("5550108000", first_name="Snake", lastName="Camel")
    assert (made["first_name"], made["last_name"]) == ("Snake", "Camel")
    changed = tf.sim.update_directly(made["id"], custom_fields={"city": "Lagos"})
    assert changed["custom_fields"] == {"city": "Lagos"}
    with pytest.raises(TypeError, match="firstname"):
        tf.sim.update_directly(made["id"], firstname="typo")
    with pytest.raises(TypeError):
        tf.sim.update_directly(made["id"], is_opted_out=True)
    secret = "sk_test_not_a_key_of_this_sim_00000000"
    with pytest.raises(KeyError) as missing:
        tf.sim.change_key(secret, api_access=False)
    assert secret not in str(missing.value)
