"""Tables of curation: collections of calls with notes, their co-editors, and the owners' sign-in.

Owns: the columns and keys of `collection`, `collectioneditor`, `collectionitem`, `signinlink` and
`websession`, and ItemState / EditorRole.
Must not: hold behaviour (queries live in `db/repo/collections.py` and `db/repo/signin.py`); the
schema changes only through Alembic. A sign-in link or a session is stored only as a hash of its
secret part: the table alone never lets anyone sign in.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.columns import fk_field, utc_field


class ItemState(StrEnum):
    ACCEPTED = "accepted"  # in the collection, published
    # Dismissed from the review queue: the row stays so the call never comes back there.
    DISMISSED = "dismissed"


class EditorRole(StrEnum):
    EDITOR = "editor"


class Collection(SQLModel, table=True):
    """A named, ordered selection of calls that one owner (and co-editors) curate and publish."""

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = fk_field("subscriber.id")
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    language: str = Field(default="en", max_length=10)
    # Random, in the public feed and page addresses; replaced to unpublish every address at once.
    public_key: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    # A saved browse filter (the query string of /calls): matching calls wait in the review queue.
    filter_query: str | None = Field(default=None, sa_type=Text)
    # Bumped by every change to what is published: the feeds' ETag and cache key.
    version: int = 1
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class CollectionEditor(SQLModel, table=True):
    """A co-editor invited by e-mail; `accepted_at` is set when they first sign in through the invitation."""

    __table_args__ = (UniqueConstraint("collection_id", "subscriber_id", name="uq_editor_collection"),)

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = fk_field("collection.id")
    subscriber_id: int = fk_field("subscriber.id")
    role: str = Field(default=EditorRole.EDITOR, max_length=20)
    invited_by: int | None = fk_field("subscriber.id", nullable=True, ondelete="SET NULL")
    invited_at: datetime = utc_field()
    accepted_at: datetime | None = utc_field(default=None)


class CollectionItem(SQLModel, table=True):
    """One call in one collection (accepted, with its note and place) or dismissed from its queue."""

    __table_args__ = (
        UniqueConstraint("collection_id", "call_id", name="uq_item_collection_call"),
        Index("ix_item_collection_state_position", "collection_id", "state", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = fk_field("collection.id")
    call_id: int = fk_field("call.id")
    state: str = Field(default=ItemState.ACCEPTED, max_length=20)
    # Plain text as the editor typed it; every renderer escapes it for its format.
    note: str = Field(default="", sa_type=Text)
    position: int = 0
    added_by: int | None = fk_field("subscriber.id", nullable=True, ondelete="SET NULL")
    added_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class SignInLink(SQLModel, table=True):
    """An e-mailed sign-in link: single use, short-lived, bound to the browser that asked for it."""

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = fk_field("subscriber.id")
    # SHA-256 of the link's nonce and of the asking browser's cookie, hex.
    nonce_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    browser_hash: str = Field(max_length=64)
    # Where to go after signing in (a path on this site, checked when the link is made).
    next_path: str = Field(default="/collections", max_length=300)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(default=None)


class WebSession(SQLModel, table=True):
    """A signed-in browser; signing out revokes this row only, not the person's other browsers."""

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = fk_field("subscriber.id")
    key_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = utc_field()
    last_seen_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    revoked_at: datetime | None = utc_field(default=None)
