"""The shown-log: what each subscriber's digests listed, per profile, and which changes they told.

Owns reading and writing the `shown` table. A row counts only while its digest is pending or sent:
a digest that expired or failed was never read, so what it listed is "new" again. Rows are added
in the caller's transaction, the one that claims the digest (`monitor.plan.digests`), so a crash
between claim and send loses none and a claim that lost the race (None) adds none.
Must not: decide what a digest lists (`monitor.plan.digest_content` does) or commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from db.models import Delivery, DeliveryStatus, Shown

COUNTED = (DeliveryStatus.PENDING, DeliveryStatus.SENT)


@dataclass
class ShownLog:
    """One subscriber's log: calls listed per profile, when each call was first listed, changes told."""

    calls: dict[int, set[int]] = field(default_factory=dict)  # profile id -> call ids
    first_at: dict[int, datetime] = field(default_factory=dict)  # call id -> first listed
    changes: set[int] = field(default_factory=set)  # change ids told

    def shown(self, profile_id: int, call_ids: Iterable[int]) -> bool:
        """Whether any of these ids (a call and its records) was listed for the profile."""
        listed = self.calls.get(profile_id)
        return listed is not None and not listed.isdisjoint(call_ids)


def shown_log(session: Session, *, subscriber_ids: Sequence[int]) -> dict[int, ShownLog]:
    """subscriber id -> their log (an empty one for a subscriber never shown anything)."""
    logs = {sid: ShownLog() for sid in subscriber_ids}
    if not subscriber_ids:
        return logs
    query = (
        select(Shown.subscriber_id, Shown.profile_id, Shown.call_id, Shown.change_id, Shown.shown_at)
        .join(Delivery, col(Delivery.id) == col(Shown.delivery_id))
        .where(col(Shown.subscriber_id).in_(list(subscriber_ids)), col(Delivery.status).in_(COUNTED))
    )
    for sid, profile_id, call_id, change_id, at in session.exec(query):
        log = logs[sid]
        if change_id is not None:
            log.changes.add(change_id)
            continue
        log.calls.setdefault(profile_id or 0, set()).add(call_id)
        if call_id not in log.first_at or at < log.first_at[call_id]:
            log.first_at[call_id] = at
    return logs


def record_shown(
    session: Session,
    *,
    subscriber_id: int,
    delivery_id: int,
    calls: Iterable[tuple[int, int]],
    changes: Iterable[tuple[int | None, int, int]],
    now: datetime,
) -> None:
    """Log (profile id, call id) pairs and (profile id or None, call id, change id) triples as listed
    by this delivery.

    Rows left by this subscriber's digests that were never delivered are dropped first (they count
    for nothing, and would hold the keys); a row already logged is kept as it is (first listing wins).
    """
    undelivered = select(Delivery.id).where(col(Delivery.status).not_in(COUNTED))
    session.exec(  # type: ignore[call-overload]
        delete(Shown).where(
            col(Shown.subscriber_id) == subscriber_id, col(Shown.delivery_id).in_(undelivered)
        )
    )
    base = {"subscriber_id": subscriber_id, "delivery_id": delivery_id, "shown_at": now}
    rows = [
        base | {"profile_id": pid, "call_id": cid, "change_id": None} for pid, cid in dict.fromkeys(calls)
    ]
    rows += [base | {"profile_id": pid, "call_id": cid, "change_id": change} for pid, cid, change in changes]
    if rows:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.exec(dialect.insert(Shown).values(rows).on_conflict_do_nothing())  # type: ignore[call-overload]
