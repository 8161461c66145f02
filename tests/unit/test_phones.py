"""Reading what people type or paste as a phone number, and each provider's wire format."""

from __future__ import annotations

import pytest

from contactdesk.core.errors import ValidationFailed
from contactdesk.core.phones import (
    digits,
    format_display,
    from_flexacore_wire,
    from_textflow_wire,
    is_mobile_or_unknown,
    parse_phone,
    to_flexacore_wire,
    to_textflow_wire,
)

UK_MOBILE = "+447911123456"


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("+44 7911 123456", "US", UK_MOBILE),
        ("07911 123456", "GB", UK_MOBILE),
        ("07911-123-456", "GB", UK_MOBILE),
        ("07911.123.456", "GB", UK_MOBILE),
        ("(07911) 123456", "GB", UK_MOBILE),
        ("+44 (0) 7911 123456", "US", UK_MOBILE),
        ("0044 7911 123456", "US", UK_MOBILE),  # 00 is not the US exit code, still clear
        ("011 44 7911 123456", "US", UK_MOBILE),
        ("011 44 7911 123456", "GB", UK_MOBILE),
        ("447911123456", "GB", UK_MOBILE),
        ("447911123456.0", "GB", UK_MOBILE),  # a float column
        ("4.47911123456E+11", "GB", UK_MOBILE),  # scientific, every digit kept
        ("tel:+447911123456", None, UK_MOBILE),
        ("\u00a0+44\u00a07911\u2013123456 ", None, UK_MOBILE),  # pasted from a web page
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "us", "+14155552671"),
        ("1 415 555 2671", "US", "+14155552671"),
        ("01712-345678", "BD", "+8801712345678"),
        ("০১৭১২৩৪৫৬৭৮", "BD", "+8801712345678"),  # Bengali digits
        ("+٨٨٠١٧١٢٣٤٥٦٧٨", None, "+8801712345678"),  # Arabic-Indic digits
        ("0802 123 4567", "NG", "+2348021234567"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0412 345 678", "AU", "+61412345678"),
    ],
)
def test_readable_numbers_become_e164(text: str, region: str | None, e164: str) -> None:
    result = parse_phone(text, region)
    assert result.ok, result.error
    assert result.e164 == e164
    assert result.error is None


@pytest.mark.parametrize(
    ("text", "region", "words", "suggestion"),
    [
        ("", "GB", "Enter a phone number", None),
        ("   ", "GB", "Enter a phone number", None),
        ("447911123456", "US", "no country code", UK_MOBILE),  # a spreadsheet ate the "+"
        ("44 7911 123456", "US", "no country code", UK_MOBILE),
        ("4.47911123456E+11", "US", "no country code", UK_MOBILE),
        ("4.47911E+11", "GB", "damaged by a spreadsheet", None),
        ("07911 123456", None, "no country code", None),
        ("(415) 555-2671 ext. 12", "US", "extension", "+14155552671"),
        ("415-555-2671 x12", "US", "extension", "+14155552671"),
        ("1-800-FLOWERS", "US", "Remove the letters", None),
        ("call me", "US", "Remove the letters", None),
        ("415-555-267", "US", "too short for a US", None),
        ("+44 7911 1234567", None, "too long for a UK", None),
        ("+999 123 4567", None, "country code", None),
        ("+1 555 123 4567", None, "not a US phone number in use", None),
        ("415-555-26711", "US", "another country", None),  # a typo, not a Swiss number
        ("07911 123456", "US", "another country", None),
        ("+44 7911 123456 !", "GB", "only have digits", None),
        ("1" * 70, "GB", "too long", None),
    ],
)
def test_problems_are_explained_in_plain_words(
    text: str, region: str | None, words: str, suggestion: str | None
) -> None:
    result = parse_phone(text, region)
    assert not result.ok
    assert result.error is not None
    assert words in result.error
    assert result.suggestion == suggestion
    if suggestion is not None:
        assert result.suggestion_display is not None
        assert f"Did you mean {result.suggestion_display}?" in result.error


def test_suggestion_is_shown_the_way_the_person_reads_numbers() -> None:
    result = parse_phone("447911123456", "US")
    assert result.error == "This number has no country code. Did you mean +44 7911 123456?"
    at_home = parse_phone("(415) 555-2671 ext 9", "US")
    assert at_home.suggestion_display == "(415) 555-2671"


def test_unknown_default_region_is_treated_as_none() -> None:
    assert parse_phone("+44 7911 123456", "ZZ").e164 == UK_MOBILE
    assert not parse_phone("07911 123456", "ZZ").ok


def test_format_display_national_at_home_international_abroad() -> None:
    assert format_display(UK_MOBILE, "GB") == "07911 123456"
    assert format_display(UK_MOBILE, "US") == "+44 7911 123456"
    assert format_display(UK_MOBILE) == "+44 7911 123456"
    # +1 is one plan: a Canadian number reads nationally in the US
    assert format_display("+14165550123", "US") == "(416) 555-0123"
    assert format_display("not a number") == "not a number"


def test_digits_and_mobile() -> None:
    assert digits(UK_MOBILE) == "447911123456"
    assert is_mobile_or_unknown(UK_MOBILE)
    assert is_mobile_or_unknown("+14155552671")  # US numbers may be either
    assert not is_mobile_or_unknown("+442079460000")  # a London landline
    assert not is_mobile_or_unknown("+18002530000")  # toll free
    assert is_mobile_or_unknown("garbage")


def test_flexacore_wire_is_digits_with_country_code() -> None:
    assert to_flexacore_wire("+8801712345678") == "8801712345678"
    assert to_flexacore_wire(UK_MOBILE) == "447911123456"
    with pytest.raises(ValidationFailed) as info:
        to_flexacore_wire("01712345678")  # a leading 0 would be saved and answered with an error
    assert info.value.field == "phone"
    with pytest.raises(ValidationFailed):
        to_flexacore_wire("+44")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("8801712345678", "+8801712345678"),
        (8801712345678, "+8801712345678"),  # a JSON number
        ("+8801712345678", "+8801712345678"),
        ("008801712345678", "+8801712345678"),
        ("+880 1712-345678", "+8801712345678"),
        ("01712345678", "01712345678"),  # national, country unknown: kept as is
        ("", ""),
        ("n/a", "n/a"),
        ("12", "12"),
    ],
)
def test_flexacore_wire_is_read_best_effort(raw: str | int, e164: str) -> None:
    assert from_flexacore_wire(raw) == e164


def test_textflow_wire_only_takes_us_and_canada() -> None:
    assert to_textflow_wire("+14155552671") == "+14155552671"
    assert to_textflow_wire("+14165550123") == "+14165550123"  # Toronto
    assert to_textflow_wire("+15551234567") == "+15551234567"  # the doc's example, 10 digits
    for foreign in (UK_MOBILE, "+18765550123", "+8801712345678"):  # UK, Jamaica (+1!), BD
        with pytest.raises(ValidationFailed) as info:
            to_textflow_wire(foreign)
        assert "only US and Canadian numbers" in info.value.message
        assert info.value.field == "phone"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+15551234567", "+15551234567"),
        ("5551234567", "+15551234567"),
        ("15551234567", "+15551234567"),
        ("+1 (555) 123-4567", "+15551234567"),
        ("weird", "weird"),
    ],
)
def test_textflow_wire_is_read(raw: str, e164: str) -> None:
    assert from_textflow_wire(raw) == e164
