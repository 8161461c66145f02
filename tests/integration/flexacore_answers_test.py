"""Flexacore answers read from the contract's own JSON bodies (§3, §6, §7), without a server.

These cover the rows of the §7 matrix and the §3 shapes that the simulator cannot be made
to produce on demand (PHP 7 wording, demo mode, "Too Many Attempts." with and without
Retry-After, a 5xx with Laravel's bare body), next to the over-HTTP tests.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from contactdesk.core.errors import (
    AuthRefused,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ServerError,
    UnexpectedAnswer,
    ValidationFailed,
)
from contactdesk.providers import flexacore_schema as schema
from contactdesk.providers.flexacore_answers import (
    DEFAULT_RETRY_AFTER,
    Action,
    PhoneSavedButRejected,
    success_data,
)
from contactdesk.providers.flexacore_shapes import (
    contact_from_row,
    group_from_row,
    page_from_paginator,
)
from contactdesk.providers.http import HttpAnswer


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpAnswer:
    text = body if isinstance(body, str) else json.dumps(body)
    parsed = None if isinstance(body, str) else body
    return HttpAnswer(status, CaseInsensitiveDict(headers or {}), parsed, text)


def error_of(a: HttpAnswer, action: Action = schema.LIST_CONTACTS) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        success_data(a, action)
    return caught.value


# -- success ------------------------------------------------------------------------------


def test_success_envelope_gives_data_even_with_a_null_message() -> None:
    body = {"status": "success", "message": None, "data": {"uid": "6065ecdc9184a", "name": "VIP"}}
    assert success_data(answer(body), schema.SHOW_GROUP) == body["data"]


def test_success_word_with_a_failure_code_is_not_trusted() -> None:
    body = {"status": "success", "message": None, "data": None}
    assert isinstance(error_of(answer(body, 502)), UnexpectedAnswer)


def test_http_200_alone_is_not_success() -> None:
    # the HTTP code says 200 for almost every Ultimate SMS error (§7)
    err = error_of(answer({"status": "error", "message": "Unauthenticated."}))
    assert isinstance(err, AuthRefused)


# -- the §7 matrix -------------------------------------------------------------------------

MATRIX = [
    # (http, body, expected type, words the person must see)
    (
        403,
        {
            "status": "error",
            "message": "Sorry, but you do not have permissions to access this page.",
            "data": None,
        },
        PermissionDenied,
        "generate a new token",
    ),
    (
        404,
        {
            "status": "error",
            "message": "Sorry, but the page you were trying to view does not exist.",
            "data": None,
        },
        NotFound,
        "no longer in this group",
    ),
    (
        404,
        {"status": "error", "message": "Something went wrong. Please try again", "data": None},
        NotFound,
        "no longer in this group",
    ),
    (200, {"status": "error", "message": "Unauthenticated."}, AuthRefused, "paste a current"),
    (
        200,
        {
            "status": "error",
            "message": "No query results for model [App\\Models\\ContactGroups] 6065ecdc9184x",
        },
        NotFound,
        "group no longer exists",
    ),
    (
        200,
        {"status": "error", "message": "No query results for model [App\\Models\\Contacts] 62321a"},
        NotFound,
        "contact no longer exists",
    ),
    (
        200,
        {"status": "error", "message": "The given data was invalid."},
        ValidationFailed,
        "international form",
    ),
    (
        200,
        {"status": "error", "message": "This action is unauthorized."},
        PermissionDenied,
        "Ask your Flexacore administrator",
    ),
    (
        200,
        {
            "status": "error",
            "message": "The GET method is not supported for this route. Supported methods: POST.",
        },
        UnexpectedAnswer,
        "/api/v3",
    ),
    (200, {"status": "error", "message": ""}, UnexpectedAnswer, "server address"),
    (
        200,
        {"status": "error", "message": 'Undefined array key "first_name"'},
        ServerError,
        "internal problem",
    ),
    (
        200,
        {"status": "error", "message": "Undefined index: first_name"},
        ServerError,
        "internal problem",
    ),
    (
        200,
        {"status": "error", "message": "Could not interpret numbers after plus-sign."},
        PhoneSavedButRejected,
        "without a leading 0",
    ),
    (
        200,
        {
            "status": "error",
            "message": "SQLSTATE[HY000] [2002] Connection refused (SQL: select * from contacts)",
        },
        ServerError,
        "internal problem",
    ),
    (200, {"status": "error", "message": "CSRF token mismatch."}, ServerError, "internal problem"),
    (
        200,
        {"status": "error", "message": "Sorry! This option is not available in demo mode"},
        PermissionDenied,
        "demo mode",
    ),
    (200, {"status": "error", "message": "Too Many Attempts."}, RateLimited, "slow down"),
]


@pytest.mark.parametrize(("http", "body", "kind", "words"), MATRIX)
def test_each_known_message_maps_to_its_typed_error(
    http: int, body: dict[str, Any], kind: type[ProviderError], words: str
) -> None:
    err = error_of(answer(body, http), schema.CREATE_CONTACT)
    assert type(err) is kind
    assert words in err.message
    # the server's own text goes to detail only, never into the message
    if body["message"]:
        assert err.detail == body["message"]
        assert body["message"] not in err.message


def test_validation_message_depends_on_what_was_sent() -> None:
    body = {"status": "error", "message": "The given data was invalid."}
    group = error_of(answer(body), schema.CREATE_GROUP)
    assert isinstance(group, ValidationFailed)
    assert group.field == "name"
    assert "already use it" in group.message


def test_foreign_key_failure_on_group_rename_points_at_the_sending_server() -> None:
    body = {
        "status": "error",
        "message": "SQLSTATE[23000]: Integrity constraint violation: 1452 Cannot add or update "
        "a child row: a foreign key constraint fails (SQL: update `contact_groups` ...)",
    }
    err = error_of(answer(body), schema.RENAME_GROUP)
    assert isinstance(err, ValidationFailed)
    assert err.field == "sending_server"
    assert "SQL" not in err.message


def test_wrong_address_errors_are_not_worth_retrying() -> None:
    err = error_of(answer({"status": "error", "message": ""}))
    assert isinstance(err, UnexpectedAnswer)
    assert err.transient is False


def test_throttle_without_retry_after_waits_a_minute() -> None:
    err = error_of(answer({"status": "error", "message": "Too Many Attempts."}))
    assert isinstance(err, RateLimited)
    assert err.retry_after == DEFAULT_RETRY_AFTER


def test_throttle_honours_retry_after_when_a_proxy_keeps_it() -> None:
    err = error_of(
        answer({"status": "error", "message": "Too Many Attempts."}, headers={"Retry-After": "17"})
    )
    assert isinstance(err, RateLimited)
    assert err.retry_after == 17


def test_plain_429_page_is_rate_limited() -> None:
    err = error_of(answer("<html>Too Many Requests</html>", 429, {"Retry-After": "5"}))
    assert isinstance(err, RateLimited)
    assert err.retry_after == 5


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        (200, '{"status":"success","data":{"current_pa'),
        (200, "OK<br>Service temporarily degraded"),
        (404, "<!DOCTYPE html><title>Not Found</title>"),
        (401, "<!DOCTYPE html><title>Unauthorized</title>"),
    ],
)
def test_pages_that_are_not_json_are_unexpected_answers(status: int, text: str) -> None:
    err = error_of(answer(text, status))
    assert isinstance(err, UnexpectedAnswer)
    assert err.transient
    assert err.detail is not None
    assert text[:20] in err.detail


def test_laravel_bare_5xx_body_is_a_server_error() -> None:
    err = error_of(answer({"message": "Server Error"}, 500))
    assert isinstance(err, ServerError)


def test_json_of_another_product_is_unexpected() -> None:
    err = error_of(answer({"success": True, "data": []}))
    assert isinstance(err, UnexpectedAnswer)


def test_long_server_text_is_clipped_in_detail() -> None:
    err = error_of(answer("<html>" + "x" * 5000 + "</html>", 502))
    assert err.detail is not None
    assert len(err.detail) < 600


# -- shapes (§3) ----------------------------------------------------------------------------

STORE_DATA = {
    "customer_id": 7,
    "group_id": 12,
    "phone": "8801700000001",
    "first_name": "Rina",
    "last_name": None,
    "uid": "62321a0f4c1d2",
    "status": "subscribe",
    "updated_at": "2022-03-16T18:40:15.000000Z",
    "created_at": "2022-03-16T18:40:15.000000Z",
    "id": 345,
}

UPDATE_DATA = {
    "id": 345,
    "uid": "62321a0f4c1d2",
    "customer_id": 7,
    "group_id": 12,
    "phone": "8801700000002",
    "status": "subscribe",
    "first_name": "Rina",
    "last_name": "Das",
    "email": None,
    "username": None,
    "company": "Acme",
    "address": None,
    "birth_date": "1990-05-01T00:00:00.000000Z",
    "anniversary_date": None,
    "created_at": "2022-03-16T18:40:15.000000Z",
    "updated_at": "2022-03-16T18:52:03.000000Z",
}


def test_store_shape() -> None:
    contact = contact_from_row(STORE_DATA, group_id="6065ecdc9184a")
    assert contact.phone == "+8801700000001"
    assert contact.remote_id == "62321a0f4c1d2"
    assert contact.group_id == "6065ecdc9184a"  # the uid we asked with, not the numeric id
    assert contact.first_name == "Rina"
    assert contact.last_name is None
    assert contact.extra == {"status": "subscribe"}


def test_update_shape_keeps_the_extra_columns_we_show() -> None:
    contact = contact_from_row(UPDATE_DATA, group_id="6065ecdc9184a")
    assert contact.phone == "+8801700000002"
    assert contact.last_name == "Das"
    assert contact.updated_at == "2022-03-16T18:52:03.000000Z"
    assert contact.extra["company"] == "Acme"
    assert contact.extra["birth_date"].startswith("1990-05-01")
    assert "email" not in contact.extra


def test_phone_may_be_a_json_number() -> None:
    row = {"uid": "62321a0f4c1d2", "phone": 8801700000001, "first_name": None, "last_name": None}
    assert contact_from_row(row, group_id="g").phone == "+8801700000001"


def test_odd_phones_from_the_web_ui_do_not_break_a_listing() -> None:
    row = {"uid": "62321a0f4c1d2", "phone": "01700-000001", "first_name": "A", "last_name": None}
    assert contact_from_row(row, group_id="g").phone == "01700-000001"


def test_paginator_pages_by_last_page_and_ignores_links() -> None:
    data = {
        "current_page": 1,
        "data": [
            {
                "uid": "62321a0f4c1d2",
                "phone": "8801700000001",
                "first_name": "Rina",
                "last_name": None,
            }
        ],
        "first_page_url": "http://wrong-scheme.example/api/v3/contacts/6065ecdc9184a/all?page=1",
        "from": 1,
        "last_page": 2,
        "last_page_url": "http://wrong-scheme.example/api/v3/contacts/6065ecdc9184a/all?page=2",
        "links": [{"url": None, "label": "pagination.previous", "active": False}],
        "next_page_url": None,  # a broken proxy may drop it: last_page still rules
        "path": "http://wrong-scheme.example/api/v3/contacts/6065ecdc9184a/all",
        "per_page": 25,
        "prev_page_url": None,
        "to": 25,
        "total": 30,
    }
    page = page_from_paginator(data, lambda r: contact_from_row(r, group_id="g"))
    assert (page.page, page.pages, page.total, len(page.items)) == (1, 2, 30, 1)
    assert not page.is_last


def test_empty_group_has_one_page() -> None:
    data = {"current_page": 1, "data": [], "last_page": 1, "total": 0}
    page = page_from_paginator(data, group_from_row)
    assert page.is_last
    assert page.items == ()


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"current_page": 1, "last_page": 1, "total": 0},
        {"current_page": "x", "data": [], "last_page": 1, "total": 0},
        {"current_page": True, "data": [], "last_page": 1, "total": 0},
        {"current_page": 1, "data": [{"name": "no uid"}], "last_page": 1, "total": 1},
    ],
)
def test_malformed_pages_are_unexpected_answers(data: Any) -> None:
    with pytest.raises(UnexpectedAnswer):
        page_from_paginator(data, group_from_row)
