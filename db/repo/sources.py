"""Sources and their runs: the mirrored config, each poll's run row, health and HTTP validators.

Owns: the `source` and `fetchrun` rows: syncing a source's config, opening and closing a run
(which updates the source's failure streak and listed count), the Health read of a source, and
the per-URL validators kept for conditional GET.
Must not: decide when a failing source is worth an alert (`monitor.poll.health` does) or commit
(the caller's `session_scope` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.models import Call, FetchRun, RunStatus, Source
from monitor.model.source import Health

# Runs that extend the failure streak: a suspect-empty answer changed nothing and is no success.
FAILURE_STATUSES = frozenset({RunStatus.FAILED, RunStatus.SUSPECT_EMPTY})


def sync_source(session: Session, *, config: Any, now: datetime) -> Source:
    """Mirror one validated source config into the `source` table."""
    row = session.get(Source, config.id)
    if row is None:
        row = Source(id=config.id, name=config.name, kind=config.kind, url=config.url, created_at=now)
    row.name, row.kind, row.url, row.enabled = config.name, config.kind, config.url, config.enabled
    row.interval_seconds = config.interval_seconds
    row.alert_after_failures = config.alert_after_failures
    session.add(row)
    # No ORM relationships link the tables, so flush now: runs and calls reference this row.
    session.flush()
    return row


def source_health(session: Session, *, source_id: str) -> Health | None:
    source = session.get(Source, source_id)
    return _health(source) if source is not None else None


def failing_sources(session: Session) -> list[Health]:
    """Enabled sources whose failure streak has reached their alert threshold."""
    query = select(Source).where(
        col(Source.enabled), Source.consecutive_failures >= Source.alert_after_failures
    )
    return [_health(source) for source in session.exec(query.order_by(col(Source.id)))]


def _health(source: Source) -> Health:
    return Health(
        source_id=source.id, name=source.name, consecutive_failures=source.consecutive_failures,
        alert_after_failures=source.alert_after_failures, last_success_at=source.last_success_at,
        last_error=source.last_error,
    )  # fmt: skip


def list_sources(session: Session) -> Sequence[Source]:
    return session.exec(select(Source).order_by(col(Source.id))).all()


def start_run(session: Session, *, source_id: str, now: datetime) -> FetchRun:
    run = FetchRun(source_id=source_id, started_at=now, status=RunStatus.RUNNING)
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, *, run_id: int, status: RunStatus, now: datetime, **values: Any) -> FetchRun:
    """Close a run and update its source's health (last success, failure streak)."""
    run = session.get(FetchRun, run_id)
    assert run is not None, f"run {run_id} vanished"
    run.status, run.finished_at = status, now
    run.duration_ms = int((now - run.started_at).total_seconds() * 1000)
    for name, value in values.items():
        setattr(run, name, value)
    source = session.get(Source, run.source_id)
    if source is not None:
        _update_health(source, run, now)
    session.add(run)
    return run


def _update_health(source: Source, run: FetchRun, now: datetime) -> None:
    source.last_run_at, source.last_status = now, run.status
    if run.status in FAILURE_STATUSES:
        source.consecutive_failures += 1
        source.last_error = run.error
    else:
        source.consecutive_failures = 0
        source.last_success_at = now
        source.last_error = None
    source.listed_calls = _listed_count(source)


def _listed_count(source: Source) -> int:
    session = Session.object_session(source)
    assert session is not None
    query = select(func.count()).select_from(Call).where(Call.source_id == source.id, col(Call.listed))
    return int(session.exec(query).one())


def source_validators(session: Session, *, source_id: str) -> dict[str, dict[str, str]]:
    source = session.get(Source, source_id)
    return dict(source.validators) if source is not None else {}


def save_validators(session: Session, *, source_id: str, validators: dict[str, dict[str, str]]) -> None:
    source = session.get(Source, source_id)
    if source is not None and validators and validators != source.validators:
        source.validators = {**source.validators, **validators}
        session.add(source)


def recent_runs(session: Session, *, source_id: str, limit: int = 10) -> Sequence[FetchRun]:
    query = select(FetchRun).where(FetchRun.source_id == source_id)
    return session.exec(query.order_by(col(FetchRun.id).desc()).limit(limit)).all()
