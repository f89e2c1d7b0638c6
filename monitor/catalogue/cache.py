"""The catalogue snapshot of a web process, kept current: the only I/O of `monitor.catalogue`.

Owns `CatalogueCache`, which rebuilds the `Catalogue` when `repo.catalogue_version` moves. The
version is one statement of index reads, paid by every request; the rebuild (seconds with tens of
thousands of calls) runs in one background thread at a time while the old snapshot keeps answering,
so only the very first request of a process (no snapshot at all) waits for a build.
`background=False` rebuilds in the request instead (a command that reads once, or a test that
wants every write seen at once).
Must not: filter, sort or word calls (that is `monitor.catalogue.snapshot`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.engine import Engine

from db import repo
from db.engine import session_scope
from monitor.catalogue.snapshot import Catalogue

logger = logging.getLogger(__name__)


class CatalogueCache:
    """The current snapshot for a web process; rebuilt when the stored calls change."""

    def __init__(self, engine: Engine, clock: Any, *, background: bool = True) -> None:
        self.engine = engine
        self.clock = clock
        self.background = background
        self._current: Catalogue | None = None
        self._lock = threading.Lock()  # one build at a time
        self._worker: threading.Thread | None = None

    def get(self) -> Catalogue:
        """The newest snapshot there is: the current one while a newer one is being built."""
        with session_scope(self.engine) as session:
            version = repo.catalogue_version(session)
        current = self._current
        if current is not None and current.version == version:
            return current
        if current is None or not self.background:
            with self._lock:
                if self._current is None or self._current.version != version:
                    self._rebuild()
                assert self._current is not None
                return self._current
        self._start_rebuild()
        return current

    def wait(self, timeout: float | None = None) -> None:
        """Until the background rebuild under way (if any) is done: for tests and commands."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def _start_rebuild(self) -> None:
        # A second request during a build finds the lock taken and answers from the old snapshot.
        if not self._lock.acquire(blocking=False):
            return
        try:
            worker = threading.Thread(target=self._rebuild_in_background, name="catalogue", daemon=True)
            self._worker = worker
            worker.start()
        except BaseException:
            self._lock.release()
            raise

    def _rebuild_in_background(self) -> None:
        try:
            self._rebuild()
        except Exception:  # the old snapshot keeps answering; the next request tries again
            logger.exception("catalogue rebuild failed")
        finally:
            self._lock.release()

    def _rebuild(self) -> None:
        """Load and build under the lock. The version is read before the calls, so a write between
        the two can only make the snapshot newer than its label (and rebuilt once more), never older."""
        with session_scope(self.engine) as session:
            version = repo.catalogue_version(session)
            calls = repo.search_calls(session, status="all", limit=10**9)
            sources = [s.id for s in repo.list_sources(session)]
        self._current = Catalogue.build(calls, version=version, sources=sources, now=self.clock())
        logger.info("catalogue rebuilt: %s calls (version %s)", len(calls), version)
