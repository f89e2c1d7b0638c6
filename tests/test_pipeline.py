"""The pipeline over real sockets: a source that fails in any way is recorded
as a failed run, loses nothing, and never stops the other sources."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Call, FetchRun, RunStatus, Source
from monitor.poll.pipeline import poll_sources, run_source
from sources import build_source
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from tests.httpserver import LocalHTTPServer, Reply
from tests.kinds import scripted_config

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CALLS = [
    {
        "key": "A",
        "title": "Hydrogen valleys",
        "deadlines": [{"at": "2027-03-12T16:00:00Z", "text": "12 March 2027"}],
    },
    {"key": "B", "title": "Agri-food vouchers", "deadline_text": "Deadline: 30 April 2027, 17:00 CET"},
]


def _json(payload: object, **headers: str) -> Reply:
    return Reply(200, json.dumps(payload), {"Content-Type": "application/json", **headers})


def _client() -> PoliteClient:
    return PoliteClient(HttpPolicy(min_interval=0.0, max_attempts=2, backoff_base=0.01, deadline=5))


async def _poll(server: LocalHTTPServer, engine: Engine, *paths: str, now: datetime = NOW):
    sources = [build_source(scripted_config(p.strip("/"), server.url + p)) for p in paths]
    async with _client() as client:
        return await poll_sources(sources, client=client, engine=engine, clock=lambda: now, strict=True)


def _listed(engine: Engine) -> dict[str, tuple[str, bool]]:
    with session_scope(engine) as session:
        return {row.key: (row.status, row.listed) for row in session.exec(select(Call))}


async def test_successful_poll_stores_normalised_calls(http_server: LocalHTTPServer, engine: Engine) -> None:
    http_server.route("/good", _json(CALLS))
    [report] = await _poll(http_server, engine, "/good")
    assert (report.status, report.new, report.found) == (RunStatus.OK, 2, 2)
    with session_scope(engine) as session:
        b = session.exec(select(Call).where(Call.key == "B")).one()
        # 30 April 2027 17:00 CET written in summer = Brussels wall clock = 15:00 UTC
        assert b.next_deadline_at == datetime(2027, 4, 30, 15, 0, tzinfo=UTC)
        assert b.status == "open"
        run = session.exec(select(FetchRun)).one()
        assert (run.status, run.new, run.requests) == ("ok", 2, 1)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(503, "down"), "fetch failed"),
        (Reply(404, "gone"), "fetch failed"),
        (Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"}), "parse failed"),
        (Reply(200, '{"not": "a list"}', {"Content-Type": "application/json"}), "parse failed"),
        (Reply(200, '[{"key": "A"', {"Content-Type": "application/json"}), "parse failed"),
    ],
    ids=["503", "404", "html-instead-of-json", "wrong-shape", "truncated-json"],
)
async def test_failing_source_loses_nothing(
    http_server: LocalHTTPServer, engine: Engine, reply: Reply, reason: str
):
    http_server.route("/flaky", _json(CALLS), reply)
    await _poll(http_server, engine, "/flaky")
    before = _listed(engine)
    [report] = await _poll(http_server, engine, "/flaky", now=NOW + timedelta(hours=6))
    assert report.failed and report.error.startswith(reason)
    assert _listed(engine) == before == {"A": ("open", True), "B": ("open", True)}
    with session_scope(engine) as session:
        source = session.get(Source, "flaky")
        assert source.consecutive_failures == 1 and source.last_success_at == NOW
        assert source.last_error.startswith(reason)


async def test_one_broken_source_does_not_stop_the_others(
    http_server: LocalHTTPServer, engine: Engine
) -> None:
    http_server.route("/first", _json(CALLS[:1]))
    http_server.route("/broken", Reply(500, "boom"))
    http_server.route("/last", _json(CALLS[1:]))
    reports = await _poll(http_server, engine, "/first", "/broken", "/last")
    assert [(r.source_id, r.status) for r in reports] == [
        ("first", RunStatus.OK), ("broken", RunStatus.FAILED), ("last", RunStatus.OK),
    ]  # fmt: skip
    assert set(_listed(engine)) == {"A", "B"}


async def test_consecutive_failures_count_and_reset(http_server: LocalHTTPServer, engine: Engine) -> None:
    http_server.route("/s", Reply(503), Reply(503), Reply(503), Reply(503), _json(CALLS))
    await _poll(http_server, engine, "/s")
    await _poll(http_server, engine, "/s")
    with session_scope(engine) as session:
        assert session.get(Source, "s").consecutive_failures == 2
    await _poll(http_server, engine, "/s")
    with session_scope(engine) as session:
        assert session.get(Source, "s").consecutive_failures == 0


async def test_not_modified_source_writes_no_calls(
    http_server: LocalHTTPServer, engine: Engine, tmp_path
) -> None:
    body = tmp_path / "calls.json"
    body.write_text(json.dumps(CALLS))
    http_server.serve_file("/cond", body, "application/json", etag='"v1"')
    await _poll(http_server, engine, "/cond")
    [report] = await _poll(http_server, engine, "/cond", now=NOW + timedelta(hours=6))
    assert report.status == RunStatus.NOT_MODIFIED
    assert http_server.requests_to("/cond")[-1].headers.get("If-None-Match") == '"v1"'
    with session_scope(engine) as session:
        assert len(session.exec(select(Call)).all()) == 2


async def test_a_bug_is_recorded_not_raised_outside_strict_mode(engine: Engine) -> None:
    class Boom(Exception):
        pass

    source = build_source(scripted_config("buggy", "http://127.0.0.1:9/"))

    async def crash(client, *, validators=None):  # noqa: ANN001
        raise Boom("bug in a parser")

    source.harvest = crash  # type: ignore[method-assign]
    async with _client() as client:
        report = await run_source(source, client=client, engine=engine, clock=lambda: NOW)
        assert report.failed and "internal error" in report.error and "bug in a parser" in report.error
        with pytest.raises(Boom):
            await run_source(source, client=client, engine=engine, clock=lambda: NOW, strict=True)
    with session_scope(engine) as session:
        assert [r.status for r in repo.recent_runs(session, source_id="buggy")][-1] == "failed"


async def test_operator_alert_once_per_failure_streak(
    http_server: LocalHTTPServer, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # max_attempts=2: each failed poll takes two 503s.
    http_server.route("/s", *[Reply(503)] * 6, _json(CALLS), *[Reply(503)] * 4)
    caplog.set_level("ERROR", logger="callwatch.alerts")

    def alerts() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "callwatch.alerts"]

    await _poll(http_server, engine, "/s")
    assert alerts() == []  # one failure: below alert_after_failures = 2
    await _poll(http_server, engine, "/s")
    [alert] = alerts()
    assert alert.startswith("ALERT source s (") and "failed 2 times in a row (never succeeded): " in alert
    assert "HTTP 503" in alert
    await _poll(http_server, engine, "/s")
    assert len(alerts()) == 1  # the streak goes on: no second alert
    await _poll(http_server, engine, "/s")  # success resets the streak
    await _poll(http_server, engine, "/s", now=NOW + timedelta(hours=6))
    await _poll(http_server, engine, "/s", now=NOW + timedelta(hours=12))
    assert len(alerts()) == 2 and "last success 21 Nov 2026 10:00 Brussels" in alerts()[1]
    with session_scope(engine) as session:
        assert [h.source_id for h in repo.failing_sources(session)] == ["s"]


async def test_poll_sources_announces_each_source_before_its_run(
    http_server: LocalHTTPServer, engine: Engine
) -> None:
    """`callwatch poll` shows the running source's pages live: it needs the start of each run."""
    http_server.route("/one", _json(CALLS[:1]))
    http_server.route("/two", _json(CALLS))
    events: list[str] = []
    sources = [build_source(scripted_config(p, f"{http_server.url}/{p}")) for p in ("one", "two")]
    async with _client() as client:
        await poll_sources(
            sources,
            client=client,
            engine=engine,
            clock=lambda: NOW,
            on_start=lambda source: events.append(f"start {source.id} after {client.requests} requests"),
            on_done=lambda report: events.append(f"done {report.source_id}: {report.found} found"),
        )
    assert events == [
        "start one after 0 requests",
        "done one: 1 found",
        "start two after 1 requests",
        "done two: 2 found",
    ]


async def test_polls_that_keep_missing_pages_alert_once_per_streak_naming_the_pages(
    http_server: LocalHTTPServer, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 16: a source with 60 % of its detail pages failing used to end 'incomplete' with
    failures 0, forever, and never alert. Now it alerts at `alert_after_incomplete` (default 3)."""
    pages = [f"{http_server.url}/detail/{n}" for n in range(5)]
    http_server.route("/partial", *[_json({"calls": CALLS, "pages": pages})] * 6)
    for n in range(2):
        http_server.route(f"/detail/{n}", Reply(200, "<html>ok</html>", {"Content-Type": "text/html"}))
    for n in range(2, 5):  # 3 of 5 pages fail for the first four polls (two attempts each)
        http_server.route(f"/detail/{n}", *[Reply(500)] * 8, Reply(200, "<html>ok</html>"))
    caplog.set_level("ERROR", logger="callwatch.alerts")

    def alerts() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "callwatch.alerts"]

    for poll in range(2):
        [report] = await _poll(http_server, engine, "/partial", now=NOW + timedelta(hours=6 * poll))
        assert report.status == RunStatus.INCOMPLETE and not report.failed
    assert alerts() == []
    await _poll(http_server, engine, "/partial", now=NOW + timedelta(hours=12))
    [alert] = alerts()
    assert alert.startswith("ALERT source partial (Partial) was incomplete 3 polls in a row: ")
    assert f"detail page {pages[2]} not read" in alert and "(and" not in alert
    with session_scope(engine) as session:
        [health] = repo.incomplete_sources(session)
        assert (health.consecutive_incomplete, health.consecutive_failures) == (3, 0)
        first_streak = repo.streak_start(session, source_id="partial")
    await _poll(http_server, engine, "/partial", now=NOW + timedelta(hours=18))
    assert len(alerts()) == 1  # the same streak: no second alert
    [report] = await _poll(http_server, engine, "/partial", now=NOW + timedelta(hours=24))
    assert report.status == RunStatus.OK  # every page read: the streak ends
    with session_scope(engine) as session:
        assert repo.incomplete_sources(session) == []
        assert repo.streak_start(session, source_id="partial") > first_streak
    assert _listed(engine) == {"A": ("open", True), "B": ("open", True)}  # nothing lost meanwhile
