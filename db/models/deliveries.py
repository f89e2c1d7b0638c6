"""The e-mail queue's table: Delivery, one message owed to one address for one period.

Owns: the `delivery` columns and its idempotence key, DeliveryStatus and DeliveryKind.
Must not: hold behaviour (claims and leases live in `db/repo/deliveries.py`); the schema changes only
through Alembic.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.columns import fk_field, list_field, utc_field


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # owed; sent when next_attempt_at has come and no live lease holds it
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


class Delivery(SQLModel, table=True):
    """One e-mail owed to one address for one period; the unique key makes sends idempotent.

    The row is claimed (inserted) before the message is sent and marked sent
    after the server's 250, and it keeps the rendered message: a retry or a
    restart sends the very same bytes with the same Message-ID.
    """

    __table_args__ = (UniqueConstraint("subscriber_id", "kind", "period_key", name="uq_delivery_period"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int | None = fk_field("subscriber.id", nullable=True, ondelete="SET NULL")
    kind: str = Field(max_length=20)
    period_key: str = Field(max_length=120)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=10, index=True)
    to_address: str = Field(default="", max_length=320)
    subject: str | None = Field(default=None, sa_type=Text)
    message: bytes | None = Field(default=None, sa_type=LargeBinary)
    message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = utc_field()
    sent_at: datetime | None = utc_field(default=None)
    next_attempt_at: datetime | None = utc_field(default=None, index=True)
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
