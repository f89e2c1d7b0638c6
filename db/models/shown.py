"""The shown-log's table: which calls, and which typed change of each, a subscriber's digests listed.

Owns: the `shown` columns and their two natural keys. A row with no `change_id` says "this call was
listed for this profile"; a row with one says "this change was listed" (the profile it was listed
for, or none for a call followed only by tracking). The rows are written with the digest's claim, in
its transaction, and count only while their delivery is pending or sent (`db/repo/shown.py`).
Must not: hold behaviour; the schema changes only through Alembic.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from db.models.columns import fk_field, utc_field

# NULLs are distinct in a unique key (SQLite and PostgreSQL alike), so "a call listed for a profile"
# is kept unique by a partial index over the rows without a change.
CALL_ROWS = text("change_id IS NULL")


class Shown(SQLModel, table=True):
    """One call (or one change of it) listed in one digest for one subscriber and profile."""

    __table_args__ = (
        Index(
            "uq_shown_call",
            "subscriber_id",
            "profile_id",
            "call_id",
            unique=True,
            sqlite_where=CALL_ROWS,
            postgresql_where=CALL_ROWS,
        ),
        UniqueConstraint("subscriber_id", "change_id", name="uq_shown_change"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = fk_field("subscriber.id")
    profile_id: int | None = fk_field("profile.id", nullable=True)
    call_id: int = fk_field("call.id")
    change_id: int | None = fk_field("callchange.id", nullable=True)
    delivery_id: int = fk_field("delivery.id")
    shown_at: datetime = utc_field()
