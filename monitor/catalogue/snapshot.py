"""What the web pages, the JSON API, the CSV export and the feeds search: every stored call, merged
across sources, filtered by one query language.

Owns:
- `CallQuery`, the filters of the browse page as URL parameters (the same names in pages, API, CSV,
  RSS/Atom and iCalendar, so an editor builds a filter once and pastes its URL anywhere), their
  validation (`QueryError` names the bad parameter and is answered 400), and their canonical form;
- `Catalogue`, an immutable in-memory snapshot of the logical calls, built once per change of the
  stored data and searched without SQL, so a search string is never part of a query;
- the time-dependent view of a call (`effective_status`, `next_deadline`, `days_left`), computed
  from the request's `now` because a snapshot outlives the deadlines it holds;
- `CatalogueCache`, which rebuilds the snapshot when `repo.catalogue_version` moves.

Filter rules are the profile rules of `monitor.matching` (a call whose eligibility is not stated
still shows, as in digests). Text search: every word (or "quoted phrase") of `q` must occur as a
substring of the title, identifier, programme, organisation, project, parent topic, keywords or
summary, ignoring case and accents; a `q` with nothing searchable in it (`"`) finds nothing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from db import repo
from db.engine import session_scope
from monitor.match.index import Criteria, prepare, screen
from monitor.model.view import LogicalCall
from monitor.model.zones import BRUSSELS
from monitor.normalise.countries import user_country
from monitor.normalise.vocab import ECOSYSTEMS, FUNDING_TYPES, ORG_TYPES, fold

logger = logging.getLogger(__name__)

STATUSES = ("open", "forthcoming", "closed", "unknown")
DEFAULT_STATUSES = ("open", "forthcoming")
SORTS = ("deadline", "updated", "new")
MAX_TEXT = 300
MAX_VALUES = 30
MAX_VALUE_CHARS = 100
MAX_PER_PAGE = 500
# Deadline windows outside these years are typing mistakes (and 9999-12-31 + 1 day overflows).
YEARS = (1900, 2999)
# Keeps fields apart in the search text: a "quoted phrase" never runs from a title into a summary.
_FIELD_BREAK = "\x1f"


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


# --------------------------------------------------------------------------- a call at `now`


def effective_status(call: Any, now: datetime) -> str:
    """The stored status as of `now`: a call whose last deadline has passed is closed, and a
    forthcoming call whose opening date has come is open (the stored one dates from the last poll)."""
    status = str(call.status or "unknown")
    passed = status in DEFAULT_STATUSES and call.next_deadline_at and call.next_deadline_at < now
    if passed and not any(d.at >= now and not d.closed for d in call.deadlines):
        return "closed"
    if status == "forthcoming" and call.opens_at and call.opens_at <= now:
        return "open"
    return status


def next_deadline(call: Any, now: datetime) -> datetime | None:
    """The next deadline stage still ahead at `now` (the stored one may have passed since the poll)."""
    later = [d.at for d in call.deadlines if d.at >= now and not d.closed]
    if later:
        return min(later)
    at = call.next_deadline_at
    return at if at and at >= now else None


def last_deadline(call: Any) -> datetime | None:
    """The latest deadline the call has ever had (for a closed call: when it closed)."""
    return max((d.at for d in call.deadlines), default=None) or call.final_deadline_at


def days_left(at: datetime | None, now: datetime) -> int | None:
    """Whole days from `now` to `at`, rounded down, as in profiles' "at least N days left"."""
    return (at - now) // timedelta(days=1) if at and at >= now else None


# --------------------------------------------------------------------------- the snapshot


@dataclass(frozen=True)
class Entry:
    """One logical call with what searching it needs, computed once per snapshot."""

    call: LogicalCall
    prepared: Any
    haystack: str  # folded title, identifier, programme, organisation, summary...
    updated_at: datetime
    first_seen_at: datetime


@dataclass(frozen=True)
class Page:
    calls: list[LogicalCall]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.calls) < self.total


@dataclass
class Catalogue:
    """Every logical call, ready to filter; `entries` in deadline order as of the build
    (`filter` sorts again at the request's `now`)."""

    version: str
    entries: list[Entry]
    sources: tuple[str, ...] = ()
    built_at: datetime | None = None
    _by_id: dict[int, Entry] = field(default_factory=dict, repr=False)
    _primary_of: dict[int, int] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls, calls: Sequence[LogicalCall], *, version: str, sources: Sequence[str], now: datetime
    ) -> Catalogue:
        entries = sorted((_entry(call, now) for call in calls), key=lambda e: _deadline_key(e, now))
        catalogue = cls(version=version, entries=entries, sources=tuple(sources), built_at=now)
        catalogue._by_id = {entry.call.id: entry for entry in entries}
        catalogue._primary_of = {
            int(member.call.id): entry.call.id for entry in entries for member in entry.call.members
        }
        return catalogue

    def filter(self, query: CallQuery, *, now: datetime) -> list[Entry]:
        """Every entry the query selects, in the query's order."""
        candidates: Iterable[Entry] = self.entries
        if query.source:
            wanted = set(query.source)
            candidates = [e for e in candidates if wanted & set(e.call.sources)]
        if query.q:
            terms = search_terms(query.q)
            candidates = [e for e in candidates if terms and all(term in e.haystack for term in terms)]
        if query.status:
            statuses = set(query.status)
            candidates = [e for e in candidates if effective_status(e.call, now) in statuses]
        candidates = _in_window(candidates, query, now)
        criteria = query.criteria()
        if criteria != Criteria():
            by_prepared = {id(e.prepared): e for e in candidates}
            candidates = [by_prepared[id(p)] for p in screen((e.prepared for e in candidates), criteria)]
        return _sorted(list(candidates), query.sort, now)

    def page(self, query: CallQuery, *, now: datetime, offset: int = 0, limit: int = 50) -> Page:
        found = self.filter(query, now=now)
        return Page([e.call for e in found[offset : offset + limit]], len(found), offset, limit)

    def get(self, call_id: int) -> LogicalCall | None:
        """The logical call whose primary record is `call_id` (see `primary_id` for any record)."""
        entry = self._by_id.get(call_id)
        return entry.call if entry else None

    def primary_id(self, record_id: int) -> int | None:
        """The id of the logical call that stored record `record_id` belongs to, if known."""
        return self._primary_of.get(record_id)

    def etag(self, *parts: str) -> str:
        """A strong validator for a response built from this snapshot and `parts` (query, format)."""
        digest = hashlib.sha256("\x1f".join((self.version, *parts)).encode()).hexdigest()[:32]
        return f'"{digest}"'


def _entry(call: LogicalCall, now: datetime) -> Entry:
    texts = (
        call.title,
        call.identifier,
        call.programme,
        call.organisation,
        call.project,
        call.parent_identifier,
        call.parent_title,
        *(call.keywords or ()),
        call.summary_text,
    )
    haystack = _FIELD_BREAK.join(fold(t) for t in texts if t)
    updated = max(m.call.last_changed_at for m in call.members)
    first = min(m.call.first_seen_at for m in call.members)
    return Entry(call, prepare(call, now=now), haystack, updated, first)


def _sorted(found: list[Entry], sort: str, now: datetime) -> list[Entry]:
    if sort == "updated":
        return sorted(found, key=lambda e: (e.updated_at, e.call.id), reverse=True)
    if sort == "new":
        return sorted(found, key=lambda e: (e.first_seen_at, e.call.id), reverse=True)
    return sorted(found, key=lambda e: _deadline_key(e, now))


def _deadline_key(entry: Entry, now: datetime) -> tuple[Any, ...]:
    """Soonest deadline ahead first; then calls without any deadline (newest first); then calls
    whose deadlines have all passed, the most recently closed first."""
    ahead = next_deadline(entry.call, now)
    if ahead is not None:
        return (0, ahead.timestamp(), entry.call.id)
    last = last_deadline(entry.call)
    if last is None:
        return (1, -entry.first_seen_at.timestamp(), entry.call.id)
    return (2, -last.timestamp(), entry.call.id)


def _in_window(entries: Iterable[Entry], query: CallQuery, now: datetime) -> Iterable[Entry]:
    """The deadline window and the days left. A call's deadline is its next one, or for a call
    that is over, its last one. A call with no deadline at all has no days to count: only an
    explicit window leaves it out, as profiles treat an unknown verdict."""
    if query.deadline_from is None and query.deadline_to is None and query.min_days_left is None:
        return entries
    low = _day_start(query.deadline_from) if query.deadline_from else None
    high = _day_start(query.deadline_to + timedelta(days=1)) if query.deadline_to else None
    explicit = low is not None or high is not None
    kept = []
    for entry in entries:
        ahead = next_deadline(entry.call, now)
        at = ahead or last_deadline(entry.call)
        if at is None:
            if not explicit:
                kept.append(entry)
            continue
        if query.min_days_left is not None:
            left = days_left(ahead, now)
            if left is None or left < query.min_days_left:
                continue
        if (low is None or at >= low) and (high is None or at < high):
            kept.append(entry)
    return kept


def _day_start(day: date) -> datetime:
    """Midnight in Brussels: deadline days are Brussels days, as the portal writes them."""
    return datetime.combine(day, time(0), tzinfo=BRUSSELS)


# --------------------------------------------------------------------------- cache (the I/O edge)


class CatalogueCache:
    """The current snapshot for a web process; rebuilt when the stored calls change."""

    def __init__(self, engine: Engine, clock: Any) -> None:
        self.engine = engine
        self.clock = clock
        self._current: Catalogue | None = None
        self._lock = threading.Lock()

    def get(self) -> Catalogue:
        with session_scope(self.engine) as session:
            version = repo.catalogue_version(session)
        current = self._current
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._current is not None and self._current.version == version:
                return self._current
            with session_scope(self.engine) as session:
                calls = repo.search_calls(session, status="all", limit=10**9)
                sources = [s.id for s in repo.list_sources(session)]
            self._current = Catalogue.build(calls, version=version, sources=sources, now=self.clock())
            logger.info("catalogue rebuilt: %s calls (version %s)", len(calls), version)
            return self._current
