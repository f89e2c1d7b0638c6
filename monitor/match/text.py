"""Keywords and excluded words found in a call's texts, on word boundaries.

Owns the parsed term (`Term`), a call's text split into folded words (`Field`), the search itself
(`find_places`), and the evidence cut from a text around what was found (`sentence_of`, `trim`).

Rules. A keyword or phrase is found on word boundaries, ignoring case and accents. The words of a
phrase must follow each other with only spaces or hyphens between them ("green hydrogen" finds
"Green-Hydrogen"); other punctuation must be the same as in the keyword ("R&D" finds "R & D").
A word ending in `*` is a prefix ("electroly*" finds "electrolyser" and "electrolysis"); without
it a word is whole ("hydrogen" does not find "hydrogens").

Must not: know about calls or profiles (texts and terms come in), do I/O.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.normalise.vocab import fold, fold_chars

EVIDENCE_CHARS = 200
_SPLIT_WORDS = re.compile(r"(\w+)")
_WORD = re.compile(r"\w+")
_LOOSE_JOIN = re.compile(r"[\s*-]+")
_SENTENCE_END = re.compile(r"[.!?;](?=\s)|\n")

_fold_word = functools.lru_cache(maxsize=200_000)(fold)


@functools.lru_cache(maxsize=4096)
def _join_key(separator: str) -> str:
    """What must separate two words of a phrase: "" for spaces and hyphens, else the punctuation."""
    return _LOOSE_JOIN.sub("", fold_chars(separator))


@dataclass(frozen=True)
class Term:
    """A keyword or excluded word as the profile wrote it, split into folded words."""

    text: str
    words: tuple[str, ...]
    prefix: tuple[bool, ...]  # word ends in "*"
    joins: tuple[str, ...]  # join key before each word ("" before the first)


@functools.lru_cache(maxsize=16_384)
def parse_term(text: str) -> Term | None:
    """A keyword or excluded word split into folded words; None when it has no word."""
    parts = _SPLIT_WORDS.split(unicodedata.normalize("NFC", text.strip()))
    words = tuple(_fold_word(word) for word in parts[1::2])
    if not words or not all(words):
        return None
    prefix = tuple(after.startswith("*") for after in parts[2::2])
    joins = ("", *(_join_key(between) for between in parts[2:-1:2]))
    return Term(text.strip(), words, prefix, joins)


def parse_terms(texts: Iterable[str]) -> tuple[Term, ...]:
    """The distinct terms of `texts`, in order, words without any dropped."""
    terms: dict[tuple[Any, ...], Term] = {}
    for text in texts:
        term = parse_term(text)
        if term is not None:
            terms.setdefault((term.words, term.prefix, term.joins), term)
    return tuple(terms.values())


@dataclass(frozen=True)
class Field:
    """One searchable text of a call, split into folded words."""

    name: str
    text: str
    words: tuple[str, ...]
    joins: tuple[str, ...]  # join key before each word
    # word -> its first position. Ints, not lists of positions: thousands of prepared calls would
    # otherwise hold millions of small lists, which Python's garbage collector scans again and again.
    first_at: dict[str, int]


def split_field(name: str, text: str) -> Field:
    """A text of a call split into folded words, ready to search."""
    text = unicodedata.normalize("NFC", text)
    parts = _SPLIT_WORDS.split(text)
    words = tuple(map(_fold_word, parts[1::2]))
    joins = tuple(map(_join_key, parts[0:-1:2]))
    # Built from the end, so the earliest position of a word is the one kept.
    first_at = dict(zip(reversed(words), range(len(words) - 1, -1, -1), strict=True))
    return Field(name, text, words, joins, first_at)


def _find(term: Term, field: Field) -> int | None:
    """Position of the term's first occurrence in the field."""
    first = term.words[0]
    if term.prefix[0]:
        if not any(word.startswith(first) for word in field.first_at):
            return None
        starts: Iterable[int] = (i for i, word in enumerate(field.words) if word.startswith(first))
    else:
        starts = _positions(field.words, first, field.first_at.get(first))
    return next((start for start in starts if _continues(term, field, start)), None)


def _positions(words: tuple[str, ...], word: str, first: int | None) -> Iterable[int]:
    at = first
    while at is not None:
        yield at
        try:
            at = words.index(word, at + 1)
        except ValueError:
            at = None


def _continues(term: Term, field: Field, start: int) -> bool:
    if start + len(term.words) > len(field.words):
        return False
    for k in range(1, len(term.words)):
        word, wanted = field.words[start + k], term.words[k]
        if field.joins[start + k] != term.joins[k]:
            return False
        if not (word.startswith(wanted) if term.prefix[k] else word == wanted):
            return False
    return True


def find_places(term: Term, fields: Sequence[Field]) -> tuple[tuple[int, int], ...]:
    """(field index, word position) of each field the term is found in."""
    found = ((index, _find(term, field)) for index, field in enumerate(fields))
    return tuple((index, position) for index, position in found if position is not None)


# --------------------------------------------------------------------------- evidence


def sentence_of(term: Term, text: str, position: int) -> str:
    """The sentence of `text` holding `term`, found at word `position`, trimmed around it."""
    spans = [match.span() for match in itertools.islice(_WORD.finditer(text), position + len(term.words))]
    return sentence(text, spans[position][0], spans[-1][1])


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
