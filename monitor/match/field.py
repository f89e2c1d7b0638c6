"""One searchable text of a call split into words, stems and join marks, stored compactly.

Owns `Field` and `split_field`, and the folding of one word and of what separates two words
(`fold_word`, `join_key`), which keywords are split with too (`monitor.match.text`).

Storage. 5,000 prepared calls hold millions of word positions: a tuple of str per field costs 8
bytes a position for each of words, stems and join marks, and a dict of first positions ~40 bytes
a distinct stem. So a field keeps each of them as the sorted tuple of its distinct values and, per
position, the index of the value in it, in one `array` of 1, 2 or 4 bytes an entry (a field of at
most 256 distinct values needs 1 byte) holding the words' indexes, then the stems', then the join
marks' (one array, not three: 25,000 fields would spend 3 MB on array headers alone); a stem's
positions are found by `array.index` over the stems' part.

Must not: know about calls, profiles or keywords (texts come in), do I/O.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.match.bits import bits_of
from monitor.match.stems import stem_words
from monitor.normalise.vocab import fold, fold_chars

_SPLIT_WORDS = re.compile(r"(\w+)")
_LOOSE_JOIN = re.compile(r"[\s*\"\u201c\u201d\u201e-]+")

fold_word = functools.lru_cache(maxsize=200_000)(fold)


@functools.lru_cache(maxsize=4096)
def join_key(separator: str) -> str:
    """What must separate two words of a phrase: "" for spaces and hyphens, else the punctuation."""
    return _LOOSE_JOIN.sub("", fold_chars(separator))


@dataclass(frozen=True)
class Field:
    """One searchable text of a call: for each of its n words, the index of the folded word in
    `vocabulary` (`ids[i]`), of its stem (in the call's language) in `stem_vocabulary` (`ids[n + i]`),
    and of the join key before it in `join_keys` (`ids[2n + i]`); see the module's docstring: why."""

    name: str
    text: str
    vocabulary: tuple[str, ...]  # the distinct folded words, sorted: "prefix*" is found by bisection
    stem_vocabulary: tuple[str, ...]  # the distinct stems, sorted: a stem is found by bisection
    join_keys: tuple[str, ...]  # the distinct join keys, sorted
    ids: array[int]
    # Positions of the words written in capitals (for acronyms), as the bits of an int: a set of
    # ints would cost more than the words themselves in 5,000 prepared calls.
    capitals: int

    def __len__(self) -> int:
        return len(self.ids) // 3

    def in_capitals(self, position: int) -> bool:
        return bool(self.capitals >> position & 1)

    def word(self, position: int) -> str:
        """The folded word at `position`."""
        return self.vocabulary[self.ids[position]]

    def stem(self, position: int) -> str:
        """The stem of the word at `position`."""
        return self.stem_vocabulary[self.ids[len(self) + position]]

    def join(self, position: int) -> str:
        """The join key before the word at `position` ("" before the first)."""
        return self.join_keys[self.ids[2 * len(self) + position]]

    def stem_id(self, key: str) -> int | None:
        """The index of the stem `key` in `stem_vocabulary`, None when the field does not hold it."""
        at = bisect.bisect_left(self.stem_vocabulary, key)
        return at if at < len(self.stem_vocabulary) and self.stem_vocabulary[at] == key else None

    def has_stem(self, keys: Iterable[str]) -> bool:
        """Whether the field holds any of the stems `keys`."""
        return any(self.stem_id(key) is not None for key in keys)

    def has_prefix(self, prefix: str) -> bool:
        """Whether a word of the field starts with `prefix`."""
        at = bisect.bisect_left(self.vocabulary, prefix)
        return at < len(self.vocabulary) and self.vocabulary[at].startswith(prefix)

    def word_range(self, prefix: str) -> range:
        """The indexes in `vocabulary` of the words starting with `prefix`."""
        at = end = bisect.bisect_left(self.vocabulary, prefix)
        while end < len(self.vocabulary) and self.vocabulary[end].startswith(prefix):
            end += 1
        return range(at, end)

    def prefix_positions(self, prefix: str) -> list[int]:
        """The positions of the words starting with `prefix`, ascending."""
        return self._positions(self.word_range(prefix), 0)

    def stem_positions(self, keys: Iterable[str]) -> list[int]:
        """The positions of the words whose stem is one of `keys`, ascending."""
        return self._positions((self.stem_id(key) for key in keys), len(self))

    def _positions(self, wanted: Iterable[int | None], part: int) -> list[int]:
        # Each index's positions in the part of `ids` starting at `part` (None: not in the field).
        starts: list[int] = []
        end = part + len(self)
        for key in wanted:
            at = None if key is None else _index(self.ids, key, part, end)
            while at is not None and key is not None:
                starts.append(at - part)
                at = _index(self.ids, key, at + 1, end)
        return sorted(starts)


def _index(ids: array[int], key: int, start: int, end: int) -> int | None:
    try:
        return ids.index(key, start, end)
    except ValueError:
        return None


def split_field(name: str, text: str, language: str, *, max_words: int | None = None) -> Field:
    """A text of a call split into words and stems, ready to search (cut after `max_words`)."""
    text = unicodedata.normalize("NFC", text)
    parts = _SPLIT_WORDS.split(text)
    raw = parts[1::2][:max_words] if max_words else parts[1::2]
    words = list(map(fold_word, raw))
    stems = stem_words(raw, language)
    joins = list(map(join_key, parts[0 : 2 * len(raw) : 2]))
    capitals = bits_of(i for i, word in enumerate(raw) if _in_capitals(word))
    (vocabulary, word_ids), (stem_vocabulary, stem_ids), (join_keys, join_ids) = map(
        _indexed, (words, stems, joins)
    )
    most = max(len(vocabulary), len(stem_vocabulary), len(join_keys))
    code = "B" if most <= 1 << 8 else "H" if most <= 1 << 16 else "I"
    ids = array(code, itertools.chain(word_ids, stem_ids, join_ids))
    return Field(name, text, vocabulary, stem_vocabulary, shared(join_keys), ids, capitals)


def _indexed(values: Sequence[str]) -> tuple[tuple[str, ...], Iterable[int]]:
    """The distinct values, sorted, and each value's index among them."""
    distinct = tuple(sorted(set(values)))
    index = {value: at for at, value in enumerate(distinct)}
    return distinct, map(index.__getitem__, values)


@functools.lru_cache(maxsize=4096)
def shared(value: Any) -> Any:
    """The first of equal values seen, for the many prepared calls that hold the same one: a few
    tuples of join keys (("",), ("", ",")) recur in most fields, and most calls name the same sets
    of organisation types, ecosystems or programme keys. Values must be hashable and immutable."""
    return value


def _in_capitals(word: str) -> bool:
    """ "AI", "SMEs" (an acronym's plural keeps its small s)."""
    return word.isupper() or (len(word) > 2 and word[-1] == "s" and word[:-1].isupper())
