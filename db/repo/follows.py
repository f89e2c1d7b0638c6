"""Calls a subscriber follows (tracked, for reminders and change alerts) and calls a profile dismissed.

Owns: the `trackedcall` and `dismissal` rows: adding one (idempotent), removing a follow, and
reading them per subscriber or profile in one query.
Must not: decide what a follow means for mail (`monitor.plan` does) or commit. Erasing a subscriber's
rows is `db.repo.people.delete_subscriber`'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from db.models import Dismissal, TrackedCall


def track_call(session: Session, *, subscriber_id: int, call_id: int, now: datetime) -> bool:
    """Follow a call; False when it was already followed."""
    exists = session.exec(
        select(TrackedCall.id).where(
            TrackedCall.subscriber_id == subscriber_id, TrackedCall.call_id == call_id
        )
    ).first()
    if exists is not None:
        return False
    session.add(TrackedCall(subscriber_id=subscriber_id, call_id=call_id, created_at=now))
    session.flush()
    return True


def untrack_call(session: Session, *, subscriber_id: int, call_id: int) -> None:
    session.exec(  # type: ignore[call-overload]
        delete(TrackedCall).where(
            col(TrackedCall.subscriber_id) == subscriber_id, col(TrackedCall.call_id) == call_id
        )
    )


def tracked_calls(session: Session, *, subscriber_ids: Sequence[int]) -> dict[int, dict[int, datetime]]:
    """subscriber id -> {call id: since when}."""
    found: dict[int, dict[int, datetime]] = defaultdict(dict)
    if subscriber_ids:
        query = select(TrackedCall).where(col(TrackedCall.subscriber_id).in_(list(subscriber_ids)))
        for row in session.exec(query):
            found[row.subscriber_id][row.call_id] = row.created_at
    return found


def dismiss_call(session: Session, *, profile_id: int, call_id: int, now: datetime) -> bool:
    exists = session.exec(
        select(Dismissal.id).where(Dismissal.profile_id == profile_id, Dismissal.call_id == call_id)
    ).first()
    if exists is not None:
        return False
    session.add(Dismissal(profile_id=profile_id, call_id=call_id, created_at=now))
    session.flush()
    return True


def dismissed_calls(session: Session, *, profile_ids: Sequence[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    if profile_ids:
        query = select(Dismissal.profile_id, Dismissal.call_id).where(
            col(Dismissal.profile_id).in_(list(profile_ids))
        )
        for profile_id, call_id in session.exec(query):
            found[profile_id].add(call_id)
    return found
