"""TextFlow contact records, their wire shape, and the rules a request body must follow.

The public doc (``shared/seeds/textflow-contacts-api-v1.txt``) fixes the field names:
camelCase in request bodies, snake_case in responses. Every rule the doc leaves open is a
[sim] choice of ``shared/spec/textflow-v1-contract.md``; the ones this module settles on its
own are marked "[sim]" below and listed in the simulator's report.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

CONSENT_VALUES = ("explicit", "implicit", "implied")

# code -> (HTTP status, the doc's words). The codes are the spec's [sim] strings.
ERRORS: dict[str, tuple[int, str]] = {
    "INVALID_PHONE": (400, "Invalid phone number format"),
    "PHONE_REQUIRED": (400, "Phone number is required"),
    "INVALID_EMAIL": (400, "Invalid email format"),
    "INVALID_CONSENT_STATUS": (400, "Invalid consent status"),
    "VALIDATION_ERROR": (400, "Invalid request body"),
    "INVALID_JSON": (400, "Request body is not valid JSON"),
    "API_KEY_REQUIRED": (401, "API key required"),
    "INVALID_API_KEY": (401, "Invalid or inactive API key"),
    "API_ACCESS_DISABLED": (403, "API access not enabled"),
    "CONTACT_LIMIT_REACHED": (403, "Contact limit reached"),
    "CONTACT_NOT_FOUND": (404, "Contact not found"),
    "NOT_FOUND": (404, "Not found"),
    "METHOD_NOT_ALLOWED": (405, "Method not allowed"),
    "DUPLICATE_CONTACT": (409, "Duplicate contact"),
    "RATE_LIMIT_EXCEEDED": (429, "Rate limit exceeded"),
}

# Request field (camelCase) -> record attribute. Anything else in a body is ignored, which
# is how `isOptedOut` (never writable) and snake_case keys sent by mistake are treated.
WRITABLE = {
    "phoneNumber": "phone",
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "tags": "tags",
    "customFields": "custom_fields",
    "consentStatus": "consent_status",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_NON_DIGITS = re.compile(r"\D")
_PHONE_LIKE = re.compile(r"^[\d\s()+.\-]+$")

Scalar = str | int | float | bool | None


class ApiError(Exception):
    """One answer in TextFlow's error envelope ``{success: false, error, code}``.

    Raised anywhere in request handling and turned into the HTTP answer by the WSGI layer.
    ``extra`` adds documented extra keys (e.g. the existing contact's id on a duplicate).
    """

    def __init__(self, code: str, *, error: str | None = None, **extra: Any) -> None:
        status, words = ERRORS[code]
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.error = error or words
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.error, "code": self.code, **self.extra}


def iso(ts: int) -> str:
    """Epoch seconds as the doc writes times: ISO-8601, UTC, whole seconds, ``Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass(slots=True)
class ContactRecord:
    """One contact of the simulated account, live or soft-deleted.

    Times are whole epoch seconds (the doc shows whole seconds). ``search_text`` caches the
    case-folded text the ``search`` parameter looks in, so a 100k list stays quick to filter.
    """

    id: int
    uuid: str
    phone: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Scalar] = field(default_factory=dict)
    consent_status: str | None = None
    opted_out: bool = False
    created_at: int = 0
    updated_at: int = 0
    deleted_at: int | None = None
    search_text: str = ""
    digits: str = ""

    def refresh_search(self) -> None:
        full = f"{self.first_name} {self.last_name}" if self.first_name and self.last_name else ""
        parts = (self.first_name or "", self.last_name or "", full, self.email or "", self.phone)
        self.search_text = "\n".join(parts).casefold()
        self.digits = _NON_DIGITS.sub("", self.phone)

    @property
    def live(self) -> bool:
        return self.deleted_at is None

    def sort_key(self) -> tuple[int, int]:
        return (self.created_at, self.id)

    def to_wire(self, *, with_opt_out: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "uuid": self.uuid,
            "phone_number": self.phone,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "tags": list(self.tags),
            "custom_fields": dict(self.custom_fields),
            "consent_status": self.consent_status,
        }
        # the doc's create and update examples both leave the flag out; list and get carry it
        if with_opt_out:
            out["is_opted_out"] = self.opted_out
        out["created_at"] = iso(self.created_at)
        out["updated_at"] = iso(self.updated_at)
        return out


def normalize_phone(value: object) -> str:
    """The doc's "10 or 11 digits": strip all but digits; 10 -> US, 11 must start with 1.

    [sim] A JSON number is refused like any other malformed phone: the doc types it "string".
    """
    if not isinstance(value, str):
        raise ApiError("INVALID_PHONE")
    digits = _NON_DIGITS.sub("", value)
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    raise ApiError("INVALID_PHONE")


def matches_search(record: ContactRecord, folded: str, query_digits: str | None) -> bool:
    """[sim] search: case-insensitive substring over names, full name, email and phone.

    A query that looks like a phone ("(555) 123-45") also matches by its digits alone, so
    any run of digits finds the number however the user typed it.
    """
    if folded in record.search_text:
        return True
    return query_digits is not None and query_digits in record.digits


def search_digits(query: str) -> str | None:
    if _PHONE_LIKE.match(query):
        digits = _NON_DIGITS.sub("", query)
        return digits or None
    return None


def _optional_text(name: str, value: object) -> str | None:
    # [sim] null or "" clears an optional text field; anything but a string is refused
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError("VALIDATION_ERROR", error=f"{name} must be a string")
    return value


def _tags(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ApiError("VALIDATION_ERROR", error="tags must be an array of strings")
    # [sim] surrounding blanks trimmed, empty tags dropped, repeats kept once, order kept
    out: list[str] = []
    for raw in value:
        tag = raw.strip()
        if tag and tag not in out:
            out.append(tag)
    return out


def _custom_fields(value: object) -> dict[str, Scalar]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError("VALIDATION_ERROR", error="customFields must be an object")
    for v in value.values():
        if isinstance(v, dict | list):
            raise ApiError(
                "VALIDATION_ERROR", error="customFields values must be text, numbers or booleans"
            )
    return dict(value)


def parse_changes(body: object, *, creating: bool) -> dict[str, Any]:
    """The record attributes a create/update body sets, validated; unknown keys ignored.

    Checks run in the order of the doc's error table: phone, then email, then consent,
    then the shape of the remaining fields.
    """
    if not isinstance(body, dict):
        raise ApiError("VALIDATION_ERROR", error="Request body must be a JSON object")
    changes: dict[str, Any] = {}
    if "phoneNumber" in body:
        changes["phone"] = normalize_phone(body["phoneNumber"])
    elif creating:
        raise ApiError("PHONE_REQUIRED")
    if "email" in body:
        email = body["email"]
        if (
            email is not None
            and email != ""
            and (not isinstance(email, str) or not _EMAIL.match(email))
        ):
            raise ApiError("INVALID_EMAIL")
        changes["email"] = email or None
    if "consentStatus" in body:
        consent = body["consentStatus"]
        if consent is not None and consent not in CONSENT_VALUES:
            raise ApiError("INVALID_CONSENT_STATUS")
        changes["consent_status"] = consent
    for wire in ("firstName", "lastName"):
        if wire in body:
            changes[WRITABLE[wire]] = _optional_text(wire, body[wire])
    if "tags" in body:
        changes["tags"] = _tags(body["tags"])
    if "customFields" in body:
        changes["custom_fields"] = _custom_fields(body["customFields"])
    return changes
