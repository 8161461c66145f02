"""Deterministic, realistic-looking practice people: varied names and valid phone numbers.

Names mix scripts and shapes on purpose (accents, apostrophes, hyphens, Arabic, CJK,
Bengali) because real lists do, and because that is where display and search bugs hide.
Phones are valid numbers for their region (checked with ``phonenumbers``).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers

FIRST_NAMES = (
    "Rina",
    "Tanvir",
    "Nusrat",
    "Sadia",
    "Arif",
    "Farhana",
    "Mahmud",
    "Shirin",
    "Oliver",
    "Amelia",
    "Siobhán",
    "Chloë",
    "Zoë",
    "Seán",
    "Niamh",
    "Hamish",
    "Chinedu",
    "Ngozi",
    "Oluwaseun",
    "Adaeze",
    "Ifeoma",
    "Babajide",
    "Yetunde",
    "Emeka",
    "James",
    "Mary",
    "José",
    "María",
    "Renée",
    "André",
    "François",
    "Björn",
    "Jean-Luc",
    "Anne-Marie",
    "D'Arcy",
    "Mary-Kate",
    "محمد",
    "فاطمة",
    "أحمد",
    "ليلى",
    "伟",
    "芳",
    "娜",
    "秀英",
    "Hiroshi",
    "Yuki",
    "Thảo",
    "Nguyễn",
    "রহিম",
    "সুমি",
    "Ahmed",
    "Fatima",
    "Ali",
    "Leila",
    "Dmitri",
    "Olga",
    "Łukasz",
    "Zoltán",
)
LAST_NAMES = (
    "Das",
    "Rahman",
    "Hossain",
    "Chowdhury",
    "Akter",
    "Islam",
    "Begum",
    "Sarkar",
    "Smith",
    "Jones",
    "O'Brien",
    "O'Neill",
    "MacDonald",
    "Fitzgerald",
    "Brontë",
    "Ó Súilleabháin",
    "Okafor",
    "Adeyemi",
    "Okonkwo",
    "Eze",
    "Balogun",
    "Nwosu",
    "Abubakar",
    "Ogunleye",
    "Johnson",
    "Williams",
    "García",
    "Martínez",
    "Núñez",
    "Lefèvre",
    "Müller",
    "Østergaard",
    "Smith-Jones",
    "Lloyd-Webber",
    "van der Berg",
    "de la Cruz",
    "العلي",
    "الحسن",
    "王",
    "李",
    "张",
    "刘",
    "Tanaka",
    "Sato",
    "Trần",
    "Lê",
    "রহমান",
    "Kowalski",
    "Novák",
    "Petrov",
)
EMAIL_DOMAINS = ("example.com", "example.org", "mail.example.net", "company.example")
TAGS = ("customer", "vip", "newsletter", "lead", "wholesale", "event-2026", "follow-up", "staff")
CUSTOM_KEYS = ("company", "city", "account_manager", "notes")
CITIES = ("Dhaka", "London", "Lagos", "New York", "Toronto", "Chicago", "Manchester", "Abuja")
COMPANIES = ("Acme Inc", "Globex", "Initech", "Umbrella Ltd", "Stark & Sons", "Wayne <Enterprises>")


@dataclass(frozen=True, slots=True)
class Person:
    first_name: str | None
    last_name: str | None
    phone_e164: str
    email: str | None


def _ascii_local(first: str | None, last: str | None, rng: random.Random) -> str:
    base = "".join(
        c
        for c in f"{first or ''}.{last or ''}".lower()
        if c.isascii() and (c.isalnum() or c == ".")
    )
    base = base.strip(".") or f"user{rng.randrange(10**6)}"
    return f"{base}{rng.randrange(100)}"


@functools.cache
def _mobile_template(region: str) -> tuple[int, str, int]:
    """(country code, example national number, digits kept) for ``region``, computed once.

    Looking the example up costs more than everything else per person, so it is cached.
    """
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        example = phonenumbers.example_number(region)
    if example is None or example.country_code is None:
        raise ValueError(f"no example phone number for region {region!r}")
    national = str(example.national_number)
    # keep the example's leading digits (they carry the mobile prefix), randomise the rest
    return example.country_code, national, max(1, len(national) - 6)


def _phone(region: str, rng: random.Random, used: set[str]) -> str:
    """A valid mobile-looking number for ``region``, unique within ``used``."""
    country_code, national, keep = _mobile_template(region)
    head, tail = national[:keep], len(national) - keep
    while True:
        candidate_nat = head + "".join(str(rng.randrange(10)) for _ in range(tail))
        num = phonenumbers.PhoneNumber(
            country_code=country_code, national_number=int(candidate_nat)
        )
        if not phonenumbers.is_valid_number(num):
            continue
        # the national part never starts with 0 (the example's first digit is kept), so this
        # is exactly what format_number(..., E164) gives, without its overhead
        e164 = f"+{country_code}{candidate_nat}"
        if e164 not in used:
            used.add(e164)
            return e164


DEFAULT_REGIONS = ("BD", "GB", "NG", "US")


def people(
    count: int, *, regions: tuple[str, ...] = DEFAULT_REGIONS, seed: int
) -> Iterator[Person]:
    """``count`` deterministic people with phones spread over ``regions``."""
    rng = random.Random(seed)
    used: set[str] = set()
    for i in range(count):
        first: str | None = rng.choice(FIRST_NAMES)
        last: str | None = rng.choice(LAST_NAMES)
        roll = rng.random()
        if roll < 0.03:
            last = None
        elif roll < 0.04:
            first = None
        email = None
        if rng.random() < 0.7:
            email = f"{_ascii_local(first, last, rng)}@{rng.choice(EMAIL_DOMAINS)}"
        yield Person(first, last, _phone(regions[i % len(regions)], rng, used), email)


def tags_for(rng: random.Random) -> list[str]:
    return sorted(rng.sample(TAGS, k=rng.choice((0, 1, 1, 2, 2, 3))))


def custom_fields_for(rng: random.Random) -> dict[str, str]:
    out: dict[str, str] = {}
    if rng.random() < 0.6:
        out["company"] = rng.choice(COMPANIES)
    if rng.random() < 0.5:
        out["city"] = rng.choice(CITIES)
    return out
