"""`callwatch poll ft-portal` end to end: the real console logic, the real
polite client, a real local HTTP server answering with the recorded SEDIA
records, and the database. Expected values were read by hand from the
fixture files (see tests/fixtures/ft_portal/PROVENANCE.md).

The pages are assembled here from real records (and the two RECONSTRUCTED
cascade records): 19 rows in pages of 5, `totalResults` 19, envelope of the
AarhusAI excerpt. The 10 bg rows come from the "unfiltered" page, whose
real envelope (totalResults 541,009) is tested separately.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner
from sqlalchemy import event
from sqlmodel import select

from db.engine import make_engine, session_scope
from db.models import CallChange
from monitor.cli import main
from monitor.poll.pipeline import run_source
from sources import build_source, load_source_config
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from tests.httpserver import LocalHTTPServer, Reply, SeenRequest

FIXTURES = Path(__file__).parent / "fixtures" / "ft_portal"
SEARCH = "/search-api/prod/rest/search"
NOW = "2026-11-21T09:00:00Z"
PAGE_SIZE = 5


def _rows() -> list[dict]:
    rows = []
    for number in (1, 2, 3):
        rows += json.loads((FIXTURES / f"sedia_paged_DERIVED_page{number}_of_3.json").read_text())["results"]
    rows += json.loads(
        (FIXTURES / "sedia_cascade_type8_SMP-COSME-2024-CLUSTER-01_RECONSTRUCTED.json").read_text()
    )["results"]
    bg = json.loads(
        (FIXTURES / "sedia_search_response_full_page_10results_apiv2.132_closed_bg.json").read_text()
    )
    return rows + bg["results"]


def _pages(rows: list[dict]) -> dict[int, bytes]:
    envelope = json.loads(
        (FIXTURES / "sedia_search_response_excerpt_2026_new-style_records_AarhusAI.json").read_text()
    )
    pages = {}
    for number in range(1, math.ceil(len(rows) / PAGE_SIZE) + 1):
        chunk = rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        body = {
            **envelope,
            "totalResults": len(rows),
            "pageNumber": number,
            "pageSize": PAGE_SIZE,
            "results": chunk,
        }
        pages[number] = json.dumps(body).encode()
    return pages


def _serve(server: LocalHTTPServer, rows: list[dict]) -> None:
    pages = _pages(rows)

    def answer(request: SeenRequest) -> Reply:
        number = int(parse_qs(request.query)["pageNumber"][0])
        return Reply(
            200,
            pages.get(number, b'{"totalResults": 0, "results": []}'),
            {"Content-Type": "application/json"},
        )

    server.route(SEARCH, answer, method="POST")


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, http_server: LocalHTTPServer):
    for name in list(os.environ):
        if name.startswith("CALLWATCH_"):
            monkeypatch.delenv(name)
    sources = tmp_path / "config" / "sources"
    sources.mkdir(parents=True)
    shipped = (Path(__file__).parents[1] / "config" / "sources" / "ft-portal.toml").read_text()
    config = shipped.replace("https://api.tech.ec.europa.eu", http_server.url).replace(
        "page_size = 100", f"page_size = {PAGE_SIZE}"
    )
    (sources / "ft-portal.toml").write_text(config)
    for name, value in {
        "CALLWATCH_DATABASE_URL": database_url, "CALLWATCH_CONFIG_DIR": str(tmp_path / "config"),
        "CALLWATCH_VAR_DIR": str(tmp_path / "var"), "CALLWATCH_LOG_LEVEL": "WARNING",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    _serve(http_server, _rows())
    return http_server


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _calls() -> dict[str, dict]:
    result = _cli("calls", "--status", "all", "--json")
    assert result.exit_code == 0, result.output
    return {call["key"]: call for call in json.loads(result.stdout)}


def _deadlines(call: dict) -> list[tuple[str | None, str, str]]:
    return [(d["label"], d["at_utc"], d["at_brussels"]) for d in call["deadlines"]]


def test_poll_stores_the_right_calls(portal: LocalHTTPServer) -> None:
    result = _cli("poll", "ft-portal", "--now", NOW, "--json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    assert (report["status"], report["new"], report["found"]) == ("ok", 17, 17)
    assert len(portal.requests_to(SEARCH)) == 4
    calls = _calls()
    assert len(calls) == 17

    cl5 = calls["HORIZON-CL5-2024-D2-01-03"]
    assert cl5["title"].startswith("Development of technical and business solutions to optimise")
    assert cl5["url"].endswith("/topic-details/horizon-cl5-2024-d2-01-03")
    assert cl5["programme"] == "Horizon Europe" and cl5["funding_type"] == "grant"
    # portal said 19:00+02:00; rule: Brussels date, 17:00 Brussels (CEST) = 15:00 UTC
    assert _deadlines(cl5) == [(None, "2024-04-18T15:00:00Z", "2024-04-18T17:00:00+02:00")]
    assert (cl5["status"], cl5["status_from_source"]) == ("closed", "forthcoming")

    # the cs/en/bg rows collapse to one call carrying the English deadline (27 Nov, not 26 Nov)
    msca = calls["HORIZON-MSCA-2024-DN-01-01"]
    assert _deadlines(msca) == [(None, "2024-11-27T16:00:00Z", "2024-11-27T17:00:00+01:00")]
    assert msca["deadlines"][0]["wording"] == "2024-11-27T17:00:00.000+0000"

    soil = calls["HORIZON-MISS-2027-05-SOIL-01-two-stage"]
    assert _deadlines(soil) == [
        ("Stage 1", "2027-04-08T15:00:00Z", "2027-04-08T17:00:00+02:00"),
        ("Stage 2", "2027-09-14T15:00:00Z", "2027-09-14T17:00:00+02:00"),
    ]
    assert soil["deadline_model"] == "two-stage"
    assert (soil["status"], soil["opens_at"], soil["next_deadline"]) == (
        "forthcoming", "2027-02-04T00:00:00Z", "2027-04-08T15:00:00Z",
    )  # fmt: skip

    cl3 = calls["HORIZON-CL3-2026-02-CS-ECCC-01"]
    assert _deadlines(cl3) == [(None, "2026-09-15T15:00:00Z", "2026-09-15T17:00:00+02:00")]
    assert cl3["status"] == "closed"  # the portal still says open; the deadline has passed

    era = calls["HORIZON-WIDERA-2023-ERA-01-02"]
    assert era["title"] == (
        "A strong European R&I Foresight Community to better inform R&I policy decisions"
        " in the European Research Area about potential futures"
    )
    assert era["budget"] | {"wording": None} == {
        "total": 2000000, "currency": "EUR", "per_project_min": 2000000, "per_project_max": 2000000,
        "expected_grants": 1, "wording": None,
    }  # fmt: skip
    assert _deadlines(era) == [(None, "2023-03-09T16:00:00Z", "2023-03-09T17:00:00+01:00")]
    # "Eligible countries: described in Annex B of the Work Programme General Annexes"
    assert era["eligibility"]["country_groups"] == ["EU", "HORIZON-ASSOCIATED"]
    assert {"PT", "DE", "NO", "UA", "GB"} <= set(era["eligibility"]["countries"])
    assert "Annex B of the Work Programme General Annexes" in era["eligibility"]["countries_wording"]

    euaf = calls["EUAF-2023-TRAI-03"]
    # "described in section 6 of the call document": not knowable from the search API
    assert euaf["eligibility"]["countries"] == [] and euaf["eligibility"]["country_groups"] == []
    assert euaf["programme"] == "Union Anti-Fraud Programme" and euaf["budget"]["total"] == 900000
    assert calls["CEF-T-2022-CORECOEN-MARP-WORKS"]["programme"] == "Connecting Europe Facility"


def test_cascade_calls_are_stored_under_their_own_key(portal: LocalHTTPServer) -> None:
    assert _cli("poll", "ft-portal", "--now", NOW).exit_code == 0
    calls = _calls()
    powerup, resist = calls["14703"], calls["14063"]
    assert powerup["funding_type"] == resist["funding_type"] == "cascade"
    assert powerup["parent"]["identifier"] == resist["parent"]["identifier"] == "SMP-COSME-2024-CLUSTER-01"
    assert powerup["url"].endswith("/competitive-calls-cs/14703")
    assert powerup["programme"] == "Single Market Programme"
    assert (powerup["budget"]["total"], powerup["budget"]["currency"]) == (600000, "EUR")
    assert _deadlines(powerup) == [
        ("Cut-off 1", "2025-03-31T15:00:00Z", "2025-03-31T17:00:00+02:00"),
        ("Cut-off 2", "2025-06-30T15:00:00Z", "2025-06-30T17:00:00+02:00"),
    ]
    eligibility = powerup["eligibility"]
    assert {"EU", "SMP-ASSOCIATED"} <= set(eligibility["country_groups"])
    assert {"DE", "FR", "PT", "NO", "UA"} <= set(eligibility["countries"])
    assert "sme" in eligibility["organisation_types"]


def _count_call_writes(engine) -> list[str]:  # noqa: ANN001
    writes: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        lowered = statement.lstrip().lower()
        if lowered.startswith(("insert", "update", "delete")) and any(
            f" {table}" in lowered.split("(")[0] for table in ("call ", "call\n", "deadline", "callchange")
        ):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return writes


async def _poll_in_process(config_dir: Path, database_url: str):
    source = build_source(load_source_config(config_dir / "sources" / "ft-portal.toml"))
    engine = make_engine(database_url)
    writes = _count_call_writes(engine)
    now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    async with PoliteClient(HttpPolicy(min_interval=0)) as client:
        report = await run_source(source, client=client, engine=engine, clock=lambda: now, strict=True)
    return report, writes, engine


async def test_second_identical_poll_writes_nothing(portal: LocalHTTPServer, database_url: str) -> None:
    config_dir = Path(os.environ["CALLWATCH_CONFIG_DIR"])
    first, _, _ = await _poll_in_process(config_dir, database_url)
    assert first.new == 17
    second, writes, _ = await _poll_in_process(config_dir, database_url)
    assert (second.new, second.changed, second.unchanged, second.unlisted) == (0, 0, 17, 0)
    assert writes == []


async def test_moved_deadline_gives_exactly_one_typed_change(
    portal: LocalHTTPServer, database_url: str
) -> None:
    config_dir = Path(os.environ["CALLWATCH_CONFIG_DIR"])
    await _poll_in_process(config_dir, database_url)
    rows = _rows()
    for row in rows:
        if row["metadata"].get("identifier") == ["HORIZON-MISS-2027-05-SOIL-01-two-stage"]:
            row["metadata"]["deadlineDate"] = ["2027-04-08T00:00:00.000+0000", "2027-09-21T00:00:00.000+0000"]
    _serve(portal, rows)
    report, _, engine = await _poll_in_process(config_dir, database_url)
    assert (report.changed, report.unchanged) == (1, 16)
    with session_scope(engine) as session:
        [change] = session.exec(select(CallChange)).all()
    assert (change.field, change.kind) == ("deadline", "changed")
    old, new = json.loads(change.old_value), json.loads(change.new_value)
    assert (old["label"], old["at"], new["at"]) == (
        "Stage 2",
        "2027-09-14T15:00:00+00:00",
        "2027-09-21T15:00:00+00:00",
    )


def test_unfiltered_answer_fails_the_run_and_keeps_calls(portal: LocalHTTPServer) -> None:
    assert _cli("poll", "ft-portal", "--now", NOW).exit_code == 0
    body = (FIXTURES / "sedia_search_response_full_page_10results_apiv2.132_closed_bg.json").read_bytes()
    portal.route(SEARCH, Reply(200, body, {"Content-Type": "application/json"}), method="POST")
    result = _cli("poll", "ft-portal", "--now", NOW, "--json")
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)
    assert report["status"] == "failed" and "541009" in report["error"].replace(",", "")
    assert all(call["listed"] for call in _calls().values()) and len(_calls()) == 17
