"""The query language of the read side: the filters of the browse page as URL parameters.

Owns `CallQuery` (the same parameter names in pages, API, CSV, RSS/Atom and iCalendar, so an editor
builds a filter once and pastes its URL anywhere), its parsing and validation (`QueryError` names
the bad parameter and is answered 400), its canonical form, and the words of a search string.

Filter rules are the profile rules of `monitor.match` (a call whose eligibility is not stated
still shows, as in digests). Status: "open" (and so the default, open and forthcoming) also
shows the calls their source still lists whose deadline could not be read (status unknown,
worded "deadline unknown — see call page"), as digests keep them; "unknown" shows every call of
unknown status, listed or not; a call whose deadline has passed is closed and never shown as
open. Text search: every word (or "quoted phrase") of `q` must occur as a substring of the title,
identifier, programme, organisation, project, parent topic, keywords or summary, ignoring case and
accents; a `q` with nothing searchable in it (`"`) finds nothing. `strict` (names of
`monitor.match.criteria.STRICT_CRITERIA`, e.g. "ecosystem,country") keeps only the calls that state
those criteria (with a value asked, one that fits); "deadline" means a next (or, closed, last) deadline.

Must not: do I/O, read the clock, or import the database (pure, like `monitor.catalogue.snapshot`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date

from monitor.match.criteria import STRICT_CRITERIA, Criteria, parse_strict
from monitor.normalise.countries import user_country
from monitor.normalise.vocab import ECOSYSTEMS, FUNDING_TYPES, ORG_TYPES, fold

STATUSES = ("open", "forthcoming", "closed", "unknown")
DEFAULT_STATUSES = ("open", "forthcoming")
SORTS = ("deadline", "updated", "new")
MAX_TEXT = 300
MAX_VALUES = 30
MAX_VALUE_CHARS = 100
MAX_PER_PAGE = 500
# Deadline windows outside these years are typing mistakes (and 9999-12-31 + 1 day overflows).
YEARS = (1900, 2999)


class QueryError(ValueError):
    """A filter value that cannot be used; the message names the parameter and what it accepts."""


@dataclass(frozen=True)
class CallQuery:
    """Filters for a list of calls. Empty tuples mean "any"; vocabulary values are canonical slugs."""

    q: str = ""
    status: tuple[str, ...] = DEFAULT_STATUSES
    programme: tuple[str, ...] = ()
    funding_type: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    org_type: tuple[str, ...] = ()
    ecosystem: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    deadline_from: date | None = None
    deadline_to: date | None = None
    min_days_left: int | None = None
    strict: tuple[str, ...] = ()  # names of STRICT_CRITERIA: only calls that state these
    sort: str = "deadline"

    @classmethod
    def from_params(
        cls, params: Iterable[tuple[str, str]], *, sources: Sequence[str] | None = None
    ) -> CallQuery:
        """Parse URL parameters (repeated or comma-separated); unknown parameters are ignored.

        `sources` are the known source ids; None skips that check (a caller that cannot know them).
        """
        values: dict[str, list[str]] = {}
        for name, value in params:
            values.setdefault(name, []).append(value)
        return parse_query(values, sources=sources)

    def criteria(self) -> Criteria:
        return Criteria(
            countries=self.country,
            org_types=self.org_type,
            ecosystems=self.ecosystem,
            programmes=self.programme,
            funding_types=self.funding_type,
            strict=frozenset(self.strict),
        )

    def params(self) -> list[tuple[str, str]]:
        """The canonical URL parameters (defaults left out), for links, feeds and cache keys."""
        out: list[tuple[str, str]] = []
        default = CallQuery()
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value == getattr(default, spec.name):
                continue
            if isinstance(value, tuple):
                out.append((spec.name, ",".join(value) if value else "all"))
            elif isinstance(value, date):
                out.append((spec.name, value.isoformat()))
            elif value is not None and value != "":
                out.append((spec.name, str(value)))
        return out

    def is_default(self) -> bool:
        return self == CallQuery(sort=self.sort)


# --------------------------------------------------------------------------- parsing


def parse_query(values: Mapping[str, Sequence[str]], *, sources: Sequence[str] | None = None) -> CallQuery:
    """A `CallQuery` from URL parameters grouped by name; raises `QueryError` for a bad value."""
    text = _search_text(values.get("q", ()))
    status = [s.lower() for s in _listed(values, "status")]
    _check_vocabulary("status", status, (*STATUSES, "all"))
    funding = [f.lower() for f in _listed(values, "funding_type")]
    _check_vocabulary("funding_type", funding, FUNDING_TYPES)
    source_ids = _listed(values, "source")
    if sources is not None:
        _check_vocabulary("source", source_ids, tuple(sources))
    programmes = _listed(values, "programme")
    deadline_from = _date("deadline_from", _single(values, "deadline_from"))
    deadline_to = _date("deadline_to", _single(values, "deadline_to"))
    if deadline_from and deadline_to and deadline_from > deadline_to:
        raise QueryError("deadline_from: the window starts after deadline_to")
    try:
        strict = parse_strict(_listed(values, "strict"))
    except ValueError as error:
        raise QueryError(f"strict: {error}") from None
    sort = _single(values, "sort").lower() or "deadline"
    _check_vocabulary("sort", [sort], SORTS)
    return CallQuery(
        q=text,
        status=_statuses(status),
        programme=tuple(programmes),
        funding_type=_in_order(funding, FUNDING_TYPES),
        country=tuple(sorted({_country("country", c) for c in _listed(values, "country")})),
        org_type=_in_order(
            [_vocab_slug("org_type", t, ORG_TYPES) for t in _listed(values, "org_type")], ORG_TYPES
        ),
        ecosystem=_in_order(
            [_vocab_slug("ecosystem", t, ECOSYSTEMS) for t in _listed(values, "ecosystem")], ECOSYSTEMS
        ),
        source=tuple(sorted(source_ids)),
        deadline_from=deadline_from,
        deadline_to=deadline_to,
        min_days_left=_days("min_days_left", _single(values, "min_days_left")),
        strict=tuple(name for name in STRICT_CRITERIA if name in strict),
        sort=sort,
    )


def _search_text(given: Sequence[str]) -> str:
    text = " ".join(" ".join(given).split())
    if len(text) > MAX_TEXT:
        raise QueryError(f"q: search text is limited to {MAX_TEXT} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise QueryError("q: control characters are not allowed")
    return text


def _listed(values: Mapping[str, Sequence[str]], name: str) -> list[str]:
    items: list[str] = []
    for value in values.get(name, ()):
        items.extend(part.strip() for part in value.split(",") if part.strip())
    if len(items) > MAX_VALUES:
        raise QueryError(f"{name}: at most {MAX_VALUES} values")
    if any(len(item) > MAX_VALUE_CHARS for item in items):
        raise QueryError(f"{name}: a value is limited to {MAX_VALUE_CHARS} characters")
    return list(dict.fromkeys(items))


def _single(values: Mapping[str, Sequence[str]], name: str) -> str:
    given = [v.strip() for v in values.get(name, ()) if v.strip()]
    return given[-1][:MAX_VALUE_CHARS] if given else ""


def _statuses(given: Sequence[str]) -> tuple[str, ...]:
    """No status: open and forthcoming; "all" or every status: any (the empty tuple)."""
    if not given:
        return DEFAULT_STATUSES
    if "all" in given or set(given) >= set(STATUSES):
        return ()
    return _in_order(given, STATUSES)


def _in_order(given: Iterable[str], vocabulary: Iterable[str]) -> tuple[str, ...]:
    wanted = set(given)
    return tuple(value for value in vocabulary if value in wanted)


def _check_vocabulary(name: str, given: Sequence[str], allowed: Sequence[str]) -> None:
    bad = [value for value in given if value not in allowed]
    if bad:
        choices = ", ".join(allowed) if allowed else "no source is configured"
        raise QueryError(f"{name}: unknown value {bad[0][:60]!r}; use one of {choices}")


def _vocab_slug(name: str, text: str, vocabulary: Mapping[str, str]) -> str:
    wanted = fold(text)
    for slug, label in vocabulary.items():
        if wanted in (slug, fold(label)):
            return slug
    raise QueryError(f"{name}: unknown value {text[:60]!r}; use one of {', '.join(vocabulary)}")


def _country(name: str, text: str) -> str:
    code = user_country(text)
    if not code:
        raise QueryError(f"{name}: unknown country {text[:60]!r}; use a name or a two-letter code like PT")
    return code.upper()


def _date(name: str, text: str) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{name}: {text[:40]!r} is not a date like 2027-03-31") from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise QueryError(f"{name}: {text[:40]!r} is not a date from {YEARS[0]} to {YEARS[1]}")
    return day


def _days(name: str, text: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and int(text) <= 3650):
        raise QueryError(f"{name}: {text[:20]!r} is not a whole number of days from 0 to 3650")
    return int(text)


def search_terms(text: str) -> list[str]:
    """Folded words and "quoted phrases" of a search string; quotes without a partner are dropped."""
    parts = text.split('"')
    terms: list[str] = []
    for i, part in enumerate(parts):
        quoted = i % 2 == 1 and i < len(parts) - 1
        folded = fold(part)
        terms.extend([folded] if quoted else folded.split())
    return [t for t in terms if t]
