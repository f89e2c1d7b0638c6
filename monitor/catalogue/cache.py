"""The catalogue snapshot of a web process, kept current: the only I/O of `monitor.catalogue`.

Owns `CatalogueCache`, which rebuilds the `Catalogue` when `repo.catalogue_version` moves.
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

    def __init__(self, engine: Engine, clock: Any) -> None:
        self.engine = engine
        self.clock = clock
        self._current: Catalogue | None = None
        self._lock = threading.Lock()

    def get(self) -> Catalogue:
        with session_scope(self.engine) as session:
            version = repo.catalogue_version(session)
        current = self._current
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._current is not None and self._current.version == version:
                return self._current
            with session_scope(self.engine) as session:
                calls = repo.search_calls(session, status="all", limit=10**9)
                sources = [s.id for s in repo.list_sources(session)]
            self._current = Catalogue.build(calls, version=version, sources=sources, now=self.clock())
            logger.info("catalogue rebuilt: %s calls (version %s)", len(calls), version)
            return self._current
