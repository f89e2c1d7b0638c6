"""Tables of member newsletters: who subscribed to a collection, the issues sent, and interest shown.

Owns: the columns and keys of `collectionmember`, `collectionissue` and `interest`, and MemberStatus.
Must not: hold behaviour (queries live in `db/repo/members.py`); the schema changes only through
Alembic. A member is a Subscriber (one address, one consent history, one erasure) with one row per
collection it joined, so leaving one collection's newsletter touches nothing else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.columns import fk_field, list_field, utc_field


class MemberStatus(StrEnum):
    PENDING = "pending"  # asked to join; the confirmation link has not been followed
    CONFIRMED = "confirmed"  # receives the collection's issues
    LEFT = "left"  # unsubscribed from this collection (one click, or from its page)


class CollectionMember(SQLModel, table=True):
    """One address subscribed to one collection's newsletter, in its own language."""

    __table_args__ = (UniqueConstraint("collection_id", "subscriber_id", name="uq_member_collection"),)

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = fk_field("collection.id")
    subscriber_id: int = fk_field("subscriber.id")
    status: str = Field(default=MemberStatus.PENDING, max_length=20)
    language: str = Field(default="en", max_length=10)
    # Shown to the collection's editors next to the calls this member is interested in, only if
    # the member ticked "show my name"; otherwise they count, anonymously.
    visible: bool = False
    display_name: str = Field(default="", max_length=120)
    organisation: str = Field(default="", max_length=200)
    joined_at: datetime = utc_field()
    confirmation_sent_at: datetime | None = utc_field(default=None)
    confirmed_at: datetime | None = utc_field(default=None)
    left_at: datetime | None = utc_field(default=None)


class CollectionIssue(SQLModel, table=True):
    """One newsletter issue: numbered per collection, with the calls it carried."""

    __table_args__ = (UniqueConstraint("collection_id", "number", name="uq_issue_collection_number"),)

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = fk_field("collection.id")
    number: int
    sent_by: int | None = fk_field("subscriber.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = utc_field()
    # The calls as they stood in the collection when the issue went out, in order.
    call_ids: list[int] = list_field()
    recipients: int = 0
    subject: str = Field(default="", sa_type=Text)


class Interest(SQLModel, table=True):
    """A member said "I'm interested" in one call of a collection (once; saying it again changes nothing)."""

    __table_args__ = (
        UniqueConstraint("member_id", "call_id", name="uq_interest_member_call"),
        Index("ix_interest_collection_call", "collection_id", "call_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = fk_field("collection.id")
    member_id: int = fk_field("collectionmember.id")
    call_id: int = fk_field("call.id")
    issue_id: int | None = fk_field("collectionissue.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = utc_field()
