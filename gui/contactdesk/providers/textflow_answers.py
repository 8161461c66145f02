"""Reading TextFlow's answers and writing its request bodies.

Responses are snake_case, request bodies camelCase (the doc is explicit, and a client
that sends ``first_name`` silently changes nothing). Errors come as
``{"success": false, "error": "...", "code": "..."}`` with a real HTTP status; the status
decides what happened (the code strings are unconfirmed), the ``error`` text goes into
``detail`` and the field it names into ``ValidationFailed.field``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from contactdesk.core.errors import (
    AuthRefused,
    Duplicate,
    LimitReached,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ServerError,
    UnexpectedAnswer,
    ValidationFailed,
)
from contactdesk.core.models import Contact, Page
from contactdesk.core.phones import from_textflow_wire, to_textflow_wire
from contactdesk.providers.http import HttpAnswer, retry_after_seconds
from contactdesk.providers.textflow_schema import CONSENT_CHOICES

T = TypeVar("T")
Redact = Callable[[str], str]

KEY_REFUSED = "The key was refused. Open account settings to paste a new key."
NO_API_ACCESS = (
    "This TextFlow plan does not include API access, so Contact Desk cannot reach the "
    "contacts. Ask the account owner to enable API access, then try again."
)
CONTACT_LIMIT = (
    "The TextFlow plan's contact limit is reached, so no contact can be added. Delete "
    "contacts you no longer need, or ask the account owner to upgrade the plan."
)
CONTACT_GONE = "This contact no longer exists on TextFlow. Someone may have deleted it."
DUPLICATE = "A contact with this phone number already exists on TextFlow."
SERVER_FAILED = "TextFlow had a problem on its side. Try again in a few minutes."
UNREADABLE = "TextFlow sent an answer this app cannot read. Try again in a few minutes."
WRONG_ADDRESS = (
    "The TextFlow address does not lead to the Contacts API. Check the server address in "
    "account settings; it normally ends in /api."
)

#: ValidationFailed.field and the message for each field TextFlow may refuse
_FIELD_PROBLEMS: dict[str, tuple[str, str]] = {
    "phone": (
        "phone",
        "TextFlow refused the phone number. It takes US and Canadian numbers of 10 digits, "
        "for example (415) 555-2671.",
    ),
    "email": ("email", "TextFlow refused the email address. It should look like name@example.com."),
    "consent": (
        "consent_status",
        "TextFlow refused the consent value. Pick explicit, implicit or implied.",
    ),
    "tag": ("tags", "TextFlow refused the tags. Each tag should be a short word or phrase."),
    "custom": (
        "custom_fields",
        "TextFlow refused the custom fields. Check their names and values.",
    ),
}


# -- contacts ----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _field_value(value: Any) -> str:
    # custom field values may be numbers or booleans; keep their JSON spelling ("true", "42")
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def contact_from_wire(data: Any) -> Contact:
    """A `Contact` from TextFlow's snake_case object; a missing opt-out flag stays unknown."""
    if not isinstance(data, Mapping) or "id" not in data or "phone_number" not in data:
        raise UnexpectedAnswer(UNREADABLE, detail="a contact without id or phone_number")
    tags = data.get("tags") or []
    custom = data.get("custom_fields") or {}
    if not isinstance(tags, list) or not isinstance(custom, Mapping):
        raise UnexpectedAnswer(UNREADABLE, detail="tags or custom_fields of the wrong type")
    opted_out = data.get("is_opted_out")
    return Contact(
        phone=from_textflow_wire(str(data["phone_number"])),
        first_name=_text(data.get("first_name")),
        last_name=_text(data.get("last_name")),
        email=_text(data.get("email")),
        remote_id=str(data["id"]),
        uuid=_text(data.get("uuid")),
        tags=tuple(str(t) for t in tags),
        custom_fields={str(k): _field_value(v) for k, v in custom.items()},
        consent_status=_text(data.get("consent_status")),
        opted_out=opted_out if isinstance(opted_out, bool) else None,
        created_at=_text(data.get("created_at")),
        updated_at=_text(data.get("updated_at")),
    )


def _check_consent(value: str | None) -> None:
    if value is not None and value not in CONSENT_CHOICES:
        raise ValidationFailed(_FIELD_PROBLEMS["consent"][1], field="consent_status", detail=value)


def create_body(contact: Contact) -> dict[str, Any]:
    """The camelCase create body; refuses (before sending) what TextFlow would refuse."""
    _check_consent(contact.consent_status)
    body: dict[str, Any] = {"phoneNumber": to_textflow_wire(contact.phone)}
    for key, value in (
        ("firstName", contact.first_name),
        ("lastName", contact.last_name),
        ("email", contact.email),
        ("consentStatus", contact.consent_status),
    ):
        if value:
            body[key] = value
    if contact.tags:
        body["tags"] = list(contact.tags)
    if contact.custom_fields:
        body["customFields"] = dict(contact.custom_fields)
    return body


def update_body(contact: Contact, base: Contact | None) -> dict[str, Any]:
    """The camelCase PUT body.

    Without ``base`` every editable field is sent (``null`` clears a text field). With
    ``base`` only what changed is sent, so a colleague's edit to another field survives.
    ``tags`` and ``customFields`` replace what the server holds, so each is always sent
    whole, never as the part that changed. ``is_opted_out`` is never sent: it is TextFlow's.
    """
    _check_consent(contact.consent_status)
    full: dict[str, Any] = {
        "phoneNumber": contact.phone,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "email": contact.email,
        "tags": list(contact.tags),
        "customFields": dict(contact.custom_fields),
        "consentStatus": contact.consent_status,
    }
    if base is None:
        if contact.consent_status is None:
            del full["consentStatus"]  # "no longer known" is not a value TextFlow takes
        body = full
    else:
        before = {
            "phoneNumber": base.phone,
            "firstName": base.first_name,
            "lastName": base.last_name,
            "email": base.email,
            "tags": list(base.tags),
            "customFields": dict(base.custom_fields),
            "consentStatus": base.consent_status,
        }
        body = {key: value for key, value in full.items() if value != before[key]}
        if body.get("consentStatus", "") is None:
            del body["consentStatus"]
    if "phoneNumber" in body:
        body["phoneNumber"] = to_textflow_wire(contact.phone)
    return body


# -- answers -----------------------------------------------------------------------------


def one_contact(body: Any) -> Contact:
    return contact_from_wire(body.get("data"))


def contact_page(body: Any) -> Page[Contact]:
    data = body.get("data")
    if not isinstance(data, list):
        raise UnexpectedAnswer(UNREADABLE, detail="data is not a list")
    items = tuple(contact_from_wire(item) for item in data)
    pagination = body.get("pagination")
    if isinstance(pagination, Mapping):
        try:
            page = int(pagination.get("page", 1))
            total = int(pagination.get("total", len(items)))
            pages = int(pagination.get("pages", page))
        except (TypeError, ValueError):
            raise UnexpectedAnswer(UNREADABLE, detail="pagination is not numbers") from None
    else:  # no pagination block: this page is all we know about
        page, total, pages = 1, len(items), 1
    return Page(items=items, page=page, pages=pages, total=total)


def nothing(_body: Any) -> None:
    return None


def interpreter(shape: Callable[[Any], T], redact: Redact) -> Callable[[HttpAnswer], T]:
    """Turn an answer into ``shape(body)`` or raise the matching `ProviderError`."""

    def interpret(answer: HttpAnswer) -> T:
        body = answer.body
        if 200 <= answer.status < 300 and isinstance(body, Mapping):
            if body.get("success") is False:
                raise error_for(answer, redact)
            return shape(body)
        raise error_for(answer, redact)

    return interpret


def _server_words(answer: HttpAnswer, redact: Redact) -> tuple[str, str]:
    """(code, the server's own text) from an error envelope; best effort for other bodies."""
    body = answer.body
    if isinstance(body, Mapping):
        code = str(body.get("code") or "")
        words = str(body.get("error") or body.get("message") or "")
        return code, redact(words)
    return "", redact(answer.snippet())


def _field_problem(code: str, words: str) -> tuple[str | None, str]:
    hint = f"{code} {words}".lower()
    for needle, (field, message) in _FIELD_PROBLEMS.items():
        if needle in hint:
            return field, message
    return None, f"TextFlow refused the change: {words or 'no reason given'}."


def _retry_after(answer: HttpAnswer) -> float:
    if "Retry-After" in answer.headers:
        return retry_after_seconds(answer.headers)
    reset = answer.headers.get("X-RateLimit-Reset")
    try:
        value = float(reset) if reset is not None else None
    except ValueError:
        value = None
    if value is None:
        return 60.0
    return max(1.0, value - time.time()) if value > 1e9 else max(1.0, value)


#: the status each [sim] code comes with, for a server that says ``success: false`` with a 200
_CODE_STATUS = {
    "INVALID_PHONE": 400,
    "PHONE_REQUIRED": 400,
    "INVALID_EMAIL": 400,
    "INVALID_CONSENT_STATUS": 400,
    "VALIDATION_ERROR": 400,
    "API_KEY_REQUIRED": 401,
    "INVALID_API_KEY": 401,
    "API_ACCESS_DISABLED": 403,
    "CONTACT_LIMIT_REACHED": 403,
    "CONTACT_NOT_FOUND": 404,
    "DUPLICATE_CONTACT": 409,
    "RATE_LIMIT_EXCEEDED": 429,
}


def error_for(answer: HttpAnswer, redact: Redact) -> ProviderError:
    """The typed error for a failed answer (an HTTP error status, or ``success: false``)."""
    status = answer.status
    code, words = _server_words(answer, redact)
    if 200 <= status < 300:
        status = _CODE_STATUS.get(code.upper(), status)
    detail = f"HTTP {status}: {words}" if words else f"HTTP {status}"
    enveloped = isinstance(answer.body, Mapping) and "success" in answer.body
    if status == 401:
        return AuthRefused(KEY_REFUSED, detail=detail)
    if status == 403:
        if "LIMIT" in code.upper() or "limit" in words.lower():
            return LimitReached(CONTACT_LIMIT, detail=detail)
        return PermissionDenied(NO_API_ACCESS, detail=detail)
    if status == 404:
        if enveloped and (code.upper() != "NOT_FOUND" or "contact" in words.lower()):
            return NotFound(CONTACT_GONE, detail=detail)
        return UnexpectedAnswer(WRONG_ADDRESS, detail=detail)
    if status == 409:
        return Duplicate(DUPLICATE, detail=detail)
    if status == 429:
        wait = _retry_after(answer)
        return RateLimited(
            f"TextFlow asked to slow down (the plan's limit per minute). Waiting {wait:.0f} s.",
            retry_after=wait,
            detail=detail,
        )
    if status in (400, 422):
        field, message = _field_problem(code, words)
        return ValidationFailed(message, field=field, detail=detail)
    if status >= 500:
        if answer.looks_like_html or answer.body is None:
            return ServerError(
                "TextFlow could not be reached through the network (a gateway answered "
                "instead). Try again in a few minutes.",
                detail=detail,
            )
        return ServerError(SERVER_FAILED, detail=detail)
    if 300 <= status < 400:
        return UnexpectedAnswer(WRONG_ADDRESS, detail=f"HTTP {status} to elsewhere")
    if 200 <= status < 300 and enveloped:
        return ServerError(SERVER_FAILED, detail=detail)  # "success": false with a 2xx
    return UnexpectedAnswer(UNREADABLE, detail=detail)
