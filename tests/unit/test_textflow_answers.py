"""TextFlow answers a real server might give that the simulator never does.

The spec marks the error codes, the create answer's missing opt-out flag and the rate-limit
headers as unconfirmed: the client must read any reasonable variant. These answers are
built as data (an `HttpAnswer` is what the HTTP policy hands the interpreter).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

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
from contactdesk.core.models import Contact
from contactdesk.providers import textflow_answers as answers
from contactdesk.providers.http import HttpAnswer

KEY = "sk_live_AbCdEf0123456789"


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpAnswer:
    text = body if isinstance(body, str) else json.dumps(body)
    parsed = None if isinstance(body, str) else body
    return HttpAnswer(status=status, headers=headers or {}, body=parsed, text=text)


def _read(answer: HttpAnswer) -> Contact:
    return answers.interpreter(answers.one_contact, lambda t: t.replace(KEY, "[redacted]"))(answer)


def _error(answer: HttpAnswer) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        _read(answer)
    return info.value


WIRE = {
    "id": 124,
    "uuid": "660e8400-e29b-41d4-a716-446655440001",
    "phone_number": "+15551234567",
    "first_name": "John",
    "last_name": None,
    "tags": ["customer"],
    "custom_fields": {"company": "Acme Inc", "seats": 12, "active": True},
    "consent_status": "explicit",
    "created_at": "2024-01-15T12:00:00Z",
    "updated_at": "2024-01-15T12:00:00Z",
}


def test_a_missing_opt_out_flag_is_unknown_never_false() -> None:
    contact = _read(_answer(201, {"success": True, "data": WIRE}))
    assert contact.opted_out is None
    assert _read(_answer(200, {"success": True, "data": {**WIRE, "is_opted_out": True}})).opted_out


def test_custom_field_values_keep_their_json_spelling() -> None:
    contact = _read(_answer(200, {"success": True, "data": WIRE}))
    assert dict(contact.custom_fields) == {"company": "Acme Inc", "seats": "12", "active": "true"}
    assert contact.remote_id == "124"
    assert contact.email is None


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, {"success": False, "error": "API key required"}, AuthRefused),
        (403, {"success": False, "error": "API access not enabled"}, PermissionDenied),
        (403, {"success": False, "error": "Contact limit reached"}, LimitReached),
        (404, {"success": False, "error": "Contact not found"}, NotFound),
        (409, {"success": False, "error": "Duplicate contact"}, Duplicate),
        (429, {"success": False, "error": "Rate limit exceeded"}, RateLimited),
        (500, {"success": False, "error": "boom"}, ServerError),
        (400, {"success": False, "error": "Invalid phone number format"}, ValidationFailed),
    ],
)
def test_the_status_decides_even_without_codes(
    status: int, body: dict[str, Any], kind: type[ProviderError]
) -> None:
    err = _error(_answer(status, body))
    assert type(err) is kind
    assert body["error"] in (err.detail or "")


def test_success_false_with_200_is_read_by_its_code() -> None:
    err = _error(
        _answer(200, {"success": False, "error": "Duplicate", "code": "DUPLICATE_CONTACT"})
    )
    assert isinstance(err, Duplicate)
    odd = _error(_answer(200, {"success": False, "error": "Something odd"}))
    assert isinstance(odd, ServerError)


def test_400_names_the_field_from_the_words_when_no_code() -> None:
    err = _error(_answer(400, {"success": False, "error": "Invalid email format"}))
    assert isinstance(err, ValidationFailed)
    assert err.field == "email"
    vague = _error(_answer(400, {"success": False, "error": "Bad things"}))
    assert isinstance(vague, ValidationFailed)
    assert vague.field is None
    assert "Bad things" in vague.message


def test_429_wait_comes_from_retry_after_or_reset_or_a_minute() -> None:
    limited = _error(_answer(429, {}, {"Retry-After": "12"}))
    assert isinstance(limited, RateLimited)
    assert limited.retry_after == 12
    from_reset = _error(_answer(429, {}, {"X-RateLimit-Reset": "30"}))
    assert isinstance(from_reset, RateLimited)
    assert from_reset.retry_after == 30
    bare = _error(_answer(429, "Too Many Requests"))
    assert isinstance(bare, RateLimited)
    assert bare.retry_after == 60


@pytest.mark.parametrize(
    "answer",
    [
        _answer(200, "<html><body>Login</body></html>", {"Content-Type": "text/html"}),
        _answer(200, {"success": True, "data": {"first_name": "no id"}}),
        _answer(200, {"success": True, "data": {**WIRE, "tags": "vip"}}),
        _answer(200, {"success": True}),
        _answer(404, "<html>Not Found</html>"),
        _answer(301, ""),
    ],
    ids=["html-200", "no-id", "tags-not-a-list", "no-data", "html-404", "redirect"],
)
def test_shapes_we_cannot_read_are_unexpected_answers(answer: HttpAnswer) -> None:
    with pytest.raises(UnexpectedAnswer):
        _read(answer)


def test_a_key_echoed_by_the_server_is_redacted() -> None:
    err = _error(_answer(401, {"success": False, "error": f"Invalid or inactive API key {KEY}"}))
    assert KEY not in (err.detail or "")
    assert "[redacted]" in (err.detail or "")


def test_update_body_sends_only_changes_and_whole_lists() -> None:
    base = Contact(
        phone="+14155552671",
        first_name="Rina",
        tags=("a", "b"),
        custom_fields={"x": "1", "y": "2"},
        consent_status="explicit",
        opted_out=True,
        remote_id="7",
    )
    assert answers.update_body(base, base) == {}
    edited = base.with_changes(first_name="Rena", tags=("a", "b", "c"), opted_out=False)
    assert answers.update_body(edited, base) == {"firstName": "Rena", "tags": ["a", "b", "c"]}
    fields_only = base.with_changes(custom_fields={"x": "1", "y": "3"})
    assert answers.update_body(fields_only, base) == {"customFields": {"x": "1", "y": "3"}}
    cleared = base.with_changes(consent_status=None, email=None)
    assert answers.update_body(cleared, base) == {}  # consent cannot be "un-given" by the API
    full = answers.update_body(base, None)
    assert "isOptedOut" not in full
    assert full["phoneNumber"] == "+14155552671"
    assert full["customFields"] == {"x": "1", "y": "2"}


def test_a_page_without_pagination_is_taken_as_the_only_page() -> None:
    read = answers.interpreter(answers.contact_page, lambda t: t)
    page = read(_answer(200, {"success": True, "data": [WIRE]}))
    assert (page.page, page.pages, page.total, len(page.items)) == (1, 1, 1, 1)
    with pytest.raises(UnexpectedAnswer):
        read(_answer(200, {"success": True, "data": [], "pagination": {"page": "one"}}))
    with pytest.raises(UnexpectedAnswer):
        read(_answer(200, {"success": True, "data": {"not": "a list"}}))
