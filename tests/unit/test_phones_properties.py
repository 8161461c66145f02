"""Properties of phone handling over many generated numbers and arbitrary text."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from contactdesk.core.errors import ValidationFailed
from contactdesk.core.phones import (
    digits,
    format_display,
    from_flexacore_wire,
    from_textflow_wire,
    parse_phone,
    to_flexacore_wire,
    to_textflow_wire,
)

REGIONS = ("GB", "US", "CA", "BD", "NG", "IN", "DE", "FR", "AU", "IE", "IT", "BR", "MX", "JP")

PROPS = settings(database=None, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@st.composite
def valid_numbers(draw: st.DrawFn, regions: tuple[str, ...] = REGIONS) -> tuple[str, str]:
    """(region, E.164) for a valid mobile or fixed-line number of one of ``regions``."""
    region = draw(st.sampled_from(regions))
    kind = draw(st.sampled_from((PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)))
    example = phonenumbers.example_number_for_type(region, kind)
    assume(example is not None)
    assert example is not None
    e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
    tail = draw(st.text(alphabet="0123456789", min_size=5, max_size=5))
    candidate = e164[:-5] + tail
    number = phonenumbers.parse(candidate, None)
    assume(phonenumbers.is_valid_number(number))
    return region, candidate


@PROPS
@given(valid_numbers())
def test_national_display_reads_back_at_home(case: tuple[str, str]) -> None:
    region, e164 = case
    assert parse_phone(format_display(e164, region), region).e164 == e164


@PROPS
@given(valid_numbers(), st.sampled_from((*REGIONS, None)))
def test_international_display_reads_back_anywhere(
    case: tuple[str, str], reader: str | None
) -> None:
    _, e164 = case
    assert parse_phone(format_display(e164), reader).e164 == e164
    assert parse_phone(e164, reader).e164 == e164


@PROPS
@given(valid_numbers(), st.sampled_from(("GB", "DE", "BD", "IN", "FR")))
def test_exit_code_00_is_understood(case: tuple[str, str], reader: str) -> None:
    """(Not for Nigeria: its exit code is 009, so 0091... there really means +1.)"""
    _, e164 = case
    assert parse_phone("00" + digits(e164), reader).e164 == e164


@PROPS
@given(valid_numbers())
def test_flexacore_wire_round_trips(case: tuple[str, str]) -> None:
    _, e164 = case
    wire = to_flexacore_wire(e164)
    assert wire.isdigit()
    assert not wire.startswith("0")
    assert from_flexacore_wire(wire) == e164
    assert from_flexacore_wire(int(wire)) == e164


@PROPS
@given(valid_numbers(regions=("US", "CA")))
def test_textflow_wire_round_trips(case: tuple[str, str]) -> None:
    _, e164 = case
    wire = to_textflow_wire(e164)
    assert len(digits(wire)) == 11
    assert from_textflow_wire(wire) == e164
    assert from_textflow_wire(digits(wire)[1:]) == e164


@PROPS
@given(valid_numbers(regions=("GB", "BD", "NG", "IN", "DE", "FR", "AU")))
def test_textflow_refuses_every_other_country(case: tuple[str, str]) -> None:
    _, e164 = case
    with pytest.raises(ValidationFailed):
        to_textflow_wire(e164)


def _check_result(text: str, region: str | None) -> None:
    result = parse_phone(text, region)
    assert (result.e164 is None) != (result.error is None)
    if result.e164 is not None:
        number = phonenumbers.parse(result.e164, None)
        assert phonenumbers.is_valid_number(number)
        assert result.e164 == phonenumbers.format_number(number, PhoneNumberFormat.E164)
    else:
        assert result.error
    if result.suggestion is not None:
        assert parse_phone(result.suggestion, None).e164 == result.suggestion


@PROPS
@given(st.text(max_size=80), st.sampled_from((*REGIONS, None, "ZZ", "")))
def test_parse_never_raises_on_any_text(text: str, region: str | None) -> None:
    _check_result(text, region)


@PROPS
@given(
    st.text(alphabet="0123456789+-(). xXeE#,/\u00a0", max_size=30),
    st.sampled_from((*REGIONS, None)),
)
def test_parse_never_raises_on_phone_like_text(text: str, region: str | None) -> None:
    _check_result(text, region)


@PROPS
@given(st.one_of(st.text(max_size=40), st.integers(min_value=0, max_value=10**20)))
def test_wire_readers_never_raise(raw: str | int) -> None:
    assert isinstance(from_flexacore_wire(raw), str)
    assert isinstance(from_textflow_wire(str(raw)), str)


@PROPS
@given(st.text(max_size=30))
def test_wire_writers_raise_only_validation_failed(text: str) -> None:
    for writer in (to_flexacore_wire, to_textflow_wire):
        failure: ValidationFailed | None = None
        try:
            out = writer(text)
        except ValidationFailed as err:
            failure = err
        if failure is not None:
            assert failure.field == "phone"
        else:
            assert out.isdigit() or (out.startswith("+") and out[1:].isdigit())
