"""The TextFlow Contacts API v1 client (``X-API-Key``; endpoints under ``/v1/contacts``).

Follows ``shared/spec/textflow-v1-contract.md`` without leaning on the simulator's own
[sim] choices: behaviour is keyed on HTTP statuses, not on the unconfirmed error codes.

Writes are made safe against lost answers:
- a create is never sent twice blindly: after an answer that may hide an applied create
  (connection dropped after sending, 5xx, unreadable body) the phone is looked up first;
  only when it is not there is the create sent once more;
- a delete whose outcome was unknown is repeated, and "not found" then means it worked;
- an update is a PUT of whole values, so repeating it is harmless (the HTTP policy does).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from contactdesk.core.errors import (
    AuthRefused,
    Duplicate,
    NetworkError,
    NotFound,
    PermissionDenied,
    ProviderError,
    ServerError,
    UnexpectedAnswer,
    ValidationFailed,
)
from contactdesk.core.models import Contact, Group, Page
from contactdesk.core.phones import to_textflow_wire
from contactdesk.core.schema import Capabilities, FieldSpec, RatePlan
from contactdesk.providers import textflow_answers as answers
from contactdesk.providers import textflow_schema as schema
from contactdesk.providers.http import HttpPolicy
from contactdesk.providers.ratelimit import RateLimiter

__all__ = ["TextFlowClient", "normalize_base_url"]

log = logging.getLogger(__name__)

T = TypeVar("T")

CONTACTS = "/v1/contacts"
_NUMERIC_ID = re.compile(r"^[0-9]{1,18}$")
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
NO_GROUPS = "TextFlow has no groups. Use tags to sort contacts into lists."

#: errors after which a create or delete may or may not have been applied
_OUTCOME_UNKNOWN = (NetworkError, ServerError, UnexpectedAnswer)


def normalize_base_url(url: str) -> str:
    """Turn whatever was pasted into ``scheme://host[:port]/prefix`` (the doc's ``.../api``).

    Accepts the bare host (``/api`` is added), a trailing slash, or the doc's endpoint
    ``.../api/v1/contacts``. A query string or fragment is refused: it would ride along on
    every call and hides a mistyped address.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(
            "The server address must start with https:// and name a host, "
            "for example https://textflow.telair.net/api",
            field="base_url",
        )
    if parts.query or parts.fragment:
        raise ValidationFailed(
            "The server address should not contain ? or #. Use the address from the "
            "TextFlow documentation, for example https://textflow.telair.net/api",
            field="base_url",
        )
    path = parts.path.rstrip("/")
    for suffix in ("/v1/contacts", "/v1"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)]
            break
    return urlunsplit((parts.scheme.lower(), parts.netloc, path or "/api", "", ""))


def _unknown_outcome(err: ProviderError) -> bool:
    # a NetworkError that is not uncertain never reached the server (it was not sent)
    return not isinstance(err, NetworkError) or err.uncertain


def _norm(value: str | None) -> str:
    return (value or "").strip().casefold()


def _same_person(found: Contact, wanted: Contact) -> bool:
    """Whether the contact found under the phone is the one our lost create made."""
    return (
        _norm(found.first_name) == _norm(wanted.first_name)
        and _norm(found.last_name) == _norm(wanted.last_name)
        and _norm(found.email) == _norm(wanted.email)
    )


class TextFlowClient:
    """A connection to one TextFlow account (implements `Provider`).

    Blocking and thread-safe; run it on the account's worker thread. Pass the account's
    shared ``limiter`` when several clients use one key; otherwise one is made from
    ``plan`` (Starter 100 a minute, Marketer 300; Enterprise paces itself from the
    server's rate-limit headers). The key never appears in ``repr``, messages or logs.
    """

    capabilities: Capabilities = schema.CAPABILITIES
    fields: Sequence[FieldSpec] = schema.FIELDS

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        plan: RatePlan | None = None,
        limiter: RateLimiter | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        max_concurrency: int = 4,
    ) -> None:
        key = api_key.strip()
        if not key or any(ch.isspace() or not ch.isprintable() for ch in key):
            # never echo the value: it may be the key with a stray space or line break
            raise AuthRefused(
                "The TextFlow key is empty or contains spaces or line breaks. Copy it again "
                "from TextFlow and paste it in account settings."
            )
        self.base_url = normalize_base_url(base_url)
        self._key = key
        self._http = HttpPolicy(
            self.base_url,
            auth_headers={"X-API-Key": key},
            limiter=limiter if limiter is not None else RateLimiter(plan),
            timeout=timeout,
            max_concurrency=max_concurrency,
        )

    def __repr__(self) -> str:
        return f"TextFlowClient({self.base_url!r})"

    @property
    def limiter(self) -> RateLimiter:
        return self._http.limiter

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "[redacted]")

    def _call(
        self,
        method: str,
        path: str,
        shape: Callable[[Any], T],
        *,
        idempotent: bool,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> T:
        return self._http.request(
            method,
            path,
            interpret=answers.interpreter(shape, self._redact),
            json=json,
            params=params,
            idempotent=idempotent,
        )

    @staticmethod
    def _path(remote_id: str | None) -> str:
        ref = (remote_id or "").strip()
        if not ref:
            raise ValidationFailed(
                "This contact has not been saved to TextFlow yet.", field="remote_id"
            )
        if not (_NUMERIC_ID.match(ref) or _UUID.match(ref)):
            raise NotFound(answers.CONTACT_GONE, detail="not a TextFlow id or uuid")
        return f"{CONTACTS}/{ref}"

    # -- groups: TextFlow has tags instead ---------------------------------------------

    def list_groups(self) -> list[Group]:
        return []

    def create_group(self, name: str) -> Group:
        raise PermissionDenied(NO_GROUPS)

    def rename_group(self, group_id: str, name: str) -> Group:
        raise PermissionDenied(NO_GROUPS)

    def delete_group(self, group_id: str) -> None:
        raise PermissionDenied(NO_GROUPS)

    # -- reading ------------------------------------------------------------------------

    def list_contacts(
        self,
        *,
        group_id: str | None = None,
        page: int = 1,
        search: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Page[Contact]:
        """One page of up to 100 contacts, newest first, optionally searched or tag-filtered."""
        params: dict[str, Any] = {"page": max(1, page), "limit": schema.PAGE_SIZE}
        if search and search.strip():
            params["search"] = search.strip()
        wanted = [t.strip() for t in tags or () if t.strip()]
        if wanted:
            params["tags"] = ",".join(wanted)
        return self._call("GET", CONTACTS, answers.contact_page, idempotent=True, params=params)

    def list_all(
        self,
        *,
        search: str | None = None,
        tags: Sequence[str] | None = None,
        on_page: Callable[[Page[Contact]], None] | None = None,
        group_id: str | None = None,
    ) -> list[Contact]:
        """Every contact (matching ``search``/``tags``), page by page within the plan's budget.

        ``on_page`` hears about each page as it arrives (progress, incremental display).
        A contact that moves between pages while we read (someone adds one) is kept once.
        """
        seen: set[str] = set()
        out: list[Contact] = []
        number = 1
        while True:
            page = self.list_contacts(page=number, search=search, tags=tags)
            if on_page is not None:
                on_page(page)
            for contact in page.items:
                if contact.remote_id not in seen:
                    seen.add(contact.remote_id or "")
                    out.append(contact)
            if not page.items or number >= page.pages:
                return out
            number += 1

    def get_contact(self, remote_id: str, *, group_id: str | None = None) -> Contact:
        """One contact by numeric id or by uuid."""
        return self._call("GET", self._path(remote_id), answers.one_contact, idempotent=True)

    def find_by_phone(self, phone_e164: str, *, group_id: str | None = None) -> list[Contact]:
        """Live contacts with exactly this phone (TextFlow keeps at most one)."""
        try:
            wire = to_textflow_wire(phone_e164)
        except ValidationFailed:
            return []  # TextFlow cannot hold a number outside the US and Canada
        # the ten national digits: a substring of the stored "+1..." however search matches
        found = self.list_all(search=wire[2:])
        return [c for c in found if c.phone == wire]

    # -- writing ------------------------------------------------------------------------

    def create_contact(self, contact: Contact, *, group_id: str | None = None) -> Contact:
        """Create a contact; a phone already on TextFlow raises `Duplicate` with ``existing``."""
        body = answers.create_body(contact)
        try:
            return self._post(body)
        except Duplicate as dup:
            raise self._with_existing(dup, contact.phone) from None
        except _OUTCOME_UNKNOWN as err:
            if not _unknown_outcome(err):
                raise
            return self._settle_create(err, body, contact)

    def _post(self, body: dict[str, Any]) -> Contact:
        return self._call("POST", CONTACTS, answers.one_contact, idempotent=False, json=body)

    def _settle_create(
        self, lost: ProviderError, body: dict[str, Any], contact: Contact
    ) -> Contact:
        """The create's answer was lost: find out whether it was applied before sending again."""
        log.info("create: answer lost (%s); looking the phone up", type(lost).__name__)
        try:
            found = self.find_by_phone(contact.phone)
        except ProviderError:
            raise lost from None  # cannot tell; the caller keeps the edit and tries later
        if found:
            if _same_person(found[0], contact):
                return found[0]
            raise Duplicate(
                answers.DUPLICATE, existing=found[0], detail="found after a lost answer"
            )
        try:
            return self._post(body)
        except Duplicate as dup:
            # the first create landed after all, between our look-up and this retry
            existing = self._with_existing(dup, contact.phone)
            if existing.existing is not None and _same_person(existing.existing, contact):
                return existing.existing
            raise existing from None

    def _with_existing(self, dup: Duplicate, phone: str) -> Duplicate:
        """The same `Duplicate`, with the contact holding the phone so the UI can open it."""
        try:
            found = self.find_by_phone(phone)
        except ProviderError:
            found = []
        return Duplicate(dup.message, existing=found[0] if found else None, detail=dup.detail)

    def update_contact(
        self, contact: Contact, *, group_id: str | None = None, base: Contact | None = None
    ) -> Contact:
        """Save ``contact``; with ``base`` (the version it was edited from) only what changed.

        The answer has no opt-out flag, so the returned contact's ``opted_out`` is ``None``
        (unknown): never read that as "not opted out".
        """
        path = self._path(contact.remote_id)
        body = answers.update_body(contact, base)
        if not body:
            return self.get_contact(path.rsplit("/", 1)[-1])
        try:
            return self._call("PUT", path, answers.one_contact, idempotent=True, json=body)
        except Duplicate as dup:
            raise self._with_existing(dup, contact.phone) from None

    def delete_contact(self, remote_id: str, *, group_id: str | None = None) -> None:
        """Delete (TextFlow keeps it soft-deleted); raises `NotFound` if it was already gone."""
        path = self._path(remote_id)
        try:
            self._call("DELETE", path, answers.nothing, idempotent=False)
            return
        except _OUTCOME_UNKNOWN as err:
            if not _unknown_outcome(err):
                raise
            log.info("delete: outcome unknown (%s); sending it again", type(err).__name__)
        try:
            self._call("DELETE", path, answers.nothing, idempotent=True)
        except NotFound:
            return  # the first one went through

    def close(self) -> None:
        self._http.close()
