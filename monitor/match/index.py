"""Matching calls against subscribers' profiles: pure, explainable, ranked.

Owns the entry points (`match_call`, `rank_calls`, `prepare`) and `Matcher`, which ranks one set
of calls for many profiles through indexes instead of comparing every pair. Ties in the ranking:
the sooner next deadline first (none last), then the lower call id. The rules are in
`monitor.match.checks`, their wording in `monitor.match.verdicts`.

Must not: do I/O, read settings or the clock (`now` comes in), or change the calls it reads. It
reads what normalisation and reconciliation stored and never re-reads eligibility from prose.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.match.bits import bits_of, positions_of, union
from monitor.match.checks import (
    Check,
    Compiled,
    compile_criteria,
    eligibility_counts,
    passes,
    run_checks,
    score_of,
)
from monitor.match.criteria import Criteria, Match
from monitor.match.prepare import Prepared, prepare_call
from monitor.match.recall import semantic_matches
from monitor.match.relevance import MATCH_FIELDS, Corpus
from monitor.match.stems import stem
from monitor.match.text import Term
from monitor.match.verdicts import explain

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def match_call(call: Any, criteria: Criteria, *, now: datetime, corpus: Corpus | None = None) -> Match:
    """Whether one call matches one profile's criteria, why, and how well.

    Keyword rarity comes from `corpus` (the calls it is ranked among); without one, from the call alone.
    """
    prep = prepare_call(call, now)
    comp = compile_criteria(criteria, corpus or Corpus([prep]))
    checks = run_checks(prep, comp)
    return explain(prep, comp, checks, score_of(prep, comp, checks, comp.corpus.document_frequency))


def prepare(call: Any, *, now: datetime) -> Prepared:
    """A call folded and bucketed once, for `screen` (browse pages reuse it across requests)."""
    return prepare_call(call, now)


def rank_calls(
    calls: Iterable[Any], criteria: Criteria, *, now: datetime, limit: int | None = None,
    semantic: Any = None,
) -> list[tuple[Any, Match]]:  # fmt: skip
    """The matching calls, most relevant first (ties: `rank_key`), keyword rarity over the live ones.

    `semantic`: a `monitor.match.semantic.Embedder` for the semantic recall channel (`recall`).
    """
    prepared = [prepare_call(call, now) for call in calls]
    live = [prep for prep in prepared if prep.live]
    comp = compile_criteria(criteria, Corpus(live))
    index = _semantic_index(semantic, live)
    return ranked(live, comp, comp.corpus.document_frequency, limit, index)


def _semantic_index(embedder: Any, live: Sequence[Prepared]) -> Any:
    if embedder is None:
        return None
    from monitor.match.semantic import SemanticIndex

    return SemanticIndex(embedder, [prep.call for prep in live])


def ranked(
    prepared: Sequence[Prepared], comp: Compiled, df: Callable[[Term], int], limit: int | None,
    index: Any = None, positions: Sequence[int] | None = None, wordless: bool = False,
) -> list[tuple[Any, Match]]:  # fmt: skip
    """The prepared calls that match, best first, each with its `Match` in words.

    With a semantic `index` over `prepared`, the calls only it finds follow (`recall`); `positions`
    then names the prepared calls to check by their words (all of them when None). `wordless`:
    each match as a `LazyMatch`, worded only when read.
    """
    scored: list[tuple[tuple[Any, ...], float, Prepared, tuple[Check, ...]]] = []
    matched: set[int] = set()
    for position in positions if positions is not None else range(len(prepared)):
        prep = prepared[position]
        checks = run_checks(prep, comp, until_failure=True)  # a call that fails is never shown here
        if passes(checks):
            score = score_of(prep, comp, checks, df)
            scored.append((rank_key(score, prep, checks), score, prep, checks))
            matched.add(position)
    for prep, checks, _ in semantic_matches(prepared, comp, index, matched):
        scored.append((rank_key(0.0, prep, checks), 0.0, prep, checks))
    scored.sort(key=lambda item: item[0])
    if limit is not None:
        scored = scored[: max(limit, 0)]
    # Wording is built only for what is returned: with a limit, most matches are never rendered.
    if wordless:
        return [(prep.call, LazyMatch(prep, comp, checks, score)) for _, score, prep, checks in scored]  # type: ignore[misc]
    return [(prep.call, explain(prep, comp, checks, score)) for _, score, prep, checks in scored]


class LazyMatch:
    """A `Match` whose score is known now and whose words are built the first time they are read
    (a digest ranks every match of a profile but words only the few it shows); reads as a Match."""

    __slots__ = ("_args", "_match", "score")

    def __init__(self, prep: Prepared, comp: Compiled, checks: Sequence[Check], score: float) -> None:
        self.score = score
        self._args: tuple[Prepared, Compiled, Sequence[Check]] | None = (prep, comp, checks)
        self._match: Match | None = None

    @property
    def match(self) -> Match:
        if self._match is None:
            assert self._args is not None
            self._match, self._args = explain(*self._args, self.score), None
        return self._match

    def __getattr__(self, name: str) -> Any:
        return getattr(self.match, name)


def rank_key(score: float, prep: Prepared, checks: Sequence[Check] = ()) -> tuple[Any, ...]:
    """Most relevant first; then more criteria the call states as met, fewer it leaves unknown;
    then the sooner next deadline (none last), then the lower call id."""
    eligible, unknown = eligibility_counts(checks)
    deadline = prep.next_deadline
    return (-score, -eligible, unknown, deadline is None, deadline or _FAR_FUTURE, prep.call.id)


class Matcher:
    """Many profiles against one set of calls (the weekly digest for 10,000 subscribers × 5,000 open calls).

    Calls are prepared (texts folded and split into words) once. Each profile then takes only the
    calls its keywords, countries, organisation types, ecosystems, programmes and funding types
    can match, from indexes of the calls that are live at `now`, and those few go through the same
    checks as `match_call`, so `rank` returns exactly what `rank_calls` would.
    """

    def __init__(self, calls: Sequence[Any], *, now: datetime, semantic: Any = None) -> None:
        self.now = now
        prepared = [prepare_call(call, now) for call in calls]
        # Only live calls can match: keeping just them makes positions those of the semantic index.
        self._prepared = [prep for prep in prepared if prep.live]
        live = range(len(self._prepared))
        self._live = (1 << len(self._prepared)) - 1
        self.corpus = Corpus(self._prepared)
        self._semantic = _semantic_index(semantic, self._prepared)
        # Stems of the fields a keyword must be found in, and the folded words (for "prefix*").
        self._stems = self._index(
            live, lambda p: {s for f in p.fields[:MATCH_FIELDS] for s in f.stem_vocabulary}
        )
        self._words = self._index(live, lambda p: {w for f in p.fields[:MATCH_FIELDS] for w in f.vocabulary})
        self._vocabulary = sorted(self._words)
        # "" holds the calls that do not state the criterion (their verdict is "unknown"); org types a
        # call only mentions do not rule a type out, so only an exclusive call stays out of "".
        self._buckets: dict[str, dict[str, int]] = {
            "countries": self._index(live, lambda p: p.countries or {""}),
            "org_types": self._index(
                live, lambda p: p.org_accepts | ({""} if not p.org_exclusive else set())
            ),
            "ecosystems": self._index(live, lambda p: p.ecosystems or {""}),
            "programmes": self._index(
                live, lambda p: p.programme.keys | ({""} if not p.programme.known else set())
            ),
            "funding_types": self._index(live, lambda p: {p.funding_type or ""}),
        }
        self._term_ids: dict[tuple[Any, ...], int] = {}

    def _index(self, ids: Iterable[int], keys: Callable[[Prepared], Iterable[str]]) -> dict[str, int]:
        # Each key's calls as a bit set in an int (bit i: prepared call i): a word common to 4,000
        # calls costs 625 bytes instead of a 130 kB set, and & and | run over machine words.
        found: dict[str, list[int]] = {}
        for i in ids:
            for key in keys(self._prepared[i]):
                found.setdefault(key, []).append(i)
        return {key: bits_of(positions) for key, positions in found.items()}

    def rank(
        self, criteria: Criteria, *, limit: int | None = None, wordless: bool = False
    ) -> list[tuple[Any, Match]]:
        """Same result as `rank_calls(calls, criteria, now=now, limit=limit)` (`wordless`: worded
        only when read, see `LazyMatch`)."""
        comp = compile_criteria(criteria, self.corpus)
        candidates = positions_of(self._candidates(comp))

        def df(term: Term) -> int:
            return self.corpus.document_frequency(
                term, lambda: (self._prepared[i] for i in positions_of(self._term_candidates(term)))
            )

        return ranked(self._prepared, comp, df, limit, self._semantic, candidates, wordless)

    def _candidates(self, comp: Compiled) -> int:
        wanted = {
            "countries": comp.countries,
            "org_types": comp.org_types,
            "ecosystems": comp.ecosystems,
            "programmes": [key for _, keys in comp.programmes for key in keys],
            "funding_types": comp.funding_types,
        }
        found = self._live
        for name, values in wanted.items():
            if values:
                bucket = self._buckets[name]
                found &= union(bucket.get(value, 0) for value in (*values, ""))
        if comp.keywords:
            found &= union(self._term_candidates(term) for term in comp.keywords)
        for term in comp.keywords_all:
            found &= self._term_candidates(term)
        return found

    def _term_candidates(self, term: Term) -> int:
        """Calls holding every word of the term somewhere (the phrase itself is checked later)."""
        key = (term.key, term.raw)
        if key not in self._term_ids:
            found = self._live
            for word, raw, prefix in zip(term.words, term.raw, term.prefix, strict=True):
                found &= self._word_ids(word, raw, prefix)
            self._term_ids[key] = found
        return self._term_ids[key]

    def _word_ids(self, word: str, raw: str, prefix: bool) -> int:
        if not prefix:
            related = (self.corpus.lexicon.related(stem(raw, lang), lang) for lang in self.corpus.languages)
            return union(self._stems.get(key, 0) for keys in related for key in keys)
        ids = 0
        at = bisect.bisect_left(self._vocabulary, word)
        while at < len(self._vocabulary) and self._vocabulary[at].startswith(word):
            ids |= self._words[self._vocabulary[at]]
            at += 1
        return ids
