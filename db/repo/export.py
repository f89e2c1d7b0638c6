"""The right of access: everything stored about one subscriber, as JSON-ready values.

Owns what an export holds (the address and its preferences, profiles with their dismissed calls,
tracked and waiting calls, consent events, every e-mail's envelope, the shown-log, memberships of
collections' newsletters with the interest shown, and the collections the person owns) and what
it leaves out (message bodies, token versions, lease bookkeeping).
Must not: write anything; erasure is `db.repo.people.delete_subscriber`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from db.models import Collection, CollectionMember, Consent, Delivery, Interest, Shown, Subscriber
from db.repo.follows import dismissed_calls, pending_calls, tracked_calls
from db.repo.people import profiles_of


def export_subscriber(session: Session, *, subscriber_id: int) -> dict[str, Any]:
    """Everything stored about one subscriber, as JSON-ready values."""
    row = session.get(Subscriber, subscriber_id)
    assert row is not None
    profiles = profiles_of(session, subscriber_ids=[subscriber_id]).get(subscriber_id, [])
    dismissed = dismissed_calls(session, profile_ids=[p.id for p in profiles if p.id is not None])
    consents = session.exec(
        select(Consent).where(Consent.subscriber_id == subscriber_id).order_by(col(Consent.id))
    ).all()
    deliveries = session.exec(
        select(Delivery).where(Delivery.subscriber_id == subscriber_id).order_by(col(Delivery.id))
    ).all()
    tracked = tracked_calls(session, subscriber_ids=[subscriber_id]).get(subscriber_id, {})
    # The shown-log: which calls and changes each digest listed (what "new" is decided from).
    shown = session.exec(
        select(Shown).where(Shown.subscriber_id == subscriber_id).order_by(col(Shown.id))
    ).all()
    memberships = session.exec(
        select(CollectionMember)
        .where(CollectionMember.subscriber_id == subscriber_id)
        .order_by(col(CollectionMember.id))
    ).all()
    member_ids = [m.id for m in memberships]
    interests = (
        session.exec(select(Interest).where(col(Interest.member_id).in_(member_ids))).all()
        if member_ids
        else []
    )
    owned = session.exec(
        select(Collection).where(Collection.owner_id == subscriber_id).order_by(col(Collection.id))
    ).all()
    return {
        "subscriber": _plain(row, exclude={"token_version"}),
        "profiles": [
            {**_plain(p), "dismissed_calls": sorted(dismissed.get(p.id or 0, set()))} for p in profiles
        ],
        "tracked_calls": [{"call_id": cid, "since": at.isoformat()} for cid, at in sorted(tracked.items())],
        "calls_waiting_to_be_tracked": pending_calls(session, subscriber_id=subscriber_id),
        "consent_events": [_plain(c, exclude={"subscriber_id"}) for c in consents],
        "emails": [
            _plain(d, exclude={"message", "subscriber_id", "lease_until", "next_attempt_at"})
            for d in deliveries
        ],
        "calls_listed_in_digests": [_plain(s, exclude={"subscriber_id"}) for s in shown],
        "collection_memberships": [_plain(m, exclude={"subscriber_id"}) for m in memberships],
        "interest_shown": [_plain(i) for i in interests],
        "collections_owned": [_plain(c, exclude={"owner_id"}) for c in owned],
    }


def _plain(row: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    values = row.model_dump(exclude=exclude or set())
    return {k: (v.isoformat() if isinstance(v, datetime) else _jsonable(v)) for k, v in values.items()}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)
