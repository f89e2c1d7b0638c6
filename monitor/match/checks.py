"""The criterion checks (outcomes, no wording yet), the score that ranks matches, and `screen`.

Owns `Compiled` (criteria parsed once), `Check`, `run_checks`, `passes`, `score_of` and `screen`.
Must not: word anything (that is `monitor.match.verdicts`), do I/O or read the clock.

Rules. Each criterion has three outcomes: eligible, not eligible, unknown (the call does not say).
- Status: only "open" and "forthcoming" calls match. A call whose next deadline has passed, with
  no later deadline still to come, counts as closed whatever its stored status says. A call its
  source still lists but whose deadline nobody could read (status unknown, no deadline at all)
  is not known to be closed: its status verdict is unknown and it is kept.
- Keywords: found (see `monitor.match.text`) in the title, the call's own keywords (each one
  separately) and the summary. With keywords set, one must be found.
- Excluded words: found the same way; any one found means no match.
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

Score (higher ranks first): for each keyword found, 3 if in the title + 2 if in the call's
keywords + 1 if in the summary; +1 for each "eligible" and -0.5 for each "unknown" verdict on
country, organisation type, ecosystem and programme; plus up to 0.5 for a deadline less than 30
days away ((30 - days) / 60). Rounded to 4 decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from monitor.match.criteria import ELIGIBLE, NOT_ELIGIBLE, UNKNOWN, Criteria
from monitor.match.prepare import FIELD_WEIGHTS, Prepared, programme_keys
from monitor.match.text import Term, find_places, parse_terms
from monitor.normalise.countries import country_code
from monitor.normalise.vocab import fold

URGENT_DAYS = 30
SCORED_CRITERIA = frozenset({"country", "organisation type", "ecosystem", "programme"})


# --------------------------------------------------------------------------- criteria, compiled once


@dataclass(frozen=True)
class Compiled:
    """A profile's criteria parsed once: terms split, codes and slugs canonical, programme keys found."""

    criteria: Criteria
    keywords: tuple[Term, ...]
    exclude: tuple[Term, ...]
    countries: tuple[str, ...]
    org_types: tuple[str, ...]
    ecosystems: tuple[str, ...]
    programmes: tuple[tuple[str, frozenset[str]], ...]
    funding_types: tuple[str, ...]


def compile_criteria(criteria: Criteria) -> Compiled:
    """The criteria in the form the checks compare with."""
    return Compiled(
        criteria=criteria,
        keywords=parse_terms(criteria.keywords),
        exclude=parse_terms(criteria.exclude),
        countries=unique(country_code(c) or c.strip().upper() for c in criteria.countries if c.strip()),
        org_types=unique(slug.strip().lower() for slug in criteria.org_types if slug.strip()),
        ecosystems=unique(slug.strip().lower() for slug in criteria.ecosystems if slug.strip()),
        programmes=tuple((p.strip(), programme_keys(p)) for p in unique(criteria.programmes) if p.strip()),
        funding_types=unique(fold(kind) for kind in criteria.funding_types if kind.strip()),
    )


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


def run_checks(prep: Prepared, comp: Compiled, *, until_failure: bool = False) -> tuple[Check, ...]:
    """Every criterion's check in verdict order; with `until_failure`, stop after the first failure."""
    checks: list[Check] = []
    for run in _CHECKS:
        check = run(prep, comp)
        if check is not None:
            checks.append(check)
            if until_failure and check.outcome == NOT_ELIGIBLE:
                break
    return tuple(checks)


def _check_status(prep: Prepared, comp: Compiled) -> Check:
    if prep.undated:
        return Check("status", UNKNOWN)
    return Check("status", ELIGIBLE if prep.live else NOT_ELIGIBLE)


def _check_keywords(prep: Prepared, comp: Compiled) -> Check | None:
    if not comp.keywords:
        return None
    hits = tuple((term, places) for term in comp.keywords if (places := find_places(term, prep.fields)))
    return Check("keywords", ELIGIBLE if hits else NOT_ELIGIBLE, hits)


def _check_exclude(prep: Prepared, comp: Compiled) -> Check | None:
    if not comp.exclude:
        return None
    hits = tuple((term, places) for term in comp.exclude if (places := find_places(term, prep.fields)))
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


def passes(checks: Sequence[Check]) -> bool:
    """No check says "not eligible"."""
    return all(check.outcome != NOT_ELIGIBLE for check in checks)


def score_of(prep: Prepared, checks: Sequence[Check]) -> float:
    """The score that ranks a match (see the module docstring)."""
    total = 0.0
    for check in checks:
        if check.criterion == "keywords":
            total += sum(FIELD_WEIGHTS[prep.fields[i].name] for _, places in check.facts for i, _ in places)
        elif check.criterion in SCORED_CRITERIA:
            total += {ELIGIBLE: 1.0, UNKNOWN: -0.5}.get(check.outcome, 0.0)
    if prep.days is not None and 0 <= prep.days < URGENT_DAYS:
        total += (URGENT_DAYS - prep.days) / (2 * URGENT_DAYS)
    return round(total, 4)


def screen(prepared: Iterable[Any], criteria: Criteria) -> Iterator[Any]:
    """The prepared calls on which no criterion says "not eligible", ignoring status and time left.

    Browse pages and feeds filter with the same rules as profiles, but choose the status themselves
    and count days left from the request's own `now` (prepared calls are reused across requests).
    """
    comp = compile_criteria(replace(criteria, min_days_left=None))
    skipped = (_check_status,)
    for prep in prepared:
        if all(
            check is None or check.outcome != NOT_ELIGIBLE
            for run in _CHECKS
            if run not in skipped
            for check in (run(prep, comp),)
        ):
            yield prep
