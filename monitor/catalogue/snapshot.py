"""What the web pages, the JSON API, the CSV export and the feeds search: every stored call, merged
across sources, in an immutable in-memory snapshot.

Owns `Catalogue`, built once per change of the stored data and searched without SQL (a search
string is never part of a query), its `Entry` and `Page`, and the deadline order of the browse
pages. Time-dependent values (status, next deadline, days left) come from `monitor.model.view`
at the request's `now`, because a snapshot outlives the deadlines it holds; statuses and the deadline
order are remembered per clock mark (`monitor.catalogue.moments`). Text search reads the word index
built with the snapshot (`monitor.catalogue.textindex`), not every call's text.

Must not: do I/O or import the database; `monitor.catalogue.cache` loads the calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from monitor.catalogue.moments import Moments
from monitor.catalogue.query import CallQuery, search_terms
from monitor.catalogue.textindex import TextIndex
from monitor.match.checks import compile_criteria, run_checks, screen
from monitor.match.criteria import UNKNOWN, Criteria
from monitor.match.index import prepare
from monitor.match.relevance import Corpus
from monitor.model.view import LogicalCall, days_until, listed_undated, next_deadline
from monitor.model.zones import BRUSSELS
from monitor.normalise.vocab import fold

# Keeps fields apart in the search text: a "quoted phrase" never runs from a title into a summary.
_FIELD_BREAK = "\x1f"


def last_deadline(call: Any) -> datetime | None:
    """The latest deadline the call has ever had (for a closed call: when it closed)."""
    return max((d.at for d in call.deadlines), default=None) or call.final_deadline_at


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
    """One page of a search: its calls, the total found, and where it starts."""

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
    _corpus: Corpus | None = field(default=None, repr=False)
    _text: TextIndex | None = field(default=None, repr=False)
    _moments: Moments | None = field(default=None, repr=False)

    @property
    def corpus(self) -> Corpus:
        """The stems of every call (built on first use), so keywords meet their inflected forms."""
        if self._corpus is None:
            self._corpus = Corpus([entry.prepared for entry in self.entries])
        return self._corpus

    @property
    def text_index(self) -> TextIndex:
        """The word index of the entries' search texts (built with the snapshot, or on first use)."""
        if self._text is None:
            self._text = TextIndex([entry.haystack for entry in self.entries])
        return self._text

    @property
    def moments(self) -> Moments:
        """Each call's status and deadline order at a request's `now`, remembered per clock mark."""
        if self._moments is None:
            self._moments = Moments(entry.call for entry in self.entries)
        return self._moments

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
        catalogue._text = TextIndex([entry.haystack for entry in entries])  # built here, off the request
        catalogue._moments = Moments(entry.call for entry in entries)
        return catalogue

    def filter(self, query: CallQuery, *, now: datetime) -> list[Entry]:
        """Every entry the query selects, in the query's order."""
        candidates: Iterable[Entry] = self.entries
        if query.q:  # every term a substring of the search text: see monitor.catalogue.textindex
            candidates = [self.entries[p] for p in self.text_index.search(search_terms(query.q))]
        if query.source:
            wanted = set(query.source)
            candidates = [e for e in candidates if wanted & set(e.call.sources)]
        if query.status:
            candidates = self._status_fits(list(candidates), set(query.status), now)
        candidates = _in_window(candidates, query, now)
        if "deadline" in query.strict:  # `screen` leaves days to the caller: they depend on `now`
            candidates = [e for e in candidates if (next_deadline(e.call, now) or last_deadline(e.call))]
        criteria = query.criteria()
        if criteria != Criteria():
            by_prepared = {id(e.prepared): e for e in candidates}
            found = screen((e.prepared for e in candidates), criteria, self.corpus)
            candidates = [by_prepared[id(p)] for p in found]
        if query.sort == "deadline":
            return sorted(candidates, key=self.moments.order_key(_deadline_key, now))
        return _sorted(list(candidates), query.sort, now)

    def _status_fits(self, entries: list[Entry], statuses: set[str], now: datetime) -> list[Entry]:
        """The entries whose status at `now` is asked for; a call still listed whose deadline nobody
        could read is shown with the open calls too (not known to be closed; `monitor.catalogue.query`)."""
        found = self.moments.statuses(entries, now)
        return [
            e
            for e, status in zip(entries, found, strict=True)
            if status in statuses or ("open" in statuses and listed_undated(e.call))
        ]

    def page(self, query: CallQuery, *, now: datetime, offset: int = 0, limit: int = 50) -> Page:
        found = self.filter(query, now=now)
        return Page([e.call for e in found[offset : offset + limit]], len(found), offset, limit)

    def not_stated(self, calls: Iterable[LogicalCall], criteria: Criteria) -> dict[int, tuple[str, ...]]:
        """Per call id, the criteria asked for that the call does not state (verdict names such as
        "ecosystem", "country"), by the rules `screen` filtered with; status and time left aside
        (they depend on the request's `now`; pages and feeds show the deadline anyway)."""
        if criteria == Criteria():
            return {}
        comp, found = compile_criteria(criteria, self.corpus), {}
        for call in calls:
            entry = self._by_id.get(call.id)
            checks = run_checks(entry.prepared, comp) if entry is not None else ()
            silent = (c.criterion for c in checks if c.outcome == UNKNOWN)
            found[call.id] = tuple(name for name in silent if name not in ("status", "time left"))
        return found

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
            left = days_until(ahead, now)
            if left is None or left < query.min_days_left:
                continue
        if (low is None or at >= low) and (high is None or at < high):
            kept.append(entry)
    return kept


def _day_start(day: date) -> datetime:
    """Midnight in Brussels: deadline days are Brussels days, as the portal writes them."""
    return datetime.combine(day, time(0), tzinfo=BRUSSELS)
