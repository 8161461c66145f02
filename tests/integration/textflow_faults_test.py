"""The TextFlow client under every fault the sandbox can inject: nothing doubled, nothing lost."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from contactdesk.core.errors import NetworkError, NotFound, ProviderError
from contactdesk.core.models import Contact
from contactdesk.providers.textflow import TextFlowClient
from contactdesk.sandbox.server import FaultPlan
from tests.integration.textflow_support import TextFlowEnv, running_textflow

NEW_PHONE = "+14155552671"
NEW = Contact(phone=NEW_PHONE, first_name="Rina", last_name="Das", tags=("vip",))


@pytest.fixture(scope="module")
def shared_env() -> Iterator[TextFlowEnv]:
    with running_textflow() as env:
        yield env


@pytest.fixture
def client(env: TextFlowEnv) -> TextFlowClient:
    return env.client(timeout=(3.0, 0.5))[0]


def _holders(env: TextFlowEnv, phone: str = NEW_PHONE) -> list[int]:
    return [w["id"] for w in env.sim.contacts() if w["phone_number"] == phone]


# -- creates: exactly one contact, whatever happened to the answer ---------------------------


@pytest.mark.parametrize(
    "plan",
    [
        FaultPlan(reset_after_write=1.0, limit=1),
        FaultPlan(reset_before_write=1.0, limit=1),
        FaultPlan(error_rate=1.0, limit=1),
        FaultPlan(truncate_rate=1.0, limit=1),
        FaultPlan(non_json_rate=1.0, limit=1),
        FaultPlan(html_proxy_rate=1.0, limit=1),
        FaultPlan(reset_after_write=1.0),  # every write dropped after it was applied
    ],
    ids=[
        "reset-after-write",
        "reset-before-write",
        "5xx",
        "truncated",
        "non-json",
        "html-proxy",
        "always-reset-after-write",
    ],
)
def test_create_never_makes_a_duplicate(
    client: TextFlowClient, env: TextFlowEnv, plan: FaultPlan
) -> None:
    env.server.faults = plan
    created = client.create_contact(NEW)
    env.server.clear_faults()
    assert _holders(env) == [int(created.remote_id or 0)]
    assert (created.first_name, created.tags) == ("Rina", ("vip",))


def test_a_lost_create_found_under_someone_elses_name_is_a_duplicate(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    """The phone turned up, but not with our details: it is not ours to claim."""
    env.sim.create_directly(NEW_PHONE, firstName="Other")
    env.server.faults = FaultPlan(error_rate=1.0, limit=1)
    with pytest.raises(ProviderError) as info:
        client.create_contact(NEW)
    assert type(info.value).__name__ == "Duplicate"
    assert len(_holders(env)) == 1


def test_create_gives_up_cleanly_when_nothing_gets_through(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    env.server.faults = FaultPlan(reset_before_write=1.0)
    with pytest.raises(NetworkError) as info:
        client.create_contact(NEW)
    assert info.value.uncertain  # the caller keeps the edit pending and checks later
    env.server.clear_faults()
    assert _holders(env) == []


# -- reads recover ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plan",
    [
        FaultPlan(error_rate=1.0, limit=3),
        FaultPlan(html_proxy_rate=1.0, limit=3),
        FaultPlan(truncate_rate=1.0, limit=3),
        FaultPlan(non_json_rate=1.0, limit=3),
        FaultPlan(error_rate=0.3, truncate_rate=0.2, seed=5, limit=3),  # never 4 in a row
    ],
    ids=["5xx", "html-proxy", "truncated", "non-json", "mixed"],
)
def test_reads_recover(client: TextFlowClient, env: TextFlowEnv, plan: FaultPlan) -> None:
    env.server.faults = plan
    for _ in range(4):
        everyone = client.list_all()
        one = client.get_contact(everyone[0].remote_id or "")
        assert len(everyone) == 120
        assert one == everyone[0]
    assert env.server.injector.stats.injected >= 3


def test_a_hanging_read_ends_at_the_timeout(client: TextFlowClient, env: TextFlowEnv) -> None:
    env.server.faults = FaultPlan(hang_rate=1.0)
    with pytest.raises(NetworkError) as info:
        client.list_contacts()
    assert "took too long to answer" in info.value.message


# -- updates and deletes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "plan",
    [
        FaultPlan(reset_after_write=1.0, limit=1),
        FaultPlan(reset_before_write=1.0, limit=1),
        FaultPlan(error_rate=1.0, limit=2),
        FaultPlan(truncate_rate=1.0, limit=1),
    ],
    ids=["reset-after-write", "reset-before-write", "5xx", "truncated"],
)
def test_update_recovers(client: TextFlowClient, env: TextFlowEnv, plan: FaultPlan) -> None:
    base = client.get_contact(str(env.sim.contacts()[0]["id"]))
    env.server.faults = plan
    saved = client.update_contact(base.with_changes(first_name="Edited"), base=base)
    assert saved.first_name == "Edited"
    assert env.sim.contact(int(base.remote_id or 0))["first_name"] == "Edited"  # type: ignore[index]


@pytest.mark.parametrize(
    "plan",
    [
        FaultPlan(reset_after_write=1.0, limit=1),
        FaultPlan(reset_before_write=1.0, limit=1),
        FaultPlan(error_rate=1.0, limit=1),
        FaultPlan(truncate_rate=1.0, limit=1),
    ],
    ids=["reset-after-write", "reset-before-write", "5xx", "truncated"],
)
def test_delete_with_a_lost_answer_counts_as_done(
    client: TextFlowClient, env: TextFlowEnv, plan: FaultPlan
) -> None:
    wire = env.sim.contacts()[0]
    env.server.faults = plan
    client.delete_contact(str(wire["id"]))
    assert env.sim.contact(wire["id"]) is None


def test_a_plain_delete_of_a_gone_contact_is_still_not_found(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    wire = env.sim.contacts()[0]
    env.sim.delete_directly(wire["id"])
    with pytest.raises(NotFound):
        client.delete_contact(str(wire["id"]))


# -- the key stays secret ------------------------------------------------------------------


def test_the_key_never_appears_anywhere(env: TextFlowEnv, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = env.sim.api_key
    client, _ = env.client(timeout=(3.0, 0.3))
    wrong, _ = env.client("sk_live_" + "W" * 32, timeout=(3.0, 0.3))
    existing = env.sim.contacts()[0]
    calls: list[Callable[[], object]] = [
        lambda: client.get_contact("99999"),
        lambda: client.create_contact(Contact(phone=existing["phone_number"])),
        lambda: client.create_contact(Contact(phone=NEW_PHONE, email="bad@")),
        lambda: client.create_contact(Contact(phone="+447911123456")),
        wrong.list_contacts,
        lambda: wrong.create_contact(NEW),
    ]
    errors: list[ProviderError] = []

    def run_all() -> None:
        for call in calls:
            try:
                call()
            except ProviderError as err:
                errors.append(err)

    run_all()
    for plan in (
        FaultPlan(error_rate=1.0),
        FaultPlan(html_proxy_rate=1.0),
        FaultPlan(truncate_rate=1.0),
        FaultPlan(non_json_rate=1.0),
        FaultPlan(reset_before_write=1.0, hang_rate=1.0),
    ):
        env.server.faults = plan
        run_all()
    env.server.clear_faults()
    texts = [repr(client), repr(client.limiter), caplog.text]
    for err in errors:
        texts += [str(err), repr(err), err.message, err.detail or ""]
        if getattr(err, "existing", None) is not None:
            texts.append(repr(err.existing))  # type: ignore[attr-defined]
    assert len(errors) >= 30
    assert {type(e).__name__ for e in errors} >= {
        "NotFound",
        "Duplicate",
        "ValidationFailed",
        "AuthRefused",
        "ServerError",
        "UnexpectedAnswer",
        "NetworkError",
    }
    assert all(key not in text for text in texts)
    assert all("W" * 32 not in text for text in texts)
