"""Subscribers, their profiles and consent history, private feed versions, export and erasure,
and the rate-limit hits of the sign-up form.

Owns: a subscriber's data as a whole. It can be exported whole and deleted whole; deleting also
scrubs the address and message bodies from past deliveries (the rows stay, anonymous, so the
idempotence keys of periods already sent keep working).
Must not: decide consent or who gets mail (`monitor.people` and `monitor.plan` do) or commit.
Following and dismissing calls live in `db.repo.follows`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from db.models import (
    Consent,
    Delivery,
    DeliveryStatus,
    Dismissal,
    Profile,
    RateHit,
    Subscriber,
    SubscriberStatus,
    TrackedCall,
)
from db.repo.collections import curators
from db.repo.deliveries import erase_bodies
from db.repo.members import proven_members
from db.repo.reads import LIKE_ESCAPE, like_literal

# Profile columns a caller may set (everything else is bookkeeping).
PROFILE_FIELDS = (
    "name",
    "keywords",
    "keywords_all",
    "exclude",
    "countries",
    "org_types",
    "ecosystems",
    "programmes",
    "funding_types",
    "budget_min",
    "budget_max",
    "min_days_left",
    "strict",
    "frequency",
)
SUBSCRIBER_FIELDS = ("language", "timezone", "digest_weekday", "digest_hour")


def subscriber_by_email(session: Session, *, email: str) -> Subscriber | None:
    # Addresses are stored with a lower-case domain; local parts are compared as given
    # except for case, which virtually every mail system ignores.
    query = select(Subscriber).where(col(Subscriber.email).ilike(like_literal(email), escape=LIKE_ESCAPE))
    return session.exec(query).first()


def subscriber(session: Session, *, subscriber_id: int) -> Subscriber | None:
    return session.get(Subscriber, subscriber_id)


def create_subscriber(session: Session, *, email: str, now: datetime, **values: Any) -> Subscriber:
    row = Subscriber(email=email, created_at=now, **_only(values, SUBSCRIBER_FIELDS))
    session.add(row)
    session.flush()
    return row


def update_subscriber(session: Session, *, subscriber_id: int, **values: Any) -> Subscriber:
    row = session.get(Subscriber, subscriber_id)
    assert row is not None, f"subscriber {subscriber_id} vanished"
    for name, value in _only(values, SUBSCRIBER_FIELDS).items():
        setattr(row, name, value)
    session.add(row)
    return row


def set_status(
    session: Session, *, subscriber_id: int, status: SubscriberStatus, now: datetime
) -> Subscriber:
    row = session.get(Subscriber, subscriber_id)
    assert row is not None, f"subscriber {subscriber_id} vanished"
    row.status = status
    if status == SubscriberStatus.CONFIRMED:
        row.confirmed_at, row.unsubscribed_at, row.suspended_at, row.hard_bounces = now, None, None, 0
    elif status == SubscriberStatus.UNSUBSCRIBED:
        row.unsubscribed_at = now
    elif status == SubscriberStatus.SUSPENDED:
        row.suspended_at = now
    session.add(row)
    return row


def note_confirmation_sent(session: Session, *, subscriber_id: int, now: datetime) -> None:
    session.exec(  # type: ignore[call-overload]
        update(Subscriber).where(col(Subscriber.id) == subscriber_id).values(confirmation_sent_at=now)
    )


def record_hard_bounce(session: Session, *, subscriber_id: int, suspend_after: int, now: datetime) -> bool:
    """Count a permanent failure; True when the address is now suspended."""
    row = session.get(Subscriber, subscriber_id)
    if row is None:
        return False
    row.hard_bounces += 1
    suspended = row.hard_bounces >= suspend_after and row.status == SubscriberStatus.CONFIRMED
    if suspended:
        row.status, row.suspended_at = SubscriberStatus.SUSPENDED, now
    session.add(row)
    return suspended


def rotate_tokens(session: Session, *, subscriber_id: int) -> int:
    """Invalidate every link sent so far (manage, unsubscribe, feeds); returns the new version."""
    row = session.get(Subscriber, subscriber_id)
    assert row is not None
    row.token_version += 1
    session.add(row)
    return row.token_version


def unconfirmed_before(session: Session, *, before: datetime) -> list[int]:
    """Subscribers who signed up before `before` and never confirmed (erased by housekeeping), but
    for those who proved the address by confirming a membership or curate a collection (signed in)."""
    query = select(Subscriber.id).where(
        Subscriber.status == SubscriberStatus.PENDING,
        col(Subscriber.confirmed_at).is_(None),
        col(Subscriber.created_at) < before,
        col(Subscriber.id).not_in(proven_members()),
        col(Subscriber.id).not_in(curators()),
    )
    return [int(i) for i in session.exec(query) if i is not None]


def confirmed_subscribers(session: Session) -> Sequence[Subscriber]:
    query = select(Subscriber).where(Subscriber.status == SubscriberStatus.CONFIRMED)
    return session.exec(query.order_by(col(Subscriber.id))).all()


# --------------------------------------------------------------------------- profiles


def add_profile(session: Session, *, subscriber_id: int, now: datetime, **values: Any) -> Profile:
    row = Profile(
        subscriber_id=subscriber_id, created_at=now, updated_at=now, **_only(values, PROFILE_FIELDS)
    )
    session.add(row)
    session.flush()
    return row


def update_profile(session: Session, *, profile_id: int, now: datetime, **values: Any) -> Profile:
    row = session.get(Profile, profile_id)
    assert row is not None, f"profile {profile_id} vanished"
    for name, value in _only(values, PROFILE_FIELDS).items():
        setattr(row, name, value)
    row.updated_at = now
    session.add(row)
    return row


def delete_profile(session: Session, *, profile_id: int) -> None:
    session.exec(delete(Dismissal).where(col(Dismissal.profile_id) == profile_id))  # type: ignore[call-overload]
    session.exec(delete(Profile).where(col(Profile.id) == profile_id))  # type: ignore[call-overload]


def profiles_of(session: Session, *, subscriber_ids: Sequence[int]) -> dict[int, list[Profile]]:
    found: dict[int, list[Profile]] = defaultdict(list)
    if subscriber_ids:
        query = select(Profile).where(col(Profile.subscriber_id).in_(list(subscriber_ids)))
        for row in session.exec(query.order_by(col(Profile.id))):
            found[row.subscriber_id].append(row)
    return found


def profile(session: Session, *, profile_id: int) -> Profile | None:
    return session.get(Profile, profile_id)


# --------------------------------------------------------------------------- consent


def record_consent(
    session: Session, *, subscriber_id: int, event: str, source: str, now: datetime, detail: str | None = None
) -> None:
    session.add(Consent(subscriber_id=subscriber_id, event=event, at=now, source=source, detail=detail))


# --------------------------------------------------------------------------- private feeds


def reset_feed_tokens(session: Session, *, subscriber_id: int) -> list[int]:
    """Revoke every private feed link of a subscriber (bump each profile's and the subscriber's
    `feed_token_version`: profile feeds and the tracked-calls calendar); e-mailed links stay valid.
    Returns the profile ids."""
    owner = session.get(Subscriber, subscriber_id)
    if owner is not None:
        owner.feed_token_version += 1
        session.add(owner)
    profiles = profiles_of(session, subscriber_ids=[subscriber_id]).get(subscriber_id, [])
    for row in profiles:
        row.feed_token_version += 1
        session.add(row)
    return [row.id for row in profiles if row.id is not None]


# --------------------------------------------------------------------------- rate limits


def record_hit(session: Session, *, bucket: str, now: datetime) -> None:
    session.add(RateHit(bucket=bucket, at=now))
    session.flush()


def count_hits(session: Session, *, bucket: str, since: datetime) -> tuple[int, datetime | None]:
    """How many hits `bucket` has after `since`, and the oldest of them (when it leaves the window)."""
    query = select(func.count(), func.min(RateHit.at)).where(RateHit.bucket == bucket, RateHit.at > since)
    count, oldest = session.exec(query).one()
    return int(count), oldest


def prune_hits(session: Session, *, before: datetime) -> None:
    session.exec(delete(RateHit).where(col(RateHit.at) <= before))  # type: ignore[call-overload]


# --------------------------------------------------------------------------- erasure (export: db.repo.export)


def delete_subscriber(session: Session, *, subscriber_id: int) -> None:
    """Erase a subscriber and everything linked to them (right to erasure)."""
    profile_ids = [p.id for p in profiles_of(session, subscriber_ids=[subscriber_id]).get(subscriber_id, [])]
    if profile_ids:
        session.exec(delete(Dismissal).where(col(Dismissal.profile_id).in_(profile_ids)))  # type: ignore[call-overload]
    for table in (Profile, Consent, TrackedCall):
        session.exec(delete(table).where(col(table.subscriber_id) == subscriber_id))  # type: ignore[call-overload,attr-defined]
    owed = (col(Delivery.subscriber_id) == subscriber_id, col(Delivery.status) == DeliveryStatus.PENDING)
    session.exec(update(Delivery).where(*owed).values(status=DeliveryStatus.SKIPPED))  # type: ignore[call-overload]
    erase_bodies(session, subscriber_id=subscriber_id)
    session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(col(Delivery.subscriber_id) == subscriber_id)
        .values(subscriber_id=None, to_address="", subject=None, error="subscriber deleted")
    )
    session.exec(delete(Subscriber).where(col(Subscriber.id) == subscriber_id))  # type: ignore[call-overload]


def _only(values: dict[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    return values
