"""Matching calls against subscribers' profiles: pure, explainable, ranked.

Owns: the matching rules below, the score that ranks matches, the short reasons and the
per-criterion verdicts (with the call's own wording as evidence) shown to users, and `Matcher`,
which ranks one set of calls for many profiles through indexes instead of comparing every pair.
Must not: do I/O, read settings or the clock (`now` comes in), or change the calls it reads. It
reads what normalisation and reconciliation stored and never re-reads eligibility from prose.

Rules. A criterion the profile leaves empty is not checked and has no verdict; the status always
has one. A call matches when no verdict is "not eligible"; "unknown" means the call does not say,
and such a call still matches, with a lower score.
- Status: only "open" and "forthcoming" calls match. A call whose next deadline has passed, with
  no later deadline still to come, counts as closed whatever its stored status says.
- Keywords: a keyword or phrase is found on word boundaries, ignoring case and accents, in the
  title, the call's own keywords (each one separately) and the summary. The words of a phrase must
  follow each other with only spaces or hyphens between them ("green hydrogen" finds
  "Green-Hydrogen"); other punctuation must be the same as in the keyword ("R&D" finds "R & D").
  A word ending in `*` is a prefix ("electroly*" finds "electrolyser" and "electrolysis"); without
  it a word is whole ("hydrogen" does not find "hydrogens"). With keywords set, one must be found.
- Excluded words: found the same way; any one found means no match.
- Country: the call lists one of the profile's countries: eligible; lists none: unknown; lists
  others only: no match.
- Organisation type: the same with the call's organisation types. "sme" is also met by a call
  flagged as relevant for SMEs; "startup" is also met by a call open to SMEs (or so flagged).
- Ecosystem, programme, funding type: the same three outcomes. Programmes are compared by name,
  abbreviation or portal id ("Horizon Europe", "HORIZON", "43108390"), ignoring case, a trailing
  "+" and a trailing "Programme", and also against the call identifier's first part
  ("HORIZON" for "HORIZON-CL5-2024-D2-01-03"; "SMP-COSME" and "COSME" for "SMP-COSME-2024-...").
- Budget: the call's amount per project (its maximum contribution, else the total budget, from its
  minimum contribution when stated) must overlap the profile's range. Not stated, or not in EUR:
  unknown.
- Time left: whole days (rounded down) from `now` to the next deadline; fewer than the profile's
  minimum: no match. No next deadline: unknown.

Score (higher ranks first): for each keyword found, 3 if in the title + 2 if in the call's
keywords + 1 if in the summary; +1 for each "eligible" and -0.5 for each "unknown" verdict on
country, organisation type, ecosystem and programme; plus up to 0.5 for a deadline less than 30
days away ((30 - days) / 60). Rounded to 4 decimals. Ties: the sooner next deadline first (none
last), then the lower call id.

Reasons (`Match.summary`) of a match, in this order: the keywords found, in the profile's spelling
and order; whom and where the call is open to ("open to SMEs in PT", "countries not stated");
ecosystem, programme, funding type and budget when the profile asks for them; "opens 3 March 2027"
for a forthcoming call; the time left ("41 days left", "1 day left", "deadline today" when less
than a day is left). A call that does not match gets the details of its "not eligible" verdicts.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from monitor.model.zones import BRUSSELS
from monitor.normalise.countries import EEA_EFTA, EU27, HORIZON_ASSOCIATED, SMP_ASSOCIATED, country_code
from monitor.normalise.programmes import PROGRAMMES, programme_for, programme_id_for
from monitor.normalise.vocab import ECOSYSTEMS, ORG_TYPES, fold, fold_chars

ELIGIBLE, NOT_ELIGIBLE, UNKNOWN = "eligible", "not eligible", "unknown"
LIVE_STATUSES = frozenset({"open", "forthcoming"})
URGENT_DAYS = 30
EVIDENCE_CHARS = 200
# Where a keyword was found, in the order evidence is taken from, with its weight in the score.
FIELD_WEIGHTS: dict[str, int] = {"title": 3, "call keywords": 2, "summary": 1}
SCORED_CRITERIA = frozenset({"country", "organisation type", "ecosystem", "programme"})

ORG_TYPE_PLURALS: dict[str, str] = {
    "sme": "SMEs",
    "startup": "start-ups",
    "large-enterprise": "large enterprises",
    "research": "research organisations",
    "university": "universities",
    "cluster": "cluster organisations",
    "public-body": "public bodies",
    "ngo": "NGOs",
    "individual": "individuals",
}
# country_groups values (monitor.normalise.countries) -> what users read, and who is in them.
COUNTRY_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "EU": ("EU Member States", EU27),
    "EEA": ("EEA countries", EU27 | EEA_EFTA),
    "HORIZON-ASSOCIATED": ("Horizon Europe associated countries", HORIZON_ASSOCIATED),
    "SMP-ASSOCIATED": ("Single Market Programme associated countries", SMP_ASSOCIATED),
}
FUNDING_LABELS: dict[str, str] = {"cascade": "cascade funding"}

_SPLIT_WORDS = re.compile(r"(\w+)")
_WORD = re.compile(r"\w+")
_LOOSE_JOIN = re.compile(r"[\s*-]+")
_SENTENCE_END = re.compile(r"[.!?;](?=\s)|\n")
_PARENTHESIS = re.compile(r"\s*\(([^)]*)\)")
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class Criteria:
    """What a profile asks for; empty means "any"."""

    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    org_types: tuple[str, ...] = ()
    ecosystems: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    funding_types: tuple[str, ...] = ()
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    min_days_left: int | None = None

    @classmethod
    def from_profile(cls, profile: Any) -> Criteria:
        """Criteria from a `db.models.Profile` (or anything with the same attributes)."""

        def listed(name: str) -> tuple[str, ...]:
            return tuple(str(value) for value in getattr(profile, name, None) or ())

        return cls(
            keywords=listed("keywords"),
            exclude=listed("exclude"),
            countries=listed("countries"),
            org_types=listed("org_types"),
            ecosystems=listed("ecosystems"),
            programmes=listed("programmes"),
            funding_types=listed("funding_types"),
            budget_min=getattr(profile, "budget_min", None),
            budget_max=getattr(profile, "budget_max", None),
            min_days_left=getattr(profile, "min_days_left", None),
        )


@dataclass(frozen=True)
class Verdict:
    """One criterion's outcome for one call, in words, with the call's wording it rests on."""

    criterion: str
    outcome: str  # "eligible" | "not eligible" | "unknown"
    detail: str
    evidence: str | None


@dataclass(frozen=True)
class Match:
    matches: bool
    score: float
    reasons: tuple[str, ...]
    verdicts: tuple[Verdict, ...]

    @property
    def summary(self) -> str:
        return " · ".join(self.reasons)


# --------------------------------------------------------------------------- words and phrases


_fold_word = functools.lru_cache(maxsize=200_000)(fold)


@functools.lru_cache(maxsize=4096)
def _join_key(separator: str) -> str:
    """What must separate two words of a phrase: "" for spaces and hyphens, else the punctuation."""
    return _LOOSE_JOIN.sub("", fold_chars(separator))


@dataclass(frozen=True)
class _Term:
    """A keyword or excluded word as the profile wrote it, split into folded words."""

    text: str
    words: tuple[str, ...]
    prefix: tuple[bool, ...]  # word ends in "*"
    joins: tuple[str, ...]  # join key before each word ("" before the first)


@functools.lru_cache(maxsize=16_384)
def _term(text: str) -> _Term | None:
    parts = _SPLIT_WORDS.split(unicodedata.normalize("NFC", text.strip()))
    words = tuple(_fold_word(word) for word in parts[1::2])
    if not words or not all(words):
        return None
    prefix = tuple(after.startswith("*") for after in parts[2::2])
    joins = ("", *(_join_key(between) for between in parts[2:-1:2]))
    return _Term(text.strip(), words, prefix, joins)


@dataclass(frozen=True)
class _Field:
    """One searchable text of a call, split into folded words."""

    name: str
    text: str
    words: tuple[str, ...]
    joins: tuple[str, ...]  # join key before each word
    # word -> its first position. Ints, not lists of positions: thousands of prepared calls would
    # otherwise hold millions of small lists, which Python's garbage collector scans again and again.
    first_at: dict[str, int]


def _field(name: str, text: str) -> _Field:
    text = unicodedata.normalize("NFC", text)
    parts = _SPLIT_WORDS.split(text)
    words = tuple(map(_fold_word, parts[1::2]))
    joins = tuple(map(_join_key, parts[0:-1:2]))
    # Built from the end, so the earliest position of a word is the one kept.
    first_at = dict(zip(reversed(words), range(len(words) - 1, -1, -1), strict=True))
    return _Field(name, text, words, joins, first_at)


def _find(term: _Term, field: _Field) -> int | None:
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


def _continues(term: _Term, field: _Field, start: int) -> bool:
    if start + len(term.words) > len(field.words):
        return False
    for k in range(1, len(term.words)):
        word, wanted = field.words[start + k], term.words[k]
        if field.joins[start + k] != term.joins[k]:
            return False
        if not (word.startswith(wanted) if term.prefix[k] else word == wanted):
            return False
    return True


def _places(term: _Term, fields: Sequence[_Field]) -> tuple[tuple[int, int], ...]:
    """(field index, word position) of each field the term is found in."""
    found = ((index, _find(term, field)) for index, field in enumerate(fields))
    return tuple((index, position) for index, position in found if position is not None)


# --------------------------------------------------------------------------- the call, prepared once


@dataclass(frozen=True)
class _Programme:
    keys: frozenset[str]
    known: bool
    label: str | None


@dataclass(frozen=True)
class _Prepared:
    """What matching reads of one call, folded and bucketed once for a given `now`."""

    call: Any
    status: str
    passed_at: datetime | None  # the deadline that passed, for a call that is over
    next_deadline: datetime | None
    days: int | None
    fields: tuple[_Field, ...]
    countries: frozenset[str]
    org_types: frozenset[str]
    org_accepts: frozenset[str]  # profile org type slugs this call satisfies
    ecosystems: frozenset[str]
    programme: _Programme
    funding_type: str | None
    budget: tuple[Decimal | None, Decimal | None]  # per project, low and high (None: open-ended)
    currency: str | None

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES and self.passed_at is None


def _prepare(call: Any, now: datetime) -> _Prepared:
    next_deadline, passed_at = _next_deadline(call, now)
    org_types = frozenset(_attr(call, "org_types"))
    accepts = set(org_types)
    if "sme" in org_types or _attr(call, "sme_relevant") is True:
        accepts |= {"sme", "startup"}
    funding, status = _attr(call, "funding_type"), _attr(call, "status")
    return _Prepared(
        call=call,
        status=str(getattr(status, "value", status) or "unknown").lower(),
        passed_at=passed_at,
        next_deadline=next_deadline,
        days=(next_deadline - now) // timedelta(days=1) if next_deadline else None,
        fields=_fields(call),
        countries=frozenset(code.upper() for code in _attr(call, "countries") or ()),
        org_types=org_types,
        org_accepts=frozenset(accepts),
        ecosystems=frozenset(_attr(call, "ecosystems") or ()),
        programme=_call_programme(call),
        funding_type=fold(str(getattr(funding, "value", funding))) if funding else None,
        budget=_budget_range(call),
        currency=(_attr(call, "budget_currency") or "").upper() or None,
    )


def _attr(call: Any, name: str) -> Any:
    value = getattr(call, name, None)
    return () if value is None and name in ("org_types", "keywords", "deadlines") else value


def _fields(call: Any) -> tuple[_Field, ...]:
    texts = {
        "title": _attr(call, "title") or "",
        "call keywords": "; ".join(_attr(call, "keywords")),
        "summary": _attr(call, "summary_text") or "",
    }
    return tuple(_field(name, texts[name]) for name in FIELD_WEIGHTS)


def _next_deadline(call: Any, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(next deadline at `now`, the passed deadline when there is no later one)."""
    at = _attr(call, "next_deadline_at")
    if at is None or at >= now:
        return at, None
    later = [d.at for d in _attr(call, "deadlines") if d.at >= now and not getattr(d, "closed", False)]
    return (min(later), None) if later else (None, at)


def _budget_range(call: Any) -> tuple[Decimal | None, Decimal | None]:
    high = _attr(call, "contribution_max")
    if high is None:
        high = _attr(call, "budget_total")
    low = _attr(call, "contribution_min")
    if low is not None and high is not None and low > high:
        low = None
    return low, high


# --------------------------------------------------------------------------- programmes


def _programme_key(text: str) -> str:
    key = fold(text).rstrip("+ ")
    return re.sub(r"\s*\bprogram(?:me)?$", "", key).strip()


def _table_keys(entry: tuple[str, str]) -> set[str]:
    abbreviation, name = entry
    inside = _PARENTHESIS.findall(name)
    return {_programme_key(x) for x in (abbreviation, name, _PARENTHESIS.sub("", name), *inside)}


_BY_NAME: dict[str, tuple[str, str]] = {}
for _entry in PROGRAMMES.values():
    _BY_NAME.update(dict.fromkeys(_table_keys(_entry) - {_programme_key(_entry[0])}, _entry))


def _entry_keys(text: str) -> frozenset[str]:
    """Every key a programme the user wrote is known by ("LIFE", "Digital Europe", "43108390")."""
    keys = {_programme_key(text)}
    programme_id = programme_id_for(text)
    for entry in (PROGRAMMES.get(programme_id or ""), _BY_NAME.get(_programme_key(text))):
        keys |= _table_keys(entry) if entry else set()
    return frozenset(key for key in keys if key)


def _call_programme(call: Any) -> _Programme:
    name, code, identifier = (_attr(call, n) for n in ("programme", "programme_code", "identifier"))
    found: list[tuple[str, str]] = []
    if code and (programme_id := programme_id_for(code)):
        found.append(PROGRAMMES[programme_id])
    if name and (entry := _BY_NAME.get(_programme_key(name))):
        found.append(entry)
    abbreviation, full_name = programme_for(None, identifier)
    if abbreviation and full_name:
        found.append((abbreviation, full_name))
    keys = {_programme_key(x) for x in (name, code) if x}
    for entry in found:
        keys |= _table_keys(entry)
    keys |= _identifier_keys(identifier)
    label = name or (found[0][1] if found else None) or code
    return _Programme(frozenset(k for k in keys if k), bool(name or code or found), label)


def _identifier_keys(identifier: str | None) -> set[str]:
    parts = (identifier or "").strip().split("-")
    if len(parts) < 2 or not parts[0][:1].isalpha():
        return set()
    keys = {_programme_key(parts[0]), _programme_key(f"{parts[0]}-{parts[1]}")}
    return keys | ({_programme_key(parts[1])} if programme_id_for(parts[1]) else set())


# --------------------------------------------------------------------------- criteria, compiled once


@dataclass(frozen=True)
class _Compiled:
    criteria: Criteria
    keywords: tuple[_Term, ...]
    exclude: tuple[_Term, ...]
    countries: tuple[str, ...]
    org_types: tuple[str, ...]
    ecosystems: tuple[str, ...]
    programmes: tuple[tuple[str, frozenset[str]], ...]
    funding_types: tuple[str, ...]


def _compile(criteria: Criteria) -> _Compiled:
    return _Compiled(
        criteria=criteria,
        keywords=_terms(criteria.keywords),
        exclude=_terms(criteria.exclude),
        countries=_unique(country_code(c) or c.strip().upper() for c in criteria.countries if c.strip()),
        org_types=_unique(slug.strip().lower() for slug in criteria.org_types if slug.strip()),
        ecosystems=_unique(slug.strip().lower() for slug in criteria.ecosystems if slug.strip()),
        programmes=tuple((p.strip(), _entry_keys(p)) for p in _unique(criteria.programmes) if p.strip()),
        funding_types=_unique(fold(kind) for kind in criteria.funding_types if kind.strip()),
    )


def _terms(texts: Iterable[str]) -> tuple[_Term, ...]:
    terms: dict[tuple[Any, ...], _Term] = {}
    for text in texts:
        term = _term(text)
        if term is not None:
            terms.setdefault((term.words, term.prefix, term.joins), term)
    return tuple(terms.values())


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# --------------------------------------------------------------------------- checks (no wording yet)


@dataclass(frozen=True)
class _Check:
    criterion: str
    outcome: str
    facts: Any = None


def _checks(prep: _Prepared, comp: _Compiled, *, until_failure: bool = False) -> tuple[_Check, ...]:
    """Every criterion's check in verdict order; with `until_failure`, stop after the first failure."""
    checks: list[_Check] = []
    for run in _CHECKS:
        check = run(prep, comp)
        if check is not None:
            checks.append(check)
            if until_failure and check.outcome == NOT_ELIGIBLE:
                break
    return tuple(checks)


def _check_status(prep: _Prepared, comp: _Compiled) -> _Check:
    return _Check("status", ELIGIBLE if prep.live else NOT_ELIGIBLE)


def _check_keywords(prep: _Prepared, comp: _Compiled) -> _Check | None:
    if not comp.keywords:
        return None
    hits = tuple((term, places) for term in comp.keywords if (places := _places(term, prep.fields)))
    return _Check("keywords", ELIGIBLE if hits else NOT_ELIGIBLE, hits)


def _check_exclude(prep: _Prepared, comp: _Compiled) -> _Check | None:
    if not comp.exclude:
        return None
    hits = tuple((term, places) for term in comp.exclude if (places := _places(term, prep.fields)))
    return _Check("excluded words", NOT_ELIGIBLE if hits else ELIGIBLE, hits)


def _three_way(criterion: str, wanted: Sequence[str], offered: frozenset[str], stated: bool) -> _Check | None:
    if not wanted:
        return None
    met = tuple(value for value in wanted if value in offered)
    return _Check(criterion, ELIGIBLE if met else UNKNOWN if not stated else NOT_ELIGIBLE, met)


def _check_country(prep: _Prepared, comp: _Compiled) -> _Check | None:
    return _three_way("country", comp.countries, prep.countries, bool(prep.countries))


def _check_org_type(prep: _Prepared, comp: _Compiled) -> _Check | None:
    return _three_way("organisation type", comp.org_types, prep.org_accepts, bool(prep.org_types))


def _check_ecosystem(prep: _Prepared, comp: _Compiled) -> _Check | None:
    return _three_way("ecosystem", comp.ecosystems, prep.ecosystems, bool(prep.ecosystems))


def _check_programme(prep: _Prepared, comp: _Compiled) -> _Check | None:
    if not comp.programmes:
        return None
    met = tuple(text for text, keys in comp.programmes if keys & prep.programme.keys)
    known = prep.programme.known
    return _Check("programme", ELIGIBLE if met else NOT_ELIGIBLE if known else UNKNOWN, met)


def _check_funding_type(prep: _Prepared, comp: _Compiled) -> _Check | None:
    kind = prep.funding_type
    return _three_way("funding type", comp.funding_types, frozenset([kind] if kind else []), bool(kind))


def _check_budget(prep: _Prepared, comp: _Compiled) -> _Check | None:
    wanted_min, wanted_max = comp.criteria.budget_min, comp.criteria.budget_max
    if wanted_min is None and wanted_max is None:
        return None
    low, high = prep.budget
    if (low is None and high is None) or prep.currency not in (None, "EUR"):
        return _Check("budget", UNKNOWN)
    fits = (wanted_min is None or high is None or high >= wanted_min) and (
        wanted_max is None or low is None or low <= wanted_max
    )
    return _Check("budget", ELIGIBLE if fits else NOT_ELIGIBLE)


def _check_time_left(prep: _Prepared, comp: _Compiled) -> _Check | None:
    wanted = comp.criteria.min_days_left
    if wanted is None:
        return None
    if prep.days is None:
        return _Check("time left", UNKNOWN)
    return _Check("time left", ELIGIBLE if prep.days >= wanted else NOT_ELIGIBLE)


_CHECKS: tuple[Callable[[_Prepared, _Compiled], _Check | None], ...] = (
    _check_status, _check_keywords, _check_exclude, _check_country, _check_org_type, _check_ecosystem,
    _check_programme, _check_funding_type, _check_budget, _check_time_left,
)  # fmt: skip


def _matches(checks: Sequence[_Check]) -> bool:
    return all(check.outcome != NOT_ELIGIBLE for check in checks)


def _score(prep: _Prepared, checks: Sequence[_Check]) -> float:
    total = 0.0
    for check in checks:
        if check.criterion == "keywords":
            total += sum(FIELD_WEIGHTS[prep.fields[i].name] for _, places in check.facts for i, _ in places)
        elif check.criterion in SCORED_CRITERIA:
            total += {ELIGIBLE: 1.0, UNKNOWN: -0.5}.get(check.outcome, 0.0)
    if prep.days is not None and 0 <= prep.days < URGENT_DAYS:
        total += (URGENT_DAYS - prep.days) / (2 * URGENT_DAYS)
    return round(total, 4)


# --------------------------------------------------------------------------- verdicts in words


def _render(prep: _Prepared, comp: _Compiled, checks: Sequence[_Check], score: float) -> Match:
    matches = _matches(checks)
    verdicts = tuple(_VERDICTS[check.criterion](prep, comp, check) for check in checks)
    if matches:
        reasons = _reasons(prep, comp, checks)
    else:
        reasons = tuple(v.detail for v in verdicts if v.outcome == NOT_ELIGIBLE)
    return Match(matches=matches, score=score, reasons=reasons, verdicts=verdicts)


def _verdict_status(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    if prep.passed_at is not None:
        detail = f"deadline passed on {_day(prep.passed_at)}"
    elif prep.status == "forthcoming" and _opens(prep):
        detail = f"forthcoming, opens {_day(_opens(prep))}"
    else:
        detail = prep.status if prep.status in ("open", "forthcoming", "closed") else f"status {prep.status}"
    return Verdict("status", check.outcome, detail, None)


def _verdict_keywords(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    if not check.facts:
        wanted = ", ".join(term.text for term in comp.keywords)
        return Verdict("keywords", check.outcome, f"no keyword found ({wanted})", None)
    detail = "; ".join(f"{term.text} in {_join(_place_names(prep, places))}" for term, places in check.facts)
    return Verdict("keywords", check.outcome, detail, _evidence(prep, check.facts[0]))


def _verdict_exclude(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    if not check.facts:
        return Verdict("excluded words", check.outcome, "no excluded word found", None)
    found = "; ".join(f"{term.text} in {_join(_place_names(prep, places))}" for term, places in check.facts)
    word = "word" if len(check.facts) == 1 else "words"
    return Verdict(
        "excluded words", check.outcome, f"excluded {word} {found}", _evidence(prep, check.facts[0])
    )


def _verdict_country(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    evidence = _trim(_attr(prep.call, "countries_text"))
    if check.outcome == ELIGIBLE:
        groups = _unique(
            COUNTRY_GROUPS[g][0]
            for g in _attr(prep.call, "country_groups") or ()
            if g in COUNTRY_GROUPS and any(c in COUNTRY_GROUPS[g][1] for c in check.facts)
        )
        suffix = f" ({', '.join(groups)})" if groups else ""
        return Verdict("country", ELIGIBLE, f"open to {_join(check.facts)}{suffix}", evidence)
    if check.outcome == UNKNOWN:
        return Verdict("country", UNKNOWN, "no country stated", evidence)
    listed = sorted(prep.countries)
    others = _join(listed) if len(listed) <= 6 else f"{len(listed)} other countries"
    return Verdict(
        "country", NOT_ELIGIBLE, f"not open to {_join(comp.countries)} (open to {others})", evidence
    )


def _verdict_org_type(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    evidence = _trim(_attr(prep.call, "org_types_text"))
    if check.outcome == ELIGIBLE:
        flagged = any(s not in prep.org_types and "sme" not in prep.org_types for s in check.facts)
        note = " (call flagged as relevant for SMEs)" if flagged else ""
        return Verdict(
            "organisation type", ELIGIBLE, f"open to {_join(_org_labels(prep, check))}{note}", evidence
        )
    if check.outcome == UNKNOWN:
        return Verdict("organisation type", UNKNOWN, "no organisation type stated", evidence)
    wanted = _join([_plural(s) for s in comp.org_types], "or")
    offered = _join([_plural(s) for s in sorted(prep.org_types)])
    return Verdict("organisation type", NOT_ELIGIBLE, f"not open to {wanted} (open to {offered})", evidence)


def _verdict_ecosystem(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    if check.outcome == ELIGIBLE:
        return Verdict("ecosystem", ELIGIBLE, f"ecosystem: {_ecosystem_labels(check.facts)}", None)
    if check.outcome == UNKNOWN:
        return Verdict("ecosystem", UNKNOWN, "no ecosystem identified", None)
    detail = f"other ecosystems: {_ecosystem_labels(sorted(prep.ecosystems))}"
    return Verdict("ecosystem", NOT_ELIGIBLE, detail, None)


def _verdict_programme(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    label = prep.programme.label
    if check.outcome == ELIGIBLE:
        return Verdict("programme", ELIGIBLE, f"programme: {label or _join(check.facts)}", None)
    if check.outcome == UNKNOWN:
        return Verdict("programme", UNKNOWN, "programme not stated", None)
    wanted = _join([text for text, _ in comp.programmes], "or")
    return Verdict("programme", NOT_ELIGIBLE, f"programme {label}, not {wanted}", None)


def _verdict_funding_type(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    kind = prep.funding_type or ""
    if check.outcome == ELIGIBLE:
        return Verdict("funding type", ELIGIBLE, f"funding type: {FUNDING_LABELS.get(kind, kind)}", None)
    if check.outcome == UNKNOWN:
        return Verdict("funding type", UNKNOWN, "funding type not stated", None)
    wanted = _join(list(comp.funding_types), "or")
    return Verdict("funding type", NOT_ELIGIBLE, f"funding type {kind}, not {wanted}", None)


def _verdict_budget(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    evidence = _trim(_attr(prep.call, "budget_text"))
    low, high = prep.budget
    if check.outcome == UNKNOWN:
        stated = low is not None or high is not None
        detail = f"budget in {prep.currency}, not compared" if stated else "budget not stated"
        return Verdict("budget", UNKNOWN, detail, evidence)
    phrase = _budget_phrase(prep)
    if check.outcome == ELIGIBLE:
        return Verdict("budget", ELIGIBLE, phrase, evidence)
    return Verdict("budget", NOT_ELIGIBLE, f"{phrase}, outside {_wanted_budget(comp.criteria)}", evidence)


def _verdict_time_left(prep: _Prepared, comp: _Compiled, check: _Check) -> Verdict:
    if prep.next_deadline is None or prep.days is None:
        return Verdict("time left", UNKNOWN, "no deadline stated", None)
    deadlines = _attr(prep.call, "deadlines")
    evidence = next(
        (d.text for d in deadlines if d.at == prep.next_deadline and getattr(d, "text", None)), None
    )
    left = f"{_days_phrase(prep.days)} (deadline {_day(prep.next_deadline)})"
    if check.outcome == ELIGIBLE:
        return Verdict("time left", ELIGIBLE, left, _trim(evidence))
    wanted = comp.criteria.min_days_left
    detail = f"{left}, less than the {wanted} {'day' if wanted == 1 else 'days'} wanted"
    return Verdict("time left", NOT_ELIGIBLE, detail, _trim(evidence))


_VERDICTS: dict[str, Callable[[_Prepared, _Compiled, _Check], Verdict]] = {
    "status": _verdict_status,
    "keywords": _verdict_keywords,
    "excluded words": _verdict_exclude,
    "country": _verdict_country,
    "organisation type": _verdict_org_type,
    "ecosystem": _verdict_ecosystem,
    "programme": _verdict_programme,
    "funding type": _verdict_funding_type,
    "budget": _verdict_budget,
    "time left": _verdict_time_left,
}


def _reasons(prep: _Prepared, comp: _Compiled, checks: Sequence[_Check]) -> tuple[str, ...]:
    by = {check.criterion: check for check in checks}
    reasons: list[str] = []
    if (keywords := by.get("keywords")) is not None:
        reasons.append("keywords: " + ", ".join(term.text for term, _ in keywords.facts))
    reasons += _eligibility_reasons(prep, by.get("country"), by.get("organisation type"))
    for criterion in ("ecosystem", "programme", "funding type", "budget"):
        check = by.get(criterion)
        if check is not None and check.outcome == ELIGIBLE:
            reasons.append(_VERDICTS[criterion](prep, comp, check).detail)
    if prep.status == "forthcoming" and (opens := _opens(prep)) is not None:
        reasons.append(f"opens {_day(opens)}")
    if prep.days is not None:
        reasons.append(_days_phrase(prep.days))
    return tuple(reasons)


def _eligibility_reasons(prep: _Prepared, country: _Check | None, org: _Check | None) -> list[str]:
    whom = _join(_org_labels(prep, org)) if org and org.outcome == ELIGIBLE else None
    where = _join(country.facts) if country and country.outcome == ELIGIBLE else None
    reasons: list[str] = []
    if whom or where:
        reasons.append(f"open to {whom} in {where}" if whom and where else f"open to {whom or where}")
    if country and country.outcome == UNKNOWN:
        reasons.append("countries not stated")
    if org and org.outcome == UNKNOWN:
        reasons.append("organisation types not stated")
    return reasons


# --------------------------------------------------------------------------- wording helpers


def _join(items: Sequence[str], last: str = "and") -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def _plural(slug: str) -> str:
    return ORG_TYPE_PLURALS.get(slug, ORG_TYPES.get(slug, slug))


def _org_labels(prep: _Prepared, check: _Check | None) -> list[str]:
    """What the call is open to that met the profile: "start-ups", or "SMEs" for a start-up profile."""
    slugs = (slug if slug in prep.org_types else "sme" for slug in (check.facts if check else ()))
    return [_plural(slug) for slug in _unique(slugs)]


def _ecosystem_labels(slugs: Iterable[str]) -> str:
    return ", ".join(ECOSYSTEMS.get(slug, slug) for slug in slugs)


def _place_names(prep: _Prepared, places: Sequence[tuple[int, int]]) -> list[str]:
    return [prep.fields[index].name for index, _ in places]


def _evidence(prep: _Prepared, hit: tuple[_Term, tuple[tuple[int, int], ...]]) -> str:
    """The sentence of the first place a term was found in, trimmed around it."""
    term, places = hit
    index, position = places[0]
    text = prep.fields[index].text
    spans = [match.span() for match in itertools.islice(_WORD.finditer(text), position + len(term.words))]
    return _sentence(text, spans[position][0], spans[-1][1])


def _sentence(text: str, start: int, end: int) -> str:
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


def _trim(text: str | None) -> str | None:
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= EVIDENCE_CHARS else flat[: EVIDENCE_CHARS - 1] + "…"


def _day(at: datetime) -> str:
    local = at.astimezone(BRUSSELS)
    return f"{local.day} {local:%B %Y}"


def _days_phrase(days: int) -> str:
    return "deadline today" if days == 0 else "1 day left" if days == 1 else f"{days} days left"


def _opens(prep: _Prepared) -> datetime | None:
    return _attr(prep.call, "opens_at")


def _money(amount: Decimal, currency: str | None) -> str:
    number = f"{int(amount):,}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"€{number}" if currency in (None, "EUR") else f"{currency} {number}"


def _budget_phrase(prep: _Prepared) -> str:
    call, currency = prep.call, prep.currency
    low, high = prep.budget
    if _attr(call, "contribution_max") is not None and high is not None:
        if low is None:
            return f"up to {_money(high, currency)} per project"
        if low == high:
            return f"{_money(high, currency)} per project"
        return f"{_money(low, currency)} to {_money(high, currency)} per project"
    total = f"{_money(high, currency)} in total" if high is not None else ""
    start = f"from {_money(low, currency)} per project" if low is not None else ""
    return ", ".join(part for part in (start, total) if part)


def _wanted_budget(criteria: Criteria) -> str:
    low, high = criteria.budget_min, criteria.budget_max
    if low is not None and high is not None:
        return f"{_money(low, None)} to {_money(high, None)}"
    if low is not None:
        return f"at least {_money(low, None)}"
    return f"at most {_money(high or Decimal(0), None)}"


# --------------------------------------------------------------------------- entry points


def match_call(call: Any, criteria: Criteria, *, now: datetime) -> Match:
    """Whether one call matches one profile's criteria, why, and how well."""
    prep, comp = _prepare(call, now), _compile(criteria)
    checks = _checks(prep, comp)
    return _render(prep, comp, checks, _score(prep, checks))


def prepare(call: Any, *, now: datetime) -> Any:
    """A call folded and bucketed once, for `screen` (browse pages reuse it across requests)."""
    return _prepare(call, now)


def screen(prepared: Iterable[Any], criteria: Criteria) -> Iterator[Any]:
    """The prepared calls on which no criterion says "not eligible", ignoring status and time left.

    Browse pages and feeds filter with the same rules as profiles, but choose the status themselves
    and count days left from the request's own `now` (prepared calls are reused across requests).
    """
    comp = _compile(replace(criteria, min_days_left=None))
    skipped = (_check_status,)
    for prep in prepared:
        if all(
            check is None or check.outcome != NOT_ELIGIBLE
            for run in _CHECKS
            if run not in skipped
            for check in (run(prep, comp),)
        ):
            yield prep


def rank_calls(
    calls: Iterable[Any], criteria: Criteria, *, now: datetime, limit: int | None = None
) -> list[tuple[Any, Match]]:
    """The matching calls, best score first (ties: soonest next deadline, then lowest id)."""
    return _ranked([_prepare(call, now) for call in calls], _compile(criteria), limit)


def _ranked(prepared: Iterable[_Prepared], comp: _Compiled, limit: int | None) -> list[tuple[Any, Match]]:
    scored: list[tuple[float, _Prepared, tuple[_Check, ...]]] = []
    for prep in prepared:
        checks = _checks(prep, comp, until_failure=True)  # a call that fails is never shown here
        if _matches(checks):
            scored.append((_score(prep, checks), prep, checks))
    scored.sort(key=lambda item: _rank_key(item[0], item[1]))
    if limit is not None:
        scored = scored[: max(limit, 0)]
    # Wording is built only for what is returned: with a limit, most matches are never rendered.
    return [(prep.call, _render(prep, comp, checks, score)) for score, prep, checks in scored]


def _rank_key(score: float, prep: _Prepared) -> tuple[Any, ...]:
    deadline = prep.next_deadline
    return (-score, deadline is None, deadline or _FAR_FUTURE, prep.call.id)


class Matcher:
    """Many profiles against one set of calls (the weekly digest for 10,000 subscribers × 5,000 open calls).

    Calls are prepared (texts folded and split into words) once. Each profile then takes only the
    calls its keywords, countries, organisation types, ecosystems, programmes and funding types
    can match, from indexes of the calls that are live at `now`, and those few go through the same
    checks as `match_call`, so `rank` returns exactly what `rank_calls` would.
    """

    def __init__(self, calls: Sequence[Any], *, now: datetime) -> None:
        self.now = now
        self._prepared = [_prepare(call, now) for call in calls]
        live = [i for i, prep in enumerate(self._prepared) if prep.live]
        self._live = set(live)
        self._words = self._index(live, lambda p: {word for field in p.fields for word in field.first_at})
        self._vocabulary = sorted(self._words)
        # "" holds the calls that do not state the criterion (their verdict is "unknown").
        self._buckets: dict[str, dict[str, set[int]]] = {
            "countries": self._index(live, lambda p: p.countries or {""}),
            "org_types": self._index(live, lambda p: p.org_accepts | ({""} if not p.org_types else set())),
            "ecosystems": self._index(live, lambda p: p.ecosystems or {""}),
            "programmes": self._index(
                live, lambda p: p.programme.keys | ({""} if not p.programme.known else set())
            ),
            "funding_types": self._index(live, lambda p: {p.funding_type or ""}),
        }
        self._term_ids: dict[tuple[Any, ...], set[int]] = {}

    def _index(self, ids: Iterable[int], keys: Callable[[_Prepared], Iterable[str]]) -> dict[str, set[int]]:
        index: dict[str, set[int]] = {}
        for i in ids:
            for key in keys(self._prepared[i]):
                index.setdefault(key, set()).add(i)
        return index

    def rank(self, criteria: Criteria, *, limit: int | None = None) -> list[tuple[Any, Match]]:
        """Same result as `rank_calls(calls, criteria, now=now, limit=limit)`."""
        comp = _compile(criteria)
        candidates = sorted(self._candidates(comp))
        return _ranked((self._prepared[i] for i in candidates), comp, limit)

    def _candidates(self, comp: _Compiled) -> set[int]:
        wanted = {
            "countries": comp.countries,
            "org_types": comp.org_types,
            "ecosystems": comp.ecosystems,
            "programmes": [key for _, keys in comp.programmes for key in keys],
            "funding_types": comp.funding_types,
        }
        sets = [self._live]
        for name, values in wanted.items():
            if values:
                bucket = self._buckets[name]
                sets.append(set().union(*(bucket.get(value, ()) for value in (*values, ""))))
        if comp.keywords:
            sets.append(set().union(*(self._term_candidates(term) for term in comp.keywords)))
        sets.sort(key=len)
        return sets[0].intersection(*sets[1:])

    def _term_candidates(self, term: _Term) -> set[int]:
        """Calls holding every word of the term somewhere (the phrase itself is checked later)."""
        key = (term.words, term.prefix)
        if key not in self._term_ids:
            found = [
                self._word_ids(word, prefix) for word, prefix in zip(term.words, term.prefix, strict=True)
            ]
            found.sort(key=len)
            self._term_ids[key] = found[0].intersection(*found[1:])
        return self._term_ids[key]

    def _word_ids(self, word: str, prefix: bool) -> set[int]:
        if not prefix:
            return self._words.get(word, set())
        ids: set[int] = set()
        at = bisect.bisect_left(self._vocabulary, word)
        while at < len(self._vocabulary) and self._vocabulary[at].startswith(word):
            ids |= self._words[self._vocabulary[at]]
            at += 1
        return ids
