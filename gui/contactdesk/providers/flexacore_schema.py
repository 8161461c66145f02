"""What the Flexacore client declares (capabilities, fields) and the actions it performs.

Provider differences are data: the UI builds its columns and editor from `FIELDS` and
reads `CAPABILITIES`. Each `Action` names what a call does, so an error can say in plain
words what was refused ("The API token may not delete contacts ...").
"""

from __future__ import annotations

from contactdesk.core.schema import Capabilities, FieldSpec, FieldType, RatePlan
from contactdesk.providers.flexacore_answers import Action
from contactdesk.providers.flexacore_shapes import phone_validator, text_validator

PAGE_SIZE = 25

#: Ultimate SMS 3.1.0 has no throttle; 3.0.1 allows 1000 requests a minute per client IP
RATE_PLANS = (
    RatePlan("Ultimate SMS 3.1 (no limit)", None),
    RatePlan("Ultimate SMS 3.0 (1000 a minute)", 1000, 60.0),
)

CAPABILITIES = Capabilities(
    groups=True,
    tags=False,
    server_search=False,
    custom_fields=False,
    consent=False,
    opt_out_visible=False,
    page_size=PAGE_SIZE,
    max_page_size=PAGE_SIZE,
    rate_plans=RATE_PLANS,
    create_may_send_sms=True,
    server_dedupes=False,
)

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "phone",
        "Phone",
        FieldType.PHONE,
        required=True,
        validator=phone_validator,
        help="International form, country code first, e.g. +880 1700-000001.",
    ),
    FieldSpec("first_name", "First name", validator=text_validator),
    FieldSpec("last_name", "Last name", validator=text_validator),
)

LIST_GROUPS = Action("read the groups")
SHOW_GROUP = Action("read this group", subject="group")
CREATE_GROUP = Action(
    "create groups",
    invalid="Flexacore refused the group name. Another group may already use it "
    "(Flexacore ignores capitals and accents when it compares names).",
    invalid_field="name",
)
RENAME_GROUP = Action(
    "rename groups",
    invalid="Flexacore refused the new name or the sending server number. Another group may "
    "already use the name; otherwise check the sending server number in account settings.",
    invalid_field="sending_server",
    subject="group",
    foreign_key="The sending server number in account settings is not known to Flexacore. "
    "Open account settings and enter the number of one of your sending servers.",
)
DELETE_GROUP = Action("delete groups", subject="group")
LIST_CONTACTS = Action("read contacts")
SHOW_CONTACT = Action("read contacts")
PHONE_REFUSED = (
    "Flexacore refused the phone number. Write it in international form, country code "
    "first, for example +44 7700 900123."
)
CREATE_CONTACT = Action("add contacts", invalid=PHONE_REFUSED, invalid_field="phone")
UPDATE_CONTACT = Action("change contacts", invalid=PHONE_REFUSED, invalid_field="phone")
DELETE_CONTACT = Action("delete contacts")
