"""One poll of one source: fetch -> parse -> normalise -> store -> regroup, recorded as a run.

Owns failure isolation: whatever a source does (network error, changed
layout, garbage body, a bug), the run is recorded with a clear error and no
stored call is deleted, closed or unlisted. A complete poll that misses all or
most of a source's listed calls is recorded as suspect empty: nothing changes and
it counts as a failure (`db.repo.unlisting`). `poll_sources` runs several
sources one after another; one broken source never stops the others.
Owns the order of the store seam too: `repo.store_calls`, then `regroup`
(`repo.group_inputs` -> `reconcile.group_records` -> `repo.set_groups`), then
`repo.finish_run`, in one transaction. Before normalising, records whose raw digest and clock
fields match their stored call are set aside unchanged (`monitor.poll.unchanged`, issue #18).

Must not: write SQL (`db.repo` does) or decide what is one call (`reconcile` does).
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from db import repo
from db.engine import session_scope
from db.models import RunStatus
from monitor.clock import system_clock
from monitor.model.call import CallIn
from monitor.model.raw import RawCall
from monitor.model.source import Health, UnlistRule
from monitor.normalise.call import normalise_call
from monitor.poll.health import alert_due, failing_source_alert, incomplete_source_alert
from monitor.poll.lock import SourceLock
from monitor.poll.reconcile import group_records, record_of
from monitor.poll.unchanged import partition
from sources.base import Harvest, Source
from sources.errors import SourceError
from sources.fetch.client import PoliteClient

logger = logging.getLogger(__name__)
# Operator alerts have their own logger so a deployment can route them (e-mail, pager).
alert_logger = logging.getLogger("callwatch.alerts")

Clock = Callable[[], datetime]
# A running run renews its heartbeat this often; `repo.mark_crashed` callers treat a run silent
# for STALE_SECONDS as dead (three missed beats: a slow disk or a busy database is not a crash).
HEARTBEAT_SECONDS = 15.0
STALE_SECONDS = 3 * HEARTBEAT_SECONDS


@dataclass
class RunReport:
    """What one poll did, for the CLI, the worker log and the tests."""

    source_id: str
    status: RunStatus
    run_id: int | None = None
    found: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    unlisted: int = 0
    # Records normalised (`normalise_call`); the others stood unchanged (`monitor.poll.unchanged`).
    normalised: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Another process holds this source's lock: nothing was polled or written.
    already_running: bool = False

    @property
    def failed(self) -> bool:
        """A failed run, or a suspect-empty one (it changed nothing and extends the failure streak)."""
        return self.status in (RunStatus.FAILED, RunStatus.SUSPECT_EMPTY)


async def run_source(
    source: Source, *, client: PoliteClient, engine: Engine, clock: Clock, strict: bool = False,
    heartbeat_seconds: float = HEARTBEAT_SECONDS, unlist: UnlistRule = UnlistRule(),
) -> RunReport:  # fmt: skip
    """Poll one source and store the result; never raises for a source's fault.

    Holds the source's lock for the whole run: while another process polls it, this returns at
    once with `already_running` set and writes nothing. `strict=True` (tests) lets programming
    errors propagate instead of being recorded, so a bug can't hide behind a "failed run".
    `unlist` is the evidence a missing call needs before it is unlisted (`[poll]` in
    config/callwatch.toml).
    """
    lock = SourceLock(engine, source.id)
    if not lock.acquire():
        return RunReport(source_id=source.id, status=RunStatus.RUNNING, already_running=True)
    try:
        return await _run_locked(
            source, client=client, engine=engine, clock=clock, strict=strict, heartbeat=heartbeat_seconds,
            unlist=unlist,
        )  # fmt: skip
    finally:
        lock.release()


async def _run_locked(
    source: Source, *, client: PoliteClient, engine: Engine, clock: Clock, strict: bool, heartbeat: float,
    unlist: UnlistRule,
) -> RunReport:  # fmt: skip
    started, now = time.monotonic(), clock()
    with session_scope(engine) as session:
        repo.sync_source(session, config=source.config, now=now)
        _close_crashed(session, source.id, now)
        run_id = repo.start_run(session, source_id=source.id, now=now, heartbeat=system_clock()).id
        validators = repo.source_validators(session, source_id=source.id)
    assert run_id is not None
    beating = asyncio.create_task(_keep_beating(engine, run_id, heartbeat))
    try:
        with client.measure() as usage:
            harvest = await source.harvest(client, validators=validators)
        _beat(engine, run_id)
        report = _store(harvest, source_id=source.id, run_id=run_id, engine=engine, now=now, unlist=unlist)
    except SourceError as exc:
        report = _fail(source.id, run_id, f"{exc.reason}: {exc}")
    except Exception as exc:
        if strict:
            raise
        logger.exception("source %s crashed", source.id)
        report = _fail(source.id, run_id, f"internal error: {exc!r}\n{traceback.format_exc(limit=8)}")
    finally:
        beating.cancel()
    if report.status == RunStatus.FAILED:
        with session_scope(engine) as session:
            repo.finish_run(
                session, run_id=run_id, status=RunStatus.FAILED, now=clock(), error=report.error,
                requests=usage.requests, bytes=usage.bytes,
            )  # fmt: skip
    if report.failed:
        logger.warning("source %s %s: %s", source.id, report.status, report.error)
        with session_scope(engine) as session:
            health = repo.source_health(session, source_id=source.id)
        _alert_if_due(health, streak_before=health.consecutive_failures - 1 if health else 0)
    elif report.status == RunStatus.INCOMPLETE:
        _alert_if_incomplete(engine, report)
    report.seconds = time.monotonic() - started
    return report


def _close_crashed(session: Session, source_id: str, now: datetime) -> None:
    """Runs of this source left `running` by a dead process: we hold the lock, so none is alive."""
    before = repo.source_health(session, source_id=source_id)
    crashed = repo.mark_crashed(session, source_id=source_id, now=now)
    for run in crashed:
        logger.warning("source %s: run %s %s", source_id, run.id, run.error)
    if crashed and before is not None:
        _alert_if_due(repo.source_health(session, source_id=source_id), before.consecutive_failures)


def _alert_if_due(health: Health | None, streak_before: int) -> None:
    """Alert when the streak passed its threshold (several crashes found at once count one by one)."""
    if health is None:
        return
    if any(
        alert_due(n, health.alert_after_failures)
        for n in range(streak_before + 1, health.consecutive_failures + 1)
    ):
        alert_logger.error("%s", failing_source_alert(health))


def _alert_if_incomplete(engine: Engine, report: RunReport) -> None:
    """Alert once per streak when polls in a row could not read every page (partly failing sources)."""
    with session_scope(engine) as session:
        health = repo.source_health(session, source_id=report.source_id)
    if health is not None and alert_due(health.consecutive_incomplete, health.alert_after_incomplete):
        alert_logger.error("%s", incomplete_source_alert(health, report.warnings))


async def _keep_beating(engine: Engine, run_id: int, seconds: float) -> None:
    """Renew the run's heartbeat while it fetches; a stopped heartbeat is how a dead run is told."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await asyncio.to_thread(_beat, engine, run_id)
        except Exception as exc:  # noqa: BLE001 - a missed beat is retried; the poll goes on
            logger.warning("run %s heartbeat: %s", run_id, exc)


def _beat(engine: Engine, run_id: int) -> None:
    with session_scope(engine) as session:
        repo.beat(session, run_id=run_id, at=system_clock())


def _store(
    harvest: Harvest, *, source_id: str, run_id: int, engine: Engine, now: datetime, unlist: UnlistRule
) -> RunReport:
    warnings = list(harvest.warnings)
    stored: dict[str, repo.StoredClock] = {}
    if not harvest.not_modified:
        with session_scope(engine) as session:
            stored = repo.stored_clocks(session, source_id=source_id)
    todo = partition(harvest.calls, stored, now)
    calls, complete = _normalise_all(todo.to_normalise, harvest.complete, now=now, warnings=warnings)
    found = len(harvest.calls) - len(todo.to_normalise) + len(calls)
    status = (
        RunStatus.NOT_MODIFIED if harvest.not_modified else RunStatus.OK if complete else RunStatus.INCOMPLETE
    )
    # An incremental pass lists only what changed: it never unlists and is never "incomplete".
    status, complete = (RunStatus.INCREMENTAL, False) if harvest.incremental else (status, complete)
    with session_scope(engine) as session:
        counts = repo.StoreCounts()
        if not harvest.not_modified:
            counts = repo.store_calls(
                session, source_id=source_id, run_id=run_id, calls=calls, complete=complete, now=now,
                unlist=unlist, unchanged=todo.unchanged, raw_digests=todo.digests,
            )  # fmt: skip
        if counts.suspect_empty:
            status = RunStatus.SUSPECT_EMPTY
        elif counts.new or counts.changed:
            # Other sources may list the same calls: regroup (writes only what moved).
            regroup(session)
        warnings.extend(counts.warnings)
        if not counts.suspect_empty:
            # Kept from the last believed answer: saving these would let the next poll's 304 for the
            # same empty answer read as a success.
            repo.save_validators(session, source_id=source_id, validators=harvest.validators)
        repo.finish_run(
            session, run_id=run_id, status=status, now=now, items_found=found, new=counts.new,
            changed=counts.changed, unchanged=counts.unchanged, unlisted=counts.unlisted,
            requests=harvest.requests, bytes=harvest.bytes, warnings=warnings[:200],
            error=counts.suspect_empty,
        )  # fmt: skip
    return RunReport(
        source_id=source_id, status=status, run_id=run_id, found=found, new=counts.new,
        changed=counts.changed, unchanged=counts.unchanged, unlisted=counts.unlisted,
        error=counts.suspect_empty, warnings=warnings, normalised=len(todo.to_normalise),
    )  # fmt: skip


def regroup(session: Session) -> int:
    """Recompute cross-source groups over every stored call; returns how many records moved.

    Only `group_id` values that change are written, so an unchanged poll writes nothing.
    """
    records = [record_of(call) for call in repo.group_inputs(session)]
    return repo.set_groups(session, groups=group_records(records))


def _normalise_all(
    raws: list[RawCall], complete: bool, *, now: datetime, warnings: list[str]
) -> tuple[list[CallIn], bool]:
    """Normalise every call; one that can't be normalised is skipped and makes the poll incomplete."""
    calls = []
    for raw in raws:
        try:
            calls.append(normalise_call(raw, now=now))
        except (ValueError, TypeError, ArithmeticError) as exc:
            warnings.append(f"call {raw.key!r} skipped: {exc}")
            complete = False
    return calls, complete


def _fail(source_id: str, run_id: int, error: str) -> RunReport:
    return RunReport(source_id=source_id, status=RunStatus.FAILED, run_id=run_id, error=error)


async def poll_sources(
    sources: Iterable[Source], *, client: PoliteClient, engine: Engine, clock: Clock,
    on_start: Callable[[Source], None] | None = None, on_done: Callable[[RunReport], None] | None = None,
    strict: bool = False, unlist: UnlistRule = UnlistRule(),
) -> list[RunReport]:  # fmt: skip
    """Poll sources one after another (the client keeps per-host politeness)."""
    reports = []
    for source in sources:
        if on_start is not None:
            on_start(source)
        report = await run_source(
            source, client=client, engine=engine, clock=clock, strict=strict, unlist=unlist
        )
        reports.append(report)
        if on_done is not None:
            on_done(report)
    return reports
