"""Every Flexacore (Ultimate SMS v3) URL the client may call, one function per route.

Ultimate SMS mounts groups and contacts in one overlapping URL family: ``DELETE
/contacts/{uid}`` deletes a *group with all its contacts*, while a contact is deleted at
``DELETE /contacts/{group}/delete/{uid}``. A contact URL with an empty or slash-bearing
segment could therefore collapse onto the group route. So no URL is ever assembled by
string concatenation elsewhere: each route has one builder here, and every uid passes
`checked_uid` (non-empty, no ``/``, no dots, no escapes) before it becomes a segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from contactdesk.core.errors import ValidationFailed

#: Ultimate SMS mounts its API here, below wherever the app itself is installed.
API_SUFFIX = "/api/v3"

# uids are PHP uniqid() values (13 lowercase hex) in a char(36) column; later builds may use
# UUIDs. Anything else (empty, '/', '.', '%', '?', '#', spaces) could change which route a
# URL reaches, so it is refused rather than escaped.
_UID = re.compile(r"[A-Za-z0-9_-]{1,36}")


@dataclass(frozen=True, slots=True)
class Route:
    """One HTTP call: the verb and the path below the API base (starts with ``/``)."""

    method: str
    path: str
    #: a short name of the route (the contract's table row), for logs and tests
    name: str


def checked_uid(value: object, *, what: str) -> str:
    """Return ``value`` if it is safe as one URL path segment, else raise `ValidationFailed`.

    ``what`` is ``"group"`` or ``"contact"``: it picks the plain-language message.
    """
    if isinstance(value, str) and _UID.fullmatch(value):
        return value
    if value is None or value == "":
        message = (
            "Choose a group first: Flexacore keeps every contact in a group."
            if what == "group"
            else "This contact has not been saved to Flexacore yet."
        )
    else:
        message = f"The Flexacore id of this {what} looks damaged, so nothing was sent."
    raise ValidationFailed(message, field="group_id" if what == "group" else "remote_id")


def same_uid(a: str | None, b: str | None) -> bool:
    """Flexacore compares uids case-insensitively (MySQL ``utf8mb4_unicode_ci``); so do we."""
    return a is not None and b is not None and a.casefold() == b.casefold()


def normalize_base_url(url: str) -> str:
    """Turn whatever the user pasted into ``scheme://host[:port][/prefix]/api/v3``.

    Accepts any Ultimate SMS deployment: with or without a trailing slash, installed below
    a path prefix, with or without the ``/api/v3`` part, or the seed doc's endpoint
    ``.../api/v3/contacts``. Query strings and fragments are refused: they would be sent
    with every call and hide a mistyped URL.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(
            "The server address must start with https:// and name a host, "
            "for example https://one.flexacore.com/api/v3",
            field="base_url",
        )
    if parts.username is not None or parts.password is not None:
        # a password in the address would end up in logs and in the settings file
        raise ValidationFailed(
            "The server address must not contain a user name or password. "
            "Use the address up to /api/v3, for example https://one.flexacore.com/api/v3",
            field="base_url",
        )
    if parts.query or parts.fragment:
        raise ValidationFailed(
            "The server address must not contain '?' or '#'. "
            "Use the address up to /api/v3, for example https://one.flexacore.com/api/v3",
            field="base_url",
        )
    path = parts.path.rstrip("/")
    if path.lower().endswith(API_SUFFIX + "/contacts"):
        path = path[: -len("/contacts")]
    if path.lower().endswith(API_SUFFIX):
        path = path[: -len(API_SUFFIX)]
    path = path.rstrip("/") + API_SUFFIX
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))


# -- groups ---------------------------------------------------------------------------------


def group_list() -> Route:
    """G1: the caller's groups, 25 a page (``?page=N``: a GET has no body)."""
    return Route("GET", "/contacts", "G1 group list")


def group_create() -> Route:
    """G2: create a group."""
    return Route("POST", "/contacts", "G2 group create")


def group_show(group_id: str) -> Route:
    """G3: one group (a POST read)."""
    return Route("POST", f"/contacts/{checked_uid(group_id, what='group')}/show", "G3 group show")


def group_update(group_id: str) -> Route:
    """G4: rename a group. PATCH, although the server also takes PUT."""
    return Route("PATCH", f"/contacts/{checked_uid(group_id, what='group')}", "G4 group update")


def group_delete(group_id: str) -> Route:
    """G5: delete a group and every contact in it."""
    return Route("DELETE", f"/contacts/{checked_uid(group_id, what='group')}", "G5 group delete")


# -- contacts --------------------------------------------------------------------------------


def contact_list(group_id: str) -> Route:
    """C1: the contacts of a group, 25 a page (a POST read)."""
    return Route("POST", f"/contacts/{checked_uid(group_id, what='group')}/all", "C1 contact list")


def contact_show(group_id: str, uid: str) -> Route:
    """C2: one contact of a group (a POST read)."""
    g = checked_uid(group_id, what="group")
    c = checked_uid(uid, what="contact")
    return Route("POST", f"/contacts/{g}/search/{c}", "C2 contact show")


def contact_store(group_id: str) -> Route:
    """C3: create a contact in a group."""
    g = checked_uid(group_id, what="group")
    return Route("POST", f"/contacts/{g}/store", "C3 contact store")


def contact_update(group_id: str, uid: str) -> Route:
    """C4: update a contact. PATCH only: the server rejects PUT."""
    g = checked_uid(group_id, what="group")
    c = checked_uid(uid, what="contact")
    return Route("PATCH", f"/contacts/{g}/update/{c}", "C4 contact update")


def contact_delete(group_id: str, uid: str) -> Route:
    """C5: delete one contact of a group (never the group route G5)."""
    g = checked_uid(group_id, what="group")
    c = checked_uid(uid, what="contact")
    return Route("DELETE", f"/contacts/{g}/delete/{c}", "C5 contact delete")
