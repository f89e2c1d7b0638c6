"""What a snapshot's calls are at the request's `now` (status, deadline order), worked out once per
clock mark instead of once per call and request.

A call's status and next deadline at `now` (`monitor.model.view.status_at`, `next_deadline`) only
compare `now` with the call's own instants: its stages, its stored next deadline and its opening
date (`x < now`, `x >= now`, `x <= now`). So between two consecutive instants of the whole snapshot
every answer is the same, and the pair (instants before now, instants at or before now) names that
stretch of time: the clock mark. `Moments` keeps, for the current mark, each call's status and
order key as first asked (a search reads them for its hits only), and starts afresh when a
deadline, an opening or a stored next deadline is crossed.
Must not: decide a status or an order itself (`monitor.model.view` and `monitor.catalogue.snapshot`
do; this only remembers their answers), do I/O or read the clock.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from monitor.model.view import status_at


def instants(calls: Iterable[Any]) -> list[datetime]:
    """Every instant that `status_at` and `next_deadline` compare `now` with, sorted."""
    found: set[datetime] = set()
    for call in calls:
        found.update(d.at for d in call.deadlines or ())
        found.update(at for at in (call.next_deadline_at, call.opens_at) if at is not None)
    return sorted(found)


class Moments:
    """Per entry of the snapshot (by identity: entries live as long as it), its call's status and
    its deadline order key at the current clock mark."""

    def __init__(self, calls: Iterable[Any]) -> None:
        self._instants = instants(calls)
        self._mark: tuple[int, int] | None = None
        self._status: dict[int, str] = {}
        self._order: dict[int, tuple[Any, ...]] = {}
        self._lock = threading.Lock()

    def mark(self, now: datetime) -> tuple[int, int]:
        return bisect_left(self._instants, now), bisect_right(self._instants, now)

    def _tables(self, now: datetime) -> tuple[dict[int, str], dict[int, tuple[Any, ...]]]:
        mark = self.mark(now)
        with self._lock:
            if mark != self._mark:  # a crossing (or a request from another stretch): start afresh
                self._mark, self._status, self._order = mark, {}, {}
            return self._status, self._order

    def statuses(self, entries: Iterable[Any], now: datetime) -> list[str]:
        """`status_at(entry.call, now)` of each entry, in order."""
        known, _ = self._tables(now)
        found = []
        for entry in entries:
            status = known.get(id(entry))
            if status is None:
                status = known[id(entry)] = status_at(entry.call, now)
            found.append(status)
        return found

    def order_key(
        self, key: Callable[[Any, datetime], tuple[Any, ...]], now: datetime
    ) -> Callable[[Any], Any]:  # noqa: E501
        """A sort key for entries: `key(entry, now)`, remembered per entry at this mark."""
        _, known = self._tables(now)

        def remembered(entry: Any) -> tuple[Any, ...]:
            found = known.get(id(entry))
            if found is None:
                found = known[id(entry)] = key(entry, now)
            return found

        return remembered
