"""Unlisting only on evidence (issue 16), over the local HTTP server and the suite's database.

A call is unlisted only once complete polls missed it for `[poll] unlist_after_hours` (24 h) and at
least `unlist_after_polls` (2) times; a complete poll that misses all or more than half of a source's
listed calls is "suspect_empty": it changes nothing and counts as a failure toward the alert. Each
test compares the stored calls (titles, deadlines, listed flag) before and after.

The ft-portal answers are three real SEDIA records (tests/fixtures/ft_portal, PROVENANCE.md) in the
AarhusAI envelope, and the recorded empty answer; the ECCP listing is the reconstructed page 0 cut
to its first three cards, then the reconstructed "No results found" page.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Call, CallChange
from monitor.app import App, build_app, load_defaults
from monitor.cli import main
from monitor.model.call import CallIn
from monitor.poll.pipeline import RunReport, run_source
from monitor.settings import load_settings
from sources import SourceConfigError
from tests.httpserver import LocalHTTPServer, Reply
from tests.kinds import scripted_config
from tests.webserver import free_port, running_web

ROOT = Path(__file__).parents[1]
PORTAL = ROOT / "tests" / "fixtures" / "ft_portal"
ECCP = ROOT / "tests" / "fixtures" / "eccp"
SEARCH = "/search-api/prod/rest/search"
JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=UTF-8"}
T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CL5, CLIMA = "HORIZON-CL5-2024-D2-01-03", "HORIZON-MISS-2023-CLIMA-01-01"
SOIL = "HORIZON-MISS-2027-05-SOIL-01-two-stage"
# Deadlines as stored (rule: the portal's Brussels date at 17:00 Brussels).
PORTAL_CALLS = {
    CL5: ["2024-04-18T15:00:00+00:00"],
    CLIMA: ["2023-09-20T15:00:00+00:00"],
    SOIL: ["2027-04-08T15:00:00+00:00", "2027-09-14T15:00:00+00:00"],
}


def _portal_rows() -> list[dict[str, Any]]:
    def page(number: int) -> list[dict[str, Any]]:
        return json.loads((PORTAL / f"sedia_paged_DERIVED_page{number}_of_3.json").read_text())["results"]

    return [*page(1)[:2], page(2)[2]]  # CL5, CLIMA, SOIL: three calls, one language each


def _portal_answer(rows: list[dict[str, Any]]) -> Reply:
    envelope = json.loads(
        (PORTAL / "sedia_search_response_excerpt_2026_new-style_records_AarhusAI.json").read_text()
    )
    body = {**envelope, "totalResults": len(rows), "pageNumber": 1, "pageSize": 100, "results": rows}
    return Reply(200, json.dumps(body), JSON)


def _portal_without(key: str) -> Reply:
    return _portal_answer([row for row in _portal_rows() if row["metadata"]["identifier"] != [key]])


EMPTY_PORTAL = Reply(200, (PORTAL / "sedia_empty_answer_DERIVED.json").read_bytes(), JSON)


@pytest.fixture
def app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, http_server: LocalHTTPServer
) -> Iterator[App]:
    for name in list(os.environ):
        if name.startswith("CALLWATCH_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    (config / "sources").mkdir(parents=True)
    for source, site in (
        ("ft-portal", "https://api.tech.ec.europa.eu"),
        ("eccp", "https://www.clustercollaboration.eu"),
    ):
        shipped = (ROOT / "config" / "sources" / f"{source}.toml").read_text()
        (config / "sources" / f"{source}.toml").write_text(shipped.replace(site, http_server.url))
    (config / "callwatch.toml").write_text("[http]\nmin_interval = 0\nmax_attempts = 1\n")
    for name, value in {
        "CALLWATCH_DATABASE_URL": database_url, "CALLWATCH_CONFIG_DIR": str(config),
        "CALLWATCH_VAR_DIR": str(tmp_path / "var"), "CALLWATCH_LOG_LEVEL": "WARNING",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    http_server.route(SEARCH, _portal_answer(_portal_rows()), method="POST")
    built = build_app(load_settings(), migrate=True)
    yield built
    built.engine.dispose()


async def _poll(app: App, at: datetime, source_id: str = "ft-portal") -> RunReport:
    [source] = app.enabled_sources([source_id])
    async with app.http_client() as client:
        return await run_source(source, client=client, engine=app.engine, clock=lambda: at, unlist=app.unlist)


def _stored(engine: Engine) -> dict[str, tuple[str, bool, list[str]]]:
    """key -> (title, listed, deadlines in stage order as ISO instants)."""
    with session_scope(engine) as session:
        calls = list(session.exec(select(Call)))
        deadlines = repo.deadlines_for(session, call_ids=[call.id for call in calls])
        return {
            call.key: (
                call.title,
                call.listed,
                [d.at.astimezone(UTC).isoformat() for d in deadlines[call.id] if d.at],
            )
            for call in calls
        }


def _evidence(engine: Engine, key: str) -> tuple[bool, datetime | None, datetime | None, int]:
    with session_scope(engine) as session:
        row = session.exec(select(Call).where(Call.key == key)).one()
        return row.listed, row.unlisted_at, row.missing_since, row.missed_polls


def _history(engine: Engine) -> list[tuple[str, str, str | None, str | None]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(CallChange, Call).where(CallChange.call_id == Call.id).order_by(CallChange.id)
        )
        return [(call.key, change.field, change.kind, change.old_value) for change, call in rows]


def _portal_titles() -> dict[str, str]:
    return {row["metadata"]["identifier"][0]: row["metadata"]["title"][0] for row in _portal_rows()}


async def _first_portal_poll(app: App) -> dict[str, tuple[str, bool, list[str]]]:
    report = await _poll(app, T0)
    assert (report.status, report.new) == ("ok", 3)
    before = _stored(app.engine)
    titles = _portal_titles()
    assert before == {key: (titles[key], True, at) for key, at in PORTAL_CALLS.items()}
    return before


# --------------------------------------------------------------------------- suspect empty


async def test_empty_portal_answers_change_nothing_and_alert_on_the_second(
    app: App, http_server: LocalHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    before = await _first_portal_poll(app)
    http_server.route(SEARCH, EMPTY_PORTAL, method="POST")
    caplog.set_level(logging.ERROR, logger="callwatch.alerts")
    first = await _poll(app, T0 + timedelta(hours=6))
    assert (first.status, first.found, first.unlisted, first.failed) == ("suspect_empty", 0, 0, True)
    assert first.error == (
        "suspect empty answer: this complete poll lists 0 of the 3 listed calls, so it would have unlisted 3 "
        f"(all; {CL5}, {CLIMA}, {SOIL}); nothing was changed and the run counts as a failure"
    )
    assert [r for r in caplog.records if r.name == "callwatch.alerts"] == []
    # More than 24 h after the first empty answer: suspect polls are no evidence either.
    second = await _poll(app, T0 + timedelta(hours=31))
    assert (second.status, second.unlisted) == ("suspect_empty", 0)
    [alert] = [r.getMessage() for r in caplog.records if r.name == "callwatch.alerts"]
    assert alert.startswith(
        "ALERT source ft-portal (EU Funding & Tenders Portal (SEDIA search API)) failed 2 times in a row"
    )
    assert "suspect empty answer: this complete poll lists 0 of the 3 listed calls" in alert
    assert _stored(app.engine) == before and _history(app.engine) == []
    for key in PORTAL_CALLS:
        assert _evidence(app.engine, key) == (True, None, None, 0)
    with session_scope(app.engine) as session:
        health = repo.source_health(session, source_id="ft-portal")
        runs = [
            (run.status, run.error is not None) for run in repo.recent_runs(session, source_id="ft-portal")
        ]
    assert health is not None and health.consecutive_failures == 2
    assert runs == [("suspect_empty", True), ("suspect_empty", True), ("ok", False)]
    page = await _sources_page(app)
    row = page.select_one("tr#source-ft-portal")
    assert row is not None and "suspect_empty" in row.get_text(" ")
    assert row.select_one("td[data-label='Failures in a row']").get_text(" ", strip=True) == "2 (alert at 2)"
    # The source recovers: the same three calls again, no history at all, the streak ends.
    http_server.route(SEARCH, _portal_answer(_portal_rows()), method="POST")
    back = await _poll(app, T0 + timedelta(hours=37))
    assert (back.status, back.unchanged, back.changed) == ("ok", 3, 0)
    assert _stored(app.engine) == before and _history(app.engine) == []


async def _sources_page(app: App) -> BeautifulSoup:
    port = free_port()
    with running_web(app, port) as url:
        async with httpx.AsyncClient() as client:
            response = await client.get(url + "/sources")
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def _three_card_listing() -> bytes:
    """The reconstructed ECCP page 0 cut to its first three cards, without its next-page link."""
    soup = BeautifulSoup((ECCP / "listing_page0_RECONSTRUCTED.html").read_bytes(), "html.parser")
    for card in soup.select("div.search-result-item")[3:]:
        card.decompose()
    for pager in soup.select("nav.pager"):
        pager.decompose()
    return str(soup).encode()


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_eccp_no_results_page_changes_nothing_and_alerts_on_the_second(
    app: App, http_server: LocalHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.test_eccp import EXPECTED, SLUGS, detail_file, read

    listing = "/search-results?type=eccp_calls&page=0"
    http_server.route(listing, Reply(200, _three_card_listing(), HTML))
    for node, slug in SLUGS.items():
        http_server.route(f"/content/{slug}", Reply(200, read(detail_file(node)), HTML))
    first = _cli("poll", "eccp", "--now", "2026-11-21T09:00:00Z", "--json")
    assert first.exit_code == 0, first.output
    before = _stored(app.engine)
    assert before == {
        node: (
            EXPECTED[node]["title"],
            True,
            [at.replace("Z", ":00+00:00") for _, at, _, _ in EXPECTED[node]["deadlines"]],
        )
        for node in ("231990", "232540", "233015")
    }
    caplog.set_level(logging.ERROR, logger="callwatch.alerts")
    http_server.route(
        listing, Reply(200, (ECCP / "listing_empty_no-results_RECONSTRUCTED.html").read_bytes(), HTML)
    )
    for hour, failures in (("15", 1), ("21", 2)):
        result = _cli("poll", "eccp", "--now", f"2026-11-21T{hour}:00:00Z", "--json")
        assert result.exit_code == 1
        [report] = json.loads(result.stdout)
        assert (report["status"], report["found"], report["unlisted"]) == ("suspect_empty", 0, 0)
        assert report["error"].startswith(
            "suspect empty answer: this complete poll lists 0 of the 3 listed calls, "
            "so it would have unlisted 3 (all; "
        )
        [row] = [r for r in json.loads(_cli("sources", "--json").stdout) if r["id"] == "eccp"]
        assert (row["last_status"], row["consecutive_failures"], row["alerting"], row["listed_calls"]) == (
            "suspect_empty", failures, failures == 2, 3,
        )  # fmt: skip
    assert _stored(app.engine) == before and _history(app.engine) == []
    table = _cli("sources").stdout
    [line] = [text.split() for text in table.splitlines() if text.startswith("eccp ")]
    assert line == ["eccp", "eccp", "yes", "12h", "2026-11-21", "21:00", "suspect_empty", "3", "2"]
    [alert] = [r.getMessage() for r in caplog.records if r.name == "callwatch.alerts"]
    assert alert.startswith(
        "ALERT source eccp (European Cluster Collaboration Platform: open calls) failed 2 times"
    )


# --------------------------------------------------------------------------- evidence over time


async def test_call_missing_from_one_complete_poll_stays_listed(
    app: App, http_server: LocalHTTPServer
) -> None:
    before = await _first_portal_poll(app)
    http_server.route(SEARCH, _portal_without(SOIL), method="POST")
    at = T0 + timedelta(hours=6)
    report = await _poll(app, at)
    assert (report.status, report.unchanged, report.unlisted) == ("ok", 2, 0)
    assert report.warnings == [
        f"1 listed call(s) missing from this complete poll ({SOIL}): kept listed until complete polls "
        "miss them for 24 h and at least 2 polls"
    ]
    assert _stored(app.engine) == before and _history(app.engine) == []
    assert _evidence(app.engine, SOIL) == (True, None, at, 1)


async def test_missing_from_two_polls_less_than_a_day_apart_stays_listed(
    app: App, http_server: LocalHTTPServer
) -> None:
    before = await _first_portal_poll(app)
    http_server.route(SEARCH, _portal_without(SOIL), method="POST")
    first = T0 + timedelta(hours=6)
    for hours in (6, 12, 29):  # three misses, the last 23 h after the first
        assert (await _poll(app, T0 + timedelta(hours=hours))).unlisted == 0
    assert _stored(app.engine) == before and _history(app.engine) == []
    assert _evidence(app.engine, SOIL) == (True, None, first, 3)


async def test_missing_from_two_polls_25_hours_apart_is_unlisted_once(
    app: App, http_server: LocalHTTPServer
) -> None:
    before = await _first_portal_poll(app)
    http_server.route(SEARCH, _portal_without(SOIL), method="POST")
    first, second = T0 + timedelta(hours=6), T0 + timedelta(hours=31)
    assert (await _poll(app, first)).unlisted == 0
    report = await _poll(app, second)
    assert (report.status, report.unlisted, report.warnings) == ("ok", 1, [])
    title, _, deadlines = before[SOIL]
    assert _stored(app.engine) == {**before, SOIL: (title, False, deadlines)}
    assert _evidence(app.engine, SOIL) == (False, second, first, 2)
    later = await _poll(app, T0 + timedelta(hours=37))
    assert (later.unlisted, later.unchanged) == (0, 2)
    assert _history(app.engine) == [(SOIL, "listed", "removed", "listed")]
    with session_scope(app.engine) as session:
        [run] = [r for r in repo.recent_runs(session, source_id="ft-portal") if r.unlisted]
        assert (run.started_at, run.status, run.unlisted) == (second, "ok", 1)
    # Listed again: one "listed again" row, the evidence is gone.
    http_server.route(SEARCH, _portal_answer(_portal_rows()), method="POST")
    back = await _poll(app, T0 + timedelta(hours=43))
    assert (back.changed, back.unlisted) == (1, 0)
    assert _stored(app.engine) == before
    assert _history(app.engine) == [(SOIL, "listed", "removed", "listed"), (SOIL, "listed", "added", None)]
    assert _evidence(app.engine, SOIL) == (True, None, None, 0)


async def test_seen_again_resets_the_evidence(app: App, http_server: LocalHTTPServer) -> None:
    before = await _first_portal_poll(app)
    http_server.route(SEARCH, _portal_without(SOIL), method="POST")
    await _poll(app, T0 + timedelta(hours=6))
    http_server.route(SEARCH, _portal_answer(_portal_rows()), method="POST")
    seen = await _poll(app, T0 + timedelta(hours=12))
    assert (seen.unchanged, seen.changed, seen.warnings) == (3, 0, [])
    assert _evidence(app.engine, SOIL) == (True, None, None, 0)
    # Missed again 24 and 25 h after the first miss: the count starts over at the 30 h poll.
    http_server.route(SEARCH, _portal_without(SOIL), method="POST")
    for hours in (30, 31):
        assert (await _poll(app, T0 + timedelta(hours=hours))).unlisted == 0
    assert _stored(app.engine) == before and _history(app.engine) == []
    assert _evidence(app.engine, SOIL) == (True, None, T0 + timedelta(hours=30), 2)


async def test_configured_span_reaches_the_poll(app: App, http_server: LocalHTTPServer) -> None:
    path = app.settings.config_dir / "callwatch.toml"
    path.write_text(path.read_text() + "\n[poll]\nunlist_after_hours = 2\nunlist_after_polls = 3\n")
    configured = build_app(load_settings())
    assert (configured.unlist.after, configured.unlist.polls) == (timedelta(hours=2), 3)
    await _first_portal_poll(configured)
    http_server.route(SEARCH, _portal_without(CLIMA), method="POST")
    for hours, unlisted in ((1, 0), (3, 0), (4, 1)):  # 2 h reached at the second miss, 3 polls at the third
        assert (await _poll(configured, T0 + timedelta(hours=hours))).unlisted == unlisted
    assert _evidence(configured.engine, CLIMA) == (False, T0 + timedelta(hours=4), T0 + timedelta(hours=1), 3)
    configured.engine.dispose()


@pytest.mark.parametrize(
    ("text", "wording"),
    [("unlist_after_polls = 1", "unlist_after_polls"), ("unlist_after_hours = -1", "unlist_after_hours")],
)
def test_poll_settings_are_validated(tmp_path: Path, text: str, wording: str) -> None:
    (tmp_path / "callwatch.toml").write_text(f"[poll]\n{text}\n")
    with pytest.raises(SourceConfigError, match=wording):
        load_defaults(tmp_path)


# --------------------------------------------------------------------------- the store's rules


def _call(key: str) -> CallIn:
    return CallIn(key=key, title=f"Call {key}")


def _store(engine: Engine, keys: str, *, at: datetime, complete: bool = True) -> repo.StoreCounts:
    with session_scope(engine) as session:
        repo.sync_source(session, config=scripted_config("demo", "http://example.invalid/"), now=at)
        return repo.store_calls(
            session, source_id="demo", run_id=None, calls=[_call(k) for k in keys], complete=complete, now=at
        )


def test_incomplete_polls_never_count(engine: Engine) -> None:
    _store(engine, "ABCD", at=T0)
    _store(engine, "ABC", at=T0 + timedelta(hours=1))
    counts = _store(engine, "AB", at=T0 + timedelta(hours=30), complete=False)
    assert (counts.unlisted, counts.warnings, counts.suspect_empty) == (0, [], None)
    assert _evidence(engine, "D") == (True, None, T0 + timedelta(hours=1), 1)
    assert _evidence(engine, "C") == (True, None, None, 0)


def test_exactly_half_missing_is_believed_more_than_half_is_not(engine: Engine) -> None:
    _store(engine, "ABCD", at=T0)
    assert _store(engine, "AB", at=T0 + timedelta(hours=1)).suspect_empty is None
    held = _store(engine, "AE", at=T0 + timedelta(hours=26))
    assert held.suspect_empty == (
        "suspect empty answer: this complete poll lists 1 of the 4 listed calls, so it would have unlisted 3 "
        "(more than half; B, C, D); nothing was changed and the run counts as a failure"
    )
    assert (held.new, held.unlisted) == (0, 0)
    # Held back entirely: not the new call E, no evidence, no unlisting (C would have been due).
    assert _evidence(engine, "C") == (True, None, T0 + timedelta(hours=1), 1)
    assert _evidence(engine, "B") == (True, None, None, 0)
    with session_scope(engine) as session:
        assert sorted(row.key for row in session.exec(select(Call))) == ["A", "B", "C", "D"]
