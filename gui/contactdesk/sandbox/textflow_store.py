"""The TextFlow simulator's contacts: indexes, listing order, create/update/delete, practice data.

Not locked itself: `TextFlowSim` holds one lock around every call.
"""

from __future__ import annotations

import bisect
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from contactdesk.sandbox.people import custom_fields_for, people, tags_for
from contactdesk.sandbox.textflow_records import (
    ApiError,
    ContactRecord,
    matches_search,
    search_digits,
)

TWO_YEARS = 2 * 365 * 24 * 3600
CONSENT_WEIGHTS = (("explicit", 0.55), ("implicit", 0.25), ("implied", 0.20))


@dataclass(frozen=True, slots=True)
class ListResult:
    """One page of a listing and the size of the whole filtered result."""

    items: list[ContactRecord]
    total: int


class ContactStore:
    """Every contact of the simulated account, live and soft-deleted.

    Live contacts are kept sorted by ``(created_at, id)`` so an unfiltered page is a slice
    (the doc's order, newest first, is that list read backwards).
    """

    def __init__(self, records: Iterable[ContactRecord] = ()) -> None:
        self._by_id: dict[int, ContactRecord] = {}
        self._by_uuid: dict[str, int] = {}
        self._live_phone: dict[str, int] = {}
        self._order: list[tuple[int, int]] = []
        for record in records:
            self._add(record)
        self._order.sort()
        self._next_id = max(self._by_id, default=0) + 1

    def _add(self, record: ContactRecord) -> None:
        record.refresh_search()
        self._by_id[record.id] = record
        self._by_uuid[record.uuid.lower()] = record.id
        if record.live:
            self._live_phone[record.phone] = record.id
            self._order.append(record.sort_key())

    # ---- reading

    @property
    def live_count(self) -> int:
        return len(self._order)

    @property
    def deleted_count(self) -> int:
        return len(self._by_id) - len(self._order)

    def get(self, contact_id: int) -> ContactRecord | None:
        """A record by id, live or deleted (for helpers; the API only sees live ones)."""
        return self._by_id.get(contact_id)

    def find(self, ref: str) -> ContactRecord:
        """A live contact by numeric id or by uuid, else 404 "Contact not found"."""
        contact_id = int(ref) if ref.isdigit() and ref.isascii() else self._by_uuid.get(ref.lower())
        record = self._by_id.get(contact_id) if contact_id is not None else None
        if record is None or not record.live:
            raise ApiError("CONTACT_NOT_FOUND")
        return record

    def live_newest_first(self) -> Iterator[ContactRecord]:
        for _, contact_id in reversed(self._order):
            yield self._by_id[contact_id]

    def all_records(self) -> Iterator[ContactRecord]:
        return iter(self._by_id.values())

    def page(
        self, *, page: int, limit: int, search: str, tags: list[str], match_all: bool
    ) -> ListResult:
        start = (page - 1) * limit
        if not search and not tags:
            n = len(self._order)
            # newest first: the slice [start, start+limit) counted from the end
            hi, lo = max(0, n - start), max(0, n - start - limit)
            keys = reversed(self._order[lo:hi])
            return ListResult([self._by_id[k[1]] for k in keys], n)
        folded = search.casefold()
        digits = search_digits(search) if search else None
        wanted = set(tags)
        hits: list[ContactRecord] = []
        for record in self.live_newest_first():
            if search and not matches_search(record, folded, digits):
                continue
            if wanted:
                have = set(record.tags)
                if match_all and not wanted <= have:
                    continue
                if not match_all and not wanted & have:
                    continue
            hits.append(record)
        return ListResult(hits[start : start + limit], len(hits))

    # ---- writing

    def _check_phone_free(self, phone: str, *, own_id: int | None) -> None:
        holder = self._live_phone.get(phone)
        if holder is not None and holder != own_id:
            # [sim] extra key `existing_contact_id`: documented, never needed by the client
            raise ApiError("DUPLICATE_CONTACT", existing_contact_id=holder)

    def create(
        self, changes: dict[str, Any], *, now: int, new_uuid: str, contact_limit: int | None
    ) -> ContactRecord:
        self._check_phone_free(changes["phone"], own_id=None)
        if contact_limit is not None and self.live_count >= contact_limit:
            raise ApiError("CONTACT_LIMIT_REACHED")
        record = ContactRecord(id=self._next_id, uuid=new_uuid, phone=changes["phone"])
        self._next_id += 1
        self._apply(record, changes)
        record.created_at = record.updated_at = now
        self._by_id[record.id] = record
        self._by_uuid[record.uuid.lower()] = record.id
        self._live_phone[record.phone] = record.id
        bisect.insort(self._order, record.sort_key())
        return record

    def update(self, record: ContactRecord, changes: dict[str, Any], *, now: int) -> ContactRecord:
        if "phone" in changes:
            self._check_phone_free(changes["phone"], own_id=record.id)
            if self._live_phone.get(record.phone) == record.id:
                del self._live_phone[record.phone]
            self._live_phone[changes["phone"]] = record.id
        self._apply(record, changes)
        self.touch(record, now)
        return record

    def touch(self, record: ContactRecord, now: int) -> None:
        # updated_at must differ after every change, even two in the same second
        record.updated_at = max(now, record.updated_at + 1)

    def delete(self, record: ContactRecord, *, now: int) -> None:
        record.deleted_at = now
        if self._live_phone.get(record.phone) == record.id:
            del self._live_phone[record.phone]
        i = bisect.bisect_left(self._order, record.sort_key())
        del self._order[i]

    @staticmethod
    def _apply(record: ContactRecord, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(record, name, value)
        record.refresh_search()


def practice_records(
    count: int,
    *,
    seed: int,
    now: int,
    opted_out_share: float = 0.03,
    deleted_share: float = 0.01,
) -> list[ContactRecord]:
    """``count`` live contacts (plus ~1% soft-deleted ones) created over the last two years.

    Ids follow creation order like an auto-increment column; soft-deleted rows leave the
    gaps in the ids that a real account has. Deterministic for a given seed and ``now``.
    """
    deleted = round(count * deleted_share)
    rng = random.Random(f"textflow-practice:{seed}")
    born = sorted(now - rng.randrange(TWO_YEARS) for _ in range(count + deleted))
    gone = set(rng.sample(range(count + deleted), deleted))
    # exact shares (not a coin per contact) so even the 120-contact preset has opted-out rows
    live = [i for i in range(count + deleted) if i not in gone]
    opted = set(rng.sample(live, round(count * opted_out_share)))
    # cumulative weights: one rng.random() per contact (rng.choices is slow at 100k)
    consent_steps: list[tuple[float, str]] = []
    total = 0.0
    for consent, weight in CONSENT_WEIGHTS:
        total += weight
        consent_steps.append((total, consent))
    out: list[ContactRecord] = []
    for i, person in enumerate(people(count + deleted, regions=("US", "CA"), seed=seed)):
        created = born[i]
        updated = created if rng.random() < 0.7 else rng.randrange(created, now + 1)
        record = ContactRecord(
            id=i + 1,
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            phone=person.phone_e164,
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            tags=tags_for(rng),
            custom_fields=dict(custom_fields_for(rng)),
            consent_status=_pick(consent_steps, rng.random()),
            opted_out=i in opted,
            created_at=created,
            updated_at=updated,
            deleted_at=rng.randrange(updated, now + 1) if i in gone else None,
        )
        out.append(record)
    return out


def _pick(steps: list[tuple[float, str]], roll: float) -> str:
    for bound, value in steps:
        if roll < bound:
            return value
    return steps[-1][1]
