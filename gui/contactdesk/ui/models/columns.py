"""Table columns built from a provider's ``FieldSpec`` list: what each cell shows.

A leading "Name" column (first + last, or the phone when there is no name) carries the
row's state marker; every other column is one field of the schema. Display strings are
computed once per row when a window is read, so ``data()`` is a list lookup.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from contactdesk.core.models import Contact
from contactdesk.core.phones import format_display
from contactdesk.core.schema import FieldSpec, FieldType
from contactdesk.store.records import SortColumn

#: how a phone in E.164 is shown; app.py passes core.phones.format_display when present
PhoneFormatter = Callable[[str], str]

NAME_KEY = "display_name"

_SORTS: dict[str, SortColumn] = {
    NAME_KEY: SortColumn.NAME,
    "first_name": SortColumn.FIRST,
    "last_name": SortColumn.LAST,
    "phone": SortColumn.PHONE,
    "email": SortColumn.EMAIL,
    "updated_at": SortColumn.UPDATED,
}

_CONSENT_WORDS = {"explicit": "Explicit", "implicit": "Implicit", "implied": "Implied"}


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: its field key, header label and (when the store can) sort key."""

    key: str
    label: str
    spec: FieldSpec | None
    sort: SortColumn | None
    visible_by_default: bool = True


def build_columns(fields: Sequence[FieldSpec]) -> list[Column]:
    cols = [Column(NAME_KEY, "Name", None, SortColumn.NAME)]
    for spec in fields:
        cols.append(
            Column(spec.key, spec.label, spec, _SORTS.get(spec.key), spec.visible_by_default)
        )
    return cols


def plain_phone(phone: str) -> str:
    return phone


@functools.lru_cache(maxsize=65_536)
def _display(e164: str, region: str) -> str:
    # parsing with phonenumbers costs ~0.1 ms a number: remember what was shown
    return format_display(e164, region)


def phone_formatter(region: str) -> PhoneFormatter:
    """E.164 shown the way people of ``region`` read it (national form at home)."""
    return lambda e164: _display(e164, region)


def one_line(text: str) -> str:
    """Cells are one line: newlines (possible in server text) become spaces."""
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


def format_datetime(value: str | None) -> str:
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def opted_out_text(value: bool | None) -> str:
    if value is None:
        return "Unknown"
    return "Opted out" if value else "No"


def cell_text(contact: Contact, col: Column, phone: PhoneFormatter) -> str:
    """The display text of one cell (plain text; the view shows it as such)."""
    key = col.key
    if key == NAME_KEY:
        return one_line(contact.display_name) if (contact.first_name or contact.last_name) else ""
    ftype = col.spec.type if col.spec is not None else FieldType.TEXT
    if ftype is FieldType.PHONE or key == "phone":
        return phone(contact.phone) if contact.phone else ""
    if ftype is FieldType.TAGS or key == "tags":
        return ", ".join(contact.tags)
    if ftype is FieldType.CUSTOM_FIELDS or key == "custom_fields":
        return "; ".join(f"{k}: {v}" for k, v in contact.custom_fields.items())
    if key == "opted_out":
        return opted_out_text(contact.opted_out)
    if key == "consent_status":
        return _CONSENT_WORDS.get(contact.consent_status or "", contact.consent_status or "")
    if ftype is FieldType.DATETIME:
        return format_datetime(_attr(contact, key))
    value = _attr(contact, key)
    return one_line(value) if value else ""


def _attr(contact: Contact, key: str) -> str | None:
    value = getattr(contact, key, None)
    if value is None:
        value = contact.extra.get(key)
    if value is None or isinstance(value, str):
        return value
    return str(value)
