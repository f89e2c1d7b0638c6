"""A worker's start: wait for the database, bring it up to date, close the runs of dead processes.

Owns: trying the database with growing pauses (one log line per attempt, naming why it failed)
until it answers or the worker is told to stop; then migrating it, mirroring the source files, and
marking `crashed` every run left `running` whose heartbeat stopped more than STALE_SECONDS ago
(its process died: killed, out of memory, a restarted machine). A database that is down at start
(PostgreSQL still booting, a network mount not attached yet) is waited for, never a traceback.
Must not: schedule or poll (`monitor.worker` does, once this returns).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy.exc import DBAPIError

from db import repo
from db.engine import session_scope
from db.migrate import upgrade
from monitor.app import App, sync_sources
from monitor.clock import system_clock
from monitor.poll.pipeline import STALE_SECONDS
from monitor.settings import sqlite_folder

logger = logging.getLogger(__name__)
# Pauses between attempts: 1 s, 2 s, 4 s ... then every 60 s (a database back in a minute is
# found within seconds; one down for hours costs a log line a minute).
FIRST_PAUSE, MAX_PAUSE = 1.0, 60.0


class DatabaseDown(Exception):
    """The database cannot be used yet; the message says why in one line."""


async def wait_for_database(app: App, stop: asyncio.Event, *, first: float = FIRST_PAUSE) -> bool:
    """Open the database, retrying with backoff; False when `stop` was set before it answered."""
    attempt, pause = 0, first
    while not stop.is_set():
        attempt += 1
        try:
            await asyncio.to_thread(open_database, app)
        except DatabaseDown as exc:
            logger.warning(
                "database unreachable (attempt %s): %s; next attempt in %.0f s", attempt, exc, pause
            )
        else:
            if attempt > 1:
                logger.info("database reachable after %s attempts", attempt)
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause)
        pause = min(pause * 2, MAX_PAUSE)
    return False


def open_database(app: App) -> None:
    """Migrate, mirror the sources and close crashed runs; DatabaseDown if the database won't answer."""
    folder = sqlite_folder(app.settings.database_url)
    if folder is not None and not folder.is_dir():
        raise DatabaseDown(f"CALLWATCH_DATABASE_URL: the folder {folder} does not exist (yet)")
    try:
        upgrade(app.engine)
    except DBAPIError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise DatabaseDown(reason[0] if reason else type(exc).__name__) from None
    sync_sources(app)
    close_stale_runs(app)


def close_stale_runs(app: App) -> int:
    """Mark `crashed` the running runs of every source whose heartbeat stopped; each is a failure."""
    stale_before = system_clock() - timedelta(seconds=STALE_SECONDS)
    with session_scope(app.engine) as session:
        crashed = repo.mark_crashed(session, stale_before=stale_before, now=app.clock())
    for run in crashed:
        logger.warning("source %s: run %s %s", run.source_id, run.id, run.error)
    return len(crashed)
