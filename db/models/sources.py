"""Tables of the configured sources and their polls: Source (with its health) and FetchRun.

Owns: the `source` and `fetchrun` columns and RunStatus.
Must not: hold behaviour (queries live in `db/repo/sources.py`); the schema changes only through Alembic.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from db.models.columns import dict_field, list_field, utc_field


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    # The answer would have unlisted all or most of the source's calls (a search backend's outage
    # looks like "no results"): nothing changed, and it counts as a failure.
    SUSPECT_EMPTY = "suspect_empty"
    # The process running the poll died (its heartbeat stopped); found by the next poll or worker.
    CRASHED = "crashed"
    # A pass that asked only for what changed (the portal's hourly pass): a success that unlists
    # nothing and says nothing about whether a whole read would be complete.
    INCREMENTAL = "incremental"


class Source(SQLModel, table=True):
    """A configured source, mirrored from config/sources/*.toml, with its health."""

    id: str = Field(primary_key=True, max_length=63)
    name: str
    kind: str = Field(max_length=40)
    url: str
    enabled: bool = True
    interval_seconds: int = 21600
    alert_after_failures: int = 2
    alert_after_incomplete: int = 3
    created_at: datetime = utc_field()
    last_run_at: datetime | None = utc_field(default=None)
    last_success_at: datetime | None = utc_field(default=None)
    last_status: str | None = Field(default=None, max_length=20)
    last_error: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = 0
    # Polls in a row that ended incomplete (some pages failed); alerts like failures past a threshold.
    consecutive_incomplete: int = 0
    listed_calls: int = 0
    # HTTP validators per URL ({url: {"etag": ..., "last_modified": ...}}) for conditional GET, with
    # what a kind keeps beside them (ECCP: the parsed call, "call"), and under the key "kind-state"
    # (sources.base.STATE_KEY) a kind's state between polls (ft-portal: high-water mark, last full sweep).
    validators: dict[str, Any] = dict_field()


class FetchRun(SQLModel, table=True):
    """One poll of one source: what came back, what it changed, how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(
        sa_column=Column(String(63), ForeignKey("source.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    started_at: datetime = utc_field()
    finished_at: datetime | None = utc_field(default=None)
    # Renewed while the run is alive; a running run whose heartbeat is old belongs to a dead process.
    heartbeat_at: datetime | None = utc_field(default=None)
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
    warnings: list[str] = list_field()
