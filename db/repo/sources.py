"""Sources and their runs: the mirrored config, each poll's run row, health and HTTP validators.

Owns: the `source` and `fetchrun` rows: syncing a source's config, opening a run, renewing its
heartbeat and closing it (which updates the source's failure streak and listed count), marking the
runs of dead processes `crashed` (a failure like any other), the Health read of a source, and
the per-URL validators kept for conditional GET (with what a kind keeps beside them: ECCP's parsed
call per page, the portal's incremental-pass state under the key "kind-state", `sources.base.STATE_KEY`).
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


def sync_source(session: Session, *, config: Any, now: datetime) -> Source:
    """Mirror one validated source config into the `source` table."""
    row = session.get(Source, config.id)
    if row is None:
        row = Source(id=config.id, name=config.name, kind=config.kind, url=config.url, created_at=now)
    row.name, row.kind, row.url, row.enabled = config.name, config.kind, config.url, config.enabled
    row.interval_seconds = config.interval_seconds
    row.alert_after_failures = config.alert_after_failures
    row.alert_after_incomplete = config.alert_after_incomplete
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


def incomplete_sources(session: Session) -> list[Health]:
    """Enabled sources whose incomplete-poll streak has reached their alert threshold."""
    query = select(Source).where(
        col(Source.enabled), Source.consecutive_incomplete >= Source.alert_after_incomplete
    )
    return [_health(source) for source in session.exec(query.order_by(col(Source.id)))]


def streak_start(session: Session, *, source_id: str) -> int:
    """The id of the last run that read the whole source (0 if none): names one incomplete streak."""
    query = select(func.max(FetchRun.id)).where(
        FetchRun.source_id == source_id, col(FetchRun.status).in_([RunStatus.OK, RunStatus.NOT_MODIFIED])
    )
    return int(session.exec(query).one() or 0)


def _health(source: Source) -> Health:
    return Health(
        source_id=source.id, name=source.name, consecutive_failures=source.consecutive_failures,
        alert_after_failures=source.alert_after_failures, last_success_at=source.last_success_at,
        last_error=source.last_error, consecutive_incomplete=source.consecutive_incomplete,
        alert_after_incomplete=source.alert_after_incomplete,
    )  # fmt: skip


def list_sources(session: Session) -> Sequence[Source]:
    return session.exec(select(Source).order_by(col(Source.id))).all()


# Statuses that extend a source's failure streak (and so can alert): a crashed process, and a
# suspect-empty answer, which changed nothing and is no success.
FAILURES = frozenset({RunStatus.FAILED, RunStatus.CRASHED, RunStatus.SUSPECT_EMPTY})


def start_run(
    session: Session, *, source_id: str, now: datetime, heartbeat: datetime | None = None
) -> FetchRun:
    """Open a run; `heartbeat` is the wall clock (liveness is real time even when `now` replays a day)."""
    run = FetchRun(source_id=source_id, started_at=now, status=RunStatus.RUNNING, heartbeat_at=heartbeat)
    session.add(run)
    session.flush()
    return run


def beat(session: Session, *, run_id: int, at: datetime) -> None:
    """Renew a running run's heartbeat (a run already closed is left as it is)."""
    run = session.get(FetchRun, run_id)
    if run is not None and run.status == RunStatus.RUNNING:
        run.heartbeat_at = at
        session.add(run)


def mark_crashed(
    session: Session, *, source_id: str | None = None, stale_before: datetime | None = None, now: datetime
) -> list[FetchRun]:
    """Close as `crashed` the running runs whose process died, oldest first; each is a failure.

    `stale_before=None` takes every running run of `source_id` (the caller holds the source's lock,
    which proves no live process runs it); otherwise only runs whose last heartbeat (or, before the
    first one, start) is older than `stale_before`.
    """
    query = select(FetchRun).where(FetchRun.status == RunStatus.RUNNING)
    if source_id is not None:
        query = query.where(FetchRun.source_id == source_id)
    crashed = []
    for run in session.exec(query.order_by(col(FetchRun.id))).all():
        last_sign = run.heartbeat_at or run.started_at
        if stale_before is not None and last_sign >= stale_before:
            continue
        error = (
            "crashed: the process running this poll stopped (last heartbeat "
            f"{last_sign:%Y-%m-%d %H:%M:%S} UTC); killed, out of memory or the machine restarted?"
            " Nothing it fetched was stored."
        )
        # finished_at is when the crash was found; how long it ran before dying is not known.
        finish_run(
            session, run_id=run.id or 0, status=RunStatus.CRASHED, now=now, error=error, duration_ms=None
        )
        crashed.append(run)
    session.flush()
    return crashed


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
    # A failed run says nothing new about completeness; only a whole read ends an incomplete streak.
    if run.status == RunStatus.INCOMPLETE:
        source.consecutive_incomplete += 1
    elif run.status in (RunStatus.OK, RunStatus.NOT_MODIFIED):
        source.consecutive_incomplete = 0
    # An incremental pass read only what changed: it neither extends nor ends an incomplete streak.
    if run.status in FAILURES:
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


def source_validators(session: Session, *, source_id: str) -> dict[str, dict[str, Any]]:
    """What the last believed poll left for the next one, per URL (and a kind's state, see Harvest)."""
    source = session.get(Source, source_id)
    return dict(source.validators) if source is not None else {}


def save_validators(session: Session, *, source_id: str, validators: dict[str, dict[str, Any]]) -> None:
    """Merge a poll's validators into the stored ones; an empty entry removes its URL."""
    source = session.get(Source, source_id)
    if source is None or not validators:
        return
    merged = {url: entry for url, entry in {**source.validators, **validators}.items() if entry}
    if merged != source.validators:
        source.validators = merged
        session.add(source)


def recent_runs(session: Session, *, source_id: str, limit: int = 10) -> Sequence[FetchRun]:
    query = select(FetchRun).where(FetchRun.source_id == source_id)
    return session.exec(query.order_by(col(FetchRun.id).desc()).limit(limit)).all()
