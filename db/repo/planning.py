"""Reads for planning e-mail over many subscribers: confirmed subscribers a page at a time, and
the calls digests are planned from without the columns digests never show.

Owns: `confirmed_page` (keyset paging by id, so planning holds one page of subscribers at a time)
and `planning_calls` (the merged view of every call, the calls and order
`db.repo.reads.search_calls(status="all")` gives, with the HTML columns never read, of `extra`
only the keys calls are shown with, and the short texts calls repeat shared between them).
Must not: write anything, or decide what is due or listed (`monitor.plan` does).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from db.models import Call, Subscriber, SubscriberStatus
from db.repo.reads import grouped_members
from monitor.model.view import LogicalCall, merge

# Digests show a call's text summary only: its HTML versions are the largest columns there are.
UNSHOWN = ("summary_html", "conditions_html")
# What of a record's `extra` (a source's leftovers, 2 kB and 25 objects a call) a call is shown
# or dated with: the deadline wording nobody could read (`unread_deadline_text`), its time zone.
EXTRA_SHOWN = ("deadline_text", "time_zone")
# Texts many calls repeat (a source's programme, type of action, country wording; codes such as
# "DE" in lists): interned, 5,000 calls naming the 27 member states share one "DE".
SHARED = (
    "status", "status_hint", "deadline_model", "funding_type", "type_of_action", "programme",
    "programme_code", "parent_title", "parent_identifier", "language", "source_id", "budget_currency",
    "countries_text", "org_types_text", "budget_text",
)  # fmt: skip
SHARED_LISTS = ("countries", "country_groups", "org_types", "ecosystems", "keywords")
# Rows are read a batch at a time: each row is slimmed before the next batch is read.
BATCH = 500


def confirmed_page(session: Session, *, after_id: int, limit: int) -> Sequence[Subscriber]:
    """Up to `limit` confirmed subscribers with an id above `after_id`, by id."""
    query = select(Subscriber).where(
        Subscriber.status == SubscriberStatus.CONFIRMED, col(Subscriber.id) > after_id
    )
    return session.exec(query.order_by(col(Subscriber.id)).limit(limit)).all()


def planning_calls(session: Session) -> list[LogicalCall]:
    """Every call as users see it, soonest deadline first, `UNSHOWN` columns read as None.

    The rows are for matching and cards only: the None (and the slimmed `extra`) is set as the
    loaded value, so nothing is read for it later and nothing would be written back."""
    query = select(Call).options(*(defer(getattr(Call, name)) for name in UNSHOWN))
    rows = []
    for row in session.exec(query.order_by(col(Call.id)).execution_options(yield_per=BATCH)):
        for name in UNSHOWN:
            set_committed_value(row, name, None)
        set_committed_value(row, "extra", {k: v for k, v in (row.extra or {}).items() if k in EXTRA_SHOWN})
        for name in SHARED:
            set_committed_value(row, name, _interned(getattr(row, name)))
        for name in SHARED_LISTS:
            set_committed_value(row, name, _all_interned(getattr(row, name)))
        rows.append(row)
    members = grouped_members(session, rows)
    found = [merge(group) for group in members.values()]
    # search_calls' order: soonest deadline first, calls without one last.
    found.sort(
        key=lambda c: (c.next_deadline_at is None, c.next_deadline_at or c.primary.first_seen_at, c.id)
    )
    return found


def _interned(value: Any) -> Any:
    # sys.intern takes only exact str (not an enum's value of a str subclass).
    return sys.intern(value) if type(value) is str else value


def _all_interned(values: list[Any] | None) -> list[Any] | None:
    return [_interned(v) for v in values] if values else values
