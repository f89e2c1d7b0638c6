"""Calls a subscriber follows (tracked, for reminders and change alerts) and calls a profile dismissed.

Owns: the `trackedcall` and `dismissal` rows: adding one (idempotent), removing a follow, and
reading them per subscriber or profile in one query; and pending follows (a web request kept until
the address's owner consents): `tracked_calls` never returns them, so nothing is mailed for them.
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
    """Follow a call (a pending request for it becomes a follow); False when it was already followed."""
    row = _follow(session, subscriber_id, call_id)
    if row is not None and not row.pending:
        return False
    if row is None:
        session.add(TrackedCall(subscriber_id=subscriber_id, call_id=call_id, created_at=now))
    else:  # followed from now: alerts tell only changes after this
        row.pending, row.created_at = False, now
        session.add(row)
    session.flush()
    return True


def request_track(session: Session, *, subscriber_id: int, call_id: int, now: datetime) -> bool:
    """Keep a pending request to follow a call; False when it is already followed or requested."""
    if _follow(session, subscriber_id, call_id) is not None:
        return False
    session.add(TrackedCall(subscriber_id=subscriber_id, call_id=call_id, created_at=now, pending=True))
    session.flush()
    return True


def pending_calls(session: Session, *, subscriber_id: int) -> list[int]:
    """The calls a subscriber was asked to follow and has not consented to yet, oldest first."""
    query = (
        select(TrackedCall.call_id)
        .where(TrackedCall.subscriber_id == subscriber_id, col(TrackedCall.pending).is_(True))
        .order_by(col(TrackedCall.id))
    )
    return list(session.exec(query))


def apply_pending(session: Session, *, subscriber_id: int, now: datetime) -> list[int]:
    """The owner consented (confirmed their address): every pending request becomes a follow."""
    wanted = pending_calls(session, subscriber_id=subscriber_id)
    for call_id in wanted:
        track_call(session, subscriber_id=subscriber_id, call_id=call_id, now=now)
    return wanted


def _follow(session: Session, subscriber_id: int, call_id: int) -> TrackedCall | None:
    return session.exec(
        select(TrackedCall).where(TrackedCall.subscriber_id == subscriber_id, TrackedCall.call_id == call_id)
    ).first()


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
        query = select(TrackedCall).where(
            col(TrackedCall.subscriber_id).in_(list(subscriber_ids)), col(TrackedCall.pending).is_(False)
        )
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
