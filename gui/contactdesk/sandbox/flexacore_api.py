"""The ten contact and group endpoints of Flexacore's API v3 (controller + repository, spec §3).

Each handler runs after authentication and route-model binding (see ``flexacore.py``),
with the store's lock held, and either returns a response or raises `LaravelError`
(rendered as an HTTP 200 error envelope). Order inside a handler follows the source:
Gate permission, then validation, then the token ability, then the repository logic.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import phonenumbers
from werkzeug.wrappers import Request, Response

from contactdesk.sandbox.flexacore_config import FlexacoreConfig
from contactdesk.sandbox.flexacore_laravel import (
    MSG_403,
    MSG_404,
    MSG_INVALID,
    MSG_UNAUTHORIZED,
    MSG_WENT_WRONG,
    LaravelError,
    api_error,
    date_cast,
    is_filled,
    passes_phone_rule,
    php_string,
    success,
    timestamp,
)
from contactdesk.sandbox.flexacore_paginator import PER_PAGE, LengthAwarePaginator, resolve_page
from contactdesk.sandbox.flexacore_store import (
    ADMIN_USER_ID,
    AccessToken,
    ContactRow,
    Customer,
    FlexacoreStore,
    GroupRow,
    mysql_int_prefix,
)

NAME_MAX = 191  # varchar(191); MySQL runs non-strict, so longer names are cut, not refused
GROUP_FLAGS = ("send_welcome_sms", "unsubscribe_notification", "send_keyword_message")


@dataclass
class Call:
    """One authenticated, bound request on its way through a handler."""

    request: Request
    data: dict[str, Any]
    token: AccessToken
    customer: Customer
    group: GroupRow | None
    contact: ContactRow | None
    store: FlexacoreStore
    config: FlexacoreConfig
    now: float

    @property
    def bound_group(self) -> GroupRow:
        assert self.group is not None, "route without a group binding"
        return self.group

    @property
    def bound_contact(self) -> ContactRow:
        assert self.contact is not None, "route without a contact binding"
        return self.contact

    def url(self) -> str:
        """``$request->url()``: scheme, host and path as the server saw them, no query."""
        return self.request.base_url.rstrip("/")


# --- shared rules ------------------------------------------------------------------------


def _gate(call: Call, permission: str) -> None:
    """A FormRequest's ``authorize()``: the customer's *current* permissions."""
    if call.customer.id != ADMIN_USER_ID and permission not in call.customer.permissions:
        raise LaravelError(MSG_UNAUTHORIZED)


def _validate_phone(call: Call) -> Any:
    phone = call.data.get("phone")
    # `required` is implicit and fails first; PHONE only runs on a filled value
    if not is_filled(phone) or not passes_phone_rule(phone):
        raise LaravelError(MSG_INVALID)
    return phone


def _undefined_key(call: Call, key: str) -> LaravelError:
    if call.config.php_major >= 8:
        return LaravelError(f'Undefined array key "{key}"')
    return LaravelError(f"Undefined index: {key}")


def _column_text(value: Any) -> str | None:
    """What a scalar becomes in a varchar column (arrays cannot be bound)."""
    if value is None:
        return None
    if isinstance(value, list | dict):
        raise LaravelError("Array to string conversion")
    if isinstance(value, bool):
        return "1" if value else "0"
    return php_string(value)


def _php_truthy(value: Any) -> bool:
    return value not in (None, False, 0, 0.0, "", "0", [], {})


def _collate(text: str) -> str:
    """utf8mb4_unicode_ci equality, near enough: no case, no accents, no trailing spaces."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().rstrip(" ")


def _name_is_unique(call: Call, name: Any, ignore: GroupRow | None = None) -> bool:
    if isinstance(name, list | dict):
        return False
    wanted = _collate(php_string(name))
    return not any(
        _collate(g.name) == wanted
        for g in call.store.groups_of(call.customer.id)
        if ignore is None or g.id != ignore.id
    )


def _list_shape(contact: ContactRow) -> dict[str, Any]:
    return {
        "uid": contact.uid,
        "phone": contact.phone,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
    }


def contact_row(contact: ContactRow) -> dict[str, Any]:
    """The full `contacts` row in column order, dates and timestamps cast as Laravel does."""
    return {
        "id": contact.id,
        "uid": contact.uid,
        "customer_id": contact.customer_id,
        "group_id": contact.group_id,
        "phone": contact.phone,
        "status": contact.status,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "username": contact.username,
        "company": contact.company,
        "address": contact.address,
        "birth_date": date_cast(contact.birth_date),
        "anniversary_date": date_cast(contact.anniversary_date),
        "created_at": timestamp(contact.created_at),
        "updated_at": timestamp(contact.updated_at),
    }


def _page(call: Call, rows: list[dict[str, Any]], total: int, page: int) -> Response:
    paginator = LengthAwarePaginator(
        rows,
        total=total,
        page=page,
        path=call.url(),
        previous_label=call.config.previous_label,
        next_label=call.config.next_label,
    )
    return success(paginator.to_dict())


# --- contacts ----------------------------------------------------------------------------


def all_contacts(call: Call) -> Response:
    """C1: every contact of the group, unsubscribed ones too, 25 per page."""
    if not call.token.can("view_contact"):
        return api_error(403, MSG_403)
    group = call.bound_group
    page = resolve_page(call.data.get("page"))
    rows = call.store.members(group.id, (page - 1) * PER_PAGE, PER_PAGE)
    return _page(call, [_list_shape(c) for c in rows], call.store.member_count(group.id), page)


def search_contact(call: Call) -> Response:
    """C2: one contact; a contact of another group is a success with ``data: null``."""
    if not call.token.can("view_contact"):
        return api_error(403, MSG_403)
    contact = call.bound_contact
    if contact.group_id != call.bound_group.id:
        return success(None)
    return success(_list_shape(contact))


def store_contact(call: Call) -> Response:
    """C3: insert first, then (3.1.0) parse the phone, so a parse error leaves the row saved."""
    _gate(call, "create_contact")
    phone = _validate_phone(call)
    for key in ("first_name", "last_name"):
        if key not in call.data:
            raise _undefined_key(call, key)
    first, last = call.data["first_name"], call.data["last_name"]
    group, store = call.bound_group, call.store
    contact = store.insert_contact(
        group, php_string(phone), _column_text(first), _column_text(last), call.now
    )
    # the model's attributes as they were set, not re-read: `phone` keeps the input's type
    data = {
        "customer_id": group.customer_id,
        "group_id": group.id,
        "phone": phone,
        "first_name": first,
        "last_name": last,
        "uid": contact.uid,
        "status": contact.status,
        "updated_at": timestamp(contact.updated_at),
        "created_at": timestamp(contact.created_at),
        "id": contact.id,
    }
    if call.config.phone_check:
        try:
            phonenumbers.parse("+" + php_string(phone), None)
        except phonenumbers.NumberParseException as exc:
            raise LaravelError(str(exc.args[0])) from None
    for wanted, text in ((group.send_welcome_sms, group.welcome_sms), (True, group.signup_sms)):
        if wanted and text:
            store.sms_sent.append((php_string(phone), text))
    store.refresh_count(group, call.now)
    return success(data, "Contact was successfully added")


def update_contact(call: Call) -> Response:
    """C4: phone always required, names only when sent; the whole row comes back."""
    _gate(call, "create_contact")
    phone = _validate_phone(call)
    contact, group = call.bound_contact, call.bound_group
    if contact.group_id != group.id:
        return api_error(404, MSG_404)
    changes: dict[str, str | None] = {"phone": _column_text(phone)}
    for key in ("first_name", "last_name"):
        if key in call.data:
            changes[key] = _column_text(call.data[key])
    dirty = {k: v for k, v in changes.items() if getattr(contact, k) != v}
    if dirty:  # Eloquent touches updated_at only when something changed
        for key, value in dirty.items():
            setattr(contact, key, value)
        contact.updated_at = int(call.now)
    return success(contact_row(contact), "Contact was successfully updated")


def delete_contact(call: Call) -> Response:
    """C5: delete when the contact is in this group; a 404 otherwise."""
    if not call.token.can("delete_contact"):
        return api_error(403, MSG_403)
    contact, group = call.bound_contact, call.bound_group
    if contact.group_id != group.id:
        return api_error(404, MSG_WENT_WRONG)
    call.store.delete_contact(contact)
    call.store.refresh_count(group, call.now)
    return success(None, "Contact was successfully deleted")


# --- groups ------------------------------------------------------------------------------


def list_groups(call: Call) -> Response:
    """G1: the token owner's groups only, 25 per page."""
    if not call.token.can("view_contact_group"):
        return api_error(403, MSG_403)
    page = resolve_page(call.data.get("page"))
    groups = call.store.groups_of(call.customer.id)
    chosen = groups[(page - 1) * PER_PAGE : page * PER_PAGE]
    return _page(call, [{"uid": g.uid, "name": g.name} for g in chosen], len(groups), page)


def create_group(call: Call) -> Response:
    """G2: name required and unique for this customer; the three flags off unless sent."""
    _gate(call, "create_contact_group")
    name = call.data.get("name")
    if not is_filled(name) or not _name_is_unique(call, name):
        raise LaravelError(MSG_INVALID)
    # `isset`: a flag that is sent (not null) is left to the column default, which is true
    flags = {flag: call.data.get(flag) is not None for flag in GROUP_FLAGS}
    group = call.store.insert_group(
        call.customer.id,
        php_string(name)[:NAME_MAX],
        call.now,
        sending_server=None,
        **flags,
    )
    return success({"name": group.name, "uid": group.uid}, "Contact group was successfully added")


def show_group(call: Call) -> Response:
    """G3: any customer's group resolves (no ownership check)."""
    if not call.token.can("view_contact_group"):
        return api_error(403, MSG_403)
    group = call.bound_group
    return success({"uid": group.uid, "name": group.name})


def _sql_error(group: GroupRow, column: str, value: Any, now: float) -> LaravelError:
    parent = "sending_servers" if column == "sending_server" else "users"
    stamp = timestamp(int(now))[:19].replace("T", " ")
    # the text MySQL and Laravel produce; nothing here is ever run as SQL
    return LaravelError(
        "SQLSTATE[23000]: Integrity constraint violation: 1452 Cannot add or update a child "  # noqa: S608
        "row: a foreign key constraint fails (`flexacore`.`contact_groups`, CONSTRAINT "
        f"`contact_groups_{column}_foreign` FOREIGN KEY (`{column}`) REFERENCES `{parent}` "
        f"(`id`) ON DELETE CASCADE) (SQL: update `contact_groups` set `{column}` = "
        f"{php_string(value)}, `contact_groups`.`updated_at` = {stamp} where `id` = {group.id})"
    )


def _foreign_id(value: Any) -> int:
    """How MySQL (non-strict) stores a value sent for an integer column."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return mysql_int_prefix(php_string(value))


def update_group(call: Call) -> Response:
    """G4: mass assignment of the whole body; absent flags reset to false."""
    _gate(call, "update_contact_group")
    group = call.bound_group
    name = call.data.get("name")
    if not is_filled(name) or not _name_is_unique(call, name, ignore=group):
        raise LaravelError(MSG_INVALID)
    if call.config.sending_server_required and not is_filled(call.data.get("sending_server")):
        raise LaravelError(MSG_INVALID)
    data = dict(call.data)
    if data.get("originator") is not None:
        source = "sender_id" if php_string(data["originator"]) == "sender_id" else "phone_number"
        if source not in data:
            raise _undefined_key(call, source)
        data["sender_id"] = data[source]
    for flag in GROUP_FLAGS:
        if data.get(flag) is None:
            data[flag] = False
    changes: dict[str, Any] = {}
    if "sending_server" in data and data["sending_server"] is not None:
        server = _foreign_id(data["sending_server"])
        if server not in call.config.sending_server_ids:
            raise _sql_error(group, "sending_server", data["sending_server"], call.now)
        changes["sending_server"] = server
    elif "sending_server" in data:
        changes["sending_server"] = None
    if "customer_id" in data:  # the mass-assignment hole: a caller can move the group
        owner = _foreign_id(data["customer_id"]) if data["customer_id"] is not None else 0
        if owner not in call.store.customers:
            raise _sql_error(group, "customer_id", data["customer_id"], call.now)
        changes["customer_id"] = owner
    changes["name"] = php_string(name)[:NAME_MAX]
    for flag in (*GROUP_FLAGS, "status"):
        if flag in data:
            changes[flag] = _php_truthy(data[flag])
    for column in ("sender_id", "welcome_sms", "unsubscribe_sms", "batch_id"):
        if column in data:
            changes[column] = _column_text(data[column])
    dirty = {k: v for k, v in changes.items() if getattr(group, k) != v}
    if dirty:
        for key, value in dirty.items():
            setattr(group, key, value)
        group.updated_at = int(call.now)
    return success({"name": group.name, "uid": group.uid}, "Contact group was successfully updated")


def delete_group(call: Call) -> Response:
    """G5: deletes the group and, by cascade, its contacts; no ownership check."""
    if not call.token.can("delete_contact_group"):
        return api_error(403, MSG_403)
    call.store.delete_group(call.bound_group)
    return success(None, "Contact group was successfully deleted")


Handler = Callable[[Call], Response]

#: route name -> (handler, whether it binds a contact after the group)
ENDPOINTS: dict[str, tuple[Handler, bool]] = {
    "api.contact.all": (all_contacts, False),
    "api.contact.search": (search_contact, True),
    "api.contact.store": (store_contact, False),
    "api.contact.update": (update_contact, True),
    "api.contact.delete": (delete_contact, True),
    "api.contacts.index": (list_groups, False),
    "api.contacts.store": (create_group, False),
    "api.contacts.show": (show_group, False),
    "api.contacts.update": (update_group, False),
    "api.contacts.destroy": (delete_group, False),
}

#: routes that change data (the fault injector's resets only hit these)
WRITE_ENDPOINTS = frozenset(
    {
        "api.contact.store",
        "api.contact.update",
        "api.contact.delete",
        "api.contacts.store",
        "api.contacts.update",
        "api.contacts.destroy",
    }
)
