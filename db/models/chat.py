"""The chat-target table: one apprise URL (sealed) that a subscriber or a collection has messages sent to.

Owns: the `chattarget` columns, ChatStatus and the kinds a target may ask for (ChatKind).
The URL is stored only sealed (`monitor.chatseal`); `masked` is what pages, logs and exports show,
and `last_error` is written masked too. A target with neither subscriber nor collection is one
of the operator's (CALLWATCH_OPERATOR_CHAT_URLS), kept in step with the settings by planning.
Must not: hold behaviour (reads and writes live in `db/repo/chat.py`); the schema changes only
through Alembic.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from db.models.columns import fk_field, list_field, utc_field


class ChatStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # refused (4xx) too many times in a row; the owner re-activates it


class ChatKind(StrEnum):
    DIGEST = "digest"
    REMINDER = "reminder"
    ALERT = "alert"  # change alerts for tracked calls
    ISSUE = "issue"  # a collection's issues
    OPERATOR = "operator"  # source-health alerts (the operator's targets only)


class ChatTarget(SQLModel, table=True):
    """One chat channel a subscriber, a collection or the operator has messages copied to."""

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int | None = fk_field("subscriber.id", nullable=True)
    collection_id: int | None = fk_field("collection.id", nullable=True)
    sealed_url: str = Field(sa_type=Text)
    # A keyed digest of the URL (`Sealer.fingerprint`): the same URL is not added twice.
    fingerprint: str = Field(max_length=64, index=True)
    masked: str = Field(max_length=300)
    label: str = Field(default="", max_length=100)
    kinds: list[str] = list_field()
    status: str = Field(default=ChatStatus.ACTIVE, max_length=10)
    consecutive_failures: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = utc_field()
    suspended_at: datetime | None = utc_field(default=None)
