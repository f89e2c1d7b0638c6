"""The scheduler: polls each enabled source on its interval, exactly one worker active.

Jobs live in memory (built from config at start); everything that matters
(runs, calls, deliveries) is in the database, so restarting is always safe.
A source whose last run is older than its interval (the worker was down) is
polled at once, once (coalesced). Only this module imports APScheduler.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from db import repo
from db.engine import session_scope
from monitor.app import App, sync_sources
from monitor.http import PoliteClient
from monitor.leader import LeaderLock
from monitor.pipeline import RunReport, run_source
from sources.base import Source

logger = logging.getLogger(__name__)
STANDBY_RETRY_SECONDS = 15


class Worker:
    """Owns the scheduler, the shared polite HTTP client and the leader lock."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.lock = LeaderLock(app.engine, app.settings.var_dir)
        self.client: PoliteClient | None = None
        self.reports: list[RunReport] = []

    async def run(self, stop: asyncio.Event) -> None:
        """Wait for leadership, schedule the jobs, run until `stop` is set."""
        while not self.lock.acquire():
            logger.info("another worker is active; standing by (retry in %ss)", STANDBY_RETRY_SECONDS)
            try:
                await asyncio.wait_for(stop.wait(), timeout=STANDBY_RETRY_SECONDS)
                return
            except TimeoutError:
                continue
        self.client = self.app.http_client()
        try:
            self.schedule()
            self.scheduler.start()
            await stop.wait()
        finally:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            await self.client.aclose()
            self.lock.release()

    def schedule(self) -> None:
        sync_sources(self.app)
        now = self.app.clock()
        grace = self.app.defaults.worker.misfire_grace_seconds
        for source in self.app.enabled_sources():
            first = self.first_run(source, now)
            self.scheduler.add_job(
                self.poll, IntervalTrigger(seconds=source.config.interval_seconds,
                                           jitter=self.app.defaults.worker.jitter_seconds or None),
                args=[source], id=source.id, name=f"poll {source.id}", next_run_time=first,
                max_instances=1, coalesce=True, misfire_grace_time=grace,
            )  # fmt: skip
            logger.info(
                "source %s: every %ss, next poll %s", source.id, source.config.interval_seconds, first
            )

    def first_run(self, source: Source, now: datetime) -> datetime:
        """Poll now if the source is due (or never ran), else when its interval ends."""
        with session_scope(self.app.engine) as session:
            last = next(iter(repo.recent_runs(session, source_id=source.id, limit=1)), None)
        # A few seconds of stagger so sources don't start in the same instant.
        stagger = timedelta(seconds=random.uniform(1, 5))
        if last is None:
            return now + stagger
        due = last.started_at + timedelta(seconds=source.config.interval_seconds)
        return max(due, now + stagger)

    async def poll(self, source: Source) -> RunReport:
        assert self.client is not None
        report = await run_source(source, client=self.client, engine=self.app.engine, clock=self.app.clock)
        self.reports.append(report)
        del self.reports[:-100]
        if report.failed:
            logger.error("poll %s failed: %s", source.id, (report.error or "").splitlines()[0])
        else:
            counts = (report.found, report.new, report.changed, report.unchanged, report.unlisted)
            logger.info("poll %s %s: %s found, %s new, %s changed, %s unchanged, %s unlisted",
                        source.id, report.status, *counts)  # fmt: skip
        return report
