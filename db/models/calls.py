"""Tables of the calls: Call (one row per source and key), its Deadline stages and its CallChange history.

Owns: the `call`, `deadline` and `callchange` columns and indexes.
Must not: hold behaviour (queries live in `db/repo/`); the schema changes only through Alembic.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.columns import dict_field, fk_field, list_field, money_field, utc_field


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

    published_at: datetime | None = utc_field(default=None)
    opens_at: datetime | None = utc_field(default=None)
    next_deadline_at: datetime | None = utc_field(default=None)
    final_deadline_at: datetime | None = utc_field(default=None)

    budget_total: Decimal | None = money_field()
    budget_currency: str | None = Field(default=None, max_length=3)
    budget_text: str | None = Field(default=None, sa_type=Text)
    contribution_min: Decimal | None = money_field()
    contribution_max: Decimal | None = money_field()
    expected_grants: int | None = None

    countries: list[str] = list_field()
    country_groups: list[str] = list_field()
    countries_text: str | None = Field(default=None, sa_type=Text)
    org_types: list[str] = list_field()
    org_types_text: str | None = Field(default=None, sa_type=Text)
    org_types_exclusive: bool | None = None  # see monitor.model.call.CallIn
    ecosystems: list[str] = list_field()
    keywords: list[str] = list_field()
    sme_relevant: bool | None = None

    extra: dict[str, Any] = dict_field()
    warnings: list[str] = list_field()
    content_hash: str = Field(max_length=64)
    # `monitor.normalise.call.raw_digest` of the record the source gave (with the normaliser's version):
    # equal on the next poll, the record is not normalised again (issue #18). None: not known yet.
    raw_digest: str | None = Field(default=None, max_length=64)
    first_seen_at: datetime = utc_field()
    last_changed_at: datetime = utc_field()
    listed: bool = True
    unlisted_at: datetime | None = utc_field(default=None)
    # Evidence before unlisting: since when, and in how many complete polls, the source no longer
    # showed this call (reset when it shows it again).
    missing_since: datetime | None = utc_field(default=None)
    missed_polls: int = 0
    # Cross-source reconciliation (monitor/poll/reconcile.py): the id of the record users see for
    # this call when other sources list it too; None when no other source does.
    group_id: int | None = Field(default=None, index=True)


class Deadline(SQLModel, table=True):
    """One deadline stage or cut-off of a call, in UTC, with the source's wording."""

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = fk_field("call.id")
    position: int = 0
    label: str | None = None
    at: datetime = utc_field(index=True)
    text: str = Field(default="", sa_type=Text)
    date_only: bool = False
    tentative: bool = False
    closed: bool = False
    # The source's own instant when a documented rule moved `at` (portal topics' 17:00 Brussels).
    published_at: datetime | None = utc_field(default=None)


class CallChange(SQLModel, table=True):
    """A typed history line: one field of one call changed in one run."""

    __table_args__ = (Index("ix_callchange_call_at", "call_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = fk_field("call.id")
    run_id: int | None = fk_field("fetchrun.id", nullable=True, ondelete="SET NULL")
    at: datetime = utc_field(index=True)
    field: str = Field(max_length=40)
    kind: str = Field(max_length=10)
    old_value: str | None = Field(default=None, sa_type=Text)
    new_value: str | None = Field(default=None, sa_type=Text)
