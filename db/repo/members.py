"""Member newsletters: who joined which collection, the issues sent to them, and their interest.

Owns: every read and write of `collectionmember`, `collectionissue` and `interest`; issue numbers
(dense per collection, taken in the transaction that records the issue, so two owners pressing
"Send" at once make one issue: the second insert breaks the unique key); which accepted calls an
issue has not carried yet; and skipping a member's unsent issues when they leave.
Must not: decide who may join or send (monitor.people.members and the routes do), render, or commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.models import (
    CollectionIssue,
    CollectionItem,
    CollectionMember,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Interest,
    ItemState,
    MemberStatus,
    Subscriber,
    SubscriberStatus,
)


def member(session: Session, *, member_id: int) -> CollectionMember | None:
    return session.get(CollectionMember, member_id)


def membership(session: Session, *, collection_id: int, subscriber_id: int) -> CollectionMember | None:
    query = select(CollectionMember).where(
        CollectionMember.collection_id == collection_id, CollectionMember.subscriber_id == subscriber_id
    )
    return session.exec(query).first()


def join_collection(
    session: Session, *, collection_id: int, subscriber_id: int, now: datetime, **values: str | bool
) -> CollectionMember:
    """The member row for this address (created pending); a member who left asks again as pending.

    A confirmed member's row is returned unchanged: anyone can type anyone's address, so asking
    again neither stops their issues nor changes their choices.
    """
    allowed = {"language", "visible", "display_name", "organisation"}
    if set(values) - allowed:
        raise TypeError(f"unknown fields: {sorted(set(values) - allowed)}")
    row = membership(session, collection_id=collection_id, subscriber_id=subscriber_id)
    if row is None:
        row = CollectionMember(collection_id=collection_id, subscriber_id=subscriber_id, joined_at=now)
    elif row.status == MemberStatus.CONFIRMED:
        return row
    elif row.status == MemberStatus.LEFT:
        row.status, row.joined_at, row.left_at = MemberStatus.PENDING, now, None
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    return row


def note_member_confirmation_sent(session: Session, *, member_id: int, now: datetime) -> None:
    row = session.get(CollectionMember, member_id)
    if row is not None:
        row.confirmation_sent_at = now
        session.add(row)
        session.flush()


def confirm_member(session: Session, *, member_id: int, now: datetime) -> CollectionMember | None:
    """Confirm a pending member (a confirmed one stays as it is; one who left must ask again)."""
    row = session.get(CollectionMember, member_id)
    if row is None or row.status == MemberStatus.LEFT:
        return None
    if row.status == MemberStatus.PENDING:
        row.status, row.confirmed_at = MemberStatus.CONFIRMED, now
        session.add(row)
        session.flush()
    return row


def leave_collection(session: Session, *, member_id: int, now: datetime) -> bool:
    """Unsubscribe from this collection only; issues claimed but not yet sent to them are skipped."""
    row = session.get(CollectionMember, member_id)
    if row is None or row.status == MemberStatus.LEFT:
        return False
    row.status, row.left_at = MemberStatus.LEFT, now
    session.add(row)
    owed = (
        col(Delivery.subscriber_id) == row.subscriber_id,
        col(Delivery.kind) == DeliveryKind.COLLECTION_ISSUE,
        col(Delivery.period_key).startswith(issue_period_prefix(row.collection_id)),
        col(Delivery.status) == DeliveryStatus.PENDING,
    )
    session.exec(  # type: ignore[call-overload]
        update(Delivery).where(*owed).values(status=DeliveryStatus.SKIPPED, error="left the collection")
    )
    session.flush()
    return True


def leave_all_collections(session: Session, *, subscriber_id: int, now: datetime) -> int:
    """A global unsubscribe ("stop every e-mail") ends every membership of the address."""
    query = select(CollectionMember.id).where(
        CollectionMember.subscriber_id == subscriber_id, CollectionMember.status != MemberStatus.LEFT
    )
    ids = list(session.exec(query))
    for member_id in ids:
        leave_collection(session, member_id=member_id, now=now)
    return len(ids)


def proven_members() -> Any:
    """A subquery of the addresses that confirmed a membership once (housekeeping keeps them)."""
    return select(CollectionMember.subscriber_id).where(CollectionMember.status != MemberStatus.PENDING)


def issue_period_prefix(collection_id: int) -> str:
    return f"issue:{collection_id}:"


def issue_recipients(
    session: Session, *, collection_id: int, after_id: int = 0, limit: int = 500
) -> list[tuple[CollectionMember, Subscriber]]:
    """Confirmed members whose address does not bounce, by member id after `after_id` (one page)."""
    query = (
        select(CollectionMember, Subscriber)
        .join(Subscriber, col(Subscriber.id) == CollectionMember.subscriber_id)
        .where(
            CollectionMember.collection_id == collection_id,
            CollectionMember.status == MemberStatus.CONFIRMED,
            Subscriber.status != SubscriberStatus.SUSPENDED,
            col(CollectionMember.id) > after_id,
        )
        .order_by(col(CollectionMember.id))
        .limit(limit)
    )
    return [(m, s) for m, s in session.exec(query)]


def member_counts(session: Session, *, collection_id: int) -> dict[str, int]:
    query = (
        select(CollectionMember.status, func.count())
        .where(CollectionMember.collection_id == collection_id)
        .group_by(CollectionMember.status)
    )
    counts = {status.value: 0 for status in MemberStatus}
    counts.update({status: int(n) for status, n in session.exec(query)})
    return counts


def issues_of(session: Session, *, collection_id: int) -> list[CollectionIssue]:
    query = (
        select(CollectionIssue)
        .where(CollectionIssue.collection_id == collection_id)
        .order_by(col(CollectionIssue.number).desc())
    )
    return list(session.exec(query))


def issue(session: Session, *, issue_id: int) -> CollectionIssue | None:
    return session.get(CollectionIssue, issue_id)


def unsent_items(session: Session, *, collection_id: int) -> list[CollectionItem]:
    """Accepted calls, in collection order, that no earlier issue of this collection carried."""
    sent: set[int] = set()
    for ids in session.exec(
        select(CollectionIssue.call_ids).where(CollectionIssue.collection_id == collection_id)
    ):
        sent.update(ids or [])
    query = (
        select(CollectionItem)
        .where(CollectionItem.collection_id == collection_id, CollectionItem.state == ItemState.ACCEPTED)
        .order_by(col(CollectionItem.position), col(CollectionItem.id))
    )
    return [item for item in session.exec(query) if item.call_id not in sent]


def record_issue(
    session: Session,
    *,
    collection_id: int,
    number: int,
    call_ids: Sequence[int],
    by: int | None,
    now: datetime,
    subject: str,
) -> CollectionIssue | None:
    """Record issue `number` (the one after the last); None when that number exists already."""
    row = CollectionIssue(
        collection_id=collection_id,
        number=number,
        call_ids=list(call_ids),
        sent_by=by,
        created_at=now,
        subject=subject,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def next_issue_number(session: Session, *, collection_id: int) -> int:
    query = select(func.max(CollectionIssue.number)).where(CollectionIssue.collection_id == collection_id)
    return int(session.exec(query).one() or 0) + 1


def count_recipients(session: Session, *, issue_id: int, recipients: int) -> None:
    row = session.get(CollectionIssue, issue_id)
    if row is not None:
        row.recipients = recipients
        session.add(row)
        session.flush()


def record_interest(
    session: Session, *, member_id: int, call_id: int, issue_id: int | None, now: datetime
) -> bool:
    """True when this member had not said it for this call before."""
    row = session.get(CollectionMember, member_id)
    if row is None:
        return False
    found = select(Interest.id).where(Interest.member_id == member_id, Interest.call_id == call_id)
    if session.exec(found).first() is not None:
        return False
    interest = Interest(
        collection_id=row.collection_id,
        member_id=member_id,
        call_id=call_id,
        issue_id=issue_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(interest)
            session.flush()
    except IntegrityError:  # the same click from two tabs at once
        return False
    return True


def interest_by_call(session: Session, *, collection_id: int) -> dict[int, tuple[int, list[str]]]:
    """call id → (how many members are interested, the names of those who chose to be visible)."""
    query = (
        select(
            Interest.call_id,
            CollectionMember.visible,
            CollectionMember.display_name,
            CollectionMember.organisation,
        )
        .join(CollectionMember, col(CollectionMember.id) == Interest.member_id)
        .where(Interest.collection_id == collection_id)
        .order_by(col(Interest.created_at), col(Interest.id))
    )
    result: dict[int, tuple[int, list[str]]] = {}
    for call_id, visible, name, organisation in session.exec(query):
        count, names = result.get(call_id, (0, []))
        # Shown as the member typed it; never their address, which they did not agree to show.
        if visible and (name or organisation):
            names.append(f"{name} ({organisation})" if name and organisation else name or organisation)
        result[call_id] = (count + 1, names)
    return result
