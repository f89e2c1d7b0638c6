"""Unchanged portal records are not normalised again (issue #18), and nothing stored differs for it.

A real poll of the ft-portal source (the polite client, a local HTTP server answering with the recorded
SEDIA records, the database: SQLite, or PostgreSQL when CALLWATCH_TEST_DATABASE_URL is set). The number
of records normalised is the poll's `RunReport.normalised`, checked against a counter on
`normalise_call` itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from db.models import Call
from monitor.model.source import UnlistRule
from monitor.normalise import call as normalise_module
from monitor.normalise.call import clock_fields, normalise_call
from monitor.poll import pipeline
from monitor.poll.pipeline import RunReport, run_source
from sources import build_source, load_source_config
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from sources.ft_portal import parse_results
from tests.httpserver import LocalHTTPServer
from tests.test_ft_portal_e2e import PAGE_SIZE, _rows, _serve

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CALL_TABLES = ("call", "deadline", "callchange")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Keys of the records `normalise_call` was called on, in order."""
    seen: list[str] = []

    def counting(raw: Any, *, now: datetime) -> Any:
        seen.append(raw.key)
        return normalise_call(raw, now=now)

    monkeypatch.setattr(pipeline, "normalise_call", counting)
    return seen


def _source(tmp_path: Path, server: LocalHTTPServer) -> Any:
    shipped = (Path(__file__).parents[1] / "config" / "sources" / "ft-portal.toml").read_text()
    config = shipped.replace("https://api.tech.ec.europa.eu", server.url).replace(
        "page_size = 100", f"page_size = {PAGE_SIZE}"
    )
    path = tmp_path / "ft-portal.toml"
    path.write_text(config)
    return build_source(load_source_config(path))


async def _poll(source: Any, engine: Engine, now: datetime, **kwargs: Any) -> RunReport:
    async with PoliteClient(HttpPolicy(min_interval=0, max_attempts=1)) as client:
        return await run_source(
            source, client=client, engine=engine, clock=lambda: now, strict=True, **kwargs
        )


def _writes(engine: Engine) -> Callable[[], list[str]]:
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        if words and words[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            table = words[2] if words[0].upper() in ("INSERT", "DELETE") else words[1]
            name = table.replace(chr(34), "").lower()
            statements.append(words[0].upper() + " " + name)

    return lambda: [s for s in statements if s.split()[1] in CALL_TABLES]


def _stored(engine: Engine) -> dict[str, dict[str, Any]]:
    with session_scope(engine) as session:
        rows = session.exec(select(Call)).all()
        skip = {"id", "raw_digest", "first_seen_at", "last_changed_at"}
        return {row.key: {k: v for k, v in row.model_dump().items() if k not in skip} for row in rows}


async def test_unchanged_repoll_normalises_nothing_and_writes_nothing(
    tmp_path: Path, http_server: LocalHTTPServer, engine: Engine, counted: list[str]
) -> None:
    _serve(http_server, _rows())
    source = _source(tmp_path, http_server)
    first = await _poll(source, engine, NOW)
    assert (first.status, first.new, first.normalised) == ("ok", 17, len(counted)) and len(counted) >= 17
    before = _stored(engine)
    counted.clear()
    writes = _writes(engine)
    again = await _poll(source, engine, NOW + timedelta(minutes=5))
    assert (again.status, again.normalised, counted) == ("ok", 0, [])
    assert (again.found, again.new, again.changed, again.unchanged) == (first.found, 0, 0, 17)
    assert writes() == []
    assert _stored(engine) == before


async def test_changed_record_is_normalised_and_stored(
    tmp_path: Path, http_server: LocalHTTPServer, engine: Engine, counted: list[str]
) -> None:
    rows = _rows()
    _serve(http_server, rows)
    source = _source(tmp_path, http_server)
    await _poll(source, engine, NOW)
    key = "HORIZON-CL5-2024-D2-01-03"
    for row in rows:
        if row["metadata"].get("identifier") == [key]:
            row["metadata"]["title"] = ["A title the portal changed"]
    _serve(http_server, rows)
    counted.clear()
    writes = _writes(engine)
    report = await _poll(source, engine, NOW + timedelta(hours=6))
    assert counted == [key] and report.normalised == 1
    assert "UPDATE call" in writes() and "INSERT callchange" in writes()
    assert (report.changed, report.unchanged, report.new) == (1, 16, 0)
    assert _stored(engine)[key]["title"] == "A title the portal changed"


async def test_normaliser_version_bump_normalises_everything_once(
    tmp_path: Path, http_server: LocalHTTPServer, engine: Engine, counted: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _serve(http_server, _rows())
    source = _source(tmp_path, http_server)
    first = await _poll(source, engine, NOW)
    before = _stored(engine)
    monkeypatch.setattr(normalise_module, "NORMALISER_VERSION", normalise_module.NORMALISER_VERSION + 1)
    counted.clear()
    bumped = await _poll(source, engine, NOW)
    assert bumped.normalised == first.normalised == len(counted)
    assert (bumped.new, bumped.changed, bumped.unchanged) == (0, 0, 17)
    assert _stored(engine) == before
    counted.clear()
    after = await _poll(source, engine, NOW)
    assert (after.normalised, counted) == (0, [])


async def test_skipped_polls_unlist_nothing(
    tmp_path: Path, http_server: LocalHTTPServer, engine: Engine, counted: list[str]
) -> None:
    _serve(http_server, _rows())
    source = _source(tmp_path, http_server)
    rule = UnlistRule(after=timedelta(0), polls=1)  # one complete poll missing a call would unlist it
    await _poll(source, engine, NOW, unlist=rule)
    for hours in (1, 2, 3):
        report = await _poll(source, engine, NOW + timedelta(hours=hours), unlist=rule)
        assert (report.status, report.unlisted, report.normalised) == ("ok", 0, 0)
    with session_scope(engine) as session:
        rows = session.exec(select(Call)).all()
        assert len(rows) == 17
        assert all(row.listed and row.missed_polls == 0 and row.missing_since is None for row in rows)
    # The source's evidence still works: a poll without one record counts against that record only.
    _serve(
        http_server,
        [row for row in _rows() if row["metadata"].get("identifier") != ["HORIZON-CL5-2024-D2-01-03"]],
    )
    report = await _poll(source, engine, NOW + timedelta(hours=4), unlist=rule)
    assert report.unlisted == 1 and report.normalised == 0


async def test_a_moved_clock_renormalises_the_records_it_moves(
    tmp_path: Path, http_server: LocalHTTPServer, engine: Engine, counted: list[str]
) -> None:
    _serve(http_server, _rows())
    source = _source(tmp_path, http_server)
    early = datetime(2023, 1, 1, tzinfo=UTC)  # before most deadlines of the recorded records
    await _poll(source, engine, early)
    counted.clear()
    report = await _poll(source, engine, NOW)
    assert 0 < report.normalised == len(counted) < 17  # only those whose status or next deadline moved
    skipped_store = _stored(engine)
    # What a poll normalising everything at NOW stores: the same.
    with session_scope(engine) as session:
        for row in session.exec(select(Call)).all():
            row.raw_digest = None
            session.add(row)
    await _poll(source, engine, NOW)
    assert _stored(engine) == skipped_store


def test_clock_fields_are_what_normalise_call_derives() -> None:
    folder = Path(__file__).parent / "fixtures" / "ft_portal"
    results = []
    for path in sorted(folder.glob("*.json")):
        results += json.loads(path.read_text()).get("results", [])
    raws = parse_results(results)[0]
    assert len(raws) > 15
    for raw in raws:
        stored = normalise_call(raw, now=datetime(2020, 1, 1, tzinfo=UTC))
        for year in range(2020, 2029):
            at = datetime(year, 6, 15, tzinfo=UTC)
            fresh = normalise_call(raw, now=at)
            assert clock_fields(stored, stored.deadlines, at) == (fresh.status, fresh.next_deadline_at), (
                raw.key
            )
