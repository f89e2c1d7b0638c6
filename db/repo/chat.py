"""Chat targets: adding, listing, removing and re-activating them, and what their sends did.

Owns every read and write of `chattarget` and the suspension rule's bookkeeping: a refusal
(`record_chat_refusal`) counts, a success resets the count, and the `suspend_after`-th refusal in a
row suspends the target; removing a target skips the copies still owed to it. The operator's
targets (no subscriber, no collection) are kept in step with the settings by `sync_operator_chat_targets`.

Must not: seal, unseal, mask or check URLs (the caller hands in sealed and masked values), or commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from db.models import ChatKind, ChatStatus, ChatTarget, Delivery, DeliveryStatus


def add_chat_target(
    session: Session,
    *,
    subscriber_id: int | None,
    collection_id: int | None = None,
    sealed_url: str,
    fingerprint: str,
    masked: str,
    kinds: Sequence[str],
    now: datetime,
    label: str = "",
    known_as: Sequence[str] = (),
) -> ChatTarget | None:
    """A new target; None when its owner already has one with the same URL (`known_as`: the URL's
    fingerprints under old secrets, so a target stored before a rotation still counts)."""
    query = select(ChatTarget.id).where(
        col(ChatTarget.fingerprint).in_([fingerprint, *known_as]),
        _same(ChatTarget.subscriber_id, subscriber_id),
        _same(ChatTarget.collection_id, collection_id),
    )
    if session.exec(query).first() is not None:
        return None
    row = ChatTarget(
        subscriber_id=subscriber_id, collection_id=collection_id, sealed_url=sealed_url,
        fingerprint=fingerprint, masked=masked, label=label, kinds=sorted(set(kinds)), created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _same(column: Any, value: int | None) -> Any:
    """`column = value`, where a None owner is SQL's IS NULL (= NULL is never true)."""
    return col(column).is_(None) if value is None else col(column) == value


def all_chat_targets(session: Session) -> list[ChatTarget]:
    return list(session.exec(select(ChatTarget).order_by(col(ChatTarget.id))).all())


def reseal_chat_target(session: Session, *, target_id: int, sealed_url: str, fingerprint: str) -> None:
    row = session.get(ChatTarget, target_id)
    if row is not None:
        row.sealed_url, row.fingerprint = sealed_url, fingerprint
        session.add(row)


def get_chat_target(session: Session, *, target_id: int) -> ChatTarget | None:
    return session.get(ChatTarget, target_id, populate_existing=True)


def chat_target_for_delivery(session: Session, *, delivery_id: int) -> ChatTarget | None:
    """The target a chat copy goes to (None: not a chat copy, or its target was removed)."""
    query = select(ChatTarget).join(Delivery, col(Delivery.chat_target_id) == col(ChatTarget.id))
    return session.exec(query.where(Delivery.id == delivery_id)).first()


def chat_targets_of(
    session: Session, *, subscriber_id: int | None = None, collection_id: int | None = None
) -> list[ChatTarget]:
    """A subscriber's or a collection's targets, oldest first."""
    query = select(ChatTarget)
    if collection_id is not None:
        query = query.where(ChatTarget.collection_id == collection_id)
    else:
        query = query.where(
            ChatTarget.subscriber_id == subscriber_id, col(ChatTarget.collection_id).is_(None)
        )
    return list(session.exec(query.order_by(col(ChatTarget.id))).all())


def active_chat_targets(
    session: Session, *, subscriber_ids: Sequence[int], kind: str
) -> dict[int, list[ChatTarget]]:
    """Each subscriber's own active targets that want messages of `kind`."""
    if not subscriber_ids:
        return {}
    query = select(ChatTarget).where(
        col(ChatTarget.subscriber_id).in_(list(subscriber_ids)),
        col(ChatTarget.collection_id).is_(None),
        ChatTarget.status == ChatStatus.ACTIVE,
    )
    found: dict[int, list[ChatTarget]] = {}
    for row in session.exec(query.order_by(col(ChatTarget.id))):
        if kind in row.kinds and row.subscriber_id is not None:
            found.setdefault(row.subscriber_id, []).append(row)
    return found


def remove_chat_target(session: Session, *, target_id: int, now: datetime) -> None:
    """Delete the target; the copies still owed to it are skipped (they keep its id as the record)."""
    session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(col(Delivery.chat_target_id) == target_id, col(Delivery.status) == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, error="the chat target was removed", lease_until=None)
        .execution_options(synchronize_session=False)
    )
    row = session.get(ChatTarget, target_id)
    if row is not None:
        session.delete(row)
        session.flush()


def reactivate_chat_target(session: Session, *, target_id: int) -> None:
    row = session.get(ChatTarget, target_id)
    if row is not None:
        row.status, row.consecutive_failures, row.suspended_at = ChatStatus.ACTIVE, 0, None
        session.add(row)


def record_chat_success(session: Session, *, target_id: int) -> None:
    row = session.get(ChatTarget, target_id)
    if row is not None and (row.consecutive_failures or row.last_error):
        row.consecutive_failures, row.last_error = 0, None
        session.add(row)


def record_chat_error(session: Session, *, target_id: int, error: str) -> None:
    """A failure that does not count towards suspension (5xx, 429, timeouts): noted, not counted."""
    row = session.get(ChatTarget, target_id)
    if row is not None:
        row.last_error = error
        session.add(row)


def record_chat_refusal(
    session: Session, *, target_id: int, error: str, suspend_after: int, now: datetime
) -> bool:
    """Count one refusal (a 4xx); True when this one suspended the target."""
    row = session.get(ChatTarget, target_id, populate_existing=True)
    if row is None or row.status != ChatStatus.ACTIVE:
        return False
    row.consecutive_failures += 1
    row.last_error = error
    suspended = row.consecutive_failures >= suspend_after
    if suspended:
        row.status, row.suspended_at = ChatStatus.SUSPENDED, now
    session.add(row)
    return suspended


def sync_operator_chat_targets(
    session: Session, *, wanted: dict[str, tuple[Any, ...]], now: datetime
) -> list[ChatTarget]:
    """Make the operator's targets those of the settings (fingerprint -> (sealed, masked, and
    optionally the URL's fingerprints under old secrets)); the active ones back. A target dropped
    from the settings is removed."""
    query = select(ChatTarget).where(
        col(ChatTarget.subscriber_id).is_(None), col(ChatTarget.collection_id).is_(None)
    )
    have = {row.fingerprint: row for row in session.exec(query)}
    for fingerprint, (sealed, _masked, *older) in wanted.items():
        # Stored before a secret rotation: the same URL under an old fingerprint keeps its row.
        old = next((f for f in (older[0] if older else ()) if f in have and f not in wanted), None)
        if fingerprint not in have and old is not None:
            row = have.pop(old)
            row.fingerprint, row.sealed_url = fingerprint, sealed
            session.add(row)
            have[fingerprint] = row
    for fingerprint, row in list(have.items()):
        if fingerprint not in wanted and row.id is not None:
            remove_chat_target(session, target_id=row.id, now=now)
    for fingerprint, (sealed, masked, *_older) in wanted.items():
        if fingerprint not in have:
            have[fingerprint] = add_chat_target(
                session, subscriber_id=None, sealed_url=sealed, fingerprint=fingerprint, masked=masked,
                kinds=[ChatKind.OPERATOR], now=now,
            )  # type: ignore[assignment]  # fmt: skip
    return [have[f] for f in wanted if have.get(f) is not None and have[f].status == ChatStatus.ACTIVE]
