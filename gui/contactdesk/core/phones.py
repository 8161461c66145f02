"""Phone numbers: read what people type or paste, show them nicely, speak each wire format.

Everything inside the app is E.164 (``+447911123456``). What people type is messy: spaces,
dashes, dots, brackets, ``00``/``011`` prefixes, a national trunk ``0``, extensions, and
numbers a spreadsheet mangled (``4.47911E+11``, a lost leading ``+``). `parse_phone`
either returns a clean E.164 number or says, in plain words, what is wrong and -- when
there is a likely fix -- suggests it. It never guesses silently: a number the server
would reject or save wrongly must not leave the app.

Pure Python on top of ``phonenumbers``; no Qt, no HTTP.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as Possible

from contactdesk.core.errors import ValidationFailed

__all__ = [
    "PhoneParse",
    "digits",
    "format_display",
    "from_flexacore_wire",
    "from_textflow_wire",
    "is_mobile_or_unknown",
    "parse_phone",
    "to_flexacore_wire",
    "to_textflow_wire",
]

#: characters people use to group digits; anything else (letters aside) is suspicious
_SEPARATORS = " \t-.()/\\\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2212\u3000"
_EXTENSION = re.compile(r"\s*[,;]?\s*(?:extension|ext\.?|x|#)\s*(\d{1,7})\s*#?\s*$", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"^\s*\+?\d(?:[.,]\d+)?\s*[eE]\s*\+?\s*\d{1,2}\s*$")
_FLOAT_TAIL = re.compile(r"^(\d+)[.,]0+$")
_TEL_PREFIX = re.compile(r"^\s*tel:", re.IGNORECASE)

#: the part of the North American plan TextFlow serves: the US (with its territories) and Canada
_TEXTFLOW_REGIONS = frozenset({"US", "CA", "PR", "VI", "GU", "AS", "MP"})

#: number types that cannot receive a text message
_NOT_MOBILE = frozenset(
    {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.UAN,
        PhoneNumberType.VOICEMAIL,
    }
)


@dataclass(frozen=True, slots=True)
class PhoneParse:
    """What `parse_phone` made of a piece of text.

    Exactly one of ``e164`` (the clean number) and ``error`` (plain words saying what is
    wrong) is set. ``suggestion`` is an E.164 number the person probably meant, with
    ``suggestion_display`` ready to show; a caller may offer it but must not apply it
    without the person agreeing.
    """

    e164: str | None = None
    error: str | None = None
    suggestion: str | None = None
    suggestion_display: str | None = None

    @property
    def ok(self) -> bool:
        return self.e164 is not None


def _e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _try_parse(text: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _valid(text: str, region: str | None) -> PhoneNumber | None:
    number = _try_parse(text, region)
    if number is not None and phonenumbers.is_valid_number(number):
        number.extension = None
        return number
    return None


_KIND_OF_NUMBER = {
    "US": "a US",
    "GB": "a UK",
    "CA": "a Canadian",
    "BD": "a Bangladeshi",
    "NG": "a Nigerian",
    "IN": "an Indian",
    "DE": "a German",
    "FR": "a French",
    "AU": "an Australian",
    "IE": "an Irish",
}


def _kind_of_number(region: str | None) -> str:
    return _KIND_OF_NUMBER.get(region or "", "a")


def _suggest(error: str, number: PhoneNumber, region: str | None) -> PhoneParse:
    e164 = _e164(number)
    shown = format_display(e164, region)
    return PhoneParse(
        error=f"{error} Did you mean {shown}?", suggestion=e164, suggestion_display=shown
    )


def _undo_spreadsheet(text: str) -> tuple[str, str | None]:
    """Undo what Excel does to a long number; return (text, error if digits were lost)."""
    stripped = text.strip()
    float_tail = _FLOAT_TAIL.match(stripped)
    if float_tail:  # 447911123456.0 from a float column
        return float_tail.group(1), None
    if not _SCIENTIFIC.match(stripped):
        return text, None
    try:
        value = Decimal(stripped.replace(",", ".").replace(" ", "").lstrip("+"))
    except InvalidOperation:
        return text, None
    sign, mantissa, exponent = value.as_tuple()
    if sign or not isinstance(exponent, int) or exponent < 0:
        return text, None
    if exponent > 0:
        # 4.47911E+11 keeps 6 significant digits of a 12-digit number: the rest are gone
        return text, (
            f"This number was damaged by a spreadsheet (it reads {stripped}) and its last "
            "digits are lost. Format the phone column as text and export it again."
        )
    return "".join(map(str, mantissa)), None


def parse_phone(text: str, default_region: str | None) -> PhoneParse:
    """Read a phone number as people type or paste it; never raises.

    ``default_region`` (ISO code such as ``"GB"``) is where a number without a country
    code is taken to be, e.g. the account's country.
    """
    raw = _TEL_PREFIX.sub("", text).strip()
    if not raw:
        return PhoneParse(error="Enter a phone number.")
    if len(raw) > 60:
        return PhoneParse(error="This is too long to be a phone number.")
    region = default_region.upper() if default_region else None
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        region = None

    raw, lost = _undo_spreadsheet(raw)
    if lost:
        return PhoneParse(error=lost)

    extension = _EXTENSION.search(raw)
    if extension and any(ch.isdigit() for ch in raw[: extension.start()]):
        main = raw[: extension.start()]
        error = (
            "Text messages cannot reach an extension. "
            f"Remove “{raw[extension.start() :].strip()}” from the number."
        )
        inner = parse_phone(main, region)
        if inner.e164 is not None:
            return _suggest(error, phonenumbers.parse(inner.e164), region)
        return PhoneParse(error=error)

    plus = raw.startswith(("+", "\uff0b"))
    body = raw[1:] if plus else raw
    if any(ch.isalpha() for ch in body):
        return PhoneParse(
            error="A phone number can only have digits, spaces, dashes, dots, brackets "
            "and a + at the start. Remove the letters."
        )
    if any(not (ch.isdecimal() or ch in _SEPARATORS) for ch in body):
        return PhoneParse(
            error="A phone number can only have digits, spaces, dashes, dots, brackets "
            "and a + at the start."
        )
    # people paste digits from any script (Arabic-Indic, Bengali, full width): make them ASCII
    only_digits = "".join(str(unicodedata.decimal(ch)) for ch in body if ch.isdecimal())
    if not only_digits:
        return PhoneParse(error="Enter a phone number.")
    if plus:
        return _parse_international("+" + only_digits, region)

    # no "+": the number is national to the default region, or it has an explicit
    # international prefix (00, 011), or it lost its "+" on the way (spreadsheets)
    number = _valid(only_digits, region) if region else None
    if number is not None:
        return PhoneParse(e164=_e164(number))
    for prefix in ("00", "011"):
        if only_digits.startswith(prefix):
            number = _valid("+" + only_digits[len(prefix) :], None)
            if number is not None:
                return PhoneParse(e164=_e164(number))
    lost_plus = _valid("+" + only_digits, None)
    if lost_plus is not None and _reads_as_international(body, lost_plus):
        return _suggest("This number has no country code.", lost_plus, region)
    if region is None:
        return PhoneParse(
            error="This number has no country code. Add it with a + at the start "
            "(for example +44 for the UK, +1 for the US and Canada)."
        )
    explained = _explain(_try_parse(only_digits, region), region)
    return PhoneParse(
        error=f"{explained.error} If it is from another country, start it with + and the "
        "country code."
    )


def _reads_as_international(body: str, number: PhoneNumber) -> bool:
    """Whether digits without a "+" plausibly lost it, rather than being a mistyped local number.

    A spreadsheet drops the "+" from a bare run of digits; a person who forgets it still
    groups the country code on its own ("44 7911 123456"). "415-555-26711" is neither.
    """
    groups = [g for g in re.split(f"[{re.escape(_SEPARATORS)}]+", body.strip()) if g]
    if len(groups) <= 1:
        return not body.strip().startswith("0")
    return groups[0] == str(number.country_code)


def _parse_international(text: str, region: str | None) -> PhoneParse:
    number = _try_parse(text, None)
    if number is None:
        return PhoneParse(
            error="The country code after the + is not one we know. Check the first digits."
        )
    if phonenumbers.is_valid_number(number):
        return PhoneParse(e164=_e164(number))
    return _explain(number, phonenumbers.region_code_for_country_code(number.country_code or 0))


def _explain(number: PhoneNumber | None, region: str | None) -> PhoneParse:
    if number is None:
        return PhoneParse(error="This does not look like a phone number. Check the digits.")
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == Possible.INVALID_COUNTRY_CODE:
        return PhoneParse(error="The country code is not one we know. Check the first digits.")
    kind = _kind_of_number(region)
    if reason in (Possible.TOO_SHORT, Possible.IS_POSSIBLE_LOCAL_ONLY):
        return PhoneParse(error=f"This is too short for {kind} phone number. A digit is missing.")
    if reason == Possible.TOO_LONG:
        return PhoneParse(error=f"This is too long for {kind} phone number. Check the digits.")
    if reason == Possible.INVALID_LENGTH:
        return PhoneParse(error=f"This has the wrong number of digits for {kind} phone number.")
    return PhoneParse(error=f"This is not {kind} phone number in use. Check the digits.")


def format_display(e164: str, region_hint: str | None = None) -> str:
    """The number as people read it: national form at home, international form otherwise."""
    number = _try_parse(e164, None)
    if number is None:
        return e164
    if region_hint and phonenumbers.country_code_for_region(region_hint.upper()) == (
        number.country_code
    ):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def digits(e164: str) -> str:
    """Only the digits (country code included): what search matches a run of digits against."""
    return "".join(ch for ch in e164 if ch.isascii() and ch.isdigit())


def is_mobile_or_unknown(e164: str) -> bool:
    """False only when the number is known to be unable to receive texts (landline, toll free)."""
    number = _try_parse(e164, None)
    if number is None:
        return True
    return phonenumbers.number_type(number) not in _NOT_MOBILE


def _require_e164(e164: str) -> PhoneNumber:
    number = _try_parse(e164, None) if e164.startswith("+") else None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationFailed(
            "This phone number is not complete. Check it and add the country code with a +.",
            field="phone",
            detail=e164,
        )
    return number


def to_flexacore_wire(e164: str) -> str:
    """Flexacore wants digits with the country code, no ``+`` and no leading ``0``/``00``.

    (Its server prepends ``+`` and parses; a leading 0 is saved *and* answered with an error.)
    """
    return _e164(_require_e164(e164))[1:]


def from_flexacore_wire(raw: str | int) -> str:
    """Best effort to E.164; keeps ``raw`` (as text) when it is not a recognisable number.

    Flexacore echoes what was sent, as a string or a JSON number; contacts made in its web
    UI may hold ``+``, ``00``, spaces or national numbers.
    """
    text = str(raw).strip()
    candidate = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if not candidate or any(ch.isalpha() for ch in text):
        return text
    if text.startswith("+"):
        pass
    elif candidate.startswith("00"):
        candidate = candidate[2:]
    elif candidate.startswith("0"):
        return text  # a national number: the country is unknown
    number = _try_parse("+" + candidate, None)
    if number is None or not phonenumbers.is_possible_number(number):
        return text
    return _e164(number)


def to_textflow_wire(e164: str) -> str:
    """TextFlow takes US and Canadian numbers only, as ``+1XXXXXXXXXX``."""
    number = _require_e164(e164)
    region = phonenumbers.region_code_for_number(number)
    nanp_ten = number.country_code == 1 and len(str(number.national_number)) == 10
    if not nanp_ten or (region is not None and region not in _TEXTFLOW_REGIONS):
        raise ValidationFailed(
            "TextFlow accepts only US and Canadian numbers. This contact cannot be saved "
            "to a TextFlow account with this number.",
            field="phone",
            detail=e164,
        )
    return _e164(number)


def from_textflow_wire(s: str) -> str:
    """TextFlow answers ``+1XXXXXXXXXX``; accept the bare 10/11-digit forms too."""
    text = str(s).strip()
    only = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if any(ch.isalpha() for ch in text):
        return text
    if len(only) == 10 and not text.startswith("+"):
        return "+1" + only
    if len(only) == 11 and only.startswith("1"):
        return "+" + only
    if text.startswith("+") and only:
        number = _try_parse("+" + only, None)
        if number is not None:
            return _e164(number)
    return text
