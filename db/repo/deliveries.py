"""The e-mail queue: one `Delivery` row per (address, kind, period), claimed before sending.

Owns the idempotence and crash-safety rules of sending:
- `claim_period` inserts the row with the rendered message; the unique key
  (subscriber, kind, period) makes a second planner (another process, a
  re-run) get None instead of a second e-mail;
- leases (`db.repo.leases`) hand due rows to one sender at a time, so a killed
  sender's rows are picked up again once its lease ends;
- the row is marked sent only after the server's 250: a crash between the
  two re-sends that one message, with the same Message-ID, and loses none.

Must not: render, plan or send anything (`monitor.plan` and `monitor.deliver` do) or commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.models import Delivery, DeliveryBody, DeliveryStatus


def claim_period(
    session: Session,
    *,
    subscriber_id: int | None,
    kind: str,
    period_key: str,
    now: datetime,
    message: bytes | None = None,
    **values: Any,
) -> Delivery | None:
    """Insert the delivery for this period (and its `message` bytes, if any); None when one exists
    already (someone else claimed it)."""
    row = Delivery(subscriber_id=subscriber_id, kind=kind, period_key=period_key, created_at=now, **values)
    if row.status == DeliveryStatus.PENDING and row.next_attempt_at is None:
        row.next_attempt_at = now
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            if message is not None:
                # A Core insert: the bytes do not stay in the session's identity map.
                session.exec(insert(DeliveryBody).values(delivery_id=row.id, message=message))  # type: ignore[call-overload]
    except IntegrityError:
        return None
    return row


def period_claimed(session: Session, *, subscriber_id: int | None, kind: str, period_key: str) -> bool:
    query = select(Delivery.id).where(
        Delivery.subscriber_id == subscriber_id, Delivery.kind == kind, Delivery.period_key == period_key
    )
    return session.exec(query).first() is not None


def claimed_periods(session: Session, *, kind: str, subscriber_ids: Sequence[int]) -> set[tuple[int, str]]:
    """(subscriber id, period key) pairs already claimed, for planning many subscribers at once."""
    if not subscriber_ids:
        return set()
    query = select(Delivery.subscriber_id, Delivery.period_key).where(
        Delivery.kind == kind, col(Delivery.subscriber_id).in_(list(subscriber_ids))
    )
    return {(sid, key) for sid, key in session.exec(query) if sid is not None}


def last_covered(session: Session, *, kind: str, subscriber_ids: Sequence[int]) -> dict[int, datetime]:
    """The end of the window each subscriber's last sent (or empty) message of `kind` covered.

    Digests read changes after it; what is "new" is the shown-log's (`db.repo.shown`), not this."""
    if not subscriber_ids:
        return {}
    query = (
        select(Delivery.subscriber_id, func.max(Delivery.covered_until))
        .where(
            Delivery.kind == kind,
            col(Delivery.subscriber_id).in_(list(subscriber_ids)),
            col(Delivery.covered_until).is_not(None),
            col(Delivery.status).in_([DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.PENDING]),
        )
        .group_by(col(Delivery.subscriber_id))
    )
    return {sid: until for sid, until in session.exec(query) if sid is not None and until is not None}


def had_digest(session: Session, *, subscriber_ids: Sequence[int]) -> set[int]:
    """The subscribers with a digest sent or on its way (not an empty, skipped, failed or expired one)."""
    if not subscriber_ids:
        return set()
    query = select(Delivery.subscriber_id).where(
        Delivery.kind == "digest",
        col(Delivery.subscriber_id).in_(list(subscriber_ids)),
        col(Delivery.status).in_([DeliveryStatus.SENT, DeliveryStatus.PENDING]),
    )
    return {sid for sid in session.exec(query.distinct()) if sid is not None}


def last_watermark(session: Session, *, kind: str, subscriber_ids: Sequence[int]) -> dict[int, int]:
    """The highest change id each subscriber's messages of `kind` have covered."""
    if not subscriber_ids:
        return {}
    query = (
        select(Delivery.subscriber_id, func.max(Delivery.watermark))
        .where(Delivery.kind == kind, col(Delivery.subscriber_id).in_(list(subscriber_ids)))
        .group_by(col(Delivery.subscriber_id))
    )
    return {sid: mark for sid, mark in session.exec(query) if sid is not None and mark is not None}


def finish_delivery(
    session: Session,
    *,
    delivery_id: int,
    status: DeliveryStatus,
    now: datetime,
    code: int | None = None,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> Delivery:
    """Record what became of one attempt; `retry_at` keeps the row pending until then."""
    row = session.get(Delivery, delivery_id, populate_existing=True)
    assert row is not None, f"delivery {delivery_id} vanished"
    row.status, row.last_code, row.error, row.lease_until = status, code, error, None
    if status == DeliveryStatus.SENT:
        row.sent_at = now
    if retry_at is not None:
        row.next_attempt_at = retry_at
    session.add(row)
    return row


def deliveries(
    session: Session, *, kind: str | None = None, subscriber_id: int | None = None
) -> Sequence[Delivery]:
    query = select(Delivery)
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    if subscriber_id is not None:
        query = query.where(Delivery.subscriber_id == subscriber_id)
    return session.exec(query.order_by(col(Delivery.id))).all()


def pending_count(session: Session) -> int:
    query = select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.PENDING)
    return int(session.exec(query).one())


def delivery_body(session: Session, *, delivery_id: int) -> bytes | None:
    """The stored bytes of one delivery's message (None when it has none or they were dropped)."""
    found = session.exec(select(DeliveryBody.message).where(DeliveryBody.delivery_id == delivery_id)).first()
    return bytes(found) if found is not None else None


def drop_old_messages(session: Session, *, before: datetime) -> int:
    """Forget the bodies of finished deliveries created before `before`; the rows stay as the record."""
    finished = select(Delivery.id).where(
        col(Delivery.status) != DeliveryStatus.PENDING, col(Delivery.created_at) < before
    )
    result = session.exec(  # type: ignore[call-overload]
        delete(DeliveryBody)
        .where(col(DeliveryBody.delivery_id).in_(finished.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def erase_bodies(session: Session, *, subscriber_id: int) -> None:
    """Forget the bodies of every message to this subscriber (right to erasure)."""
    theirs = select(Delivery.id).where(col(Delivery.subscriber_id) == subscriber_id)
    session.exec(  # type: ignore[call-overload]
        delete(DeliveryBody)
        .where(col(DeliveryBody.delivery_id).in_(theirs.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )


def skipped_digests(session: Session, *, after_id: int) -> Sequence[Delivery]:
    """Digests skipped as too late (worker down) with an id above `after_id`, oldest first."""
    query = select(Delivery).where(
        Delivery.kind == "digest",
        Delivery.status == DeliveryStatus.SKIPPED,
        col(Delivery.covered_until).is_(None),
        col(Delivery.id) > after_id,
    )
    return session.exec(query.order_by(col(Delivery.id))).all()


def last_operator_watermark(session: Session, *, prefix: str) -> int:
    """The highest watermark of operator messages whose period starts with `prefix` (0 if none)."""
    query = select(func.max(Delivery.watermark)).where(
        Delivery.kind == "operator", col(Delivery.period_key).startswith(prefix)
    )
    return int(session.exec(query).one() or 0)
