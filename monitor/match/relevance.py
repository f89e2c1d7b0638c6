"""How well a call is about what a profile asks for: a BM25F score over the call's fields.

Owns `Corpus` (the calls a ranking is over: their lexicon of stems, field lengths, and each term's
document frequency) and `relevance`.

Rules. Each keyword found counts by BM25F (Robertson & Zaragoza, "The Probabilistic Relevance
Framework: BM25 and Beyond", 2009): its occurrences in each field, weighted by the field (title 3,
the call's own keywords 2, summary 1, programme and parent topic 1, conditions 0.25) and
normalised by the field's length against the corpus average (b = 0.75), saturate (k1 = 1.2) and
are multiplied by the keyword's rarity among the corpus's calls (idf). The sum is then scaled by
how much of the profile it covers: (1 + share of the profile's keywords found) / 2, so a call
about both of a user's subjects outranks one that mentions one of them often. Eligibility does
not add points: verdicts filter, and break ties (see `monitor.match.index.rank_key`).

Must not: decide whether a call matches (that is `monitor.match.checks`), do I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from monitor.match.stems import COMPOUNDING, Lexicon
from monitor.match.text import Keys, Term, find_places, term_keys

FIELD_WEIGHTS: dict[str, float] = {
    "title": 3.0, "call keywords": 2.0, "summary": 1.0, "programme": 1.0, "conditions": 0.25,
}  # fmt: skip
# Where a keyword must be found for the call to match; conditions only add to the score.
MATCH_FIELDS = 4
# Where an excluded word must be found to rule a call out: its title, keywords and summary.
EXCLUDE_FIELDS = 3
K1, B = 1.2, 0.75
Places = tuple[tuple[int, int, int], ...]


class Corpus:
    """The prepared calls a ranking is over: lexicon, average field lengths, document frequencies."""

    def __init__(self, prepared: Sequence[Any]) -> None:
        self.prepared = tuple(prepared)
        self.size = len(prepared)
        stems: set[str] = set()
        compound: set[str] = set()
        totals = dict.fromkeys(FIELD_WEIGHTS, 0)
        for prep in prepared:
            for field in prep.fields:
                stems.update(field.stem_vocabulary)
                totals[field.name] += len(field)
            if prep.language in COMPOUNDING:
                compound.update(key for field in prep.fields[:MATCH_FIELDS] for key in field.stem_vocabulary)
        self.languages = frozenset(prep.language for prep in prepared)
        self.lexicon = Lexicon(stems, compound)
        self.average = {name: max(total / max(self.size, 1), 1.0) for name, total in totals.items()}
        self._keys: dict[tuple[Any, ...], Keys] = {}
        self._df: dict[tuple[Any, ...], int] = {}
        # Where each term was found in each call of the corpus: 10,000 profiles share their terms, so
        # a term is looked for once per call, not once per profile. Calls from outside (a `match_call`
        # with this corpus) are not kept: only the corpus's own objects have ids that stay theirs.
        # Per term, the calls looked in are bits of a bytearray (by position in the corpus) and only
        # the places found are kept: most calls looked in do not hold the term, and a dict entry for
        # each would cost ~100 bytes (18 MB over 10,000 digest profiles and 5,000 calls).
        self._members = {id(prep): at for at, prep in enumerate(self.prepared)}
        self._looked: dict[tuple[Any, ...], bytearray] = {}
        self._places: dict[tuple[Any, ...], dict[int, Places]] = {}

    def keys(self, term: Term, language: str) -> Keys:
        """The stems each of the term's words may take in a text of `language`."""
        cache_key = (term.key, term.raw, language)
        keys = self._keys.get(cache_key)
        if keys is None:
            keys = self._keys[cache_key] = term_keys(term, language, self.lexicon)
        return keys

    def found(self, term: Term, prep: Any, fields: int = MATCH_FIELDS) -> Places:
        """Where the term is in the call (all fields), or () when not in its first `fields` fields."""
        at = self._members.get(id(prep)) if fields == MATCH_FIELDS else None
        if at is None:
            return find_places(term, self.keys(term, prep.language), prep.fields, fields)
        key = (term.key, term.raw)
        looked = self._looked.get(key)
        if looked is None:
            looked = self._looked[key] = bytearray((self.size + 7) // 8)
        elif looked[at >> 3] >> (at & 7) & 1:
            return self._places.get(key, {}).get(at, ())
        places = find_places(term, self.keys(term, prep.language), prep.fields, fields)
        looked[at >> 3] |= 1 << (at & 7)
        if places:
            self._places.setdefault(key, {})[at] = places
        return places

    def document_frequency(self, term: Term, candidates: Callable[[], Iterable[Any]] | None = None) -> int:
        """Calls of the corpus the term is found in; `candidates` yields every call that may hold it
        (an index's answer; without one, every call of the corpus is looked at)."""
        cached = self._df.get(term.key)
        if cached is None:
            pool = candidates() if candidates is not None else self.prepared
            cached = self._df[term.key] = sum(1 for prep in pool if self.found(term, prep))
        return cached

    def idf(self, df: int) -> float:
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))


def relevance(
    corpus: Corpus, hits: Sequence[tuple[Term, Sequence[tuple[int, int, int]]]], fields: Sequence[Any],
    dfs: Sequence[int], n_terms: int,
) -> float:  # fmt: skip
    """The BM25F score of the keywords found (`hits`, with each one's document frequency)."""
    if not hits or not n_terms:
        return 0.0
    total = 0.0
    for (_, places), df in zip(hits, dfs, strict=True):
        weighted = 0.0
        for index, _, count in places:
            field = fields[index]
            norm = (1 - B) + B * len(field) / corpus.average[field.name]
            weighted += FIELD_WEIGHTS[field.name] * count / norm
        total += corpus.idf(df) * weighted * (K1 + 1) / (K1 + weighted)
    return round(total * (1 + len(hits) / n_terms) / 2, 4)
