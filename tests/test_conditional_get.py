"""ECCP detail pages by conditional GET, polled through the real pipeline from the replay server.

The ECCP recording (tests/recordings/eccp) is served by `monitor.demo.replay.ReplayServer`, which
sends ETag/Last-Modified and answers 304 when they still hold (or, in its other modes, ignores them
or sends none). Requests are counted at the server. An unchanged re-poll must be the listing pages
plus one 304 per detail page, reuse the stored calls (nothing re-parsed, nothing lost), and a server
that ignores validators must give the same calls.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Call, RunStatus
from monitor.demo.replay import Recording, ReplayServer
from monitor.model.raw import RawCall
from monitor.poll.pipeline import RunReport, run_source
from sources import build_source, load_source_config
from sources.base import Source
from sources.eccp import cache
from sources.eccp.config import EccpConfig
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy

ROOT = Path(__file__).resolve().parents[1]
LISTING = "/search-results"


def eccp_source(tmp_path: Path, replay: ReplayServer) -> Source:
    text = (ROOT / "config" / "sources" / "eccp.toml").read_text(encoding="utf-8")
    path = tmp_path / "eccp.toml"
    path.write_text(text.replace(replay.recording.origin, replay.url), encoding="utf-8")
    return build_source(load_source_config(path))


async def poll(source: Source, engine: Engine, now: datetime) -> RunReport:
    async with PoliteClient(HttpPolicy(min_interval=0, max_attempts=1)) as client:
        return await run_source(source, client=client, engine=engine, clock=lambda: now, strict=True)


def stored(engine: Engine) -> dict[str, tuple[str, str, bool]]:
    with session_scope(engine) as session:
        return {c.key: (c.title, c.content_hash, c.listed) for c in session.exec(select(Call)).all()}


def seen_since(replay: ReplayServer, start: int) -> tuple[list[Any], list[Any]]:
    """(listing requests, detail requests) the server answered since `start`."""
    seen = replay.seen[start:]
    return [s for s in seen if s.target.startswith(LISTING)], [
        s for s in seen if not s.target.startswith(LISTING)
    ]


async def test_unchanged_poll_is_the_listing_pages_and_304s(
    tmp_path: Path, engine: Engine, now: datetime
) -> None:
    with ReplayServer(Recording.load("eccp")) as replay:
        source = eccp_source(tmp_path, replay)
        first = await poll(source, engine, now)
        listings, details = seen_since(replay, 0)
        assert first.status == RunStatus.OK and first.new == first.found == 14
        assert {s.status for s in details} == {200} and not any(s.conditional for s in details)
        before, start = stored(engine), len(replay.seen)
        again = await poll(source, engine, now)
        listings_again, details_again = seen_since(replay, start)
    assert replay.missing == []
    # The listing pages in full (they are how new calls are found), every detail page a bodiless 304.
    assert [s.target for s in listings_again] == [s.target for s in listings] and len(listings) == 3
    assert {s.status for s in listings_again} == {200}
    assert len(details_again) == 14 and all(
        s.status == 304 and s.conditional and s.bytes == 0 for s in details_again
    )
    assert (again.status, again.found, again.new, again.changed, again.unchanged) == (
        RunStatus.OK,
        14,
        0,
        0,
        14,
    )
    assert stored(engine) == before  # nothing lost, nothing changed
    with session_scope(engine) as session:
        run = repo.recent_runs(session, source_id="eccp", limit=1)[0]
    assert run.requests == 17 and run.bytes == sum(s.bytes for s in listings_again)


async def test_a_changed_page_is_read_again(tmp_path: Path, engine: Engine, now: datetime) -> None:
    recording = Recording.load("eccp")
    entry = next(e for e in recording.requests if e["path"].startswith("/content/"))
    page = tmp_path / "changed.html"
    shutil.copyfile(recording.folder / entry["body"], page)
    entry["body"] = str(page)  # an absolute path: the replay reads it at every request
    with ReplayServer(recording) as replay:
        source = eccp_source(tmp_path, replay)
        await poll(source, engine, now)
        text = page.read_text(encoding="utf-8")
        page.write_text(
            text.replace("<h1", "<h1 data-changed").replace("</h1>", " (deadline extended)</h1>", 1)
        )
        start = len(replay.seen)
        again = await poll(source, engine, now)
        _, details = seen_since(replay, start)
    assert sorted(s.status for s in details) == [200] + [304] * 13
    assert (again.changed, again.unchanged) == (1, 13)
    assert sum(title.endswith("(deadline extended)") for title, _, _ in stored(engine).values()) == 1


@pytest.mark.parametrize("mode", ["ignore", "absent"])
async def test_a_server_ignoring_validators_still_works(
    tmp_path: Path, engine: Engine, now: datetime, mode: str
) -> None:
    with ReplayServer(Recording.load("eccp"), validators=mode) as replay:  # type: ignore[arg-type]
        source = eccp_source(tmp_path, replay)
        await poll(source, engine, now)
        before, start = stored(engine), len(replay.seen)
        again = await poll(source, engine, now)
        _, details = seen_since(replay, start)
    assert len(details) == 14 and {s.status for s in details} == {200}
    # Validators sent back only when the server gave some; without them nothing is kept per page.
    assert all(s.conditional for s in details) is (mode == "ignore")
    assert (again.status, again.found, again.unchanged) == (RunStatus.OK, 14, 14) and stored(engine) == before
    with session_scope(engine) as session:
        kept = repo.source_validators(session, source_id="eccp")
    assert (len(kept) == 14) is (mode == "ignore") and (kept == {}) is (mode == "absent")


async def test_pages_no_longer_listed_are_forgotten(tmp_path: Path, engine: Engine, now: datetime) -> None:
    with ReplayServer(Recording.load("eccp")) as replay:
        source = eccp_source(tmp_path, replay)
        await poll(source, engine, now)
        gone = f"{replay.url}/content/a-call-taken-down"
        with session_scope(engine) as session:
            repo.save_validators(session, source_id="eccp", validators={gone: {"etag": '"x"', "call": {}}})
        await poll(source, engine, now)
    with session_scope(engine) as session:
        kept = repo.source_validators(session, source_id="eccp")
    assert gone not in kept and len(kept) == 14


def test_a_stored_call_stands_for_a_304_only_with_the_same_parser_and_config() -> None:
    config = EccpConfig(id="eccp", name="ECCP", kind="eccp")
    key = cache.parse_key(config)
    call = RawCall(key="1", title="A call", url="https://x.test/content/a")
    entry = cache.remember({"etag": '"v1"'}, call, key, None)
    assert cache.reusable_call(entry, key) == call
    assert cache.conditional(entry) == {"etag": '"v1"'}
    other = config.model_copy(update={"detail": config.detail.model_copy(update={"main": "div.main"})})
    assert cache.parse_key(other) != key and cache.reusable_call(entry, cache.parse_key(other)) is None
    assert cache.reusable_call({**entry, "call": {"title": "no key"}}, key) is None
    assert cache.reusable_call({"call": entry["call"], "parse": key}, key) is None  # no validators kept
    assert cache.remember({}, call, key, None) == {}  # a server without validators: nothing kept
    # A 304 carrying only an ETag keeps the stored Last-Modified.
    both = cache.remember({"etag": '"v1"', "last_modified": "Mon, 02 Nov 2026 08:00:00 GMT"}, call, key, None)
    assert (
        cache.remember({"etag": '"v1"'}, call, key, both)["last_modified"] == "Mon, 02 Nov 2026 08:00:00 GMT"
    )
