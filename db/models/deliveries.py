"""The e-mail queue's tables: Delivery, one message owed to one address for one period, and
DeliveryBody, that message's bytes.

Owns: the `delivery` columns, its idempotence key and the index a lease reads
(`ix_delivery_due`: status, due time, id), the `deliverybody` table, DeliveryStatus and DeliveryKind.
The body (about 85 kB a digest) lives in its own table so that leasing, which reads only the
small columns through the index, never walks a message's overflow pages.
Must not: hold behaviour (claims and leases live in `db/repo/deliveries.py`); the schema changes only
through Alembic.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.columns import fk_field, list_field, utc_field


class DeliveryStatus(StrEnum):
    # Owed; sent when next_attempt_at has come. A lease moves next_attempt_at to the lease's end,
    # so a row leased to a sender that died is due again once its lease has run out.
    PENDING = "pending"
    SENT = "sent"  # the server answered 250
    FAILED = "failed"  # permanent refusal (5xx) or the address is no longer mailable
    EXPIRED = "expired"  # transient failures until give_up_at: never sent late
    SKIPPED = "skipped"  # nothing to say this period (empty digest) or too late to be useful


class DeliveryKind(StrEnum):
    CONFIRMATION = "confirmation"
    DIGEST = "digest"
    REMINDER = "reminder"
    ALERT = "alert"  # change alert for tracked calls
    OPERATOR = "operator"  # source-health alert to the operator address
    MEMBER_CONFIRMATION = "member-confirm"  # double opt-in to one collection's newsletter
    COLLECTION_ISSUE = "issue"  # one issue of a collection's newsletter to one member
    SIGN_IN = "sign-in"  # an owner's e-mailed sign-in link (one period per link)
    INVITATION = "invitation"  # a co-editor's invitation to a collection, with a sign-in link
    CHAT = "chat"  # a copy of a message to one chat target (`chat_target_id`)
    CHAT_SUSPENDED = "chat-suspended"  # tells a target's owner it was suspended


class Delivery(SQLModel, table=True):
    """One e-mail owed to one address for one period; the unique key makes sends idempotent.

    The row is claimed (inserted) before the message is sent and marked sent
    after the server's 250, and it keeps the rendered message (in `DeliveryBody`):
    a retry or a restart sends the very same bytes with the same Message-ID.
    """

    __table_args__ = (
        UniqueConstraint("subscriber_id", "kind", "period_key", name="uq_delivery_period"),
        # A lease is one range read of this index: pending rows in due order.
        Index("ix_delivery_due", "status", "next_attempt_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int | None = fk_field("subscriber.id", nullable=True, ondelete="SET NULL")
    kind: str = Field(max_length=20)
    period_key: str = Field(max_length=120)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=10)
    to_address: str = Field(default="", max_length=320)
    subject: str | None = Field(default=None, sa_type=Text)
    message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = utc_field()
    sent_at: datetime | None = utc_field(default=None)
    next_attempt_at: datetime | None = utc_field(default=None)
    lease_until: datetime | None = utc_field(default=None)
    give_up_at: datetime | None = utc_field(default=None)
    attempts: int = 0
    last_code: int | None = None
    error: str | None = Field(default=None, sa_type=Text)
    # What the message covers: the window of a digest, the last change id of an alert.
    covered_from: datetime | None = utc_field(default=None)
    covered_until: datetime | None = utc_field(default=None)
    watermark: int | None = None
    call_ids: list[int] = list_field()
    # Set on chat copies only: the target the message goes to (its period key names it too).
    # Indexed but no foreign key, on purpose: SQLite cannot add one with ON DELETE to `delivery`
    # without rebuilding the table (which cascades to the shown-log and the bodies, see migration
    # 0014), and one without would make erasing a subscriber (whose targets go with them) fail.
    # A copy whose target is gone is skipped by the sender; removing a target skips its copies.
    chat_target_id: int | None = Field(default=None, index=True)


class DeliveryBody(SQLModel, table=True):
    """The stored bytes of one delivery's message, exactly as they go on the wire.

    Dropped (the row deleted) when the body is no longer needed; the delivery stays as the record.
    """

    delivery_id: int = Field(
        sa_column=Column(Integer, ForeignKey("delivery.id", ondelete="CASCADE"), primary_key=True)
    )
    message: bytes = Field(sa_type=LargeBinary)
