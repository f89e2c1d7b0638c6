"""One poll per source at a time, across processes: the per-source lock.

Owns: taking and releasing a source's lock without waiting. PostgreSQL: a session-level advisory
lock (`pg_try_advisory_lock(namespace, key)`, the key derived from the source id) held on a
connection of its own for the whole run, so it ends with the process or its session (a killed
poll, a database restart). SQLite: `flock` on `<database file>.locks/<source id>.lock`, released
by the kernel when the process dies. The file sits beside the database, not in CALLWATCH_VAR_DIR,
so two processes on one database exclude each other whatever var folder each was given.
Must not: poll or write rows (`monitor.poll.pipeline` does, while it holds the lock); this is the
same approach as `monitor.leader`'s worker lock, for a finer key.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import zlib
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from monitor.leader import try_file_lock

logger = logging.getLogger(__name__)

# The two-key advisory lock space is apart from the leader's one-key lock (pg_locks.objsubid 2 vs 1);
# "cwps" (Callwatch poll source) in ASCII, so the locks are findable in pg_locks.classid.
NAMESPACE = 0x63777073


def advisory_key(source_id: str) -> int:
    """A signed 32-bit key for a source id (two ids may share one: they then poll one after another)."""
    value = zlib.crc32(source_id.encode("utf-8"))
    return value - (1 << 32) if value >= 1 << 31 else value


def lock_file(database: str | None, source_id: str) -> Path | None:
    """Where a SQLite database file keeps a source's lock (None for an in-memory database)."""
    if database in (None, "", ":memory:"):
        return None
    file = Path(database)
    return file.with_name(file.name + ".locks") / f"{source_id}.lock"


class SourceLock:
    """`acquire()` says whether this process may poll the source now; `release()` lets others."""

    def __init__(self, engine: Engine, source_id: str) -> None:
        self.engine = engine
        self.source_id = source_id
        self._connection: Any = None
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            return self._acquire_postgres()
        return self._acquire_file()

    def _acquire_postgres(self) -> bool:
        self._connection = self.engine.connect()
        held = self._connection.execute(
            text("SELECT pg_try_advisory_lock(:space, :key)"),
            {"space": NAMESPACE, "key": advisory_key(self.source_id)},
        ).scalar()
        self._connection.commit()
        if not held:
            self.release()
        return bool(held)

    def _acquire_file(self) -> bool:
        path = lock_file(self.engine.url.database, self.source_id)
        if path is None:  # one process owns an in-memory database: nobody to exclude
            return True
        self._file = try_file_lock(path)
        return self._file is not None

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:space, :key)"),
                    {"space": NAMESPACE, "key": advisory_key(self.source_id)},
                )
                self._connection.commit()
            except Exception as exc:  # noqa: BLE001 - a dead session has released the lock already
                logger.warning("source %s lock release: %s", self.source_id, exc)
            finally:
                with contextlib.suppress(Exception):
                    self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
