"""Calendar dates written in words or numbers, in the 24 official EU languages.

Owns: the month names (CLDR's, through Babel: wide and abbreviated, format and stand-alone, so the
genitive forms "lutego", "února", "Φεβρουαρίου", "helmikuuta", "vasario", "veljače" are there), the date
shapes ("28 February 2027", "28. února 2027", "2027. február 28.", "2027 m. vasario 28 d.", "28.02.2027",
"28. 2. 2027", "2027-02-28") and the dates written without a year or a day (found, never completed).
Must not: do I/O, read the clock, decide what a date means (deadline, opening: `deadline_cues`), or pick a
month for a name that means two months (Croatian "listopad" is October, Polish and Czech November)
without a language to say which.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from babel.dates import get_month_names

from monitor.normalise.vocab import fold_chars

LANGUAGES = ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv",
             "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv")  # fmt: skip
# Spellings calls use that CLDR does not list: Austrian "Jänner", "Maerz" typed without the umlaut,
# Spanish "setiembre" (both seen on Eurocluster pages written by German and Latin-American partners).
_VARIANTS = {"janner": ("de", 1), "maerz": ("de", 3), "setiembre": ("es", 9)}


def _month_names() -> tuple[dict[str, dict[str, int]], set[str]]:
    """folded name -> {language: month}, and the names a partial date may use (no short foreign abbr.)."""
    names: dict[str, dict[str, int]] = {}
    partial: set[str] = set()
    for language in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, language).items():
                    folded = fold_chars(name).rstrip(".").strip()
                    # Greek in capitals folds to a final "σ" where CLDR writes "ς".
                    for form in {folded, folded.replace("ς", "σ")}:
                        names.setdefault(form, {})[language] = number
                        if width == "wide" or language == "en":
                            partial.add(form)
    for name, (language, number) in _VARIANTS.items():
        names.setdefault(name, {})[language] = number
        partial.add(name)
    return names, partial


MONTHS, _PARTIAL_NAMES = _month_names()


def _alternatives(names: Collection[str]) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


_MONTH = rf"(?P<m>{_alternatives(MONTHS)})\b\.?"
_PART_MONTH = rf"(?:{_alternatives(_PARTIAL_NAMES)})\b\.?"
_ORDINAL = r"(?:st|nd|rd|th|er|eme)?\.?"
_OF = r"(?:[\s-]+(?:of|de|ta'?))?"  # "7th of June", "15 de marzo", Maltese "28 ta' Frar"
# Hungarian day suffixes ("február 28-ig" = until, "28-án" = on) and Lithuanian "28 d." end the date.
_DAY_END = r"(?:-(?:ig|ai|ei|an|en|a|e|i)\b|\.(?:-ig)?|\s?d\.)?"
_DATES = (  # day month year; month day, year; year month day; numeric (EU: day first)
    re.compile(rf"(?<![\d.,/])(?P<d>\d{{1,2}}){_ORDINAL}{_OF}[\s-]*{_MONTH}"
               r"(?:,|[\s-]+(?:de|del))?[\s-]*(?P<y>\d{4})(?!\d)"),
    re.compile(rf"\b{_MONTH},?[\s-]+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*|\s+)(?P<y>\d{{4}})(?!\d)"),
    # "2027. február 28." (HU), "2027 m. vasario 28 d." (LT)
    re.compile(rf"(?<![\d.,/])(?P<y>\d{{4}})(?:\.|\s?m\.)?\s*{_MONTH}\s*(?P<d>\d{{1,2}})(?!\d){_DAY_END}"),
    # "2027. gada 28. februāris" (LV)
    re.compile(rf"(?<![\d.,/])(?P<y>\d{{4}})\.?\s*gada\s+(?P<d>\d{{1,2}})\.\s*{_MONTH}"),
    re.compile(r"(?<![\d.,/-])(?P<y>\d{4})([-/.])(?P<m>\d{1,2})\2(?P<d>\d{1,2})(?!\d)\.?"),
    # HU "2027. 02. 28."
    re.compile(r"(?<![\d.,/-])(?P<y>\d{4})\.\s(?P<m>\d{1,2})\.\s(?P<d>\d{1,2})(?!\d)\.?"),
    re.compile(r"(?<![\d.,/-])(?P<d>\d{1,2})([./-])(?P<m>\d{1,2})\2(?P<y>\d{4}|\d{2})(?!\d|[./-]\d)"),
    re.compile(r"(?<![\d.,/-])(?P<d>\d{1,2})\.\s(?P<m>\d{1,2})\.\s(?P<y>\d{4})(?!\d)"),  # CS/SK "28. 2. 2027"
)  # fmt: skip
_PARTIAL = (  # written without a year, or without a day: never completed by guessing
    ("no-year", re.compile(rf"(?<![\d.,/])\d{{1,2}}{_ORDINAL}{_OF}[\s-]*{_PART_MONTH}(?![\s.,-]*\d)")),
    ("no-year", re.compile(rf"\b{_PART_MONTH}[\s-]+\d{{1,2}}(?:st|nd|rd|th)?\b(?![\s,.-]*\d)")),
    ("month-year", re.compile(rf"\b{_PART_MONTH},?\s+\d{{4}}(?!\d)")),
)  # fmt: skip


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    kind: str  # "full", "ambiguous" (month name of two months), "no-year", "month-year"
    day: date | None = None  # None for a partial, ambiguous or impossible date


def month_number(name: str, languages: Collection[str] = ()) -> int | None:
    """The month a folded name means; None when it means two months and `languages` do not settle it."""
    meanings = MONTHS[name.rstrip(".")]
    numbers = {meanings[lang] for lang in languages if lang in meanings} or set(meanings.values())
    return numbers.pop() if len(numbers) == 1 else None


def _make_date(year: str, month: str, day: str, languages: Collection[str]) -> tuple[str, date | None]:
    number = int(year) + (2000 if len(year) == 2 else 0)  # "30/09/23": two-digit years are 20xx
    month_no = int(month) if month.isdigit() else month_number(month, languages)
    if month_no is None:
        return "ambiguous", None
    try:
        return "full", (date(number, month_no, int(day)) if 1990 <= number <= 2100 else None)
    except ValueError:  # 31/02: impossible, reported by the caller, never moved to another day
        return "full", None


def find_hits(folded: str, languages: Collection[str] = ()) -> list[Hit]:
    """Every date in accent-folded text, leftmost-longest, with the partial ones after the full ones."""
    matches = sorted((m for p in _DATES for m in p.finditer(folded)), key=lambda m: (m.start(), -m.end()))
    hits: list[Hit] = []
    for match in matches:  # leftmost, then longest, non-overlapping
        if not hits or match.start() >= hits[-1].end:
            hits.append(Hit(*match.span(), *_make_date(match["y"], match["m"], match["d"], languages)))
    taken = [(h.start, h.end) for h in hits]
    for kind, pattern in _PARTIAL:
        for match in pattern.finditer(folded):
            if all(match.end() <= s or match.start() >= e for s, e in taken):
                hits.append(Hit(match.start(), match.end(), kind))
                taken.append(match.span())
    return sorted(hits, key=lambda h: h.start)


def needs_language(hits: list[Hit]) -> bool:
    return any(h.kind == "ambiguous" for h in hits)


def parse_date_words(text: str, language: str | None = None) -> date | None:
    """The first date written in `text` in any supported way; None if absent, ambiguous or impossible."""
    hits = find_hits(fold_chars(text), [language] if language else ())
    full = [h for h in hits if h.kind in ("full", "ambiguous")]
    return full[0].day if full else None
