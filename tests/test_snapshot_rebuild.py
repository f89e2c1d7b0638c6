"""The catalogue snapshot of a web process (monitor.catalogue.cache) and the version it is checked by
(db.repo.catalogue_version): a rebuild runs in the background while the old snapshot answers, one at a
time, and only a process with no snapshot at all waits for one; the version is one statement that
reads indexes, never the call table (EXPLAIN on the database under test, SQLite or PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from db import repo
from db.engine import session_scope
from db.models import Source
from monitor.catalogue import cache as cache_module
from monitor.catalogue.cache import CatalogueCache
from monitor.catalogue.snapshot import Catalogue
from monitor.model.call import CallIn, DeadlineIn
from monitor.model.view import next_deadline

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
FIRST, MOVED = datetime(2027, 1, 3, 16, 0, tzinfo=UTC), datetime(2027, 1, 10, 16, 0, tzinfo=UTC)


def store(engine: Engine, deadline: datetime, *, at: datetime, key: str = "A") -> None:
    call = CallIn(key=key, title=f"Call {key}", status="open", deadlines=[DeadlineIn(at=deadline)],
                  next_deadline_at=deadline)  # fmt: skip
    with session_scope(engine) as session:
        if session.get(Source, "s") is None:
            session.add(Source(id="s", name="S", kind="ft-portal", url="https://s.test/", created_at=NOW))
            session.flush()
        repo.store_calls(session, source_id="s", run_id=None, calls=[call], complete=False, now=at)


class SlowBuild:
    """Catalogue.build that waits for `release` (the rebuild "takes" as long as the test wants)."""

    def __init__(self) -> None:
        self.release, self.started, self.builds = threading.Event(), threading.Event(), 0
        self.real = Catalogue.build

    def __call__(self, *args, **kwargs) -> Catalogue:
        self.builds += 1
        self.started.set()
        assert self.release.wait(30), "the test never released the rebuild"
        return self.real(*args, **kwargs)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> SlowBuild:
    slow = SlowBuild()
    monkeypatch.setattr(cache_module.Catalogue, "build", slow)
    return slow


def deadline_of(snapshot: Catalogue) -> datetime | None:
    return next_deadline(snapshot.entries[0].call, NOW)


def test_requests_during_a_rebuild_get_the_old_snapshot_and_start_no_second_one(engine, clock, slow) -> None:
    store(engine, FIRST, at=NOW)
    cache = CatalogueCache(engine, clock)
    slow.release.set()
    old = cache.get()  # no snapshot at all: this one request waits for the build
    assert deadline_of(old) == FIRST and slow.builds == 1
    slow.release.clear()
    slow.started.clear()
    store(engine, MOVED, at=NOW + timedelta(hours=1))
    assert cache.get() is old  # the rebuild started, blocked in the background: the old answer
    assert slow.started.wait(10)
    assert [cache.get() for _ in range(3)] == [old] * 3  # still building: old answers, no second build
    assert slow.builds == 2
    slow.release.set()
    cache.wait(10)
    new = cache.get()
    assert new is not old and deadline_of(new) == MOVED and slow.builds == 2
    assert cache.get() is new  # nothing moved since: no rebuild


def test_a_write_during_a_rebuild_is_picked_up_by_the_next_one(engine, clock, slow) -> None:
    store(engine, FIRST, at=NOW)
    slow.release.set()
    cache = CatalogueCache(engine, clock)
    cache.get()
    slow.release.clear()
    slow.started.clear()
    store(engine, MOVED, at=NOW + timedelta(hours=1))
    cache.get()
    assert slow.started.wait(10)
    store(engine, FIRST, at=NOW + timedelta(hours=2), key="B")  # written while the rebuild loads
    slow.release.set()
    cache.wait(10)
    cache.get()  # the version moved past the rebuilt snapshot's: one more rebuild
    cache.wait(10)
    assert sorted(e.call.title for e in cache.get().entries) == ["Call A", "Call B"]


def test_a_failed_rebuild_keeps_the_old_snapshot_and_the_next_request_tries_again(
    engine, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(engine, FIRST, at=NOW)
    cache = CatalogueCache(engine, clock)
    old = cache.get()
    store(engine, MOVED, at=NOW + timedelta(hours=1))
    real = Catalogue.build

    def broken(*args, **kwargs) -> Catalogue:
        raise RuntimeError("database went away")

    monkeypatch.setattr(cache_module.Catalogue, "build", broken)
    assert cache.get() is old
    cache.wait(10)
    assert cache.get() is old  # failed: still the old snapshot (and a new attempt started)
    cache.wait(10)
    monkeypatch.setattr(cache_module.Catalogue, "build", real)
    cache.get()
    cache.wait(10)
    assert deadline_of(cache.get()) == MOVED


def test_without_background_the_request_rebuilds(engine, clock) -> None:
    store(engine, FIRST, at=NOW)
    cache = CatalogueCache(engine, clock, background=False)
    assert deadline_of(cache.get()) == FIRST
    store(engine, MOVED, at=NOW + timedelta(hours=1))
    assert deadline_of(cache.get()) == MOVED


# --------------------------------------------------------------------------- the version's cost


def version_statements(engine: Engine) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope(engine) as session:
            repo.catalogue_version(session)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]


def test_catalogue_version_is_one_statement_of_index_reads(engine: Engine) -> None:
    for key in "ABC":
        store(engine, FIRST, at=NOW, key=key)
    store(engine, MOVED, at=NOW + timedelta(hours=1))
    (statement, parameters), *others = version_statements(engine)
    assert not others
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        plan = [str(row[-1]) for row in connection.exec_driver_sql(prefix + statement, parameters or ())]
    lines = "\n".join(plan)
    if sqlite:  # max(id) of a rowid table is a SEARCH of its b-tree end, a full read would be SCAN
        assert "SEARCH call" in lines and "SEARCH callchange" in lines, lines
        assert "SCAN call" not in lines and "SCAN callchange" not in lines, lines
    else:
        assert "Index Only Scan Backward using call_pkey on call" in lines, lines
        assert "Index Only Scan Backward using callchange_pkey on callchange" in lines, lines
        assert "Seq Scan on call " not in lines and "Seq Scan on callchange" not in lines, lines


def test_catalogue_version_moves_with_a_moved_deadline_and_not_with_an_unchanged_poll(engine) -> None:
    store(engine, FIRST, at=NOW)
    with session_scope(engine) as session:
        first = repo.catalogue_version(session)
    store(engine, FIRST, at=NOW + timedelta(hours=1))
    with session_scope(engine) as session:
        assert repo.catalogue_version(session) == first
    store(engine, MOVED, at=NOW - timedelta(hours=1))  # even with a clock that went back
    with session_scope(engine) as session:
        assert repo.catalogue_version(session) != first
