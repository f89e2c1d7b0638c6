"""SQLModel tables: sources and their runs, calls with deadlines and history,
subscribers with profiles, consents, tracked calls and deliveries, and the web's rate-limit hits.

Must not: hold behaviour. Queries and writes live in `db/repo/`; the
schema is changed only through Alembic migrations in `db/migrations/`.
Enumerations are stored as short strings (not native PostgreSQL enums) so
a new value never needs an ALTER TYPE.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from db.types import JSONDict, JSONList, UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=JSONList)


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_type=JSONDict)


def _money() -> Any:
    return Field(default=None, sa_type=Numeric(18, 2))


def _fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True),
    )


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    # Too many permanent delivery failures: nothing is sent until the person confirms again.
    SUSPENDED = "suspended"


class Frequency(StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"
    OFF = "off"


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


# --------------------------------------------------------------------------- sources


class Source(SQLModel, table=True):
    """A configured source, mirrored from config/sources/*.toml, with its health."""

    id: str = Field(primary_key=True, max_length=63)
    name: str
    kind: str = Field(max_length=40)
    url: str
    enabled: bool = True
    interval_seconds: int = 21600
    alert_after_failures: int = 2
    created_at: datetime = _utc()
    last_run_at: datetime | None = _utc(default=None)
    last_success_at: datetime | None = _utc(default=None)
    last_status: str | None = Field(default=None, max_length=20)
    last_error: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = 0
    listed_calls: int = 0
    # HTTP validators per URL ({url: {"etag": ..., "last_modified": ...}}) for conditional GET.
    validators: dict[str, Any] = _json_dict()


class FetchRun(SQLModel, table=True):
    """One poll of one source: what came back, what it changed, how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(
        sa_column=Column(String(63), ForeignKey("source.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    started_at: datetime = _utc()
    finished_at: datetime | None = _utc(default=None)
    status: str = Field(default=RunStatus.RUNNING, max_length=20)
    items_found: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    unlisted: int = 0
    requests: int = 0
    bytes: int = 0
    duration_ms: int | None = None
    error: str | None = Field(default=None, sa_type=Text)
    warnings: list[str] = _json_list()


# --------------------------------------------------------------------------- calls


class Call(SQLModel, table=True):
    """A funding call as Callwatch knows it, one row per (source, key)."""

    __table_args__ = (
        UniqueConstraint("source_id", "key", name="uq_call_source_key"),
        Index("ix_call_status_next_deadline", "status", "next_deadline_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(
        sa_column=Column(String(63), ForeignKey("source.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    key: str = Field(max_length=300)
    title: str = Field(sa_type=Text)
    url: str | None = Field(default=None, sa_type=Text)
    summary_html: str | None = Field(default=None, sa_type=Text)
    summary_text: str | None = Field(default=None, sa_type=Text)
    conditions_html: str | None = Field(default=None, sa_type=Text)
    conditions_text: str | None = Field(default=None, sa_type=Text)

    identifier: str | None = Field(default=None, max_length=200, index=True)
    parent_identifier: str | None = Field(default=None, max_length=200)
    parent_title: str | None = Field(default=None, sa_type=Text)
    project: str | None = None
    organisation: str | None = None
    language: str | None = Field(default=None, max_length=10)

    programme: str | None = None
    programme_code: str | None = Field(default=None, max_length=40)
    type_of_action: str | None = None
    funding_type: str | None = Field(default=None, max_length=20)
    status: str = Field(default="unknown", max_length=20)
    status_hint: str | None = Field(default=None, max_length=20)
    deadline_model: str | None = Field(default=None, max_length=20)

    published_at: datetime | None = _utc(default=None)
    opens_at: datetime | None = _utc(default=None)
    next_deadline_at: datetime | None = _utc(default=None)
    final_deadline_at: datetime | None = _utc(default=None)

    budget_total: Decimal | None = _money()
    budget_currency: str | None = Field(default=None, max_length=3)
    budget_text: str | None = Field(default=None, sa_type=Text)
    contribution_min: Decimal | None = _money()
    contribution_max: Decimal | None = _money()
    expected_grants: int | None = None

    countries: list[str] = _json_list()
    country_groups: list[str] = _json_list()
    countries_text: str | None = Field(default=None, sa_type=Text)
    org_types: list[str] = _json_list()
    org_types_text: str | None = Field(default=None, sa_type=Text)
    ecosystems: list[str] = _json_list()
    keywords: list[str] = _json_list()
    sme_relevant: bool | None = None

    extra: dict[str, Any] = _json_dict()
    warnings: list[str] = _json_list()
    content_hash: str = Field(max_length=64)
    first_seen_at: datetime = _utc()
    last_changed_at: datetime = _utc()
    listed: bool = True
    unlisted_at: datetime | None = _utc(default=None)
    # Cross-source reconciliation (monitor/reconcile.py): the id of the record users see for
    # this call when other sources list it too; None when no other source does.
    group_id: int | None = Field(default=None, index=True)


class Deadline(SQLModel, table=True):
    """One deadline stage or cut-off of a call, in UTC, with the source's wording."""

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = _fk("call.id")
    position: int = 0
    label: str | None = None
    at: datetime = _utc(index=True)
    text: str = Field(default="", sa_type=Text)
    date_only: bool = False
    tentative: bool = False
    closed: bool = False


class CallChange(SQLModel, table=True):
    """A typed history line: one field of one call changed in one run."""

    __table_args__ = (Index("ix_callchange_call_at", "call_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = _fk("call.id")
    run_id: int | None = _fk("fetchrun.id", nullable=True, ondelete="SET NULL")
    at: datetime = _utc(index=True)
    field: str = Field(max_length=40)
    kind: str = Field(max_length=10)
    old_value: str | None = Field(default=None, sa_type=Text)
    new_value: str | None = Field(default=None, sa_type=Text)


# --------------------------------------------------------------------------- people


class Subscriber(SQLModel, table=True):
    """One e-mail address with its delivery preferences and consent state."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, sa_column_kwargs={"unique": True})
    language: str = Field(default="en", max_length=10)
    timezone: str = Field(default="Europe/Brussels", max_length=64)
    digest_weekday: int = 0  # Monday
    digest_hour: int = 8
    status: str = Field(default=SubscriberStatus.PENDING, max_length=20)
    created_at: datetime = _utc()
    confirmed_at: datetime | None = _utc(default=None)
    unsubscribed_at: datetime | None = _utc(default=None)
    confirmation_sent_at: datetime | None = _utc(default=None)
    suspended_at: datetime | None = _utc(default=None)
    hard_bounces: int = 0
    # Bumped to revoke every signed link and private feed issued before.
    token_version: int = 1
    # Bumped by "reset my feed links": revokes the tracked-calls calendar link, not e-mailed links.
    feed_token_version: int = 1


class Profile(SQLModel, table=True):
    """Matching criteria of one subscriber, in terms a user understands."""

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = _fk("subscriber.id")
    name: str = "My calls"
    keywords: list[str] = _json_list()
    exclude: list[str] = _json_list()
    countries: list[str] = _json_list()
    org_types: list[str] = _json_list()
    ecosystems: list[str] = _json_list()
    programmes: list[str] = _json_list()
    funding_types: list[str] = _json_list()
    budget_min: Decimal | None = _money()
    budget_max: Decimal | None = _money()
    min_days_left: int | None = None
    frequency: str = Field(default=Frequency.WEEKLY, max_length=10)
    feed_token_version: int = 1
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class Consent(SQLModel, table=True):
    """Consent events (subscribed, confirmed, unsubscribed), with time and origin."""

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = _fk("subscriber.id")
    event: str = Field(max_length=20)
    at: datetime = _utc()
    source: str = Field(max_length=40)  # web, cli, one-click, operator
    detail: str | None = Field(default=None, sa_type=Text)


class TrackedCall(SQLModel, table=True):
    """A call a subscriber follows for reminders and change alerts."""

    __table_args__ = (UniqueConstraint("subscriber_id", "call_id", name="uq_tracked_subscriber_call"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = _fk("subscriber.id")
    call_id: int = _fk("call.id")
    created_at: datetime = _utc()


class Dismissal(SQLModel, table=True):
    """A call marked "not relevant" for a profile; it never shows there again."""

    __table_args__ = (UniqueConstraint("profile_id", "call_id", name="uq_dismissal_profile_call"),)

    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = _fk("profile.id")
    call_id: int = _fk("call.id")
    created_at: datetime = _utc()


class Delivery(SQLModel, table=True):
    """One e-mail owed to one address for one period; the unique key makes sends idempotent.

    The row is claimed (inserted) before the message is sent and marked sent
    after the server's 250, and it keeps the rendered message: a retry or a
    restart sends the very same bytes with the same Message-ID.
    """

    __table_args__ = (UniqueConstraint("subscriber_id", "kind", "period_key", name="uq_delivery_period"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int | None = _fk("subscriber.id", nullable=True, ondelete="SET NULL")
    kind: str = Field(max_length=20)
    period_key: str = Field(max_length=120)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=10, index=True)
    to_address: str = Field(default="", max_length=320)
    subject: str | None = Field(default=None, sa_type=Text)
    message: bytes | None = Field(default=None, sa_type=LargeBinary)
    message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(default=None)
    next_attempt_at: datetime | None = _utc(default=None, index=True)
    lease_until: datetime | None = _utc(default=None)
    give_up_at: datetime | None = _utc(default=None)
    attempts: int = 0
    last_code: int | None = None
    error: str | None = Field(default=None, sa_type=Text)
    # What the message covers: the window of a digest, the last change id of an alert.
    covered_from: datetime | None = _utc(default=None)
    covered_until: datetime | None = _utc(default=None)
    watermark: int | None = None
    call_ids: list[int] = _json_list()


# --------------------------------------------------------------------------- web


class RateHit(SQLModel, table=True):
    """One counted attempt in a rate-limited bucket (sign-ups per client, per address, ...).

    Kept in the database so every web process counts the same attempts; rows
    older than the longest window are pruned. A bucket never holds an address
    in clear (the web layer stores an HMAC of it).
    """

    __table_args__ = (Index("ix_ratehit_bucket_at", "bucket", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=80)
    at: datetime = _utc(index=True)
