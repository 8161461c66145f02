"""Every row of TextFlow's error table, as the client reports it, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from contactdesk.core.errors import (
    AuthRefused,
    Duplicate,
    LimitReached,
    NotFound,
    PermissionDenied,
    ProviderError,
    ServerError,
    UnexpectedAnswer,
    ValidationFailed,
)
from contactdesk.core.models import Contact
from contactdesk.providers import textflow_answers as answers
from contactdesk.providers.http import HttpPolicy
from contactdesk.providers.ratelimit import RateLimiter
from contactdesk.providers.textflow import TextFlowClient
from contactdesk.sandbox.server import FaultPlan
from contactdesk.sandbox.textflow_limits import ApiKeySpec
from tests.integration.textflow_support import LinkedClock, TextFlowEnv, running_textflow

REVOKED = "sk_test_revoked_key_00000000000000002"
DISABLED = "sk_test_disabled_key_0000000000000001"
CAPPED = "sk_test_capped_key_000000000000000003"
KEYS = (
    ApiKeySpec(REVOKED, active=False),
    ApiKeySpec(DISABLED, api_access=False),
    ApiKeySpec(CAPPED, contact_limit=120),
)
NEW_PHONE = "+14155552671"


@pytest.fixture(scope="module")
def shared_env() -> Iterator[TextFlowEnv]:
    with running_textflow(keys=KEYS) as env:
        yield env


@pytest.fixture
def client(env: TextFlowEnv) -> TextFlowClient:
    return env.client()[0]


def _raw(env: TextFlowEnv, method: str, path: str, body: Any, *, key: str | None) -> None:
    """Send a body the client itself would never send, and read the answer like the client."""
    auth = {"X-API-Key": key} if key else {}
    policy = HttpPolicy(env.base_url, auth_headers=auth, limiter=RateLimiter(None))
    try:
        policy.request(
            method,
            path,
            interpret=answers.interpreter(answers.one_contact, lambda t: t),
            json=body,
            idempotent=False,
        )
    finally:
        policy.close()


# -- 400 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phoneNumber": "12345"}, "phone"),
        ({"firstName": "No phone"}, "phone"),
        ({"phoneNumber": "4155552671", "consentStatus": "maybe"}, "consent_status"),
        ({"phoneNumber": "4155552671", "email": "not-an-address"}, "email"),
    ],
    ids=["invalid-phone", "phone-required", "invalid-consent", "invalid-email"],
)
def test_400_names_the_field(env: TextFlowEnv, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        _raw(env, "POST", "/v1/contacts", body, key=env.sim.api_key)
    assert info.value.field == field
    assert "TextFlow refused" in info.value.message
    assert info.value.detail is not None
    assert info.value.detail.startswith("HTTP 400")


def test_invalid_email_from_the_client(client: TextFlowClient, env: TextFlowEnv) -> None:
    with pytest.raises(ValidationFailed) as info:
        client.create_contact(Contact(phone=NEW_PHONE, email="rina at example"))
    assert info.value.field == "email"
    assert info.value.message.startswith("TextFlow refused the email address.")
    assert "Invalid email" in (info.value.detail or "")
    assert client.find_by_phone(NEW_PHONE) == []


# -- 401 / 403 -------------------------------------------------------------------------------


def test_401_missing_key(env: TextFlowEnv) -> None:
    with pytest.raises(AuthRefused) as info:
        _raw(env, "POST", "/v1/contacts", {"phoneNumber": "4155552671"}, key=None)
    assert "API key required" in (info.value.detail or "")


def test_401_revoked_key(env: TextFlowEnv) -> None:
    client, _ = env.client(REVOKED)
    with pytest.raises(AuthRefused) as info:
        client.list_contacts()
    assert info.value.message == "The key was refused. Open account settings to paste a new key."
    assert "Invalid or inactive API key" in (info.value.detail or "")
    assert REVOKED not in str(info.value.detail)


def test_403_no_api_access(env: TextFlowEnv) -> None:
    client, _ = env.client(DISABLED)
    with pytest.raises(PermissionDenied) as info:
        client.get_contact("1")
    assert "does not include API access" in info.value.message


def test_403_contact_limit(env: TextFlowEnv) -> None:
    client, _ = env.client(CAPPED)
    with pytest.raises(LimitReached) as info:
        client.create_contact(Contact(phone=NEW_PHONE))
    assert "contact limit is reached" in info.value.message
    assert env.sim.contacts()[0]["phone_number"] != NEW_PHONE


def test_403_when_the_key_loses_access_while_in_use(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    client.list_contacts()
    env.sim.change_key(env.sim.api_key, api_access=False)
    with pytest.raises(PermissionDenied):
        client.list_contacts()


# -- 404 -------------------------------------------------------------------------------------


def test_404_for_a_deleted_contact_on_every_verb(client: TextFlowClient, env: TextFlowEnv) -> None:
    wire = env.sim.contacts()[4]
    contact = client.get_contact(str(wire["id"]))
    env.sim.delete_directly(wire["id"])
    with pytest.raises(NotFound) as info:
        client.get_contact(str(wire["id"]))
    assert info.value.message == answers.CONTACT_GONE
    with pytest.raises(NotFound):
        client.update_contact(contact.with_changes(first_name="Late"), base=contact)
    with pytest.raises(NotFound):
        client.delete_contact(wire["uuid"])
    with pytest.raises(NotFound):
        client.get_contact("00000000-0000-4000-8000-000000000000")


def test_a_wrong_base_url_says_to_check_the_address(env: TextFlowEnv) -> None:
    clock = LinkedClock(env.sim.clock)
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    # a proxy prefix that does not exist
    client = TextFlowClient(env.server.root_url + "/textflow", env.sim.api_key, limiter=limiter)
    try:
        with pytest.raises(UnexpectedAnswer) as info:
            client.list_contacts()
    finally:
        client.close()
    assert "Check the server address" in info.value.message


# -- 409 -------------------------------------------------------------------------------------


def test_409_on_create_carries_the_existing_contact(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    holder = env.sim.contacts()[9]
    with pytest.raises(Duplicate) as info:
        client.create_contact(Contact(phone=holder["phone_number"], first_name="Twin"))
    assert info.value.existing is not None
    assert info.value.existing.remote_id == str(holder["id"])
    assert info.value.existing.first_name == holder["first_name"]
    assert "already exists" in info.value.message


def test_409_on_update_to_a_taken_phone(client: TextFlowClient, env: TextFlowEnv) -> None:
    one, other = env.sim.contacts()[10:12]
    base = client.get_contact(str(one["id"]))
    with pytest.raises(Duplicate) as info:
        client.update_contact(base.with_changes(phone=other["phone_number"]), base=base)
    assert info.value.existing is not None
    assert info.value.existing.remote_id == str(other["id"])


def test_a_deleted_contacts_phone_may_be_used_again(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    gone = env.sim.contacts()[12]
    client.delete_contact(str(gone["id"]))
    again = client.create_contact(Contact(phone=gone["phone_number"], first_name="Back"))
    assert again.remote_id != str(gone["id"])


# -- 429 / 5xx -------------------------------------------------------------------------------


def test_429_is_waited_out_then_the_call_succeeds(env: TextFlowEnv) -> None:
    """Another program spent the key's whole minute; we wait for the window, once."""
    client, clock = env.client()
    with requests.Session() as spender:
        for _ in range(300):
            spender.get(
                env.base_url + "/v1/contacts",
                params={"limit": 1},
                headers={"X-API-Key": env.sim.api_key},
                timeout=5,
            )
    now = env.sim.clock.now()
    window_left = (now // 60 + 1) * 60 - now
    page = client.list_contacts()
    assert page.total == 120
    usage = env.sim.usage()
    assert usage.rejected == 1  # our one refused request; then we waited
    assert sum(clock.sleeps) == pytest.approx(window_left, abs=1.0)


def test_5xx_becomes_server_error_in_plain_words(client: TextFlowClient, env: TextFlowEnv) -> None:
    env.server.faults = FaultPlan(error_rate=1.0)
    with pytest.raises(ServerError) as info:
        client.list_contacts()
    assert info.value.message == answers.SERVER_FAILED
    env.server.faults = FaultPlan(html_proxy_rate=1.0)
    with pytest.raises(ServerError) as html:
        client.get_contact("1")
    assert "gateway" in html.value.message
    assert "<html>" not in html.value.message


def test_every_message_is_plain_words(client: TextFlowClient, env: TextFlowEnv) -> None:
    errors: list[ProviderError] = []
    for attempt in (
        lambda: client.get_contact("999999"),
        lambda: client.create_contact(Contact(phone=env.sim.contacts()[0]["phone_number"])),
        lambda: client.create_contact(Contact(phone=NEW_PHONE, email="x@")),
        env.client(REVOKED)[0].list_contacts,
    ):
        with pytest.raises(ProviderError) as info:
            attempt()
        errors.append(info.value)
    for err in errors:
        assert err.message.endswith((".", "?"))
        assert not any(code in err.message for code in ("HTTP", "{", "_NOT_", "INVALID"))
