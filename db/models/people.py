"""Tables of the people: Subscriber, Profile, Consent, TrackedCall, Dismissal, and the web's RateHit.

Owns: their columns and constraints, SubscriberStatus and Frequency.
Must not: hold behaviour (queries live in `db/repo/people.py` and `follows.py`); the schema changes only
through Alembic. A rate-limit bucket never holds an address in clear.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.columns import fk_field, list_field, money_field, utc_field


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


class Subscriber(SQLModel, table=True):
    """One e-mail address with its delivery preferences and consent state."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, sa_column_kwargs={"unique": True})
    language: str = Field(default="en", max_length=10)
    timezone: str = Field(default="Europe/Brussels", max_length=64)
    digest_weekday: int = 0  # Monday
    digest_hour: int = 8
    status: str = Field(default=SubscriberStatus.PENDING, max_length=20)
    created_at: datetime = utc_field()
    confirmed_at: datetime | None = utc_field(default=None)
    unsubscribed_at: datetime | None = utc_field(default=None)
    confirmation_sent_at: datetime | None = utc_field(default=None)
    suspended_at: datetime | None = utc_field(default=None)
    hard_bounces: int = 0
    # Bumped to revoke every signed link and private feed issued before.
    token_version: int = 1
    # Bumped by "reset my feed links": revokes the tracked-calls calendar link, not e-mailed links.
    feed_token_version: int = 1


class Profile(SQLModel, table=True):
    """Matching criteria of one subscriber, in terms a user understands."""

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = fk_field("subscriber.id")
    name: str = "My calls"
    keywords: list[str] = list_field()  # any of these
    keywords_all: list[str] = list_field()  # all of these
    exclude: list[str] = list_field()
    countries: list[str] = list_field()
    org_types: list[str] = list_field()
    ecosystems: list[str] = list_field()
    programmes: list[str] = list_field()
    funding_types: list[str] = list_field()
    budget_min: Decimal | None = money_field()
    budget_max: Decimal | None = money_field()
    min_days_left: int | None = None
    # Names of `monitor.match.criteria.STRICT_CRITERIA`: a call that does not state one is left out.
    strict: list[str] = list_field()
    frequency: str = Field(default=Frequency.WEEKLY, max_length=10)
    feed_token_version: int = 1
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class Consent(SQLModel, table=True):
    """Consent events (subscribed, confirmed, unsubscribed), with time and origin."""

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = fk_field("subscriber.id")
    event: str = Field(max_length=20)
    at: datetime = utc_field()
    source: str = Field(max_length=40)  # web, cli, one-click, operator
    detail: str | None = Field(default=None, sa_type=Text)


class TrackedCall(SQLModel, table=True):
    """A call a subscriber follows for reminders and change alerts."""

    __table_args__ = (UniqueConstraint("subscriber_id", "call_id", name="uq_tracked_subscriber_call"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = fk_field("subscriber.id")
    call_id: int = fk_field("call.id")
    created_at: datetime = utc_field()
    # Asked for on the web but not yet consented to by the inbox's owner (an unconfirmed address,
    # or a confirmed one whose owner has not clicked): kept, so no request is lost, but no mail.
    pending: bool = False


class Dismissal(SQLModel, table=True):
    """A call marked "not relevant" for a profile; it never shows there again."""

    __table_args__ = (UniqueConstraint("profile_id", "call_id", name="uq_dismissal_profile_call"),)

    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = fk_field("profile.id")
    call_id: int = fk_field("call.id")
    created_at: datetime = utc_field()


class RateHit(SQLModel, table=True):
    """One counted attempt in a rate-limited bucket (sign-ups per client, per address, ...).

    Kept in the database so every web process counts the same attempts; rows
    older than the longest window are pruned. A bucket never holds an address
    in clear (the web layer stores an HMAC of it).
    """

    __table_args__ = (Index("ix_ratehit_bucket_at", "bucket", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=80)
    at: datetime = utc_field(index=True)
