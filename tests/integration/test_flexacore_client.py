"""FlexacoreClient over real HTTP against the Flexacore simulator: every endpoint, and every
row of the contract's §7 error matrix that a correct client can meet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contactdesk.core.errors import (
    AuthRefused,
    NotFound,
    PermissionDenied,
    UnexpectedAnswer,
    ValidationFailed,
)
from contactdesk.core.models import Contact
from contactdesk.providers.base import Provider
from contactdesk.providers.flexacore import FlexacoreClient
from contactdesk.sandbox.flexacore import ALL_PERMISSIONS, FlexacoreConfig, FlexacoreSim
from contactdesk.sandbox.server import SandboxServer
from tests.integration.flexacore_helpers import OldPhoneLibrary, Prefixed, client_for, running


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FlexacoreSim, SandboxServer]]:
    # one server for the module (stopping one takes half a second); each test gets fresh data
    with running() as pair:
        yield pair


@pytest.fixture
def sim(served: tuple[FlexacoreSim, SandboxServer]) -> FlexacoreSim:
    sim, server = served
    sim.reset(FlexacoreConfig.preset("small"))
    server.clear_faults()
    return sim


@pytest.fixture
def server(served: tuple[FlexacoreSim, SandboxServer]) -> SandboxServer:
    return served[1]


@pytest.fixture
def client(sim: FlexacoreSim, server: SandboxServer) -> Iterator[FlexacoreClient]:
    c = client_for(server, sim.token)
    yield c
    c.close()


@pytest.fixture
def make_client(server: SandboxServer) -> Iterator[Callable[..., FlexacoreClient]]:
    """Clients with other tokens or settings, closed after the test."""
    made: list[FlexacoreClient] = []

    def make(token: str, **kwargs: Any) -> FlexacoreClient:
        made.append(client_for(server, token, **kwargs))
        return made[-1]

    yield make
    for c in made:
        c.close()


@pytest.fixture
def big_group(sim: FlexacoreSim) -> str:
    """The largest group of the small preset (60 contacts: three pages)."""
    return max(sim.group_uids(), key=lambda uid: len(sim.contacts_in(uid)))


def requests_seen(server: SandboxServer) -> int:
    return server.injector.stats.requests


# -- the provider contract --------------------------------------------------------------------


def test_client_is_a_provider_with_flexacore_capabilities(client: FlexacoreClient) -> None:
    assert isinstance(client, Provider)
    caps = client.capabilities
    assert caps.groups
    assert not caps.tags
    assert not caps.server_search
    assert not caps.custom_fields
    assert not caps.consent
    assert not caps.opt_out_visible
    assert caps.page_size == 25
    assert caps.create_may_send_sms
    assert not caps.server_dedupes
    assert [f.key for f in client.fields] == ["phone", "first_name", "last_name"]
    phone = client.fields[0]
    assert phone.required
    assert phone.validator is not None
    assert phone.validator("+447911123456") is None
    assert phone.validator("+0170000") is not None


# -- groups -----------------------------------------------------------------------------------


def test_list_groups_returns_only_the_callers_groups(
    sim: FlexacoreSim, client: FlexacoreClient
) -> None:
    groups = client.list_groups()
    assert [g.remote_id for g in groups] == sim.group_uids()
    assert sim.other_group_uid not in {g.remote_id for g in groups}
    assert all(g.name for g in groups)


def test_list_groups_reads_every_page(sim: FlexacoreSim, client: FlexacoreClient) -> None:
    for n in range(60):
        sim.add_group(f"Extra {n:02d}")
    groups = client.list_groups()
    assert len(groups) == len(sim.group_uids()) == 63
    assert len({g.remote_id for g in groups}) == 63


def test_create_view_rename_delete_group(sim: FlexacoreSim, client: FlexacoreClient) -> None:
    made = client.create_group("  Volunteers  ")
    assert made.name == "Volunteers"
    row = sim.group(made.remote_id)
    assert row is not None
    assert row.name == "Volunteers"
    assert client.get_group(made.remote_id.upper()).name == "Volunteers"  # uids ignore case

    renamed = client.rename_group(made.remote_id, "Helpers")
    assert renamed.name == "Helpers"
    assert sim.group(made.remote_id).name == "Helpers"  # type: ignore[union-attr]

    client.delete_group(made.remote_id)
    assert sim.group(made.remote_id) is None


def test_duplicate_group_name_is_refused_before_sending(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient
) -> None:
    sim.add_group("Café Regulars")
    before_groups = len(sim.group_uids())
    with pytest.raises(ValidationFailed, match="already exists") as caught:
        client.create_group("CAFE regulars")
    assert caught.value.field == "name"
    assert len(sim.group_uids()) == before_groups


def test_rename_to_a_name_in_use_is_refused(sim: FlexacoreSim, client: FlexacoreClient) -> None:
    first, second = sim.group_uids()[:2]
    taken = sim.group(second).name  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed, match="already exists"):
        client.rename_group(first, taken.upper())
    # renaming a group to its own name (another case) is fine
    own = sim.group(first).name  # type: ignore[union-attr]
    assert client.rename_group(first, own.lower()).name == own.lower()


def test_rename_without_sending_server_says_what_to_set(
    sim: FlexacoreSim, make_client: Callable[..., FlexacoreClient]
) -> None:
    client = make_client(sim.token, sending_server=None)
    uid = sim.group_uids()[0]
    with pytest.raises(ValidationFailed) as caught:
        client.rename_group(uid, "New name")
    assert caught.value.field == "sending_server"
    assert "account settings" in caught.value.message
    assert sim.group(uid).name != "New name"  # type: ignore[union-attr]


def test_rename_works_without_sending_server_on_a_build_that_does_not_need_it(
    sim: FlexacoreSim, make_client: Callable[..., FlexacoreClient]
) -> None:
    sim.configure(sending_server_required=False)
    client = make_client(sim.token, sending_server=None)
    uid = sim.group_uids()[0]
    assert client.rename_group(uid, "Plain rename").name == "Plain rename"


def test_rename_with_an_unknown_sending_server_is_a_validation_error(
    sim: FlexacoreSim, make_client: Callable[..., FlexacoreClient]
) -> None:
    client = make_client(sim.token, sending_server=99)
    with pytest.raises(ValidationFailed) as caught:
        client.rename_group(sim.group_uids()[0], "Anything")
    assert caught.value.field == "sending_server"
    assert caught.value.detail is not None
    assert "SQLSTATE" in caught.value.detail
    assert "SQLSTATE" not in caught.value.message


def test_unknown_group_is_not_found(client: FlexacoreClient) -> None:
    for call in (
        lambda: client.get_group("6065ecdc9184f"),
        lambda: client.delete_group("6065ecdc9184f"),
        lambda: client.list_contacts(group_id="6065ecdc9184f"),
        lambda: client.rename_group("6065ecdc9184f", "Nope"),
    ):
        with pytest.raises(NotFound, match="group no longer exists"):
            call()


# -- listing contacts -------------------------------------------------------------------------


def test_list_contacts_pages(sim: FlexacoreSim, client: FlexacoreClient, big_group: str) -> None:
    rows = sim.contacts_in(big_group)
    first = client.list_contacts(group_id=big_group)
    assert (first.page, first.pages, first.total) == (1, 3, 60)
    assert [c.remote_id for c in first.items] == [r.uid for r in rows[:25]]
    last = client.list_contacts(group_id=big_group, page=3)
    assert last.is_last
    assert [c.remote_id for c in last.items] == [r.uid for r in rows[50:]]
    beyond = client.list_contacts(group_id=big_group, page=9)
    assert beyond.items == ()
    assert beyond.total == 60


def test_list_all_returns_every_contact_once_in_server_order(
    sim: FlexacoreSim, client: FlexacoreClient, big_group: str
) -> None:
    rows = sim.contacts_in(big_group)
    contacts = client.list_all(group_id=big_group)
    assert [c.remote_id for c in contacts] == [r.uid for r in rows]
    by_uid = {r.uid: r for r in rows}
    for contact in contacts:
        row = by_uid[contact.remote_id]  # type: ignore[index]
        assert contact.phone.lstrip("+") == row.phone.lstrip("+")
        assert contact.phone.startswith("+")
        assert (contact.first_name, contact.last_name) == (row.first_name, row.last_name)
        assert contact.group_id == big_group


def test_list_all_of_an_empty_group(sim: FlexacoreSim, client: FlexacoreClient) -> None:
    empty = sim.add_group("Empty")
    assert client.list_all(group_id=empty.uid) == []


def test_phone_stored_as_a_json_number_is_read(sim: FlexacoreSim, client: FlexacoreClient) -> None:
    uid = sim.group_uids()[0]
    row = sim.add_contact(uid, 447911123456, "Numeric", None)  # type: ignore[arg-type]
    found = client.get_contact(row.uid, group_id=uid)
    assert found.phone == "+447911123456"
    assert row.uid in {c.remote_id for c in client.list_all(group_id=uid)}


def test_any_base_url_form_reaches_the_api(sim: FlexacoreSim, server: SandboxServer) -> None:
    for base in (
        server.root_url,
        server.root_url + "/",
        server.root_url + "/api/v3/",
        server.root_url + "/api/v3/contacts",
    ):
        client = FlexacoreClient(base, sim.token)
        assert len(client.list_groups()) == 3
        client.close()


def test_a_deployment_below_a_path_prefix_works() -> None:
    sim = FlexacoreSim(FlexacoreConfig.preset("small"))
    with SandboxServer(Prefixed(sim, "/ultimate")) as server:
        client = FlexacoreClient(server.root_url + "/ultimate/", sim.token)
        group = sim.group_uids()[1]
        assert len(client.list_all(group_id=group)) == len(sim.contacts_in(group))
        client.close()


def test_server_search_is_refused_in_plain_words(client: FlexacoreClient, big_group: str) -> None:
    with pytest.raises(ValidationFailed, match="cannot search"):
        client.list_contacts(group_id=big_group, search="Rina")


def test_a_group_is_needed(client: FlexacoreClient) -> None:
    with pytest.raises(ValidationFailed, match="Choose a group"):
        client.list_contacts()


# -- one contact ------------------------------------------------------------------------------


def test_get_contact(sim: FlexacoreSim, client: FlexacoreClient, big_group: str) -> None:
    row = sim.contacts_in(big_group)[7]
    contact = client.get_contact(row.uid.upper(), group_id=big_group)
    assert contact.remote_id == row.uid
    assert contact.first_name == row.first_name


def test_contact_of_another_group_is_not_found(
    sim: FlexacoreSim, client: FlexacoreClient, big_group: str
) -> None:
    # C2 answers success with data null; C4 and C5 answer HTTP 404
    other = next(g for g in sim.group_uids() if g != big_group)
    row = sim.contacts_in(big_group)[0]
    with pytest.raises(NotFound, match="no longer in this group"):
        client.get_contact(row.uid, group_id=other)
    moved = Contact(phone="+447911123456", remote_id=row.uid, group_id=other)
    with pytest.raises(NotFound, match="no longer in this group"):
        client.update_contact(moved)
    with pytest.raises(NotFound, match="no longer in this group"):
        client.delete_contact(row.uid, group_id=other)
    assert sim.contact(row.uid) is not None


def test_unknown_contact_is_not_found(client: FlexacoreClient, big_group: str) -> None:
    ghost = Contact(phone="+447911123456", remote_id="6065ecdc9184f", group_id=big_group)
    for call in (
        lambda: client.get_contact("6065ecdc9184f", group_id=big_group),
        lambda: client.update_contact(ghost),
        lambda: client.delete_contact("6065ecdc9184f", group_id=big_group),
    ):
        with pytest.raises(NotFound, match="contact no longer exists"):
            call()


def test_create_contact_sends_digits_and_both_name_keys(
    sim: FlexacoreSim, client: FlexacoreClient, big_group: str
) -> None:
    # without both name keys the server answers 'Undefined array key "first_name"' (§12.4)
    made = client.create_contact(Contact(phone="+447911123456"), group_id=big_group)
    assert made.phone == "+447911123456"
    assert made.first_name is None
    assert made.last_name is None
    assert made.extra.get("status") == "subscribe"
    row = sim.contact(made.remote_id)  # type: ignore[arg-type]
    assert row is not None
    assert row.phone == "447911123456"  # no "+", no leading 0 or 00 (§12.5)


def test_create_contact_trims_names_and_uses_the_contacts_group(
    sim: FlexacoreSim, client: FlexacoreClient, big_group: str
) -> None:
    made = client.create_contact(
        Contact(phone="+8801712345678", first_name="  Rina ", last_name="", group_id=big_group)
    )
    row = sim.contact(made.remote_id)  # type: ignore[arg-type]
    assert row is not None
    assert (row.first_name, row.last_name) == ("Rina", None)
    assert sim.contacts_in(big_group)[-1].uid == made.remote_id


def test_creating_the_same_phone_twice_makes_two_rows(
    sim: FlexacoreSim, client: FlexacoreClient, big_group: str
) -> None:
    # the server does not dedupe (§5); find_by_phone shows both
    a = client.create_contact(Contact(phone="+447911123456", first_name="A"), group_id=big_group)
    b = client.create_contact(Contact(phone="+447911123456", first_name="B"), group_id=big_group)
    found = client.find_by_phone("+447911123456", group_id=big_group)
    assert {c.remote_id for c in found} == {a.remote_id, b.remote_id}


def test_create_in_a_group_with_welcome_sms_sends_it(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, big_group: str
) -> None:
    # why capabilities.create_may_send_sms is True: the server sends the group's welcome SMS
    with sim.store.lock:
        group = sim.store.find_group(big_group)
        assert group is not None
        group.send_welcome_sms = True
        group.welcome_sms = "Welcome!"
    client.create_contact(Contact(phone="+447911123456"), group_id=big_group)
    assert ("447911123456", "Welcome!") in sim.sms_sent


@pytest.mark.parametrize(
    ("phone", "field"),
    [
        ("+01700000001", "phone"),  # a leading 0 after "+": saved, then an error (§3 C3)
        ("01700000001", "phone"),  # not E.164 at all
        ("+44791", "phone"),  # incomplete
        ("", "phone"),
    ],
)
def test_a_phone_the_server_would_refuse_or_mis_save_never_leaves(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, phone: str, field: str
) -> None:
    group = sim.group_uids()[0]
    before = (requests_seen(server), len(sim.contacts_in(group)))
    with pytest.raises(ValidationFailed) as caught:
        client.create_contact(Contact(phone=phone, first_name="X"), group_id=group)
    assert caught.value.field == field
    assert (requests_seen(server), len(sim.contacts_in(group))) == before


def test_a_name_the_server_would_cut_is_refused(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient
) -> None:
    group = sim.group_uids()[0]
    before = requests_seen(server)
    with pytest.raises(ValidationFailed, match="191") as caught:
        client.create_contact(Contact(phone="+447911123456", last_name="x" * 192), group_id=group)
    assert caught.value.field == "last_name"
    assert requests_seen(server) == before


def test_plus_sign_error_returns_the_row_the_server_saved_without_a_duplicate() -> None:
    sim = FlexacoreSim(FlexacoreConfig.preset("small"))
    with SandboxServer(OldPhoneLibrary(sim, {"447911123456"})) as server:
        client = FlexacoreClient(server.root_url + "/api/v3", sim.token)
        group = sim.group_uids()[0]
        made = client.create_contact(
            Contact(phone="+447911123456", first_name="Nora"), group_id=group
        )
        rows = [r for r in sim.contacts_in(group) if r.phone == "447911123456"]
        assert [r.uid for r in rows] == [made.remote_id]
        assert made.first_name == "Nora"
        client.close()


def test_update_is_a_patch_that_always_carries_the_phone(
    sim: FlexacoreSim, client: FlexacoreClient, big_group: str
) -> None:
    row = sim.contacts_in(big_group)[3]
    current = client.get_contact(row.uid, group_id=big_group)
    updated = client.update_contact(current.with_changes(first_name="Changed"))
    assert updated.first_name == "Changed"
    assert updated.phone == current.phone
    assert updated.updated_at is not None  # the full row came back
    stored = sim.contact(row.uid)
    assert stored is not None
    assert stored.first_name == "Changed"
    assert stored.phone.lstrip("+") == current.phone.lstrip("+")


def test_update_can_clear_a_name(
    sim: FlexacoreSim, client: FlexacoreClient, big_group: str
) -> None:
    row = sim.contacts_in(big_group)[4]
    current = client.get_contact(row.uid, group_id=big_group)
    client.update_contact(current.with_changes(last_name=None))
    assert sim.contact(row.uid).last_name is None  # type: ignore[union-attr]


def test_update_from_a_base_keeps_a_colleagues_concurrent_edits(
    sim: FlexacoreSim, client: FlexacoreClient, big_group: str
) -> None:
    row = sim.contacts_in(big_group)[5]
    base = client.get_contact(row.uid, group_id=big_group)
    # meanwhile, in the web UI, a colleague changes the last name and the phone
    sim.update_directly(row.uid, last_name="Colleague", phone="8801799999999")
    mine = base.with_changes(first_name="Mine")
    client.update_contact(mine, base=base)
    stored = sim.contact(row.uid)
    assert stored is not None
    assert (stored.first_name, stored.last_name, stored.phone) == (
        "Mine",
        "Colleague",
        "8801799999999",
    )


def test_update_with_a_new_phone(
    sim: FlexacoreSim, client: FlexacoreClient, big_group: str
) -> None:
    row = sim.contacts_in(big_group)[6]
    base = client.get_contact(row.uid, group_id=big_group)
    client.update_contact(base.with_changes(phone="+2348031234567"), base=base)
    assert sim.contact(row.uid).phone == "2348031234567"  # type: ignore[union-attr]


def test_delete_contact(sim: FlexacoreSim, client: FlexacoreClient, big_group: str) -> None:
    row = sim.contacts_in(big_group)[10]
    client.delete_contact(row.uid, group_id=big_group)
    assert sim.contact(row.uid) is None
    assert sim.group(big_group) is not None  # the group (and the rest) stays
    assert len(sim.contacts_in(big_group)) == 59
    with pytest.raises(NotFound):
        client.delete_contact(row.uid, group_id=big_group)


@pytest.mark.parametrize("bad_uid", ["", "..", "a/b", " "])
def test_contact_delete_with_a_bad_uid_sends_nothing_and_never_hits_the_group(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, big_group: str, bad_uid: str
) -> None:
    before = requests_seen(server)
    with pytest.raises(ValidationFailed):
        client.delete_contact(bad_uid, group_id=big_group)
    assert requests_seen(server) == before
    assert len(sim.contacts_in(big_group)) == 60


# -- auth and permissions ---------------------------------------------------------------------


def test_wrong_token_is_refused(
    sim: FlexacoreSim, make_client: Callable[..., FlexacoreClient]
) -> None:
    client = make_client("49|" + "x" * 40)
    with pytest.raises(AuthRefused, match="paste a current token"):
        client.list_groups()


def test_a_token_with_a_line_break_is_refused_before_anything_is_sent(
    sim: FlexacoreSim, server: SandboxServer
) -> None:
    before = requests_seen(server)
    with pytest.raises(AuthRefused) as caught:
        client_for(server, sim.token[:10] + "\n" + sim.token[10:])
    assert sim.token[:10] not in str(caught.value)
    assert requests_seen(server) == before


@pytest.mark.parametrize(
    ("ability", "call"),
    [
        ("view_contact_group", lambda c, g, u: c.list_groups()),
        ("view_contact_group", lambda c, g, u: c.get_group(g)),
        ("delete_contact_group", lambda c, g, u: c.delete_group(g)),
        ("view_contact", lambda c, g, u: c.list_all(group_id=g)),
        ("view_contact", lambda c, g, u: c.get_contact(u, group_id=g)),
        ("delete_contact", lambda c, g, u: c.delete_contact(u, group_id=g)),
    ],
)
def test_token_without_an_ability_says_to_make_a_new_token(
    sim: FlexacoreSim, make_client: Callable[..., FlexacoreClient], ability: str, call: object
) -> None:
    token = sim.mint_token(abilities=ALL_PERMISSIONS - {ability})
    client = make_client(token)
    group = sim.group_uids()[0]
    contact = sim.contacts_in(group)[0].uid
    with pytest.raises(PermissionDenied, match="generate a new token"):
        call(client, group, contact)  # type: ignore[operator]
    assert sim.group(group) is not None
    assert sim.contact(contact) is not None


@pytest.mark.parametrize(
    ("permission", "call"),
    [
        ("create_contact", lambda c, g, u: c.create_contact(Contact("+447911123456"), group_id=g)),
        (
            "create_contact",
            lambda c, g, u: c.update_contact(Contact("+447911123456", remote_id=u), group_id=g),
        ),
        ("create_contact_group", lambda c, g, u: c.create_group("Brand new")),
        ("update_contact_group", lambda c, g, u: c.rename_group(g, "Brand new")),
    ],
)
def test_account_without_a_permission_is_told_to_ask_the_administrator(
    sim: FlexacoreSim, client: FlexacoreClient, permission: str, call: object
) -> None:
    sim.set_permissions(sim.customer_id, ALL_PERMISSIONS - {permission})
    group = sim.group_uids()[0]
    contact = sim.contacts_in(group)[0].uid
    with pytest.raises(PermissionDenied, match="administrator"):
        call(client, group, contact)  # type: ignore[operator]


def test_wrong_base_url_says_to_check_the_address(sim: FlexacoreSim, server: SandboxServer) -> None:
    client = FlexacoreClient(server.root_url + "/api/v2", sim.token)
    with pytest.raises(UnexpectedAnswer, match="server address") as caught:
        client.list_groups()
    assert not caught.value.transient
