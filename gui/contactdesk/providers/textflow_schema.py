"""What the TextFlow client declares: plans, capabilities and the contact's fields.

Provider differences are data: the UI builds its table columns, editor, import targets
and export columns from `FIELDS`, and reads `CAPABILITIES` instead of asking "is this
TextFlow?".
"""

from __future__ import annotations

import re

from contactdesk.core.errors import ValidationFailed
from contactdesk.core.models import ConsentStatus
from contactdesk.core.phones import parse_phone, to_textflow_wire
from contactdesk.core.schema import Capabilities, FieldSpec, FieldType, RatePlan

PAGE_SIZE = 100  # the documented maximum; fewer requests for the same list
DEFAULT_REGION = "US"  # a number typed without +1 is read as North American

STARTER = RatePlan("Starter", 100, 60.0)
MARKETER = RatePlan("Marketer", 300, 60.0)
#: "custom": the server's X-RateLimit-Limit header sets the pace once it is seen
ENTERPRISE = RatePlan("Enterprise", None, 60.0)
RATE_PLANS = (STARTER, MARKETER, ENTERPRISE)

CONSENT_CHOICES = tuple(c.value for c in ConsentStatus)

# the shape TextFlow checks an address against: something@domain.tld
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def phone_validator(text: str) -> str | None:
    """``None`` when TextFlow will take the number, else what to fix, in plain words."""
    parsed = parse_phone(text, DEFAULT_REGION)
    if parsed.e164 is None:
        return parsed.error
    try:
        to_textflow_wire(parsed.e164)
    except ValidationFailed as err:
        return err.message
    return None


def email_validator(text: str) -> str | None:
    if not text.strip() or _EMAIL.match(text.strip()):
        return None
    return "This email address does not look complete. It should look like name@example.com."


CAPABILITIES = Capabilities(
    groups=False,
    tags=True,
    server_search=True,
    custom_fields=True,
    consent=True,
    opt_out_visible=True,
    page_size=PAGE_SIZE,
    max_page_size=PAGE_SIZE,
    rate_plans=RATE_PLANS,
    create_may_send_sms=False,
    server_dedupes=True,
)

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "phone",
        "Phone",
        FieldType.PHONE,
        required=True,
        validator=phone_validator,
        help="A US or Canadian number, e.g. (415) 555-2671. TextFlow takes no other countries.",
    ),
    FieldSpec("first_name", "First name"),
    FieldSpec("last_name", "Last name"),
    FieldSpec("email", "Email", FieldType.EMAIL, validator=email_validator),
    FieldSpec(
        "tags",
        "Tags",
        FieldType.TAGS,
        help="Words that group contacts, e.g. customer, vip. Lists filter by them.",
    ),
    FieldSpec(
        "custom_fields",
        "Custom fields",
        FieldType.CUSTOM_FIELDS,
        visible_by_default=False,
        help="Your own named values, e.g. company: Acme Inc.",
    ),
    FieldSpec(
        "consent_status",
        "Consent",
        FieldType.CHOICE,
        choices=CONSENT_CHOICES,
        help="How the person agreed to receive texts: explicit (asked for them), "
        "implicit or implied.",
    ),
    FieldSpec(
        "opted_out",
        "Opted out",
        FieldType.BOOL,
        editable=False,
        help="Set by TextFlow when the person replies STOP. It cannot be changed here.",
    ),
    FieldSpec(
        "created_at", "Created", FieldType.DATETIME, editable=False, visible_by_default=False
    ),
    FieldSpec("updated_at", "Updated", FieldType.DATETIME, editable=False),
)
