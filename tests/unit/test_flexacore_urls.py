"""Flexacore URLs: base-URL normalisation, and proof a contact call never reaches a group route.

The route table below is written out again from the contract (§1), independently of the
builders, so a builder that drifts (a dropped segment, a stray slash) fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactdesk.core.errors import ValidationFailed
from contactdesk.providers import flexacore_routes as routes
from contactdesk.providers.flexacore_routes import Route, checked_uid, normalize_base_url, same_uid

# (verb, path pattern, contract row): every route of /api/v3 that touches contacts or groups.
# A segment is "[^/]+" as Laravel's router matches it.
SEG = r"[^/]+"
ROUTE_TABLE: tuple[tuple[str, str, str], ...] = (
    ("POST", rf"/contacts/{SEG}/all", "C1"),
    ("POST", rf"/contacts/{SEG}/search/{SEG}", "C2"),
    ("POST", rf"/contacts/{SEG}/store", "C3"),
    ("PATCH", rf"/contacts/{SEG}/update/{SEG}", "C4"),
    ("DELETE", rf"/contacts/{SEG}/delete/{SEG}", "C5"),
    ("GET", r"/contacts", "G1"),
    ("POST", r"/contacts", "G2"),
    ("POST", rf"/contacts/{SEG}/show", "G3"),
    ("PATCH", rf"/contacts/{SEG}", "G4"),
    ("PUT", rf"/contacts/{SEG}", "G4"),
    ("DELETE", rf"/contacts/{SEG}", "G5"),
)


def matching_rows(method: str, path: str) -> set[str]:
    return {
        row for verb, pattern, row in ROUTE_TABLE if verb == method and re.fullmatch(pattern, path)
    }


GROUP_BUILDERS: dict[str, Callable[[str], Route]] = {
    "C1": routes.contact_list,
    "C3": routes.contact_store,
    "G3": routes.group_show,
    "G4": routes.group_update,
    "G5": routes.group_delete,
}
CONTACT_BUILDERS: dict[str, Callable[[str, str], Route]] = {
    "C2": routes.contact_show,
    "C4": routes.contact_update,
    "C5": routes.contact_delete,
}

# anything a corrupted store, a bad import or a programming slip could hand us as a uid
nasty_uids = st.one_of(
    st.sampled_from(
        ["", " ", "/", "//", ".", "..", "a/b", "a%2Fb", "%2F", "a?b", "a#b", "a b", "6065ECDC9184A"]
    ),
    st.text(max_size=40),
    st.from_regex(r"[0-9a-f]{13}", fullmatch=True),
)


def assert_lands_on(route: Route, row: str) -> None:
    assert route.path.startswith("/contacts")
    assert "//" not in route.path
    assert not route.path.endswith("/")
    assert matching_rows(route.method, route.path) == {row}, route


@settings(max_examples=300, deadline=None)
@given(group=nasty_uids, contact=nasty_uids)
def test_contact_calls_only_ever_reach_their_own_route(group: str, contact: str) -> None:
    for row, build in CONTACT_BUILDERS.items():
        refused: str | None = None
        try:
            route = build(group, contact)
        except ValidationFailed as err:
            refused = err.field
        if refused is not None:
            assert refused in {"group_id", "remote_id"}
            continue
        assert_lands_on(route, row)
        # in particular: never the group update/delete family
        assert not matching_rows(route.method, route.path) & {"G4", "G5"}


@settings(max_examples=300, deadline=None)
@given(group=nasty_uids)
def test_group_scoped_calls_only_ever_reach_their_own_route(group: str) -> None:
    for row, build in GROUP_BUILDERS.items():
        try:
            route = build(group)
        except ValidationFailed:
            continue
        assert_lands_on(route, row)


def test_unsegmented_routes() -> None:
    assert_lands_on(routes.group_list(), "G1")
    assert_lands_on(routes.group_create(), "G2")


@pytest.mark.parametrize("bad", ["", "/", "..", ".", "a/b", "a%2Fb", "a b", "x" * 37, "é"])
def test_unsafe_uids_are_refused_with_plain_words(bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        routes.contact_delete("6065ecdc9184a", bad)
    assert caught.value.field == "remote_id"
    assert "damaged" in caught.value.message or "not been saved" in caught.value.message


def test_empty_contact_uid_cannot_collapse_onto_group_delete() -> None:
    # the near-miss of contract §6.5: DELETE /contacts/{group} deletes the whole group
    with pytest.raises(ValidationFailed):
        routes.contact_delete("6065ecdc9184a", "")
    with pytest.raises(ValidationFailed):
        routes.contact_delete("", "6065ecdc9184a")


def test_missing_group_says_choose_a_group() -> None:
    with pytest.raises(ValidationFailed, match="Choose a group"):
        checked_uid(None, what="group")


def test_real_uid_shapes_are_accepted() -> None:
    assert checked_uid("6065ecdc9184a", what="contact") == "6065ecdc9184a"
    uuid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert checked_uid(uuid, what="group") == uuid


def test_uids_compare_without_case() -> None:
    assert same_uid("6065ECDC9184A", "6065ecdc9184a")
    assert not same_uid("6065ecdc9184a", "6065ecdc9184b")
    assert not same_uid(None, None)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("https://one.flexacore.com/api/v3", "https://one.flexacore.com/api/v3"),
        ("https://one.flexacore.com/api/v3/", "https://one.flexacore.com/api/v3"),
        ("  https://one.flexacore.com/api/v3//  ", "https://one.flexacore.com/api/v3"),
        ("https://one.flexacore.com", "https://one.flexacore.com/api/v3"),
        ("https://one.flexacore.com/", "https://one.flexacore.com/api/v3"),
        ("https://one.flexacore.com/api/v3/contacts", "https://one.flexacore.com/api/v3"),
        ("https://one.flexacore.com/api/v3/contacts/", "https://one.flexacore.com/api/v3"),
        (
            "HTTPS://sms.example.org:8443/ultimate/api/v3",
            "https://sms.example.org:8443/ultimate/api/v3",
        ),
        ("https://sms.example.org/ultimate", "https://sms.example.org/ultimate/api/v3"),
        ("https://sms.example.org/contacts", "https://sms.example.org/contacts/api/v3"),
        ("http://127.0.0.1:8000/api/v3", "http://127.0.0.1:8000/api/v3"),
    ],
)
def test_any_ultimate_sms_base_url_is_normalised(typed: str, expected: str) -> None:
    assert normalize_base_url(typed) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "one.flexacore.com/api/v3",
        "ftp://one.flexacore.com",
        "https:///api/v3",
        "https://one.flexacore.com/api/v3?x=1",
        "https://one.flexacore.com/api/v3#top",
        "https://admin:secret@one.flexacore.com/api/v3",
    ],
)
def test_unusable_base_urls_are_refused(bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_base_url(bad)
    assert caught.value.field == "base_url"


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.lists(st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True), max_size=3),
    tail=st.sampled_from(["", "/", "/api/v3", "/api/v3/", "/api/v3/contacts", "/api/v3/contacts/"]),
)
def test_every_route_url_is_base_plus_route_without_double_slashes(
    prefix: list[str], tail: str
) -> None:
    typed = "https://sms.example.org" + "".join(f"/{p}" for p in prefix) + tail
    base = normalize_base_url(typed)
    assert base.endswith("/api/v3")
    assert base == normalize_base_url(base)  # normalising twice changes nothing
    url = base + routes.contact_delete("6065ecdc9184a", "62321a0f4c1d2").path
    assert "//" not in url.split("://", 1)[1]
    assert url.endswith("/api/v3/contacts/6065ecdc9184a/delete/62321a0f4c1d2")
