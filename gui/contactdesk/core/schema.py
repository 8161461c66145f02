"""What a provider can do and which fields it has: data, not ``if`` chains in the UI.

The table columns, the editor form, import targets and export columns are all built
from a provider's ``FieldSpec`` list and ``Capabilities``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

#: A validator returns ``None`` when the value is fine, else a plain-language message.
Validator = Callable[[str], str | None]


class FieldType(enum.StrEnum):
    TEXT = "text"
    PHONE = "phone"
    EMAIL = "email"
    TAGS = "tags"
    CUSTOM_FIELDS = "custom_fields"
    CHOICE = "choice"
    BOOL = "bool"
    DATETIME = "datetime"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a provider's contact: how to show it, edit it and check it.

    ``key`` names the ``Contact`` attribute (``phone``, ``first_name``, ``tags``,
    ``custom_fields``, ``consent_status``, ``opted_out``, ``updated_at``...).
    """

    key: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    editable: bool = True
    visible_by_default: bool = True
    choices: tuple[str, ...] = ()
    validator: Validator | None = field(default=None, compare=False)
    help: str = ""


@dataclass(frozen=True, slots=True)
class RatePlan:
    """A request budget: ``requests`` per ``per_seconds``. ``None`` requests = unlimited."""

    name: str
    requests: int | None
    per_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider kind supports."""

    groups: bool
    tags: bool
    server_search: bool
    custom_fields: bool
    consent: bool
    opt_out_visible: bool
    page_size: int
    max_page_size: int
    rate_plans: tuple[RatePlan, ...]
    #: creating a contact may send an SMS (Flexacore groups with welcome/sign-up SMS)
    create_may_send_sms: bool = False
    #: the server refuses a second contact with the same phone
    server_dedupes: bool = False
