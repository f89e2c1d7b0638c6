"""The pool digests are planned from: the live calls and their matcher, loaded once per planning
run, and each page of subscribers' own state (tracked, dismissed, shown, had a digest), loaded
with that page, so memory follows the page size and not the number of subscribers.

Must not: decide what a digest lists (`monitor.plan.digest_content`), render or claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from db import repo
from db.models import Profile
from monitor.match.index import Matcher
from monitor.model.view import listed_undated
from monitor.plan.changes import Changes
from monitor.plan.digest_content import Pool, ids_of

LIVE = ("open", "forthcoming")


@dataclass
class LiveCalls:
    """The calls a run plans from, with the changes read so far (from `changes_after` on)."""

    by_id: dict[int, Any]
    matcher: Matcher
    owners: dict[int, int]  # call record id -> the id of the live call it belongs to
    ids: dict[int, frozenset[int]]  # live call id -> it and its records' ids
    changes_after: datetime | None = None
    changes: Changes | None = None


def load_calls(session: Session, *, now: datetime, semantic: Any = None) -> LiveCalls:
    """The live calls and their matcher; `semantic`: the semantic channel's embedder, when on."""
    # A call still listed whose deadline nobody could read is not closed: it stays in digests.
    calls = [c for c in repo.planning_calls(session) if c.status in LIVE or listed_undated(c)]
    return LiveCalls(
        by_id={c.id: c for c in calls},
        matcher=Matcher(calls, now=now, semantic=semantic),
        owners={i: c.id for c in calls for i in ids_of(c)},
        ids={c.id: frozenset(ids_of(c)) for c in calls},
    )


def pool_for(
    session: Session,
    live: LiveCalls,
    profiles: Sequence[Profile],
    ids: list[int],
    *,
    covered: dict[int, datetime],
    now: datetime,
) -> Pool:
    """The pool for these subscribers (`ids`) and their profiles; `covered` is each one's last
    digest (`repo.last_covered`): changes since the earliest are read (once, unless a later page
    needs earlier ones; each digest keeps only the changes after its own window)."""
    changes_after = min(covered.values(), default=now - timedelta(days=8))
    if live.changes is None or live.changes_after is None or changes_after < live.changes_after:
        live.changes, live.changes_after = repo.changes_since(session, since=changes_after), changes_after
    profile_ids = [p.id for p in profiles if p.id is not None]
    return Pool(
        by_id=live.by_id,
        matcher=live.matcher,
        tracked=repo.tracked_calls(session, subscriber_ids=ids),
        dismissed=repo.dismissed_calls(session, profile_ids=profile_ids),
        changes=live.changes,
        shown=repo.shown_log(session, subscriber_ids=ids),
        digested=repo.had_digest(session, subscriber_ids=ids),
        owners=live.owners,
        ids=live.ids,
    )


def load_pool(
    session: Session,
    profiles: Sequence[Profile],
    ids: list[int],
    *,
    covered: dict[int, datetime],
    now: datetime,
    semantic: Any = None,
) -> Pool:
    """Calls and subscribers' state in one go, for a few subscribers (`callwatch preview`)."""
    live = load_calls(session, now=now, semantic=semantic)
    return pool_for(session, live, profiles, ids, covered=covered, now=now)
