"""The criterion checks (outcomes, no wording yet), the score that ranks matches, and `screen`.

Owns `Compiled` (criteria parsed once), `Check`, `run_checks`, `passes`, `score_of` and `screen`.
Must not: word anything (that is `monitor.match.verdicts`), do I/O or read the clock.

Rules. Each criterion has three outcomes: eligible, not eligible, unknown (the call does not say).
- Status: only "open" and "forthcoming" calls match. A call whose next deadline has passed, with
  no later deadline still to come, counts as closed whatever its stored status says. A call its
  source still lists but whose deadline nobody could read (status unknown, no deadline at all)
  is not known to be closed: its status verdict is unknown and it is kept.
- Keywords: found (see `monitor.match.text` and `monitor.match.stems`) in the title, the call's own
  keywords (each one separately), the summary, or its programme and parent topic. With "any of"
  keywords set, one must be found; with "all of" keywords, every one.
- Excluded words: found the same way in the title, keywords and summary; any one found means no
  match (a word in 50 kB of conditions does not rule a call out).
- Country: the call lists one of the profile's countries: eligible; lists none: unknown; lists
  others only: no match.
- Organisation type: the profile's type among the call's organisation types: eligible; not among
  them: not eligible only when the call restricts who may apply to its types (`org_types_exclusive`:
  "Only SMEs may apply", a source's list of eligible entities), else unknown, since a type found in
  prose is only mentioned ("research organisations" says nothing against SMEs); no type: unknown.
  "sme" is also met by a call flagged as relevant for SMEs; "startup" is also met by a call open to
  SMEs (or so flagged).
- Ecosystem, programme, funding type: the same three outcomes. Programmes are compared by their
  keys (see `monitor.match.prepare`).
- Budget: the call's amount per project (its maximum contribution, else the total budget, from its
  minimum contribution when stated) must overlap the profile's range. Not stated, or not in EUR:
  unknown.
- Time left: whole days (rounded down) from `now` to the next deadline; fewer than the profile's
  minimum: no match. No next deadline (a deadline that could not be read included): unknown, and
  the call is kept; a minimum of days left never rules out a call whose deadline is unknown.

- Strict criteria: a call that does not state one ("unknown") does not match; a strict criterion
  the profile gives no value for asks only that the call states it.

Score: the relevance of the keywords found (`monitor.match.relevance`); verdicts add nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from monitor.match.criteria import ELIGIBLE, NOT_ELIGIBLE, STRICT_CRITERIA, UNKNOWN, Criteria
from monitor.match.prepare import Prepared, programme_keys
from monitor.match.relevance import EXCLUDE_FIELDS, Corpus, relevance
from monitor.match.text import Term, parse_terms
from monitor.normalise.countries import country_code
from monitor.normalise.vocab import fold

SCORED_CRITERIA = frozenset({"country", "organisation type", "ecosystem", "programme"})


# --------------------------------------------------------------------------- criteria, compiled once


@dataclass(frozen=True)
class Compiled:
    """A profile's criteria parsed once: terms split, codes and slugs canonical, programme keys found."""

    criteria: Criteria
    keywords: tuple[Term, ...]
    keywords_all: tuple[Term, ...]
    exclude: tuple[Term, ...]
    countries: tuple[str, ...]
    org_types: tuple[str, ...]
    ecosystems: tuple[str, ...]
    programmes: tuple[tuple[str, frozenset[str]], ...]
    funding_types: tuple[str, ...]
    strict: frozenset[str]  # verdict names of the strict criteria
    corpus: Corpus  # the calls being ranked: stems, lengths, keyword rarity
    terms: tuple[Term, ...] = ()  # every keyword, "any of" first, each once (set by compile_criteria)


def compile_criteria(criteria: Criteria, corpus: Corpus) -> Compiled:
    """The criteria in the form the checks compare with, for the calls of `corpus`."""
    compiled = Compiled(
        criteria=criteria,
        keywords=parse_terms(criteria.keywords),
        keywords_all=parse_terms(criteria.keywords_all),
        exclude=parse_terms(criteria.exclude),
        countries=unique(country_code(c) or c.strip().upper() for c in criteria.countries if c.strip()),
        org_types=unique(slug.strip().lower() for slug in criteria.org_types if slug.strip()),
        ecosystems=unique(slug.strip().lower() for slug in criteria.ecosystems if slug.strip()),
        programmes=tuple((p.strip(), programme_keys(p)) for p in unique(criteria.programmes) if p.strip()),
        funding_types=unique(fold(kind) for kind in criteria.funding_types if kind.strip()),
        strict=frozenset(STRICT_CRITERIA[name] for name in criteria.strict),
        corpus=corpus,
    )
    both = (*compiled.keywords, *compiled.keywords_all)
    return replace(compiled, terms=tuple({term.key: term for term in both}.values()))


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """The values in their first order, each once."""
    return tuple(dict.fromkeys(values))


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Check:
    """One criterion's outcome and the facts it rests on (found terms, met values), not yet in words."""

    criterion: str
    outcome: str
    facts: Any = None
    strict: bool = False  # "not eligible" only because a strict criterion is not stated
    similarity: float | None = None  # keywords: none found, the semantic channel's cosine instead


def run_checks(
    prep: Prepared, comp: Compiled, *, until_failure: bool = False, skip: tuple[Any, ...] = ()
) -> tuple[Check, ...]:
    """Every criterion's check in verdict order; with `until_failure`, stop after the first failure.

    A strict criterion the call does not state ("unknown") counts as "not eligible".
    """
    checks: list[Check] = []
    for run in _CHECKS if not skip else [run for run in _CHECKS if run not in skip]:
        check = run(prep, comp)
        if check is not None and check.outcome == UNKNOWN and check.criterion in comp.strict:
            check = replace(check, outcome=NOT_ELIGIBLE, strict=True)
        if check is not None:
            checks.append(check)
            if until_failure and check.outcome == NOT_ELIGIBLE:
                return tuple(checks)
    asked = {check.criterion for check in checks}
    # A strict criterion without a value ("only calls that state an ecosystem") checks just that.
    for criterion in sorted(comp.strict - asked):
        stated = _STATED[criterion](prep)
        checks.append(Check(criterion, ELIGIBLE if stated else NOT_ELIGIBLE, "stated", strict=True))
        if until_failure and not stated:
            break
    return tuple(checks)


def _check_status(prep: Prepared, comp: Compiled) -> Check:
    if prep.undated:
        return Check("status", UNKNOWN)
    return Check("status", ELIGIBLE if prep.live else NOT_ELIGIBLE)


def _check_keywords(prep: Prepared, comp: Compiled) -> Check | None:
    """Found: one of the "any of" keywords (when there are some) and every "all of" keyword."""
    if not comp.keywords and not comp.keywords_all:
        return None
    hits = tuple((term, places) for term in comp.terms if (places := comp.corpus.found(term, prep)))
    found = {id(term) for term, _ in hits}
    any_met = not comp.keywords or any(id(term) in found for term in comp.keywords)
    all_met = all(id(term) in found for term in comp.keywords_all)
    return Check("keywords", ELIGIBLE if any_met and all_met else NOT_ELIGIBLE, hits)


def _check_exclude(prep: Prepared, comp: Compiled) -> Check | None:
    if not comp.exclude:
        return None
    found = (comp.corpus.found(term, prep, EXCLUDE_FIELDS) for term in comp.exclude)
    hits = tuple((term, places) for term, places in zip(comp.exclude, found, strict=True) if places)
    return Check("excluded words", NOT_ELIGIBLE if hits else ELIGIBLE, hits)


def _three_way(criterion: str, wanted: Sequence[str], offered: frozenset[str], stated: bool) -> Check | None:
    if not wanted:
        return None
    met = tuple(value for value in wanted if value in offered)
    return Check(criterion, ELIGIBLE if met else UNKNOWN if not stated else NOT_ELIGIBLE, met)


def _check_country(prep: Prepared, comp: Compiled) -> Check | None:
    return _three_way("country", comp.countries, prep.countries, bool(prep.countries))


def _check_org_type(prep: Prepared, comp: Compiled) -> Check | None:
    # Types the call only mentions rule nobody out: not among them is "not eligible" only when exclusive.
    return _three_way("organisation type", comp.org_types, prep.org_accepts, prep.org_exclusive)


def _check_ecosystem(prep: Prepared, comp: Compiled) -> Check | None:
    return _three_way("ecosystem", comp.ecosystems, prep.ecosystems, bool(prep.ecosystems))


def _check_programme(prep: Prepared, comp: Compiled) -> Check | None:
    if not comp.programmes:
        return None
    met = tuple(text for text, keys in comp.programmes if keys & prep.programme.keys)
    known = prep.programme.known
    return Check("programme", ELIGIBLE if met else NOT_ELIGIBLE if known else UNKNOWN, met)


def _check_funding_type(prep: Prepared, comp: Compiled) -> Check | None:
    kind = prep.funding_type
    return _three_way("funding type", comp.funding_types, frozenset([kind] if kind else []), bool(kind))


def _check_budget(prep: Prepared, comp: Compiled) -> Check | None:
    wanted_min, wanted_max = comp.criteria.budget_min, comp.criteria.budget_max
    if wanted_min is None and wanted_max is None:
        return None
    low, high = prep.budget
    if (low is None and high is None) or prep.currency not in (None, "EUR"):
        return Check("budget", UNKNOWN)
    fits = (wanted_min is None or high is None or high >= wanted_min) and (
        wanted_max is None or low is None or low <= wanted_max
    )
    return Check("budget", ELIGIBLE if fits else NOT_ELIGIBLE)


def _check_time_left(prep: Prepared, comp: Compiled) -> Check | None:
    wanted = comp.criteria.min_days_left
    if wanted is None:
        return None
    if prep.days is None:
        return Check("time left", UNKNOWN)
    return Check("time left", ELIGIBLE if prep.days >= wanted else NOT_ELIGIBLE)


_CHECKS: tuple[Callable[[Prepared, Compiled], Check | None], ...] = (
    _check_status, _check_keywords, _check_exclude, _check_country, _check_org_type, _check_ecosystem,
    _check_programme, _check_funding_type, _check_budget, _check_time_left,
)  # fmt: skip


_STATED: dict[str, Callable[[Prepared], bool]] = {
    "country": lambda p: bool(p.countries),
    "organisation type": lambda p: bool(p.org_types),
    "ecosystem": lambda p: bool(p.ecosystems),
    "programme": lambda p: p.programme.known,
    "funding type": lambda p: bool(p.funding_type),
    "budget": lambda p: p.budget != (None, None),
    "time left": lambda p: p.next_deadline is not None,
}


def passes(checks: Sequence[Check]) -> bool:
    """No check says "not eligible"."""
    return all(check.outcome != NOT_ELIGIBLE for check in checks)


def score_of(prep: Prepared, comp: Compiled, checks: Sequence[Check], df: Callable[[Term], int]) -> float:
    """How well the call is about the profile's keywords (`monitor.match.relevance`); 0 without any.

    `df` gives a keyword's document frequency in the corpus (the Matcher finds it from its index).
    """
    keywords = next((check for check in checks if check.criterion == "keywords"), None)
    if keywords is None or not keywords.facts:
        return 0.0
    dfs = [df(term) for term, _ in keywords.facts]
    return relevance(comp.corpus, keywords.facts, prep.fields, dfs, len(comp.terms))


def eligibility_counts(checks: Sequence[Check]) -> tuple[int, int]:
    """Verdicts "eligible" and "unknown" on country, organisation type, ecosystem and programme."""
    scored = [check.outcome for check in checks if check.criterion in SCORED_CRITERIA]
    return scored.count(ELIGIBLE), scored.count(UNKNOWN)


def screen(prepared: Iterable[Any], criteria: Criteria, corpus: Corpus | None = None) -> Iterator[Any]:
    """The prepared calls on which no criterion says "not eligible", ignoring status and time left.

    Browse pages and feeds filter with the same rules as profiles, but choose the status themselves
    and count days left from the request's own `now` (prepared calls are reused across requests).
    """
    if corpus is None:
        prepared = list(prepared)
        corpus = Corpus(prepared)
    comp = compile_criteria(replace(criteria, min_days_left=None), corpus)
    for prep in prepared:
        if passes(run_checks(prep, comp, until_failure=True, skip=(_check_status,))):
            yield prep
