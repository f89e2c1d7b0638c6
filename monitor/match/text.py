"""Keywords and excluded words found in a call's texts: by stem, on word boundaries.

Owns the parsed term (`Term`), the search itself in a call's text split into words and stems
(`find_all`, `find_places`; the split text, `Field`, is `monitor.match.field`'s), and the evidence
cut from a text around what was found (`sentence_of`, `trim`).

Rules. A keyword is found when each of its words is found as the same word (see
`monitor.match.stems`: the same stem in the text's language, near forms, compound parts), ignoring
case and accents. Several words with only spaces between them are found near each other, in any
order (at most NEAR_WORDS apart: "circular construction" finds "construction products with
circularity principles"). In quotes, or joined by hyphens or other punctuation, they are a phrase:
the words must follow each other with only spaces or hyphens between them ("green hydrogen" in quotes
finds "Green-Hydrogen", not "hydrogen, green"), other punctuation the same as in the keyword ("R&D"
finds "R & D"). A word ending in `*`
is a prefix of the written word, not stemmed ("electroly*" finds "electrolyser" and "electrolysis").
A word of two to five capitals is an acronym and is found only in capitals: "AI" finds "AI-driven"
but not the Italian "ai mercati" ("ai", written small, finds both).

Must not: know about calls or profiles (texts and terms come in), do I/O.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.match.field import Field as Field
from monitor.match.field import fold_word, join_key
from monitor.match.field import split_field as split_field
from monitor.match.stems import Lexicon, stem

EVIDENCE_CHARS = 200
NEAR_WORDS = 6  # how far apart the words of a loose keyword may be ("construction … circularity")
_QUOTES = "\"\u201c\u201d\u201e'"

_SPLIT_WORDS = re.compile(r"(\w+)")
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?;](?=\s)|\n")


@dataclass(frozen=True)
class Term:
    """A keyword or excluded word as the profile wrote it, split into words."""

    text: str
    words: tuple[str, ...]  # folded
    raw: tuple[str, ...]  # as written (NFC), for stemming
    prefix: tuple[bool, ...]  # word ends in "*"
    acronym: tuple[bool, ...]  # written in capitals ("AI"): found only in capitals
    joins: tuple[str, ...]  # join key before each word ("" before the first)
    # Several words with only spaces between them and no quotes: found near each other, any order.
    loose: bool = False

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.words, self.prefix, self.joins, self.acronym, self.loose)


@functools.lru_cache(maxsize=16_384)
def parse_term(text: str) -> Term | None:
    """A keyword or excluded word split into words; None when it has no word."""
    parts = _SPLIT_WORDS.split(unicodedata.normalize("NFC", text.strip()))
    raw = tuple(parts[1::2])
    words = tuple(fold_word(word) for word in raw)
    if not words or not all(words):
        return None
    prefix = tuple(after.startswith("*") for after in parts[2::2])
    joins = ("", *(join_key(between) for between in parts[2:-1:2]))
    acronym = tuple(_is_acronym(word) for word in raw)
    quoted = text.strip()[:1] in _QUOTES
    loose = len(words) > 1 and not quoted and all(not between.strip() for between in parts[2:-1:2])
    text = text.strip().strip(_QUOTES).strip()
    return Term(text=text, words=words, raw=raw, prefix=prefix, acronym=acronym, joins=joins, loose=loose)


def _is_acronym(word: str) -> bool:
    return 2 <= len(word) <= 5 and word.isalpha() and word.isupper()


def parse_terms(texts: Iterable[str]) -> tuple[Term, ...]:
    """The distinct terms of `texts`, in order, words without any dropped."""
    terms: dict[tuple[Any, ...], Term] = {}
    for text in texts:
        term = parse_term(text)
        if term is not None:
            terms.setdefault(term.key, term)
    return tuple(terms.values())


# A term's words resolved against a lexicon for one language: the stems each word may take, or
# the folded prefix (a `str`) for a word written with "*".
Keys = tuple[frozenset[str] | str, ...]


def term_keys(term: Term, language: str, lexicon: Lexicon) -> Keys:
    """What each of the term's words may be in a text of `language`, among the lexicon's stems."""
    return tuple(
        word if is_prefix else lexicon.related(stem(raw, language), language)
        for word, raw, is_prefix in zip(term.words, term.raw, term.prefix, strict=True)
    )


def _starts(keys: Keys, field: Field) -> list[int]:
    first = keys[0]
    if isinstance(first, str):  # a prefix: the field's words that start with it, then where they are
        return field.prefix_positions(first)
    return field.stem_positions(first)


def _continues(term: Term, keys: Keys, field: Field, start: int) -> bool:
    if start + len(keys) > len(field):
        return False
    for k in range(1, len(keys)):
        if field.join(start + k) != term.joins[k]:
            return False
        wanted = keys[k]
        if isinstance(wanted, str):
            if not field.word(start + k).startswith(wanted):
                return False
        elif field.stem(start + k) not in wanted:
            return False
    return True


def _present(keys: Keys, field: Field) -> bool:
    first = keys[0]
    return field.has_prefix(first) if isinstance(first, str) else field.has_stem(first)


def find_all(term: Term, keys: Keys, field: Field) -> list[int]:
    """Word positions of every occurrence of the term in the field."""
    if not _present(keys, field):
        return []
    if term.loose:
        return _near(term, keys, field)
    found = (start for start in _starts(keys, field) if _continues(term, keys, field, start))
    if not any(term.acronym):
        return list(found)
    wanted = [k for k, acronym in enumerate(term.acronym) if acronym]
    return [start for start in found if all(field.in_capitals(start + k) for k in wanted)]


def _near(term: Term, keys: Keys, field: Field) -> list[int]:
    """Positions of the first word that have every other word within NEAR_WORDS of them."""
    words = [_starts(keys[k : k + 1], field) for k in range(len(keys))]
    for k, acronym in enumerate(term.acronym):
        if acronym:  # an acronym counts only where it is written in capitals
            words[k] = [at for at in words[k] if field.in_capitals(at)]
    first, others = words[0], words[1:]
    if not first or not all(others):
        return []
    return [start for start in first if all(_within(positions, start) for positions in others)]


def _within(positions: list[int], start: int) -> bool:
    at = bisect.bisect_left(positions, start - NEAR_WORDS)
    return at < len(positions) and positions[at] <= start + NEAR_WORDS


def find_places(
    term: Term, keys: Keys, fields: Sequence[Field], needed: int | None = None
) -> tuple[tuple[int, int, int], ...]:
    """(field index, first word position, occurrences) of each field the term is found in; with
    `needed`, nothing unless it is in one of the first `needed` fields (the rest is then not read)."""
    places: list[tuple[int, int, int]] = []
    for index, field in enumerate(fields):
        if needed is not None and index == needed and not places:
            return ()
        found = find_all(term, keys, field)
        if found:
            places.append((index, found[0], len(found)))
    return tuple(places)


# --------------------------------------------------------------------------- evidence


def sentence_of(term: Term, text: str, position: int) -> str:
    """The sentence of `text` holding `term`, found at word `position`, trimmed around it."""
    words = _WORD.finditer(text)
    first = next(itertools.islice(words, position, None))
    # A loose keyword's first word may be its last in the text: then the sentence is around that word.
    last = next(itertools.islice(words, len(term.words) - 2, None), first) if len(term.words) > 1 else first
    return sentence(text, first.start(), last.end())


def sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end], cut to about EVIDENCE_CHARS at word ends ("…" marks a cut)."""
    begin = 0
    for boundary in _SENTENCE_END.finditer(text, 0, start):
        begin = boundary.end()
    after = _SENTENCE_END.search(text, end)
    stop = after.end() if after else len(text)
    if stop - begin <= EVIDENCE_CHARS:
        return " ".join(text[begin:stop].split())
    left = max(begin, start - (EVIDENCE_CHARS - (end - start)) // 2)
    right = min(stop, max(end, left + EVIDENCE_CHARS))
    while begin < left < start and not text[left - 1].isspace():
        left += 1
    while end < right < stop and not text[right].isspace():
        right -= 1
    cut = " ".join(text[left:right].split())
    return f"{'…' if left > begin else ''}{cut}{'…' if right < stop else ''}"


def trim(text: str | None) -> str | None:
    """The text on one line, cut to EVIDENCE_CHARS ("…" marks a cut); None for no text."""
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= EVIDENCE_CHARS else flat[: EVIDENCE_CHARS - 1] + "…"
