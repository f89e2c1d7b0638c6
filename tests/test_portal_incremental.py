"""The portal's hourly incremental pass and its full sweep, through the pipeline, on the replay.

The replay (`monitor.demo.replay` with a `"search": true` entry, `monitor.demo.search`) serves a
set of search records generated from the recorded ones (bench.data.ft_records, every record given
an `esDA_QueueDate` over the month before now, stored in random order) sorted by the request's
`sort` part and paged by its URL, as formats.md §1.1 describes the API; `honour_sort=False` plays an
API that ignores the sort. Bytes are counted by the poll's run row.
"""

from __future__ import annotations

import copy
import json
import logging
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import select

from bench.data import ft_envelope, ft_records
from db import repo
from db.engine import session_scope
from db.models import Call, RunStatus
from monitor.demo.replay import Recording, ReplayServer
from monitor.demo.search import SearchIndex, multipart_parts, sort_spec
from monitor.poll.pipeline import RunReport, run_source
from sources import build_source, load_source_config
from sources.base import STATE_KEY
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from sources.ft_portal import FtPortalSource
from sources.ft_portal.incremental import (
    FallBack,
    PassState,
    check_order,
    full_sweep_reason,
    incremental_rows,
)
from sources.ft_portal.query import FtPortalConfig, search_files
from sources.ft_portal.records import record_key

ROOT = Path(__file__).resolve().parents[1]
ORIGIN = "https://api.tech.ec.europa.eu"
SEARCH = "/search-api/prod/rest/search"
# Enough records for the shipped page sizes to matter (4 full pages of 100, one hourly page of 20);
# the other tests take fewer (2 full pages) to stay quick.
COUNT = 400
SMALL = 150


def stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%S}.000+0000"


def dataset(now: datetime, count: int = COUNT) -> list[dict[str, Any]]:
    records = ft_records(count, now=now)
    rng = random.Random(3)
    for record in records:
        record["metadata"]["esDA_QueueDate"] = [stamp(now - timedelta(minutes=rng.randint(90, 30 * 24 * 60)))]
    rng.shuffle(records)
    return records


def recording(tmp_path: Path, records: list[dict[str, Any]]) -> Recording:
    folder = tmp_path / "ft-portal"
    folder.mkdir()
    answer = {**ft_envelope(), "totalResults": len(records), "results": records}
    (folder / "dataset.json").write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    entry = {"method": "POST", "path": SEARCH, "query": "apiKey=SEDIA&text=***", "status": 200,
             "content_type": "application/json", "body": "dataset.json", "search": True}  # fmt: skip
    index = {"origin": ORIGIN, "now": "2026-11-21T09:00:00Z", "about": "generated", "requests": [entry]}
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    return Recording.load("ft-portal", root=tmp_path)


class Portal:
    """The shipped ft-portal config pointed at a replay, polled at a chosen time."""

    def __init__(self, tmp_path: Path, replay: ReplayServer, engine: Engine) -> None:
        text = (ROOT / "config" / "sources" / "ft-portal.toml").read_text(encoding="utf-8")
        path = tmp_path / "ft-portal.toml"
        path.write_text(text.replace(ORIGIN, replay.url), encoding="utf-8")
        self.source = build_source(load_source_config(path))
        self.engine, self.index = engine, replay.search("dataset.json")

    async def poll(self, at: datetime) -> RunReport:
        self.source.clock = lambda: at  # type: ignore[attr-defined]
        async with PoliteClient(HttpPolicy(min_interval=0, max_attempts=1)) as client:
            return await run_source(
                self.source, client=client, engine=self.engine, clock=lambda: at, strict=True
            )

    def run(self) -> Any:
        with session_scope(self.engine) as session:
            return repo.recent_runs(session, source_id="ft-portal", limit=1)[0]

    def calls(self) -> dict[str, Call]:
        with session_scope(self.engine) as session:
            rows = session.exec(select(Call)).all()
            session.expunge_all()
            return {row.key: row for row in rows}


async def test_hourly_pass_downloads_at_most_a_tenth_of_a_full_sweep(
    tmp_path: Path, engine: Engine, now: datetime
) -> None:
    with ReplayServer(recording(tmp_path, dataset(now))) as replay:
        portal = Portal(tmp_path, replay, engine)
        full = await portal.poll(now)
        full_run = portal.run()
        hourly = await portal.poll(now + timedelta(hours=1))
        hourly_run = portal.run()
    assert replay.missing == []
    assert (full.status, full_run.requests) == (RunStatus.OK, 4) and full.found > 300
    assert hourly.status == RunStatus.INCREMENTAL and hourly_run.requests == 1
    assert hourly_run.bytes <= 0.10 * full_run.bytes, (hourly_run.bytes, full_run.bytes)
    assert (hourly.new, hourly.changed, hourly.unlisted) == (0, 0, 0)


async def test_a_changed_call_appears_after_one_hourly_pass(
    tmp_path: Path, engine: Engine, now: datetime
) -> None:
    records = dataset(now, SMALL)
    with ReplayServer(recording(tmp_path, records)) as replay:
        portal = Portal(tmp_path, replay, engine)
        await portal.poll(now)
        oldest = min(records, key=lambda r: r["metadata"]["esDA_QueueDate"][0])
        changed = copy.deepcopy(oldest)
        changed["metadata"]["title"] = ["Retitled on the portal"]
        changed["metadata"]["esDA_QueueDate"] = [stamp(now + timedelta(minutes=20))]
        portal.index.put(changed)
        added = copy.deepcopy(next(r for r in records if r["metadata"]["type"] == ["1"]))
        added["reference"] = "NEW-CALL-REFERENCE"
        added["metadata"]["identifier"] = ["HORIZON-NEW-2027-01"]
        added["metadata"]["esDA_QueueDate"] = [stamp(now + timedelta(minutes=30))]
        portal.index.put(added)
        hourly = await portal.poll(now + timedelta(hours=1))
    assert (hourly.status, hourly.changed, hourly.new, hourly.unlisted) == (RunStatus.INCREMENTAL, 1, 1, 0)
    assert sum(call.title == "Retitled on the portal" for call in portal.calls().values()) == 1


async def test_an_api_ignoring_the_sort_triggers_the_full_sweep_fallback(
    tmp_path: Path, engine: Engine, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    with ReplayServer(recording(tmp_path, dataset(now, SMALL)), honour_sort=False) as replay:
        portal = Portal(tmp_path, replay, engine)
        await portal.poll(now)
        with caplog.at_level(logging.WARNING, logger="sources.ft_portal"):
            again = await portal.poll(now + timedelta(hours=1))
    assert again.status == RunStatus.OK and portal.run().requests == 1 + 2  # the page that told, then all
    told = [w for w in again.warnings if w.startswith("incremental pass abandoned, full sweep instead")]
    assert len(told) == 1 and "not sorted by esDA_QueueDate" in told[0]
    assert any("not sorted" in record.getMessage() for record in caplog.records)


async def test_an_incremental_pass_unlists_nothing(
    tmp_path: Path, engine: Engine, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    records = dataset(now, SMALL)
    with ReplayServer(recording(tmp_path, records)) as replay:
        portal = Portal(tmp_path, replay, engine)
        await portal.poll(now)
        for record in records[:30]:
            portal.index.remove(record["reference"])
        with caplog.at_level(logging.ERROR, logger="callwatch.alerts"):
            for hour in range(1, 4):
                hourly = await portal.poll(now + timedelta(hours=hour))
                assert (hourly.status, hourly.unlisted) == (RunStatus.INCREMENTAL, 0)
        assert caplog.records == []  # no "incomplete" alert
        calls = portal.calls()
        assert all(call.listed and call.missed_polls == 0 for call in calls.values())
        with session_scope(engine) as session:
            health = repo.source_health(session, source_id="ft-portal")
            state = repo.source_validators(session, source_id="ft-portal")[STATE_KEY]
        assert health is not None and health.consecutive_incomplete == 0 and health.consecutive_failures == 0
        assert state["full_at"] == now.isoformat()
        # The daily full sweep is the poll that counts missing calls (unlisted later, on evidence).
        sweep = await portal.poll(now + timedelta(hours=24))
    assert sweep.status == RunStatus.OK and portal.run().requests == 2
    stored = portal.calls()
    missed = {key for key, call in stored.items() if call.missed_polls == 1}
    assert missed == {record_key(record) for record in records[:30]} & set(stored) and len(missed) > 20


# --------------------------------------------------------------------------- the rules, one by one


def config(**overrides: Any) -> FtPortalConfig:
    return FtPortalConfig(id="ft-portal", name="F&T", kind="ft-portal", **overrides)


def at(hour: int) -> datetime:
    return datetime(2026, 11, 21, hour, 0).astimezone()


def test_dates_must_come_newest_first_with_undated_rows_last() -> None:
    assert check_order([at(9), at(9), at(8), None, None], True) is None
    assert "newer than the one before" in (check_order([at(8), at(9)], True) or "")
    assert "after a row without one" in (check_order([None, at(8)], True) or "")
    assert "newer than the one before" in (check_order([at(9)], at(8)) or "")  # across pages


class Answer:
    def __init__(self, total: int, results: list[Any]) -> None:
        self.total, self.results = total, results


def rows(*hours: int) -> list[dict[str, Any]]:
    return [{"metadata": {"esDA_QueueDate": [stamp(at(hour))]}} for hour in hours]


async def test_a_grown_total_without_a_newer_record_is_an_ignored_sort() -> None:
    state = PassState(mark=at(10), full_at=at(0), total=5, dated=5, records=5)

    async def fetch(number: int) -> Answer:
        return Answer(6, rows(9, 8, 7))  # sorted, but nothing newer than the mark although one is new

    with pytest.raises(FallBack, match="totalResults grew from 5 to 6"):
        await incremental_rows(fetch, config(), state)

    async def honest(number: int) -> Answer:
        return Answer(6, rows(11, 9, 7))  # 7:00 is before the mark minus the 2 h margin: the last page

    found, total, newest = await incremental_rows(honest, config(), state)
    assert (len(found), total, newest) == (3, 6, at(11))


def test_when_a_poll_is_a_full_sweep() -> None:
    good = PassState(mark=at(8), full_at=at(1), total=9, dated=9, records=9)
    assert full_sweep_reason(good, config(), at(2)) is None
    assert "off" in (full_sweep_reason(good, config(incremental=False), at(2)) or "")
    assert "no complete full sweep" in (full_sweep_reason(PassState(), config(), at(2)) or "")
    assert "older than 24h" in (full_sweep_reason(good, config(), at(1) + timedelta(hours=24)) or "")
    sparse = PassState(mark=at(8), full_at=at(1), total=9, dated=1, records=9)
    assert "only 1 of the 9 records carry esDA_QueueDate" in (
        full_sweep_reason(sparse, config(), at(2)) or ""
    )
    assert PassState.load({"mark": "garbage"}) == PassState() and PassState.load(None) == PassState()
    assert PassState.load(good.dump()) == good


def test_incremental_settings_are_validated_at_load() -> None:
    assert (config().interval, config().full_sweep_interval, config().incremental_margin) == (
        "1h",
        "24h",
        "2h",
    )
    for bad in (
        {"full_sweep_interval": "30m"},  # shorter than the hourly interval
        {"incremental_margin": "soon"},
        {"incremental_page_size": 0},
        {"min_dated_share": 1.5},
        {"full_sweep": "24h"},  # a typo
    ):
        with pytest.raises(ValidationError):
            config(**bad)
    assert config(incremental=False, full_sweep_interval="30m").incremental is False


def test_the_replay_sorts_and_pages_like_the_api() -> None:
    records = [{"reference": str(n), "metadata": {"esDA_QueueDate": [stamp(at(n))]}} for n in (3, 9, 5)]
    records.append({"reference": "undated", "metadata": {}})
    body = json.dumps({"totalResults": 4, "results": records}).encode()
    files = search_files(config(), sort=[{"field": "esDA_QueueDate", "order": "DESC"}])
    request = httpx.Request("POST", "http://x.test/", files=files)
    content, kind = request.read(), request.headers["Content-Type"]
    assert sort_spec(multipart_parts(content, kind)["sort"]) == [("esDA_QueueDate", True)]

    def order(index: SearchIndex, query: str) -> list[str]:
        answer = json.loads(index.answer(query, content, kind))
        return [row["reference"] for row in answer["results"]]

    sorted_index = SearchIndex.from_answer(body)
    assert order(sorted_index, "pageSize=2&pageNumber=1") == ["9", "5"]
    assert order(sorted_index, "pageSize=2&pageNumber=2") == ["3", "undated"]
    assert order(SearchIndex.from_answer(body, honour_sort=False), "pageSize=10&pageNumber=1") == [
        "3",
        "9",
        "5",
        "undated",
    ]
    assert json.loads(sorted_index.answer("pageSize=500", content, kind))["pageSize"] == 100  # clamped


def test_the_source_clock_defaults_to_the_wall_clock() -> None:
    assert abs((FtPortalSource.clock() - datetime.now().astimezone()).total_seconds()) < 5
