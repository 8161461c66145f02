"""Search text: the folding shared by the index and the query, and query parsing.

The SQLite here (3.40) has no ``remove_diacritics`` for the trigram tokenizer (3.45+),
so accents are folded in Python, identically for what is indexed and what is typed:
"Siobhán Ó Súilleabháin" is found by "siobhan o suil". Apostrophes vanish ("O'Brien"
is found by "obrien" and "o'brien"); other punctuation separates words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: letters NFKD does not decompose but people type without the stroke
_LETTER_FOLDS = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)
_APOSTROPHES = re.compile(r"['’ʼ‘`´]")
_SEPARATORS = re.compile(r"[^\w@.+]+|_")
_PHONE_LIKE = re.compile(r"^[\d\s()+\-./]*\d[\d\s()+\-./]*$")
_NON_DIGITS = re.compile(r"\D+")

#: trigram FTS cannot match fewer characters than this
MIN_FTS_CHARS = 3


# Names repeat a lot in real lists (and folding is the bulk of a merge's Python time),
# so the folds are cached.
@lru_cache(maxsize=32768)
def fold(text: str | None) -> str:
    """Lower-case, accent-free, apostrophe-free text with single spaces between words."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    # Only non-spacing marks go (Latin accents, Arabic harakat); NFC afterwards rebuilds
    # Hangul syllables and other scripts' composed forms.
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    lowered = unicodedata.normalize("NFC", stripped).casefold().translate(_LETTER_FOLDS)
    lowered = _APOSTROPHES.sub("", lowered)
    return " ".join(_SEPARATORS.sub(" ", lowered).split())


@lru_cache(maxsize=32768)
def fold_name(text: str | None) -> str:
    """Like ``fold`` but dots also separate (initials: "J.R." -> "j r")."""
    return " ".join(fold(text).replace(".", " ").split())


@lru_cache(maxsize=32768)
def search_name(first: str | None, last: str | None) -> str:
    """The indexed name text: folded words, plus hyphenated names joined up, so
    "Smith-Jones" is found by "smith", "jones" and "smithjones"."""
    words = fold_name(f"{first or ''} {last or ''}")
    joined = [
        "".join(part.split())
        for part in re.split(r"\s+", f"{first or ''} {last or ''}")
        if "-" in part
    ]
    extra = " ".join(fold_name(j).replace(" ", "") for j in joined)
    return f"{words} {extra}".strip()


def digits(phone: str | None) -> str:
    """The phone's digits only, as ASCII (E.164 without ``+``): what digit runs are
    matched against. Digits typed in another script ("০১৭", "٠١٧") count too."""
    if phone and phone[0] == "+" and phone[1:].isascii() and phone[1:].isdigit():
        return phone[1:]  # the stored form (E.164): no regex needed
    kept = _NON_DIGITS.sub("", phone or "")
    if kept.isascii():
        return kept
    return "".join(str(unicodedata.decimal(ch)) for ch in kept)


@dataclass(frozen=True, slots=True)
class Term:
    """One word of a search: ``text`` folded; ``phone`` when it is a run of digits."""

    text: str
    phone: bool

    @property
    def indexed(self) -> bool:
        """Long enough for the trigram index."""
        return len(self.text) >= MIN_FTS_CHARS


def parse_query(text: str) -> tuple[Term, ...]:
    """Split what was typed into terms that must all match.

    Input that looks like a phone number ("+1 (555) 123-45") becomes one digit term, so
    formatting never matters. Otherwise each folded word is a term; all-digit words are
    matched against phone digits only.
    """
    raw = text.strip()
    if not raw:
        return ()
    if _PHONE_LIKE.match(raw):
        return (Term(digits(raw), phone=True),)
    terms: list[Term] = []
    # dots, @ and + split words too: "rina.das@example" must find name "Rina Das" and
    # the address rina.das12@example.com alike
    for part in re.split(r"[\s.@+]+", fold(raw)):
        term = Term(digits(part), phone=True) if part.isdigit() else Term(part, phone=False)
        if part and term not in terms:
            terms.append(term)
    return tuple(terms)


def fts_phrase(term: str) -> str:
    """``term`` as an FTS5 string literal: every character literal, nothing is syntax."""
    return '"' + term.replace('"', '""') + '"'


#: the largest code point: ``prefix + PREFIX_END`` is above every string starting with prefix
PREFIX_END = "\U0010ffff"
