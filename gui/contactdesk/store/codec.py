"""Contact <-> SQLite: JSON for stored versions, columns for the live row.

Strings are stored verbatim (HTML, emoji, megabytes): no trimming or escaping here;
showing them safely is the UI's job (``Qt.PlainText``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from contactdesk.core.models import Contact
from contactdesk.store.text import digits, fold_name, search_name

#: the value columns of ``contacts``, in the order ``contact_from_row`` reads them
VALUE_COLUMNS: tuple[str, ...] = (
    "phone",
    "first_name",
    "last_name",
    "email",
    "remote_id",
    "uuid",
    "group_id",
    "tags_json",
    "custom_json",
    "consent_status",
    "opted_out",
    "created_at",
    "updated_at",
    "extra_json",
)
#: derived columns the write path computes (sort keys and the FTS source text)
KEY_COLUMNS: tuple[str, ...] = (
    "name_key",
    "first_key",
    "last_key",
    "email_key",
    "digits",
    "search_name",
)
WRITE_COLUMNS = VALUE_COLUMNS + KEY_COLUMNS


# one encoder, built once: json.dumps() with options builds a new one per call
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def _dumps(value: object) -> str:
    return _ENCODE(value)


def _tags_json(tags: Sequence[str]) -> str:
    return _ENCODE(list(normalised_tags(tags))) if tags else "[]"


def _map_json(name: str, value: Mapping[str, str]) -> str:
    # most contacts have no custom fields or extras: skip the checks and the encoder
    return _ENCODE(_check_map(name, value)) if value else "{}"


def _loads_map(text: str | None) -> dict[str, str]:
    if not text or text == "{}":
        return {}
    loaded = json.loads(text)
    return {str(k): str(v) for k, v in loaded.items()}


def _loads_tags(text: str | None) -> tuple[str, ...]:
    if not text or text == "[]":
        return ()
    return tuple(str(t) for t in json.loads(text))


def _check_map(name: str, value: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"{name} keys and values must be text, got {k!r}: {v!r}")
        out[k] = v
    return out


def contact_to_dict(c: Contact) -> dict[str, Any]:
    return {
        "phone": c.phone,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "remote_id": c.remote_id,
        "uuid": c.uuid,
        "group_id": c.group_id,
        "tags": list(c.tags),
        "custom_fields": _check_map("custom_fields", c.custom_fields),
        "consent_status": c.consent_status,
        "opted_out": c.opted_out,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "extra": _check_map("extra", c.extra),
    }


def contact_to_json(c: Contact) -> str:
    return _dumps(contact_to_dict(c))


def contact_from_json(text: str) -> Contact:
    d = json.loads(text)
    opted = d.get("opted_out")
    return Contact(
        phone=d["phone"],
        first_name=d.get("first_name"),
        last_name=d.get("last_name"),
        email=d.get("email"),
        remote_id=d.get("remote_id"),
        uuid=d.get("uuid"),
        group_id=d.get("group_id"),
        tags=tuple(d.get("tags") or ()),
        custom_fields=dict(d.get("custom_fields") or {}),
        consent_status=d.get("consent_status"),
        opted_out=None if opted is None else bool(opted),
        created_at=d.get("created_at"),
        updated_at=d.get("updated_at"),
        extra=dict(d.get("extra") or {}),
    )


def optional_json(c: Contact | None) -> str | None:
    return None if c is None else contact_to_json(c)


def optional_contact(text: str | None) -> Contact | None:
    return None if text is None else contact_from_json(text)


def contact_from_row(row: Sequence[Any], start: int = 0) -> Contact:
    """A Contact from the ``VALUE_COLUMNS`` found at ``row[start:]``."""
    (
        phone,
        first,
        last,
        email,
        remote_id,
        uuid,
        group_id,
        tags_json,
        custom_json,
        consent,
        opted,
        created,
        updated,
        extra_json,
    ) = row[start : start + len(VALUE_COLUMNS)]
    return Contact(
        phone=phone,
        first_name=first,
        last_name=last,
        email=email,
        remote_id=remote_id,
        uuid=uuid,
        group_id=group_id,
        tags=_loads_tags(tags_json),
        custom_fields=_loads_map(custom_json),
        consent_status=consent,
        opted_out=None if opted is None else bool(opted),
        created_at=created,
        updated_at=updated,
        extra=_loads_map(extra_json),
    )


def normalised_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Tags without duplicates, in the order given (the server's order is kept)."""
    if all(type(t) is str for t in tags) and len(set(tags)) == len(tags):
        return tuple(tags)  # the usual case, without the loop below
    seen: dict[str, None] = {}
    for t in tags:
        if not isinstance(t, str):
            raise TypeError(f"tags must be text, got {t!r}")
        seen.setdefault(t, None)
    return tuple(seen)


def row_params(c: Contact) -> tuple[Any, ...]:
    """Values for ``WRITE_COLUMNS``: the contact's fields plus the derived keys."""
    first, last = c.first_name, c.last_name
    display = (f"{first} {last}" if last else first) if first else (last or c.phone)
    return (
        c.phone,
        c.first_name,
        c.last_name,
        c.email,
        c.remote_id,
        c.uuid,
        c.group_id,
        _tags_json(c.tags),
        _map_json("custom_fields", c.custom_fields),
        c.consent_status,
        None if c.opted_out is None else int(c.opted_out),
        c.created_at,
        c.updated_at,
        _map_json("extra", c.extra),
        fold_name(display),
        fold_name(c.first_name),
        fold_name(c.last_name),
        (c.email or "").casefold(),
        digits(c.phone),
        search_name(c.first_name, c.last_name),
    )
