"""The worker: the scheduler (on exactly one active worker) and sending (on every worker).

At start it waits for the database (monitor.startup: backoff, one line per attempt) and marks the
runs of dead processes `crashed`; only then does it send or compete for the lock.

The active worker, the holder of the leader lock (monitor.leader), runs these jobs:
- `poll <source>`: each enabled source at its own interval, with jitter; a source whose interval
  passed while no worker ran is polled at once, once;
- `mail`: every `mail_check_seconds`, claims the digests, reminders, change alerts and operator
  alerts that are due. What is due is decided from the database (periods already claimed, the last
  period covered), never from the scheduler's memory, so the first run after downtime sends a
  missed digest once when it is at most `catch_up_hours` late and skips it (with an operator
  alert) when later; the next digest then covers the gap;
- `housekeeping`: daily, erases sign-ups never confirmed and drops old message bodies;
- `leadership`: checks the lock is still held; if its database connection was lost, the worker
  stops its jobs and stands by again, since another worker may have taken over.

Every worker, active or standing by, sends queued e-mail every `send_interval_seconds`: delivery
rows are leased in batches (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several workers share the
sending and a killed worker's message is sent by another after its lease. On PostgreSQL a worker
standing by also plans digests every `mail_check_seconds` (`share_digest_planning`): planners
lease each subscriber for the transaction that claims their digest, so they split the work.

Jobs never overlap themselves (`max_instances=1`, coalesced). Database work runs in a thread so a
long digest run never stalls polling. Only this module imports APScheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from db import repo
from db.engine import session_scope
from monitor.app import App, sync_sources
from monitor.clock import system_clock
from monitor.deliver.sender import SendReport, deliver
from monitor.every import every
from monitor.leader import LeaderLock
from monitor.plan.alerts import plan_alerts
from monitor.plan.claim import mail_context
from monitor.plan.digests import plan_digests
from monitor.plan.housekeeping import Housekeeping, housekeep
from monitor.plan.operator import plan_operator_alerts
from monitor.plan.reminders import plan_reminders
from monitor.plan.report import PlanReport
from monitor.poll.pipeline import RunReport, run_source
from monitor.startup import wait_for_database
from sources.base import Source
from sources.fetch.client import PoliteClient

logger = logging.getLogger(__name__)
HOUSEKEEPING_HOURS = 24


@dataclass
class MailRound:
    """What one `mail` job planned."""

    digests: PlanReport
    reminders: PlanReport
    alerts: PlanReport
    operator: PlanReport


@dataclass
class WorkerState:
    """What the worker did, for logs and tests (the database holds what matters)."""

    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    leading: bool = False
    polls: list[RunReport] = field(default_factory=list)
    sends: int = 0


class Worker:
    """Owns the scheduler, the shared polite HTTP client, the leader lock and the send loop."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.policy = app.defaults.worker
        self.lock = LeaderLock(app.engine, app.settings.var_dir)
        self.client: PoliteClient | None = None
        self.state = WorkerState()
        self._wake_sender = asyncio.Event()
        self._lost = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Send on every worker; lead the scheduler whenever the lock is ours; until `stop` is set."""
        if not await wait_for_database(self.app, stop):
            return
        policy, wake = self.policy, self._wake_sender
        loops = [asyncio.create_task(every(stop, policy.send_interval_seconds, self._sent, name="sending",
                                           wake=wake))]  # fmt: skip
        if policy.share_digest_planning and self.app.engine.dialect.name == "postgresql":
            loops.append(asyncio.create_task(every(stop, policy.mail_check_seconds, self.plan_shared,
                                                   name="shared digest planning")))  # fmt: skip
        try:
            while not stop.is_set():
                if not await asyncio.to_thread(self.lock.acquire):
                    logger.info("worker %s: another worker is active; standing by (retry in %ss)",
                                self.state.name, self.policy.standby_retry_seconds)  # fmt: skip
                    await _wait(stop, self.policy.standby_retry_seconds)
                    continue
                try:
                    await self._lead(stop)
                except Exception:  # noqa: BLE001 - e.g. the database went away while starting
                    logger.exception("worker %s: could not lead; standing by", self.state.name)
                    await _wait(stop, self.policy.standby_retry_seconds)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*loops)

    # ----------------------------------------------------------------------- leading

    async def _lead(self, stop: asyncio.Event) -> None:
        """Run the scheduler until `stop` or until the lock is lost."""
        logger.info("worker %s: active (holds the leader lock); starting the scheduler", self.state.name)
        self.state.leading = True
        self._lost.clear()
        scheduler = AsyncIOScheduler(timezone="UTC")
        self.client = self.app.http_client()
        try:
            await asyncio.to_thread(sync_sources, self.app)
            self.schedule(scheduler)
            scheduler.start()
            stopped = asyncio.create_task(stop.wait())
            lost = asyncio.create_task(self._lost.wait())
            await asyncio.wait({stopped, lost}, return_when=asyncio.FIRST_COMPLETED)
            for task in (stopped, lost):
                task.cancel()
            if self._lost.is_set():
                logger.error(
                    "worker %s: lost the leader lock; stopping jobs and standing by", self.state.name
                )
        finally:
            if scheduler.running:
                scheduler.shutdown(wait=False)
            await self.client.aclose()
            self.client = None
            self.state.leading = False
            await asyncio.to_thread(self.lock.release)

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        now = self.app.clock()
        for source in self.app.enabled_sources():
            first = self.first_run(source, now)
            self._add(scheduler, self.poll, source.config.interval_seconds, f"poll {source.id}",
                      first=first, args=[source], jitter=self.policy.jitter_seconds)  # fmt: skip
            logger.info(
                "source %s: every %ss, next poll %s", source.id, source.config.interval_seconds, first
            )
        soon = _wall_now()
        self._add(scheduler, self.mail, self.policy.mail_check_seconds, "mail", first=soon)
        self._add(scheduler, self.housekeeping, HOUSEKEEPING_HOURS * 3600, "housekeeping",
                  first=soon + timedelta(minutes=1))  # fmt: skip
        self._add(scheduler, self.check_leadership, self.policy.leadership_check_seconds, "leadership")

    def _add(
        self, scheduler: AsyncIOScheduler, job: Callable[..., Awaitable[Any]], seconds: int, name: str, *,
        first: datetime | None = None, args: list[Any] | None = None, jitter: int = 0,
    ) -> None:  # fmt: skip
        # APScheduler 3 adds a job with next_run_time=None paused, so pass it only when set.
        when = {"next_run_time": first} if first is not None else {}
        scheduler.add_job(
            job, IntervalTrigger(seconds=seconds, jitter=jitter or None), args=args or [], id=name,
            name=name, max_instances=1, coalesce=True,
            misfire_grace_time=self.policy.misfire_grace_seconds, **when,
        )  # fmt: skip

    def first_run(self, source: Source, now: datetime) -> datetime:
        """Poll now if the source is due (or never ran), else when its interval ends.

        `now` is the app clock, which may be replaying another day; APScheduler runs on the
        wall clock, so the answer is turned into a wall-clock time.
        """
        with session_scope(self.app.engine) as session:
            last = next(iter(repo.recent_runs(session, source_id=source.id, limit=1)), None)
        # A few seconds of stagger so sources don't start in the same instant.
        stagger = timedelta(seconds=random.uniform(1, 5))
        wait = timedelta(0)
        if last is not None:
            wait = max(last.started_at + timedelta(seconds=source.config.interval_seconds) - now, wait)
        return _wall_now() + wait + stagger

    # ----------------------------------------------------------------------- jobs

    async def poll(self, source: Source) -> RunReport:
        assert self.client is not None
        report = await run_source(
            source, client=self.client, engine=self.app.engine, clock=self.app.clock, unlist=self.app.unlist
        )
        self.state.polls.append(report)
        del self.state.polls[:-100]
        if report.already_running:
            logger.info("poll %s skipped: another process is polling it now", source.id)
        elif report.failed:
            logger.error("poll %s failed: %s", source.id, (report.error or "").splitlines()[0])
        else:
            counts = (report.found, report.new, report.changed, report.unchanged, report.unlisted)
            logger.info("poll %s %s: %s found, %s new, %s changed, %s unchanged, %s unlisted",
                        source.id, report.status, *counts)  # fmt: skip
        return report

    async def mail(self) -> MailRound:
        """Claim what is due now, then wake the sender."""
        done = await asyncio.to_thread(plan_mail, self.app, self.app.clock())
        if any(r.claimed for r in (done.digests, done.reminders, done.alerts, done.operator)):
            logger.info(
                "mail: claimed %s digest(s), %s reminder(s), %s alert(s), %s operator message(s)",
                done.digests.claimed, done.reminders.claimed, done.alerts.claimed, done.operator.claimed,
            )  # fmt: skip
            self._wake_sender.set()
        return done

    async def housekeeping(self) -> Housekeeping:
        done = await asyncio.to_thread(housekeep, self.app, self.app.clock())
        logger.info(
            "housekeeping: erased %s unconfirmed sign-up(s), dropped %s old message body(ies)",
            done.erased_unconfirmed, done.dropped_messages,
        )  # fmt: skip
        return done

    async def check_leadership(self) -> None:
        if not await asyncio.to_thread(self.lock.still_held):
            self._lost.set()

    # ----------------------------------------------------------------------- sending

    async def _sent(self) -> None:
        report = await self.send()
        if report.sent or report.retry or report.failed:
            logger.info("send: %s sent, %s to retry, %s failed", report.sent, report.retry, report.failed)

    async def plan_shared(self) -> PlanReport | None:
        """A worker standing by plans digests too (PostgreSQL: planners share the subscribers)."""
        if self.state.leading:
            return None  # the leader's `mail` job plans them
        done = await asyncio.to_thread(plan_digests, self.app.engine, mail_context(self.app),
                                       now=self.app.clock())  # fmt: skip
        if done.claimed:
            logger.info("mail (standing by): claimed %s digest(s)", done.claimed)
            self._wake_sender.set()
        return done

    async def send(self) -> SendReport:
        report = await deliver(self.app)
        self.state.sends += report.sent
        return report


def plan_mail(app: App, now: datetime) -> MailRound:
    """Claim every digest, reminder and alert due at `now` (safe to run twice: periods are unique)."""
    mail, engine = mail_context(app), app.engine
    return MailRound(
        digests=plan_digests(engine, mail, now=now),
        reminders=plan_reminders(engine, mail, now=now),
        alerts=plan_alerts(engine, mail, now=now),
        operator=plan_operator_alerts(engine, mail, now=now),
    )


def _wall_now() -> datetime:
    """APScheduler's clock: real time, whatever the app clock is replaying."""
    return system_clock()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
