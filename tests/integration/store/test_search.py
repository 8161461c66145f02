"""Free-text search: what people type finds what they mean, and nothing else."""

from __future__ import annotations

import pytest

from contactdesk.core.models import Contact
from contactdesk.store import ContactQuery, ContactState, SortColumn, Store
from tests.integration.store.factories import names, search

PEOPLE = [
    Contact(phone="+15551234567", first_name="Siobhán", last_name="Ó Súilleabháin", remote_id="1"),
    Contact(phone="+447700900123", first_name="Seán", last_name="O'Brien", remote_id="2",
            email="sean.obrien@example.org"),
    Contact(phone="+8801712345678", first_name="محمد", last_name="العلي", remote_id="3"),
    Contact(phone="+8801812345679", first_name="秀英", last_name="王", remote_id="4"),
    Contact(phone="+15557654321", first_name="Jean-Luc", last_name="Smith-Jones", remote_id="5",
            email="jl@company.example"),
    Contact(phone="+16135550188", first_name="Zoë", last_name="Brontë", remote_id="6",
            email="zoe.b@mail.example.net", tags=("vip", "newsletter"), group_id="g1"),
    Contact(phone="+14165550199", first_name="Łukasz", last_name="Østergaard", remote_id="7",
            tags=("vip",), group_id="g2"),
    Contact(phone="+12025550100", first_name=None, last_name=None, remote_id="8"),
    Contact(phone="+12025550111", first_name="D'Arcy", last_name="Núñez", remote_id="9",
            group_id="g1"),
]  # fmt: skip


@pytest.fixture
def people(store: Store) -> Store:
    store.mirror.merge_page(PEOPLE)
    return store


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("siobhan", ["Siobhán Ó Súilleabháin"]),  # accents folded on both sides
        ("SÚILLEAB", ["Siobhán Ó Súilleabháin"]),
        ("o'brien", ["Seán O'Brien"]),  # apostrophes vanish...
        ("obrien", ["Seán O'Brien"]),  # ...so both spellings work
        ("o’brien", ["Seán O'Brien"]),  # typographic apostrophe too
        ("darcy", ["D'Arcy Núñez"]),
        ("nunez", ["D'Arcy Núñez"]),
        ("محمد", ["محمد العلي"]),  # Arabic, 4 letters: through the trigram index
        ("العل", ["محمد العلي"]),
        ("秀英 王", ["秀英 王"]),  # CJK: short terms fall back to name/last-name prefixes
        ("王", ["秀英 王"]),
        ("jean-luc", ["Jean-Luc Smith-Jones"]),
        ("smithjones", ["Jean-Luc Smith-Jones"]),  # hyphenated names joined up too
        ("jones", ["Jean-Luc Smith-Jones"]),
        ("zoe bronte", ["Zoë Brontë"]),  # every term must match
        ("bronte zoe", ["Zoë Brontë"]),
        ("zoe smith", []),
        ("lukasz", ["Łukasz Østergaard"]),  # letters NFKD leaves alone are folded by hand
        ("ostergaard", ["Łukasz Østergaard"]),
    ],
)
def test_names(people: Store, typed: str, expected: list[str]) -> None:
    assert names(people, typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected_phones"),
    [
        ("234", ["+15551234567", "+8801712345678", "+8801812345679"]),  # a run anywhere
        ("0123", ["+447700900123"]),  # the last digits
        ("555 123 4567", ["+15551234567"]),  # formatting ignored
        ("+1 (555) 123-4567", ["+15551234567"]),
        ("(613) 555-0188", ["+16135550188"]),
        ("8801712", ["+8801712345678"]),
        ("0188", ["+16135550188"]),
        ("99999", []),
        ("০১৭১২", ["+8801712345678"]),  # Bengali digits
        ("٠١٢٣", ["+447700900123"]),  # Arabic-Indic digits
        ("jean ৭৬৫", ["+15557654321"]),  # inside a text query too
    ],
)
def test_digit_runs(people: Store, typed: str, expected_phones: list[str]) -> None:
    found = sorted(s.contact.phone for s in search(people, typed))
    assert found == sorted(expected_phones)


def test_digits_match_phones_only_not_names_or_emails(store: Store) -> None:
    store.mirror.merge_page(
        [
            Contact(phone="+15550000001", first_name="Agent", last_name="007x", remote_id="a"),
            Contact(phone="+15550000002", email="user007@example.com", remote_id="b"),
            Contact(phone="+15550070000", remote_id="c"),
        ]
    )
    assert [s.contact.remote_id for s in search(store, "007")] == ["c"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sean.obrien", ["Seán O'Brien"]),
        ("sean.obrien@example.org", ["Seán O'Brien"]),
        ("example.org", ["Seán O'Brien"]),
        ("company.example", ["Jean-Luc Smith-Jones"]),
        ("mail.example", ["Zoë Brontë"]),
    ],
)
def test_emails(people: Store, typed: str, expected: list[str]) -> None:
    assert names(people, typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("s", ["Seán O'Brien", "Siobhán Ó Súilleabháin", "Jean-Luc Smith-Jones"]),
        ("si", ["Siobhán Ó Súilleabháin"]),
        ("Z", ["Zoë Brontë"]),
        ("o", ["Łukasz Østergaard", "Seán O'Brien", "Siobhán Ó Súilleabháin"]),
        ("ó", ["Łukasz Østergaard", "Seán O'Brien", "Siobhán Ó Súilleabháin"]),
    ],
)
def test_short_text_matches_the_start_of_the_name_or_last_name(
    people: Store, typed: str, expected: list[str]
) -> None:
    assert sorted(names(people, typed)) == sorted(expected)


def test_short_digits_match_the_start_of_the_number(people: Store) -> None:
    assert sorted(s.contact.phone for s in search(people, "88")) == [
        "+8801712345678",
        "+8801812345679",
    ]
    assert sorted(s.contact.phone for s in search(people, "+44")) == ["+447700900123"]
    # a run of 1-2 digits in the middle of a number is not a match (yet)
    assert search(people, "23") == []


def test_a_short_term_beside_a_long_one_filters_by_substring(people: Store) -> None:
    assert names(people, "sm je") == ["Jean-Luc Smith-Jones"]
    assert names(people, "jean 7") == ["Jean-Luc Smith-Jones"]  # 7 in +15557654321
    assert names(people, "jean 9") == []


def test_a_contact_without_a_name_is_found_and_shown_by_its_number(people: Store) -> None:
    assert names(people, "2025550100") == ["+12025550100"]


@pytest.mark.parametrize(
    "typed",
    ['"', '""', "*", "a*", "NEAR(a b)", "(", ")", "AND", "OR NOT", ":", "{x}", "^", "'", "-", "%"],
)
def test_search_syntax_characters_are_just_text(people: Store, typed: str) -> None:
    search(people, typed)  # never an FTS syntax error


def test_blank_text_shows_everything(people: Store) -> None:
    assert len(search(people, "   ")) == len(PEOPLE)


def test_group_and_tag_filters_combine_with_text(people: Store) -> None:
    assert names(people, group_id="g1") == ["D'Arcy Núñez", "Zoë Brontë"]
    assert names(people, "zoe", group_id="g1") == ["Zoë Brontë"]
    assert names(people, "zoe", group_id="g2") == []
    assert names(people, tag="vip") == ["Łukasz Østergaard", "Zoë Brontë"]
    assert names(people, "lukasz", tag="vip") == ["Łukasz Østergaard"]
    assert names(people, tag="newsletter") == ["Zoë Brontë"]
    assert people.tags() == [("newsletter", 1), ("vip", 2)]


def test_a_contact_waiting_to_be_deleted_is_hidden(people: Store) -> None:
    zoe = people.get_by_remote_id("6")
    assert zoe is not None
    people.edits.delete(zoe.local_id)
    assert people.get(zoe.local_id).state is ContactState.DELETED  # type: ignore[union-attr]
    assert names(people, "zoe") == []
    assert "Zoë Brontë" not in names(people)
    assert people.count(ContactQuery(group_id="g1")) == 1
    assert people.tags() == [("vip", 1)]


def test_edits_are_searchable_at_once_and_old_values_are_not(people: Store) -> None:
    zoe = people.get_by_remote_id("6")
    assert zoe is not None
    people.edits.update(
        zoe.local_id,
        zoe.contact.with_changes(first_name="Zara", phone="+16135550999", email="zb@example.net"),
    )
    assert names(people, "zara") == ["Zara Brontë"]
    assert names(people, "zoe") == []
    assert names(people, "0999") == ["Zara Brontë"]
    assert names(people, "0188") == []
    assert names(people, "mail.example") == []
    assert people.integrity_check() == ["ok"]


def test_html_and_huge_strings_are_stored_verbatim_and_searchable(store: Store) -> None:
    html = "<b>Bold</b> <script>alert('x')</script> &amp; \"quoted\""
    huge = "Ω" * 200_000 + "needle" + "x" * 200_000
    store.mirror.merge_page(
        [
            Contact(
                phone="+15550001111",
                first_name=html,
                last_name=huge,
                remote_id="h",
                custom_fields={"notes": huge, "html": html},
                extra={"status": "<i>subscribe</i>"},
                tags=("<tag>", "a,b", "ünï"),
            )
        ]
    )
    [found] = search(store, "needle")
    assert found.contact.first_name == html
    assert found.contact.last_name == huge
    assert found.contact.custom_fields == {"notes": huge, "html": html}
    assert found.contact.extra == {"status": "<i>subscribe</i>"}
    assert found.contact.tags == ("<tag>", "a,b", "ünï")
    assert [s.contact.remote_id for s in search(store, "<script>")] == ["h"]
    assert [s.contact.remote_id for s in search(store, tag="a,b")] == ["h"]
    assert store.integrity_check() == ["ok"]


def test_equal_queries_share_one_result_until_the_data_changes(people: Store) -> None:
    first = people.query(ContactQuery(text="Zoë"))
    again = people.query(ContactQuery(text="  zoe "))  # means the same
    assert again is not first
    first.close()
    assert again.count == 1
    assert again.window(0, 5)[0] is not None  # closing one handle leaves the other working
    again.close()
    with pytest.raises(Exception, match="out of date"):
        again.window(0, 5)


def test_sorting_by_each_column_uses_folded_keys(people: Store) -> None:
    by_last = names(people, sort=SortColumn.LAST)
    # no last name sorts first; accents do not push "Ó" or "Ø" to the end
    assert by_last[:2] in (["+12025550100", "Zoë Brontë"],)
    assert by_last.index("Siobhán Ó Súilleabháin") < by_last.index("Jean-Luc Smith-Jones")
    assert by_last.index("Łukasz Østergaard") < by_last.index("Jean-Luc Smith-Jones")


def test_a_one_letter_count_counts_each_contact_once(store: Store) -> None:
    """One or two letters match the start of the name as shown or of the last name; a
    contact matching both ways ("Ada Adams") is one match, in the count as in the rows."""
    store.mirror.merge_page(
        [
            Contact(phone="+15550000001", first_name="Ada", last_name="Adams", remote_id="1"),
            Contact(phone="+15550000002", first_name="Bea", last_name="Adler", remote_id="2"),
            Contact(phone="+15550000003", first_name="Al", last_name="Berg", remote_id="3"),
            Contact(phone="+15550000004", first_name="Cy", last_name="Cole", remote_id="4"),
            Contact(phone="+15550000005", last_name="Abbot", remote_id="5"),
        ]
    )
    for typed in ("a", "A", "ad"):
        found = search(store, typed)
        assert store.count(ContactQuery(text=typed)) == len(found)
    assert sorted(names(store, "a")) == ["Abbot", "Ada Adams", "Al Berg", "Bea Adler"]
    assert sorted(names(store, "ad")) == ["Ada Adams", "Bea Adler"]
    # two digits: the start of the number with its country code, nothing in the middle
    assert len(search(store, "15")) == 5
    assert search(store, "55") == []
