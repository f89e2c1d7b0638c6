"""The portal's incremental pass: ask only for what changed since the last pass, and notice when the
API does not do what was asked.

Owns: the state kept between polls (`PassState`: the high-water mark = the newest change date seen,
when the last complete full sweep ran, the last `totalResults`, and how many of the full sweep's
records carry the change date), the rule that says when a poll must be a full sweep instead
(`full_sweep_reason`), and the incremental walk itself (`incremental_rows`): pages sorted by the
record's change date (`esDA_QueueDate`, newest first), read until a record is older than the mark
minus the safety margin. The walk raises `FallBack`, with the reason, when the answer shows the sort
was not applied (dates out of order, a dated record after undated ones, `totalResults` grew while no
record is newer than the mark), when the search answers nothing, or when more than half the records
changed (a full sweep then reads them in a stable order). formats.md §1.1: the `sort` part is
[INFER], `range` filters are reported silently ignored, so no filter is sent: the walk stops itself.

Must not: send requests itself (the source's `fetch` does), map records to calls, touch the
database or read settings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sources.base import parse_interval
from sources.ft_portal.metadata import first
from sources.ft_portal.query import SORT, FtPortalConfig
from sources.ft_portal.records import parse_instant


class FallBack(Exception):
    """The incremental pass cannot be trusted this time; the message says why."""


class Answer(Protocol):
    total: int
    results: list[Any]


def change_date(record: Any, field: str) -> datetime | None:
    """The record's change date (first value of metadata[field]), or None."""
    metadata = record.get("metadata") if isinstance(record, dict) else None
    return parse_instant(first(metadata, field)) if isinstance(metadata, dict) else None


def change_sort(config: FtPortalConfig) -> list[dict[str, str]]:
    """Newest change first; ties by identifier so pages do not shuffle them."""
    return [{"field": config.change_field, "order": "DESC"}, SORT]


@dataclass(frozen=True)
class PassState:
    """What the last pass left for the next one (stored under `sources.base.STATE_KEY`)."""

    mark: datetime | None = None
    full_at: datetime | None = None
    total: int | None = None
    dated: int = 0  # records of the last full sweep that carry the change date ...
    records: int = 0  # ... of this many

    @classmethod
    def load(cls, entry: Any) -> PassState:
        """The stored state; an unreadable one is no state (the next poll is a full sweep)."""
        if not isinstance(entry, dict):
            return cls()
        try:
            total = entry.get("total")
            return cls(
                mark=_instant(entry.get("mark")), full_at=_instant(entry.get("full_at")),
                total=int(total) if total is not None else None, dated=int(entry.get("dated", 0)),
                records=int(entry.get("records", 0)),
            )  # fmt: skip
        except (TypeError, ValueError):
            return cls()

    def dump(self) -> dict[str, Any]:
        return {
            "mark": self.mark.isoformat() if self.mark else None,
            "full_at": self.full_at.isoformat() if self.full_at else None,
            "total": self.total, "dated": self.dated, "records": self.records,
        }  # fmt: skip

    def after_full(
        self, records: list[dict[str, Any]], *, total: int, complete: bool, now: datetime, field: str
    ) -> PassState:
        """After a full sweep: the mark is its newest date; an incomplete one is retried next poll."""
        dates = [date for date in (change_date(record, field) for record in records) if date is not None]
        return PassState(
            mark=max(dates, default=None), full_at=now if complete else self.full_at, total=total,
            dated=len(dates), records=len(records),
        )  # fmt: skip

    def after_incremental(self, *, total: int, newest: datetime | None) -> PassState:
        mark = max((d for d in (self.mark, newest) if d is not None), default=None)
        return PassState(mark=mark, full_at=self.full_at, total=total, dated=self.dated, records=self.records)


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def full_sweep_reason(state: PassState, config: FtPortalConfig, now: datetime) -> str | None:
    """Why this poll must read everything, or None when an incremental pass will do."""
    if not config.incremental:
        return "incremental passes are off"
    if state.mark is None or state.full_at is None or state.total is None:
        return "no complete full sweep with change dates yet"
    if now - state.full_at >= timedelta(seconds=parse_interval(config.full_sweep_interval)):
        return f"the last full sweep is older than {config.full_sweep_interval}"
    if state.dated < state.records * config.min_dated_share:
        # A record without the date can't be seen changing: only a full sweep reads it again.
        return (
            f"only {state.dated} of the {state.records} records carry {config.change_field}; "
            f"min_dated_share is {config.min_dated_share:g}"
        )
    return None


def check_order(dates: list[datetime | None], previous: datetime | None | bool) -> str | None:
    """Why `dates` (after `previous`: True = nothing yet, None = an undated record) are not newest
    first with undated records last, or None."""
    for position, date in enumerate(dates, start=1):
        if previous is None and date is not None:
            return f"row {position} has a date ({date:%Y-%m-%d %H:%M}) after a row without one"
        if isinstance(previous, datetime) and date is not None and date > previous:
            return (
                f"row {position} ({date:%Y-%m-%d %H:%M}) is newer than the one before it "
                f"({previous:%Y-%m-%d %H:%M})"
            )
        previous = date
    return None


async def incremental_rows(
    fetch: Callable[[int], Awaitable[Answer]], config: FtPortalConfig, state: PassState
) -> tuple[list[Any], int, datetime | None]:
    """The raw rows of the pages down to the mark minus the margin, the answer's total and the newest
    change date seen. Raises FallBack when the answer shows the sort was not applied."""
    assert state.mark is not None and state.total is not None
    cutoff = state.mark - timedelta(seconds=parse_interval(config.incremental_margin))
    rows: list[Any] = []
    previous: datetime | None | bool = True
    newest: datetime | None = None
    for number in range(1, config.max_pages + 1):
        answer = await fetch(number)
        dates = [change_date(row, config.change_field) for row in answer.results if isinstance(row, dict)]
        if number == 1:
            _check_first(answer.total, dates, state, config)
        problem = check_order(dates, previous)
        if problem:
            raise FallBack(
                f"the answer is not sorted by {config.change_field}, newest first: page {number} {problem}"
            )
        rows.extend(answer.results)
        newest = max((d for d in (newest, *dates) if d is not None), default=None)
        previous = dates[-1] if dates else previous
        if not answer.results or any(d is None or d < cutoff for d in dates):
            return rows, answer.total, newest
        if len(rows) >= answer.total:
            return rows, answer.total, newest
        if len(rows) > answer.total / 2:
            raise FallBack(f"more than half of the {answer.total} records changed since the last pass")
    raise FallBack(f"max_pages={config.max_pages} pages all newer than the mark")


def _check_first(total: int, dates: list[datetime | None], state: PassState, config: FtPortalConfig) -> None:
    assert state.mark is not None and state.total is not None
    if total == 0:
        raise FallBack(f"the search answered no results (the last pass had {state.total})")
    top = max((d for d in dates if d is not None), default=None)
    if total > state.total and (top is None or top <= state.mark):
        # A record that is new to the answer was indexed after the mark: it must come first.
        raise FallBack(
            f"totalResults grew from {state.total} to {total} yet no record on page 1 is newer than the "
            f"mark {state.mark:%Y-%m-%d %H:%M}: the sort by {config.change_field} was not applied"
        )
