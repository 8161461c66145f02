"""The Flexacore client: any Ultimate SMS 3 deployment's contacts API (``/api/v3``).

Follows ``shared/spec/flexacore-v3-contract.md`` §12 point by point: JSON bodies and
``Accept: application/json`` on every call (the HTTP layer sets the header), the
envelope's ``status`` decides success (`flexacore_answers`), URLs come only from the
per-route builders of `flexacore_routes`, phones are checked before they leave, create
always sends both name keys, update is a PATCH that always carries the phone.

Ultimate SMS neither dedupes contacts nor makes create idempotent, and one of its errors
("Could not interpret numbers after plus-sign.") arrives *after* the row was saved. So a
create whose outcome is unknown is resolved by re-listing the group, never by sending the
same POST blindly again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from contactdesk.core.errors import (
    AuthRefused,
    NetworkError,
    NotFound,
    ProviderError,
    ServerError,
    UnexpectedAnswer,
    ValidationFailed,
)
from contactdesk.core.models import Contact, Group, Page
from contactdesk.core.schema import Capabilities, FieldSpec, RatePlan
from contactdesk.providers import flexacore_routes as routes
from contactdesk.providers import flexacore_schema as schema
from contactdesk.providers.flexacore_answers import Action, PhoneSavedButRejected, interpreter
from contactdesk.providers.flexacore_paging import PageWalker
from contactdesk.providers.flexacore_routes import Route, checked_uid, same_uid
from contactdesk.providers.flexacore_shapes import (
    contact_from_row,
    group_from_row,
    group_name_for_wire,
    name_for_wire,
    name_key,
    page_from_paginator,
    phone_for_wire,
)
from contactdesk.providers.http import HttpPolicy
from contactdesk.providers.ratelimit import RateLimiter

log = logging.getLogger(__name__)

T = TypeVar("T")

# how many times a write whose outcome was unknown is checked and sent again
_ATTEMPTS = 3

# seconds before a delete is sent again after a server failure (doubles each time)
_BACKOFF = 0.25

# a token is one printable run (Sanctum: "<id>|<40 chars>"); whitespace would break the header
_TOKEN = re.compile(r"[\x21-\x7e]+")

_NEEDS_SENDING_SERVER = (
    "Renaming a group on this Flexacore server needs the number of one of your sending "
    "servers. Open account settings and enter it (Flexacore lists it under Sending Servers)."
)


def _ignore(_data: Any) -> None:
    return None


class FlexacoreClient:
    """A connection to one Flexacore / Ultimate SMS 3 account (implements `Provider`).

    Blocking and thread-safe; run it on the account's worker thread. ``list_all`` fetches
    pages 2.. concurrently (at most ``max_concurrency`` in flight) once page 1 told how
    many there are. ``sending_server`` is the sending-server id Ultimate SMS 3.1 wants on
    every group rename. The token never appears in ``repr``, messages or logs.
    """

    capabilities: Capabilities = schema.CAPABILITIES
    fields: Sequence[FieldSpec] = schema.FIELDS

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        limiter: RateLimiter | None = None,
        plan: RatePlan | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        sending_server: int | None = None,
        max_concurrency: int = 6,
    ) -> None:
        token = token.strip()
        if not _TOKEN.fullmatch(token):
            # never echo the value: it may be the key with a stray space or line break
            raise AuthRefused(
                "The API token is empty or contains spaces or line breaks. Copy it again from "
                "Flexacore (Developers) and paste it in account settings."
            )
        self.base_url = routes.normalize_base_url(base_url)
        self.sending_server = sending_server
        # six pages in flight: a 2,500-contact group reads 4x faster than page by page, and
        # a throttled (3.0.1) server's X-RateLimit headers still pace us through the limiter
        self._max_concurrency = max(1, max_concurrency)
        self._http = HttpPolicy(
            self.base_url,
            auth_headers={"Authorization": f"Bearer {token}"},
            limiter=limiter if limiter is not None else RateLimiter(plan),
            timeout=timeout,
            max_concurrency=self._max_concurrency,
        )
        self._pages = PageWalker(self._max_concurrency)

    def __repr__(self) -> str:
        return f"FlexacoreClient({self.base_url!r})"

    @property
    def limiter(self) -> RateLimiter:
        return self._http.limiter

    # -- plumbing -------------------------------------------------------------------------

    def _call(
        self,
        route: Route,
        action: Action,
        shape: Callable[[Any], T],
        *,
        idempotent: bool,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> T:
        # every call but the GET carries a JSON body: Ultimate SMS ignores any other body
        # format, and the JSON Content-Type makes it trim strings and turn "" into null
        json_body = None if route.method == "GET" else (body or {})
        log.debug("flexacore %s", route.name)
        return self._http.request(
            route.method,
            route.path,
            interpret=interpreter(action, shape),
            json=json_body,
            params=params,
            idempotent=idempotent,
        )

    # -- groups ---------------------------------------------------------------------------

    def _groups_page(self, page: int) -> Page[Group]:
        return self._call(
            routes.group_list(),
            schema.LIST_GROUPS,
            lambda data: page_from_paginator(data, group_from_row),
            idempotent=True,
            params={"page": page},
        )

    def list_groups(self) -> list[Group]:
        """Every group of the account (all pages). Group sizes are not in the answer."""
        return self._pages.walk(self._groups_page, lambda g: g.remote_id)

    def get_group(self, group_id: str) -> Group:
        return self._call(
            routes.group_show(group_id), schema.SHOW_GROUP, group_from_row, idempotent=True
        )

    def _check_name_free(self, name: str, *, except_id: str | None = None) -> None:
        wanted = name_key(name)
        for group in self.list_groups():
            if name_key(group.name) == wanted and not same_uid(group.remote_id, except_id):
                raise ValidationFailed(
                    f"A group called “{group.name}” already exists. Choose another name.",
                    field="name",
                )

    def _find_group_named(self, name: str) -> Group | None:
        wanted = name_key(name)
        return next((g for g in self.list_groups() if name_key(g.name) == wanted), None)

    def create_group(self, name: str) -> Group:
        """Create a group. Names are unique per account (case and accents ignored)."""
        text = group_name_for_wire(name)
        self._check_name_free(text)
        route = routes.group_create()
        unknown: ProviderError | None = None
        for _ in range(_ATTEMPTS):
            try:
                return self._call(
                    route,
                    schema.CREATE_GROUP,
                    group_from_row,
                    idempotent=False,
                    body={"name": text},
                )
            except ProviderError as err:
                if not _outcome_unknown(err):
                    raise
                unknown = err
            # names are unique, so the group list tells whether the failed POST was applied
            found = self._resolve(unknown, lambda: self._find_group_named(text))
            if found is not None:
                return found
        assert unknown is not None
        raise unknown

    def rename_group(self, group_id: str, name: str) -> Group:
        """Rename a group (PATCH G4).

        Ultimate SMS applies the whole body to the group: it needs ``sending_server``
        (3.1.0) and resets the welcome-SMS, unsubscribe-notification and keyword-reply
        switches to off, as the contract §3 G4 describes; the API cannot read them first.
        """
        uid = checked_uid(group_id, what="group")
        text = group_name_for_wire(name)
        self._check_name_free(text, except_id=uid)
        body: dict[str, Any] = {"name": text}
        if self.sending_server is not None:
            body["sending_server"] = self.sending_server
        try:
            return self._call(
                routes.group_update(uid),
                schema.RENAME_GROUP,
                group_from_row,
                idempotent=True,
                body=body,
            )
        except ValidationFailed as err:
            if self.sending_server is None:
                # the name was checked free above: the missing server id is what was refused
                raise ValidationFailed(
                    _NEEDS_SENDING_SERVER, field="sending_server", detail=err.detail
                ) from None
            raise

    def delete_group(self, group_id: str) -> None:
        """Delete a group *and every contact in it* (DELETE G5)."""
        self._delete(routes.group_delete(checked_uid(group_id, what="group")), schema.DELETE_GROUP)

    # -- contacts -------------------------------------------------------------------------

    def _contacts_page(self, group_id: str, page: int) -> Page[Contact]:
        # the page goes in the JSON body (which wins) and the query (readable in server logs)
        return self._call(
            routes.contact_list(group_id),
            schema.LIST_CONTACTS,
            lambda data: page_from_paginator(
                data, lambda r: contact_from_row(r, group_id=group_id)
            ),
            idempotent=True,
            body={"page": page},
            params={"page": page},
        )

    def list_contacts(
        self, *, group_id: str | None = None, page: int = 1, search: str | None = None
    ) -> Page[Contact]:
        """One page of 25 contacts of a group, in the server's (insertion) order."""
        gid = checked_uid(group_id, what="group")
        _no_search(search)
        return self._contacts_page(gid, max(1, page))

    def list_all(self, *, group_id: str | None = None, search: str | None = None) -> list[Contact]:
        """Every contact of a group; pages 2.. are fetched concurrently."""
        gid = checked_uid(group_id, what="group")
        _no_search(search)
        return self._pages.walk(lambda n: self._contacts_page(gid, n), _remote_id)

    def get_contact(self, remote_id: str, *, group_id: str | None = None) -> Contact:
        gid = checked_uid(group_id, what="group")
        uid = checked_uid(remote_id, what="contact")
        found = self._call(
            routes.contact_show(gid, uid),
            schema.SHOW_CONTACT,
            lambda data: None if data is None else contact_from_row(data, group_id=gid),
            idempotent=True,
        )
        if found is None:
            # the uid exists, but in another group: C2 answers success with data null
            raise NotFound("This contact is no longer in this group on Flexacore.")
        if not same_uid(found.remote_id, uid):
            raise UnexpectedAnswer(
                "Flexacore answered with a different contact than the one asked for.",
                detail=f"asked {uid}, got {found.remote_id}",
            )
        return found

    def find_by_phone(self, phone_e164: str, *, group_id: str | None = None) -> list[Contact]:
        """Contacts of the group with this phone (Flexacore has no search: the group is read)."""
        gid = checked_uid(group_id, what="group")
        wanted = phone_for_wire(phone_e164)
        return [c for c in self.list_all(group_id=gid) if _digits(c.phone) == wanted]

    def create_contact(self, contact: Contact, *, group_id: str | None = None) -> Contact:
        """Create a contact in a group (C3). May send the group's welcome SMS.

        Never sends the same POST twice without first checking, by re-listing the group,
        that the earlier one was not applied.
        """
        gid = checked_uid(group_id if group_id is not None else contact.group_id, what="group")
        body = {
            "phone": phone_for_wire(contact.phone),
            # both keys always: a missing one is a PHP "undefined array key" error (§12.4)
            "first_name": name_for_wire(contact.first_name, field="first_name", label="first name"),
            "last_name": name_for_wire(contact.last_name, field="last_name", label="last name"),
        }
        route = routes.contact_store(gid)
        unknown: ProviderError | None = None
        for _ in range(_ATTEMPTS):
            try:
                return self._call(
                    route,
                    schema.CREATE_CONTACT,
                    lambda data: contact_from_row(data, group_id=gid),
                    idempotent=False,
                    body=body,
                )
            except PhoneSavedButRejected as err:
                # the row exists although the answer is an error (§3 C3 step 2)
                saved = self._resolve(err, lambda: self._find_created(gid, body))
                if saved is not None:
                    return saved
                raise ValidationFailed(err.message, field="phone", detail=err.detail) from None
            except ProviderError as err:
                if not _outcome_unknown(err):
                    raise
                unknown = err
            found = self._resolve(unknown, lambda: self._find_created(gid, body))
            if found is not None:
                return found
            log.debug("flexacore: the failed create was not applied; sending it again")
        assert unknown is not None
        raise unknown

    @staticmethod
    def _resolve(original: ProviderError, look: Callable[[], T]) -> T:
        # if we cannot even look, the outcome stays unknown: report the original error
        try:
            return look()
        except ProviderError:
            raise original from None

    def _find_created(self, group_id: str, body: dict[str, Any]) -> Contact | None:
        """The row a create with ``body`` made, if any: same phone and names, newest uid.

        A pre-existing identical row also matches; returning it is what the person wanted
        (that contact exists, once) and is safer than adding a duplicate.
        """
        matches = [
            c
            for c in self.list_all(group_id=group_id)
            if _digits(c.phone) == body["phone"]
            and c.first_name == body["first_name"]
            and c.last_name == body["last_name"]
        ]
        # uniqid() uids grow with time: the greatest is the newest row
        return max(matches, key=lambda c: _remote_id(c).casefold(), default=None)

    def update_contact(
        self, contact: Contact, *, group_id: str | None = None, base: Contact | None = None
    ) -> Contact:
        """Update phone and names (PATCH C4; it needs the phone every time).

        With ``base`` (the version the edit started from) only the names that changed are
        sent, and an unchanged phone is sent as the server has it now, so a colleague's
        concurrent edit of another field is kept.
        """
        gid = checked_uid(group_id if group_id is not None else contact.group_id, what="group")
        uid = checked_uid(contact.remote_id, what="contact")
        body: dict[str, Any] = {"phone": phone_for_wire(contact.phone)}
        for key, label in (("first_name", "first name"), ("last_name", "last name")):
            value = getattr(contact, key)
            if base is None or value != getattr(base, key):
                body[key] = name_for_wire(value, field=key, label=label)
        if base is not None and _digits(contact.phone) == _digits(base.phone):
            current = self.get_contact(uid, group_id=gid)
            body["phone"] = phone_for_wire(current.phone)
        return self._call(
            routes.contact_update(gid, uid),
            schema.UPDATE_CONTACT,
            lambda data: contact_from_row(data, group_id=gid),
            # PATCH with absolute values: sending it twice has the effect of once
            idempotent=True,
            body=body,
        )

    def delete_contact(self, remote_id: str, *, group_id: str | None = None) -> None:
        """Delete one contact (DELETE C5, never the group route)."""
        route = routes.contact_delete(
            checked_uid(group_id, what="group"), checked_uid(remote_id, what="contact")
        )
        self._delete(route, schema.DELETE_CONTACT)

    def _delete(self, route: Route, action: Action) -> None:
        # sent as not idempotent so that *we* see a lost answer: "not found" on the next
        # attempt then means the first one worked, while on the first attempt it is news
        retried = False
        last: ProviderError | None = None
        for attempt in range(_ATTEMPTS):
            try:
                self._call(route, action, _ignore, idempotent=False)
                return
            except NotFound:
                if retried:
                    return
                raise
            except NetworkError as err:
                if not err.uncertain:
                    raise
                last = err
            except (ServerError, UnexpectedAnswer) as err:
                if not err.transient:
                    raise
                last = err
                self.limiter.sleep(_BACKOFF * (2**attempt))
            retried = True
        assert last is not None
        raise last

    def close(self) -> None:
        self._pages.close()
        self._http.close()


def _outcome_unknown(err: ProviderError) -> bool:
    """Whether a failed write may still have been applied (then look before sending again).

    A lost answer after sending, a 5xx (PHP may fail after the insert, e.g. while sending
    the welcome SMS) or an unreadable answer (a proxy page) all leave it open.
    """
    if isinstance(err, NetworkError):
        return err.uncertain
    return isinstance(err, ServerError | UnexpectedAnswer) and err.transient


def _remote_id(contact: Contact) -> str:
    return contact.remote_id or ""


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def _no_search(search: str | None) -> None:
    if search:
        raise ValidationFailed(
            "Flexacore cannot search on the server; search the downloaded list instead.",
            field="search",
        )


__all__ = ["FlexacoreClient"]
