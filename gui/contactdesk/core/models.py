"""Provider-neutral domain objects shared by every layer.

A `Contact` is what one provider holds for one person. Phones are kept in E.164
(``+15551234567``); converting to and from each provider's wire format is the
provider client's job (see ``core.phones``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

T = TypeVar("T")


class ProviderKind(enum.StrEnum):
    FLEXACORE = "flexacore"
    TEXTFLOW = "textflow"


class ConsentStatus(enum.StrEnum):
    EXPLICIT = "explicit"
    IMPLICIT = "implicit"
    IMPLIED = "implied"


@dataclass(frozen=True, slots=True)
class Group:
    """A Flexacore contact group (TextFlow has tags instead)."""

    remote_id: str
    name: str
    count: int | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """One contact as the provider holds it.

    ``remote_id`` is the provider's identifier (Flexacore 13-hex uid, TextFlow numeric id
    as text); ``None`` for a contact not yet created on the server. ``opted_out`` is
    ``None`` when the provider did not say (never read a missing flag as "not opted out").
    ``extra`` keeps provider fields we show but do not model (e.g. Flexacore ``status``).
    """

    phone: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    remote_id: str | None = None
    uuid: str | None = None
    group_id: str | None = None
    tags: tuple[str, ...] = ()
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    consent_status: str | None = None
    opted_out: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return " ".join(parts) if parts else self.phone

    def with_changes(self, **changes: object) -> Contact:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing, with what is needed to fetch the rest."""

    items: tuple[T, ...]
    page: int
    pages: int
    total: int

    @property
    def is_last(self) -> bool:
        return self.page >= self.pages
