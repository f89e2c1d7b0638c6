"""What lets the feed routes (monitor.web.feeds) answer without rendering: per-snapshot deadline
indexes, rendered bodies kept by ETag, and the conditional answer (304 or the body).

Validators, decided without rendering: the ETag is `Catalogue.etag` over the format, the
canonical filter (or the token and what the subscriber's rows say), and a clock mark: how many
deadline instants of the snapshot lie before now (and before now + min_days_left), which are the
only moments a feed's selection can change while the data does not. Last-Modified is the newest
change of any call in the snapshot, the last such crossing, or the profile's or tracking's own
change, whichever is latest (any call's, not only the listed ones', so that a call leaving a
filter after an edit still counts; untracking and "not relevant" leave no time behind, so only the
ETag sees them at once). 304 answers If-None-Match (lists, `*` and W/ accepted) and, without it,
If-Modified-Since. Rendered bodies are kept by ETag, so a feed polled by many readers is built
once per change.

Owns the validators' arithmetic, the caching headers and the caches' budgets, including the
calendar renderer's cache of serialised events (`monitor.render.ics.EventCache`, kept here so it lives
as long as the app, handed to the renderer by the routes). Must not read the database or know a feed
format: the routes say what a body is, its media type and how to build it.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response

from monitor.catalogue.snapshot import Catalogue
from monitor.render.ics import EventCache

MAX_AGE = 300
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Plan:
    """A feed response before its body exists: the validators and how to build it."""

    media_type: str
    etag: str
    last_modified: datetime
    private: bool
    build: Callable[[], bytes]


def latest(*times: datetime | None) -> datetime:
    return max((t for t in times if t is not None), default=_EPOCH)


def not_modified(headers: Mapping[str, str], etag: str, last_modified: datetime) -> bool:
    """RFC 9110 §13.2.2 for GET/HEAD: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = headers.get("if-modified-since")
    if not since:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= when


@dataclass(frozen=True)
class SnapshotIndex:
    """What validators read of one snapshot: its deadline instants, sorted, and its newest change."""

    version: str
    instants: tuple[datetime, ...]
    newest: datetime

    @classmethod
    def build(cls, snapshot: Catalogue) -> SnapshotIndex:
        instants = {d.at for e in snapshot.entries for d in e.call.deadlines}
        instants |= {e.call.next_deadline_at for e in snapshot.entries if e.call.next_deadline_at}
        newest = latest(*(e.updated_at for e in snapshot.entries))
        return cls(snapshot.version, tuple(sorted(instants)), newest)

    def clock_mark(self, now: datetime, days_left: int | None = None) -> tuple[str, datetime | None]:
        """How many instants lie before now (and before now + days_left), and when the last one was passed.

        Statuses, `min_days_left` and deadline windows compare deadlines with now (`at < now`,
        `at >= now + days`), so a feed's selection can only change when one of these counts does.
        """
        offsets = [timedelta(0)] + ([timedelta(days=days_left)] if days_left is not None else [])
        counts, crossed = [], None
        for offset in offsets:
            passed = bisect_left(self.instants, now + offset)
            counts.append(str(passed))
            if passed:
                crossed = latest(crossed, self.instants[passed - 1] - offset)
        return "/".join(counts), crossed


class Bodies:
    """Rendered bodies by ETag, least recently used dropped first, within a byte budget."""

    def __init__(self, budget: int = 32 * 1024 * 1024) -> None:
        self.budget = budget
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, etag: str, build: Callable[[], bytes]) -> bytes:
        with self._lock:
            if etag in self._items:
                self._items.move_to_end(etag)
                return self._items[etag]
        body = build()
        with self._lock:
            if etag not in self._items and len(body) <= self.budget // 4:
                self._items[etag] = body
                self._size += len(body)
                while self._size > self.budget:
                    _, dropped = self._items.popitem(last=False)
                    self._size -= len(dropped)
        return body


class FeedCache:
    """One web app's feed caches: the index of the current snapshot and the rendered bodies."""

    def __init__(self) -> None:
        self._current: SnapshotIndex | None = None
        self.bodies = Bodies()
        self.events = EventCache()  # calendar events by what their text is made of

    def index(self, snapshot: Catalogue) -> SnapshotIndex:
        current = self._current
        if current is None or current.version != snapshot.version:
            current = self._current = SnapshotIndex.build(snapshot)
        return current

    def respond(self, request: Request, plan: Plan) -> Response:
        """304 when the request's validators still hold, else the body (built only if not kept)."""
        headers = {
            "ETag": plan.etag,
            "Last-Modified": format_datetime(plan.last_modified.astimezone(UTC), usegmt=True),
            "Cache-Control": f"{'private' if plan.private else 'public'}, max-age={MAX_AGE}",
        }
        if plan.private:
            headers["X-Robots-Tag"] = "noindex"
        if not_modified(request.headers, plan.etag, plan.last_modified):
            return Response(status_code=304, headers=headers)
        return Response(self.bodies.get(plan.etag, plan.build), headers=headers, media_type=plan.media_type)
