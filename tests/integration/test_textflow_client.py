"""The TextFlow client against the simulator over real HTTP: every endpoint and its rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contactdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from contactdesk.core.models import Contact, Page
from contactdesk.core.schema import FieldType
from contactdesk.providers.base import Provider
from contactdesk.providers.textflow import TextFlowClient, normalize_base_url
from contactdesk.providers.textflow_schema import ENTERPRISE, MARKETER, STARTER
from tests.integration.textflow_support import TextFlowEnv, running_textflow

NEW_PHONE = "+14155552671"


@pytest.fixture(scope="module")
def shared_env() -> Iterator[TextFlowEnv]:
    with running_textflow() as env:
        yield env


@pytest.fixture
def client(env: TextFlowEnv) -> TextFlowClient:
    return env.client()[0]


def _wire(env: TextFlowEnv, contact_id: str | None) -> dict[str, Any]:
    assert contact_id is not None
    found = env.sim.contact(int(contact_id))
    assert found is not None
    return found


def _a_contact(env: TextFlowEnv, **where: Any) -> dict[str, Any]:
    for wire in env.sim.contacts():
        if all(wire.get(k) == v for k, v in where.items()):
            return wire
    raise AssertionError(f"no practice contact with {where}")


# -- the declared shape ------------------------------------------------------------------


def test_is_a_provider_with_textflow_capabilities(client: TextFlowClient) -> None:
    assert isinstance(client, Provider)
    caps = client.capabilities
    assert (caps.groups, caps.tags, caps.server_search, caps.server_dedupes) == (
        False,
        True,
        True,
        True,
    )
    assert caps.max_page_size == 100
    assert [p.requests for p in caps.rate_plans] == [100, 300, None]
    assert (STARTER.requests, MARKETER.requests, ENTERPRISE.requests) == (100, 300, None)


def test_fields_describe_the_editor(client: TextFlowClient) -> None:
    by_key = {f.key: f for f in client.fields}
    assert list(by_key) == [
        "phone",
        "first_name",
        "last_name",
        "email",
        "tags",
        "custom_fields",
        "consent_status",
        "opted_out",
        "created_at",
        "updated_at",
    ]
    assert by_key["phone"].required
    assert by_key["consent_status"].type is FieldType.CHOICE
    assert by_key["consent_status"].choices == ("explicit", "implicit", "implied")
    assert not by_key["opted_out"].editable
    assert not by_key["created_at"].editable
    assert not by_key["updated_at"].editable
    phone_check = by_key["phone"].validator
    email_check = by_key["email"].validator
    assert phone_check is not None
    assert email_check is not None
    assert phone_check("(415) 555-2671") is None
    assert "only US and Canadian" in (phone_check("+44 7911 123456") or "")
    assert "too short" in (phone_check("415 555 267") or "")
    assert email_check("rina@example.com") is None
    assert email_check("") is None
    assert email_check("rina@") is not None


def test_groups_are_not_a_textflow_thing(client: TextFlowClient) -> None:
    assert client.list_groups() == []
    with pytest.raises(PermissionDenied, match="tags"):
        client.create_group("VIP")


# -- reading -------------------------------------------------------------------------------


def test_list_pages_of_a_hundred_newest_first(client: TextFlowClient, env: TextFlowEnv) -> None:
    first = client.list_contacts()
    assert (first.page, first.pages, first.total, len(first.items)) == (1, 2, 120, 100)
    second = client.list_contacts(page=2)
    assert len(second.items) == 20
    assert second.is_last
    wire = env.sim.contacts()
    assert [c.remote_id for c in first.items + second.items] == [str(w["id"]) for w in wire]


def test_contacts_are_read_from_snake_case(client: TextFlowClient, env: TextFlowEnv) -> None:
    wire = _a_contact(env, is_opted_out=True)
    contact = client.get_contact(str(wire["id"]))
    assert contact.remote_id == str(wire["id"])
    assert contact.uuid == wire["uuid"]
    assert contact.phone == wire["phone_number"]
    assert contact.phone.startswith("+1")
    assert (contact.first_name, contact.last_name, contact.email) == (
        wire["first_name"],
        wire["last_name"],
        wire["email"],
    )
    assert contact.tags == tuple(wire["tags"])
    assert dict(contact.custom_fields) == wire["custom_fields"]
    assert contact.consent_status == wire["consent_status"]
    assert contact.opted_out is True
    assert contact.updated_at == wire["updated_at"]


def test_get_by_id_or_uuid(client: TextFlowClient, env: TextFlowEnv) -> None:
    wire = env.sim.contacts()[5]
    by_id = client.get_contact(str(wire["id"]))
    by_uuid = client.get_contact(wire["uuid"])
    assert by_id == by_uuid


def test_list_all_reads_every_page_and_reports_each(client: TextFlowClient) -> None:
    pages: list[Page[Contact]] = []
    everyone = client.list_all(on_page=pages.append)
    assert len(everyone) == 120
    assert len({c.remote_id for c in everyone}) == 120
    assert [p.page for p in pages] == [1, 2]


def test_list_all_keeps_a_contact_once_when_the_list_shifts(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    """Someone adds a contact while we read: page 2 starts one later, nothing is doubled."""

    def colleague_adds(page: Page[Contact]) -> None:
        if page.page == 1:
            env.sim.create_directly("+12025550143", firstName="New")

    everyone = client.list_all(on_page=colleague_adds)
    ids = [c.remote_id for c in everyone]
    assert len(ids) == len(set(ids)) == 120


def test_search_and_tags(client: TextFlowClient, env: TextFlowEnv) -> None:
    wire = env.sim.contacts()[7]
    digits = wire["phone_number"][-7:]
    assert str(wire["id"]) in {c.remote_id for c in client.list_all(search=digits)}
    by_tag = client.list_all(tags=["vip"])
    assert by_tag
    assert all("vip" in c.tags for c in by_tag)
    either = client.list_all(tags=["vip", "staff"])
    assert len(either) >= len(by_tag)
    assert all({"vip", "staff"} & set(c.tags) for c in either)


def test_find_by_phone_is_exact(client: TextFlowClient, env: TextFlowEnv) -> None:
    wire = env.sim.contacts()[3]
    found = client.find_by_phone(wire["phone_number"])
    assert [c.remote_id for c in found] == [str(wire["id"])]
    assert client.find_by_phone("+12025550199") == []
    assert client.find_by_phone("+447911123456") == []  # cannot be on TextFlow at all


# -- writing -------------------------------------------------------------------------------


def test_create_sends_camel_case_and_reads_the_answer(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    new = Contact(
        phone=NEW_PHONE,
        first_name="Rina",
        last_name="Das",
        email="rina@example.com",
        tags=("customer", "vip"),
        custom_fields={"company": "Acme Inc"},
        consent_status="explicit",
    )
    created = client.create_contact(new)
    assert created.remote_id is not None
    assert created.opted_out is None  # the create answer leaves the flag out: unknown
    stored = _wire(env, created.remote_id)
    assert stored["phone_number"] == NEW_PHONE
    assert (stored["first_name"], stored["last_name"], stored["email"]) == (
        "Rina",
        "Das",
        "rina@example.com",
    )
    assert stored["tags"] == ["customer", "vip"]
    assert stored["custom_fields"] == {"company": "Acme Inc"}
    assert stored["consent_status"] == "explicit"
    assert created == created.with_changes(
        first_name="Rina", tags=("customer", "vip"), custom_fields={"company": "Acme Inc"}
    )


def test_create_refuses_what_textflow_would_refuse_before_sending(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    before = env.sim.usage().total
    with pytest.raises(ValidationFailed) as info:
        client.create_contact(Contact(phone="+447911123456", first_name="Abroad"))
    assert info.value.field == "phone"
    assert "only US and Canadian" in info.value.message
    with pytest.raises(ValidationFailed) as bad_consent:
        client.create_contact(Contact(phone=NEW_PHONE, consent_status="maybe"))
    assert bad_consent.value.field == "consent_status"
    assert env.sim.usage().total == before


def test_update_with_base_sends_only_what_changed(client: TextFlowClient, env: TextFlowEnv) -> None:
    """A colleague changed the last name meanwhile; our first-name edit must not undo it."""
    wire = _a_contact(env, is_opted_out=False)
    base = client.get_contact(str(wire["id"]))
    env.sim.update_directly(wire["id"], lastName="Colleague")
    saved = client.update_contact(base.with_changes(first_name="Edited"), base=base)
    stored = _wire(env, base.remote_id)
    assert stored["first_name"] == "Edited"
    assert stored["last_name"] == "Colleague"
    assert saved.first_name == "Edited"
    assert saved.last_name == "Colleague"
    assert saved.opted_out is None  # not in the update answer: unknown, not False


def test_tags_and_custom_fields_are_sent_whole(client: TextFlowClient, env: TextFlowEnv) -> None:
    wire = next(w for w in env.sim.contacts() if w["tags"] and len(w["custom_fields"]) == 2)
    base = client.get_contact(str(wire["id"]))
    one_more = (*base.tags, "newsletter")
    fields = {**base.custom_fields, "city": "Boston"}
    client.update_contact(base.with_changes(tags=one_more, custom_fields=fields), base=base)
    stored = _wire(env, base.remote_id)
    assert stored["tags"] == list(one_more)  # not just ["newsletter"]
    assert stored["custom_fields"] == fields  # the company is still there
    fewer = base.with_changes(tags=one_more[1:], custom_fields=fields)
    client.update_contact(fewer, base=base.with_changes(tags=one_more, custom_fields=fields))
    assert _wire(env, base.remote_id)["tags"] == list(one_more[1:])


def test_update_without_changes_sends_nothing(client: TextFlowClient, env: TextFlowEnv) -> None:
    base = client.get_contact(str(env.sim.contacts()[0]["id"]))
    before = _wire(env, base.remote_id)["updated_at"]
    env.sim.clock.advance(5)
    again = client.update_contact(base, base=base)
    assert _wire(env, base.remote_id)["updated_at"] == before
    assert again == base


def test_update_without_base_sends_everything_and_can_clear(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    wire = next(w for w in env.sim.contacts() if w["email"])
    current = client.get_contact(str(wire["id"]))
    client.update_contact(current.with_changes(email=None, tags=()))
    stored = _wire(env, current.remote_id)
    assert stored["email"] is None
    assert stored["tags"] == []
    assert stored["first_name"] == wire["first_name"]


def test_update_can_change_the_phone(client: TextFlowClient, env: TextFlowEnv) -> None:
    base = client.get_contact(str(env.sim.contacts()[2]["id"]))
    saved = client.update_contact(base.with_changes(phone=NEW_PHONE), base=base)
    assert saved.phone == NEW_PHONE
    assert _wire(env, base.remote_id)["phone_number"] == NEW_PHONE


def test_opt_out_is_never_written(client: TextFlowClient, env: TextFlowEnv) -> None:
    wire = _a_contact(env, is_opted_out=True)
    base = client.get_contact(str(wire["id"]))
    client.update_contact(base.with_changes(first_name="Still", opted_out=False), base=base)
    client.update_contact(base.with_changes(opted_out=False))
    assert _wire(env, base.remote_id)["is_opted_out"] is True


def test_delete_then_it_is_gone(client: TextFlowClient, env: TextFlowEnv) -> None:
    wire = env.sim.contacts()[1]
    client.delete_contact(str(wire["id"]))
    assert env.sim.contact(wire["id"]) is None
    with pytest.raises(NotFound):
        client.get_contact(wire["uuid"])
    with pytest.raises(NotFound):
        client.delete_contact(str(wire["id"]))


def test_ids_that_cannot_be_textflow_ids_are_not_sent(
    client: TextFlowClient, env: TextFlowEnv
) -> None:
    before = env.sim.usage().total
    with pytest.raises(NotFound):
        client.get_contact("../../admin")
    with pytest.raises(ValidationFailed):
        client.update_contact(Contact(phone=NEW_PHONE))  # never created
    assert env.sim.usage().total == before


def test_a_stray_space_in_the_key_is_forgiven_an_empty_key_is_not(env: TextFlowEnv) -> None:
    client = TextFlowClient(env.base_url, f"  {env.sim.api_key}\n")
    try:
        assert client.list_contacts().total == 120
    finally:
        client.close()
    with pytest.raises(Exception, match="key is empty"):
        TextFlowClient(env.base_url, "   ")


@pytest.mark.parametrize(
    ("pasted", "base"),
    [
        ("https://textflow.telair.net", "https://textflow.telair.net/api"),
        ("https://textflow.telair.net/api/", "https://textflow.telair.net/api"),
        ("https://textflow.telair.net/api/v1/contacts", "https://textflow.telair.net/api"),
        (" HTTPS://staging.example.com/tf/api/v1 ", "https://staging.example.com/tf/api"),
    ],
)
def test_pasted_addresses_are_normalized(pasted: str, base: str) -> None:
    assert normalize_base_url(pasted) == base


@pytest.mark.parametrize(
    "pasted", ["textflow.telair.net", "https://textflow.telair.net/api?key=1", "ftp://x/api"]
)
def test_unusable_addresses_are_refused(pasted: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        normalize_base_url(pasted)
    assert info.value.field == "base_url"


def test_the_bare_simulator_address_works(env: TextFlowEnv) -> None:
    client = TextFlowClient(env.server.root_url, env.sim.api_key)
    try:
        assert client.base_url == env.base_url
        assert client.list_contacts().total == 120
    finally:
        client.close()
