"""Leases on the e-mail queue: a batch of due rows handed to one sender, and given back.

Owns the lease rules: `lease_due` leases up to n due rows in one statement that reads
`ix_delivery_due` (on PostgreSQL with `FOR UPDATE SKIP LOCKED`), so two senders never share a row;
a lease moves the row's due time to its end, so a killed sender's rows are due again once the
lease runs out; `release_leases` gives back the rows a stopped run never tried; `lease_planning`
hands a page of subscribers to one digest planner among several (transaction-scoped advisory locks).

Must not: decide what is sent or record outcomes (`db.repo.deliveries.finish_delivery`), or commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, Integer, any_, cast, func, or_, text, update
from sqlmodel import Session, col, select

from db.models import Delivery, DeliveryBody, DeliveryStatus, Subscriber


@dataclass(frozen=True)
class LeasedDelivery:
    """One leased row as the sender needs it: the envelope, the stored bytes, who it is for."""

    id: int
    kind: str
    to_address: str
    message_id: str | None
    attempts: int
    give_up_at: datetime | None
    subscriber_id: int | None
    subscriber_status: str | None  # None: no subscriber (operator mail) or the subscriber is gone
    message: bytes | None
    lease_until: datetime


def lease_due(
    session: Session, *, now: datetime, lease: timedelta, postgres: bool, limit: int
) -> list[LeasedDelivery]:
    """Up to `limit` due pending rows, leased to the caller until `now + lease`, with their bodies.

    One statement picks and leases the rows: `UPDATE ... WHERE id IN (SELECT ... LIMIT n)`,
    the SELECT one range read of `ix_delivery_due` (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so
    two senders never wait for or share a row; on SQLite the statement holds the write lock).
    The lease moves the row's due time to the lease's end, so leased rows leave the due range
    and a dead sender's rows come back once its lease has run out. The caller commits at once:
    the lease, not an open transaction, protects the rows while they are on the wire.
    """
    until = now + lease
    leased = session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(_due_ids(now=now, postgres=postgres, limit=limit))
        .values(lease_until=until, next_attempt_at=until, attempts=Delivery.attempts + 1)
        .returning(
            Delivery.id, Delivery.kind, Delivery.to_address, Delivery.message_id, Delivery.attempts,
            Delivery.give_up_at, Delivery.subscriber_id,
        )
        .execution_options(synchronize_session=False)
    ).all()  # fmt: skip
    if not leased:
        return []
    return _with_bodies(session, leased, until)


def _due_ids(*, now: datetime, postgres: bool, limit: int) -> Any:
    """The condition `id is one of the first `limit` due rows`, read from `ix_delivery_due`."""
    picked = (
        select(Delivery.id)
        .where(
            col(Delivery.status) == DeliveryStatus.PENDING,
            col(Delivery.next_attempt_at) <= now,
            or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now),
        )
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(limit)
    )
    chosen: Any = col(Delivery.id).in_(picked.scalar_subquery())
    if postgres:
        # id = ANY(one array, computed once): rows found through the primary key, where a plain
        # IN (subquery) lets the planner hash-join against a scan of the whole table.
        locked = picked.with_for_update(skip_locked=True).subquery()
        found = cast(select(func.array_agg(locked.c.id)).scalar_subquery(), ARRAY(Integer))
        chosen = col(Delivery.id) == any_(found)
    return chosen


def _with_bodies(session: Session, leased: Sequence[Any], until: datetime) -> list[LeasedDelivery]:
    """The leased rows, oldest first, with their stored bytes and their subscribers' status."""
    ids = [row.id for row in leased]
    body = select(DeliveryBody.delivery_id, DeliveryBody.message)
    bodies = dict(session.exec(body.where(col(DeliveryBody.delivery_id).in_(ids))).all())
    sids = sorted({row.subscriber_id for row in leased if row.subscriber_id is not None})
    status = select(Subscriber.id, Subscriber.status)
    statuses = dict(session.exec(status.where(col(Subscriber.id).in_(sids))).all())
    return [
        LeasedDelivery(
            id=row.id,
            kind=row.kind,
            to_address=row.to_address,
            message_id=row.message_id,
            attempts=row.attempts,
            give_up_at=row.give_up_at,
            subscriber_id=row.subscriber_id,
            subscriber_status=statuses.get(row.subscriber_id),
            message=bodies.get(row.id),
            lease_until=until,
        )
        for row in sorted(leased, key=lambda row: row.id)
    ]


def release_leases(session: Session, *, ids: Sequence[int], lease_until: datetime, now: datetime) -> int:
    """Give back leased rows that were never tried (the run stopped early): due again now.

    Only rows still pending under this very lease: one another sender took after it ran out stays
    theirs."""
    if not ids:
        return 0
    result = session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(
            col(Delivery.id).in_(list(ids)),
            col(Delivery.status) == DeliveryStatus.PENDING,
            col(Delivery.lease_until) == lease_until,
        )
        .values(lease_until=None, next_attempt_at=now, attempts=Delivery.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


# "cwdp" (Callwatch digest planning) in ASCII: the two-key advisory lock space of planning leases,
# apart from the leader's one-key lock and from the poll locks' space.
PLANNING_NAMESPACE = 0x63776470


def lease_planning(session: Session, *, subscriber_ids: Sequence[int], postgres: bool) -> list[int]:
    """Which of these subscribers this planner plans now: those no other planner holds.

    PostgreSQL: one transaction-scoped advisory lock per subscriber, taken without waiting, so
    workers planning at the same time split a page between them, nobody waits, and the locks end
    with the transaction that claims the digests. Rows are not locked, so a subscriber changing
    their settings meanwhile never waits for a planner. The caller must read what was already
    claimed after this call: a planner that got the lock after another committed then sees that
    claim. SQLite: every id (one worker plans per database file)."""
    if not postgres or not subscriber_ids:
        return list(subscriber_ids)
    # Every element of the array is tried (no LIMIT that could stop the scan half way), so a lock
    # is held exactly for the ids returned. Keys are 32-bit: two ids sharing one (ids 2**32 apart)
    # are planned one after the other, by the next run.
    got = session.exec(  # type: ignore[call-overload]
        text(
            "SELECT id FROM unnest(CAST(:ids AS bigint[])) AS id "
            "WHERE pg_try_advisory_xact_lock(:space, CAST(id % 4294967296 - 2147483648 AS integer))"
        ),
        params={"ids": list(subscriber_ids), "space": PLANNING_NAMESPACE},
    ).all()
    return sorted(row[0] for row in got)
