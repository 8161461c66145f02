"""Flexacore (Ultimate SMS v3) data shapes: rows to `Contact`/`Group`/`Page`, and back.

Each endpoint returns a different contact shape (contract §3, §12.9): store returns the
model's attributes, search and list return ``uid, phone, first_name, last_name``, update
returns every column. So every field but ``uid`` and ``phone`` is optional here, and
``phone`` may be a JSON string or number (it mirrors what the creator sent).

Outgoing values are checked here too, before anything leaves the client: the server's
only validation answer is "The given data was invalid.", and some bad values are saved
anyway (a phone libphonenumber cannot read) or silently cut (names past 191 characters).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

from contactdesk.core.errors import UnexpectedAnswer, ValidationFailed
from contactdesk.core.models import Contact, Group, Page
from contactdesk.core.phones import from_flexacore_wire, to_flexacore_wire

T = TypeVar("T")

#: varchar(191) columns; MySQL runs non-strict there, so longer text is cut, not refused
MAX_TEXT = 191

#: the length the server's PHONE rule allows (contract §4)
MIN_PHONE, MAX_PHONE = 7, 17

#: columns of the update answer (full row) we show but do not model
_EXTRA_KEYS = ("status", "username", "company", "address", "birth_date", "anniversary_date")


def _bad(what: str) -> UnexpectedAnswer:
    return UnexpectedAnswer(
        f"Flexacore sent {what} in a form Contact Desk does not know. Try again later; if it "
        "keeps happening, copy the details for support.",
        detail=what,
    )


def _count(value: Any, what: str) -> int:
    # PHP builds differ: paginator numbers are ints, but a proxy or an old build may quote them
    if isinstance(value, bool):
        raise _bad(what)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise _bad(what)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise _bad("a text field")


def wire_text(value: Any) -> str:
    """A phone as the server holds it (JSON string or number) as text.

    Lenient on purpose: rows made in the web UI or by CSV import were never validated,
    and one odd row must not make a whole group unreadable.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise _bad("a phone number")


def contact_from_row(row: Any, *, group_id: str) -> Contact:
    """One contact row of any Flexacore endpoint; ``group_id`` is the group uid asked for."""
    if not isinstance(row, dict):
        raise _bad("a contact")
    uid = row.get("uid")
    if not isinstance(uid, str) or not uid:
        raise _bad("a contact without an id")
    extra = {k: t for k in _EXTRA_KEYS if (t := _text(row.get(k))) is not None}
    return Contact(
        phone=from_flexacore_wire(wire_text(row.get("phone"))),
        first_name=_text(row.get("first_name")),
        last_name=_text(row.get("last_name")),
        email=_text(row.get("email")),
        remote_id=uid,
        group_id=group_id,
        created_at=_text(row.get("created_at")),
        updated_at=_text(row.get("updated_at")),
        extra=extra,
    )


def group_from_row(row: Any) -> Group:
    """``{"uid", "name"}`` from the group list, show, store and update answers."""
    if not isinstance(row, dict):
        raise _bad("a group")
    uid = row.get("uid")
    name = row.get("name")
    if not isinstance(uid, str) or not uid or not isinstance(name, str | int):
        raise _bad("a group without an id or a name")
    return Group(remote_id=uid, name=str(name))


def page_from_paginator(data: Any, row: Callable[[Any], T]) -> Page[T]:
    """Laravel's paginator object (contract §3.1). Paging uses ``last_page`` only:
    never the ``links`` labels (untranslated keys) or absolute URLs (wrong scheme behind
    a proxy)."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise _bad("a page of results")
    current = _count(data.get("current_page"), "a page number")
    last = max(1, _count(data.get("last_page"), "a page count"))
    total = _count(data.get("total"), "a total")
    return Page(
        items=tuple(row(item) for item in data["data"]),
        page=current,
        pages=last,
        total=total,
    )


# -- outgoing values --------------------------------------------------------------------------


def phone_for_wire(phone: str) -> str:
    """The phone as Flexacore must receive it: international digits, no ``+``, no ``0``/``00``.

    Raises `ValidationFailed` (field ``phone``) for anything the server would refuse or,
    worse, save and then fail to read.
    """
    wire = to_flexacore_wire(phone)
    if not MIN_PHONE <= len(wire) <= MAX_PHONE:
        # the server's PHONE rule counts 7 to 17 characters
        raise ValidationFailed(
            f"This phone number has {len(wire)} digits; Flexacore accepts {MIN_PHONE} to "
            f"{MAX_PHONE}. Check it and add the country code with a +.",
            field="phone",
        )
    return wire


def name_for_wire(value: str | None, *, field: str, label: str) -> str | None:
    """A first/last name as sent: trimmed, empty as ``null``, refused past 191 characters."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            f"The {label} is {len(text)} characters long; Flexacore keeps at most {MAX_TEXT} "
            "and would cut the rest off.",
            field=field,
        )
    return text


def group_name_for_wire(name: str) -> str:
    """A group name as sent: trimmed, not empty, at most 191 characters."""
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise ValidationFailed("Give the group a name.", field="name")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            f"The group name is {len(text)} characters long; Flexacore keeps at most {MAX_TEXT}.",
            field="name",
        )
    return text


def phone_validator(value: str) -> str | None:
    """`FieldSpec` validator: ``None`` if Flexacore can take the phone, else why not."""
    try:
        phone_for_wire(value)
    except ValidationFailed as err:
        return err.message
    return None


def text_validator(value: str) -> str | None:
    """`FieldSpec` validator for the name columns (varchar(191))."""
    if len(value.strip()) > MAX_TEXT:
        return f"At most {MAX_TEXT} characters; Flexacore would cut the rest off."
    return None


def name_key(name: str) -> str:
    """How MySQL's ``utf8mb4_unicode_ci`` compares group names: no case, no accents."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
