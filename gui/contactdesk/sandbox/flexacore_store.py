"""The Flexacore simulator's database: customers, API tokens, contact groups, contacts.

Rows mirror the MySQL tables of spec §8 (only the columns the API can see or change).
There is no HTTP here. Every method expects the caller to hold ``FlexacoreStore.lock``:
the server is threaded and one coarse lock keeps each request atomic, as a single
database transaction would.
"""

from __future__ import annotations

import hmac
import random
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from contactdesk.sandbox.flexacore_config import ALL_PERMISSIONS, FlexacoreConfig
from contactdesk.sandbox.people import custom_fields_for, people

#: column order of `contacts` (the update endpoint returns the whole row in this order)
CONTACT_COLUMNS = (
    "id",
    "uid",
    "customer_id",
    "group_id",
    "phone",
    "status",
    "first_name",
    "last_name",
    "email",
    "username",
    "company",
    "address",
    "birth_date",
    "anniversary_date",
    "created_at",
    "updated_at",
)

MAIN_CUSTOMER_ID = 7
OTHER_CUSTOMER_ID = 8
MAIN_TOKEN_ID = 49
ADMIN_USER_ID = 1  # the Gate lets user 1 do anything

#: the seeded data "happened" from here on (the spec's example timestamp)
SEED_EPOCH = int(datetime(2022, 3, 16, 18, 40, 15, tzinfo=UTC).timestamp())

GROUP_NAMES = ("Staff", "Customers", "Newsletter subscribers", "Event 2026", "Wholesale", "Leads")
OTHER_GROUP_NAME = "Riverside Clinic patients"
TOKEN_ALPHABET = string.ascii_letters + string.digits


@dataclass(slots=True)
class Customer:
    """A user of the platform; ``permissions`` are the live Gate permissions."""

    id: int
    name: str
    permissions: frozenset[str]


@dataclass(slots=True)
class AccessToken:
    """A Sanctum personal access token. The secret never shows in ``repr``."""

    id: int
    secret: str = field(repr=False)
    customer_id: int
    abilities: frozenset[str]
    last_used_at: int | None = None

    @property
    def plain_text(self) -> str:
        return f"{self.id}|{self.secret}"

    def can(self, ability: str) -> bool:
        return "*" in self.abilities or ability in self.abilities


@dataclass(slots=True)
class GroupRow:
    """One row of `contact_groups`; ``subscribers_count`` is the cached `SubscribersCount`."""

    id: int
    uid: str
    customer_id: int
    name: str
    created_at: int
    updated_at: int
    sending_server: int | None = 1
    sender_id: str | None = None
    send_welcome_sms: bool = False
    unsubscribe_notification: bool = False
    send_keyword_message: bool = False
    status: bool = True
    welcome_sms: str | None = None
    signup_sms: str | None = None
    unsubscribe_sms: str | None = None
    batch_id: str | None = None
    subscribers_count: int = 0


@dataclass(slots=True)
class ContactRow:
    """One row of `contacts`; dates are ``YYYY-MM-DD``, timestamps epoch seconds."""

    id: int
    uid: str
    customer_id: int
    group_id: int
    phone: str
    first_name: str | None
    last_name: str | None
    created_at: int
    updated_at: int
    status: str = "subscribe"
    email: str | None = None
    username: str | None = None
    company: str | None = None
    address: str | None = None
    birth_date: str | None = None
    anniversary_date: str | None = None


class Uniqid:
    """PHP ``uniqid()``: 8 hex digits of seconds + 5 of microseconds, strictly increasing."""

    def __init__(self) -> None:
        self._last_us = 0

    def next(self, now: float) -> str:
        micros = max(int(now * 1_000_000), self._last_us + 1)
        self._last_us = micros
        seconds, micro = divmod(micros, 1_000_000)
        return f"{seconds:08x}{micro:05x}"


def mysql_int_prefix(text: str) -> int:
    """How MySQL reads a string compared with an integer column: its leading digits, else 0."""
    digits = ""
    for char in text.lstrip():
        if not char.isascii() or not char.isdigit():
            break
        digits += char
    return int(digits) if digits else 0


class FlexacoreStore:
    """All rows, with the indexes the API needs (uid lookups are case-insensitive)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.uniqid = Uniqid()
        self.customers: dict[int, Customer] = {}
        self.tokens: dict[int, AccessToken] = {}
        self.groups: dict[int, GroupRow] = {}
        self.contacts: dict[int, ContactRow] = {}
        self._group_by_uid: dict[str, int] = {}
        self._contact_by_uid: dict[str, int] = {}
        # contact ids per group in id order: the list endpoint has no ORDER BY, so MySQL
        # returns insertion order, and paging must be a cheap slice even for 100,000 rows
        self._members: dict[int, list[int]] = {}
        self._next_group_id = 1
        self._next_contact_id = 1
        self._next_token_id = MAIN_TOKEN_ID
        self.sms_sent: list[tuple[str, str]] = []  # (phone, text) of welcome/signup messages

    # --- lookups -------------------------------------------------------------------------

    def find_group(self, uid: str) -> GroupRow | None:
        gid = self._group_by_uid.get(uid.lower())
        return None if gid is None else self.groups[gid]

    def find_contact(self, uid: str) -> ContactRow | None:
        cid = self._contact_by_uid.get(uid.lower())
        return None if cid is None else self.contacts[cid]

    def groups_of(self, customer_id: int) -> list[GroupRow]:
        return [g for g in self.groups.values() if g.customer_id == customer_id]

    def member_count(self, group_id: int) -> int:
        return len(self._members.get(group_id, ()))

    def members(self, group_id: int, offset: int = 0, limit: int | None = None) -> list[ContactRow]:
        ids = self._members.get(group_id, [])
        chosen = ids[offset:] if limit is None else ids[offset : offset + limit]
        return [self.contacts[cid] for cid in chosen]

    def find_token(self, plain: str) -> AccessToken | None:
        """Sanctum 2.x ``findToken``: ``<id>|<secret>`` by id, anything else by whole value."""
        if "|" not in plain:
            for token in self.tokens.values():
                if hmac.compare_digest(token.secret.encode(), plain.encode()):
                    return token
            return None
        raw_id, secret = plain.split("|", 1)
        found = self.tokens.get(mysql_int_prefix(raw_id))
        if found is not None and hmac.compare_digest(found.secret.encode(), secret.encode()):
            return found
        return None

    # --- writes --------------------------------------------------------------------------

    def add_customer(self, name: str, permissions: frozenset[str], cid: int | None = None) -> int:
        cid = cid if cid is not None else max(self.customers, default=OTHER_CUSTOMER_ID) + 1
        self.customers[cid] = Customer(cid, name, permissions)
        return cid

    def mint_token(self, customer_id: int, abilities: frozenset[str], secret: str) -> AccessToken:
        token = AccessToken(self._next_token_id, secret, customer_id, abilities)
        self.tokens[token.id] = token
        self._next_token_id += 1
        return token

    def insert_group(self, customer_id: int, name: str, now: float, **fields: object) -> GroupRow:
        stamp = int(now)
        group = GroupRow(
            id=self._next_group_id,
            uid=self.uniqid.next(now),
            customer_id=customer_id,
            name=name,
            created_at=stamp,
            updated_at=stamp,
            **fields,  # type: ignore[arg-type]
        )
        self._next_group_id += 1
        self.groups[group.id] = group
        self._group_by_uid[group.uid.lower()] = group.id
        self._members[group.id] = []
        return group

    def insert_contact(
        self,
        group: GroupRow,
        phone: str,
        first_name: str | None,
        last_name: str | None,
        now: float,
        **fields: object,
    ) -> ContactRow:
        stamp = int(now)
        contact = ContactRow(
            id=self._next_contact_id,
            uid=self.uniqid.next(now),
            customer_id=group.customer_id,
            group_id=group.id,
            phone=phone,
            first_name=first_name,
            last_name=last_name,
            created_at=stamp,
            updated_at=stamp,
            **fields,  # type: ignore[arg-type]
        )
        self._next_contact_id += 1
        self.contacts[contact.id] = contact
        self._contact_by_uid[contact.uid.lower()] = contact.id
        self._members[group.id].append(contact.id)
        return contact

    def delete_contact(self, contact: ContactRow) -> None:
        del self.contacts[contact.id]
        del self._contact_by_uid[contact.uid.lower()]
        self._members[contact.group_id].remove(contact.id)

    def delete_group(self, group: GroupRow) -> int:
        """Delete ``group`` and, as ``ON DELETE CASCADE`` does, its contacts; return how many."""
        ids = self._members.pop(group.id, [])
        for cid in ids:
            contact = self.contacts.pop(cid)
            del self._contact_by_uid[contact.uid.lower()]
        del self.groups[group.id]
        del self._group_by_uid[group.uid.lower()]
        return len(ids)

    def refresh_count(self, group: GroupRow, now: float) -> None:
        """``updateCache('SubscribersCount')``: recount, which also touches ``updated_at``."""
        group.subscribers_count = sum(1 for c in self.members(group.id) if c.status == "subscribe")
        group.updated_at = int(now)


def _secret(rng: random.Random) -> str:
    return "".join(rng.choice(TOKEN_ALPHABET) for _ in range(40))


def _birth_date(rng: random.Random) -> str:
    day = date(1950, 1, 1).toordinal() + rng.randrange(55 * 365)
    return date.fromordinal(day).isoformat()


def _fill_group(
    *,
    store: FlexacoreStore,
    group: GroupRow,
    persons: list[tuple[str, str | None, str | None, str | None]],
    unsubscribed: set[int],
    rng: random.Random,
    cursor: float,
) -> float:
    for index, (phone, first, last, email) in enumerate(persons):
        # imports happen over weeks: the time (and so the uid) moves on for every row
        cursor += rng.randint(1, 90) + rng.random()
        extra = custom_fields_for(rng)
        contact = store.insert_contact(
            group,
            phone,
            first,
            last,
            cursor,
            status="unsubscribe" if index in unsubscribed else "subscribe",
            email=email,
            company=extra.get("company"),
            address=extra.get("city"),
            birth_date=_birth_date(rng) if rng.random() < 0.1 else None,
        )
        if rng.random() < 0.05:  # edited in the web UI some days later
            contact.updated_at = contact.created_at + rng.randrange(86_400, 30 * 86_400)
    store.refresh_count(group, cursor)
    return cursor


def build_store(config: FlexacoreConfig) -> FlexacoreStore:
    """The seeded practice data: the same ``config.seed`` always gives the same rows and keys."""
    store = FlexacoreStore()
    rng = random.Random(f"flexacore:{config.seed}")
    store.add_customer("Practice Account", config.permissions, MAIN_CUSTOMER_ID)
    store.add_customer("Riverside Clinic", ALL_PERMISSIONS, OTHER_CUSTOMER_ID)
    store.mint_token(MAIN_CUSTOMER_ID, config.token_abilities, _secret(rng))
    store.mint_token(OTHER_CUSTOMER_ID, ALL_PERMISSIONS, _secret(rng))

    total = sum(config.group_sizes) + config.other_group_size
    everyone = [
        (p.phone_e164.removeprefix("+"), p.first_name, p.last_name, p.email)
        for p in people(total, regions=config.regions, seed=config.seed)
    ]
    cursor: float = SEED_EPOCH
    start = 0
    for index, size in enumerate(config.group_sizes):
        name = GROUP_NAMES[index] if index < len(GROUP_NAMES) else f"Group {index + 1}"
        cursor += 3600 + rng.random()
        group = store.insert_group(MAIN_CUSTOMER_ID, name, cursor, sender_id="Flexacore")
        unsubscribed: set[int] = set()
        if index > 0 and size > 1 and config.unsubscribed_share > 0:
            count = max(1, round(size * config.unsubscribed_share))
            unsubscribed = set(rng.sample(range(size), k=min(count, size)))
        cursor = _fill_group(
            store=store,
            group=group,
            persons=everyone[start : start + size],
            unsubscribed=unsubscribed,
            rng=rng,
            cursor=cursor,
        )
        start += size
    cursor += 3600 + rng.random()
    other = store.insert_group(OTHER_CUSTOMER_ID, OTHER_GROUP_NAME, cursor, sender_id="Clinic")
    _fill_group(
        store=store,
        group=other,
        persons=everyone[start:],
        unsubscribed=set(),
        rng=rng,
        cursor=cursor,
    )
    return store


def import_people(
    store: FlexacoreStore, group: GroupRow, count: int, *, seed: int, now: float
) -> None:
    """Add ``count`` generated people to ``group`` at ``now``, as a CSV import would."""
    for person in people(count, seed=seed):
        store.insert_contact(
            group,
            person.phone_e164.removeprefix("+"),
            person.first_name,
            person.last_name,
            now,
            email=person.email,
        )
    store.refresh_count(group, now)


def new_token_secret(seed: int, serial: int) -> str:
    """A deterministic secret for the ``serial``-th token minted at run time."""
    return _secret(random.Random(f"flexacore:{seed}:token:{serial}"))
