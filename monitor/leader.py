"""One active scheduler at a time, on one machine or many.

APScheduler 3 must never share a job store between processes (its FAQ:
"You can't"), so each worker keeps jobs in memory and only the holder of
this lock runs them. PostgreSQL: a session-level advisory lock on a
dedicated connection (works across machines). SQLite: an exclusive lock on
a file beside the database (one machine, which is all SQLite supports).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

# Any constant works; this one spells "cwatch" in ASCII so it is findable in pg_locks.
ADVISORY_KEY = 0x637761746368


def try_file_lock(path: Path) -> IO[str] | None:
    """An exclusive lock on `path`, taken without waiting, or None when another process holds it.

    The kernel releases it when the process dies, so a killed holder never leaves it stuck.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class LeaderLock:
    """Non-blocking leadership: `acquire()` says whether we are the active worker."""

    def __init__(self, engine: Engine, lock_dir: Path) -> None:
        self.engine = engine
        self.lock_path = lock_dir / "worker.lock"
        self._connection: Any = None
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            return self._acquire_postgres()
        return self._acquire_file()

    def _acquire_postgres(self) -> bool:
        try:
            if self._connection is None:
                self._connection = self.engine.connect()
            held = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar()
            self._connection.commit()
        except Exception as exc:  # noqa: BLE001 - database unreachable: stand by and try again later
            logger.warning("leader lock: database unavailable (%s)", exc)
            self.release()
            return False
        if not held:
            # Don't keep an idle connection open while standing by.
            self.release()
        return bool(held)

    def _acquire_file(self) -> bool:
        self._file = try_file_lock(self.lock_path)
        return self._file is not None

    def still_held(self) -> bool:
        """Whether we still hold the lock (a PostgreSQL restart or network cut ends the session)."""
        if self._file is not None:
            return True
        if self._connection is None:
            return False
        try:
            held = self._connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND classid = :high AND objid = :low AND objsubid = 1"
                ),
                {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF},
            ).scalar()
            self._connection.commit()
        except Exception as exc:  # noqa: BLE001 - any database error means we can't prove we lead
            logger.warning("leader lock check failed: %s", exc)
            return False
        return bool(held)

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                self._connection.commit()
            except Exception as exc:  # noqa: BLE001 - a dead session has released the lock already
                logger.warning("leader lock release: %s", exc)
            finally:
                with contextlib.suppress(Exception):
                    self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
