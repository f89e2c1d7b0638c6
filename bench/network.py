"""Figure 6, a poll's network cost: requests and bytes of each configured source's polls (the shipped
config/sources/*.toml, plus a `feed` source as the example of that kind), through the real poll
(`run_source`, the polite client with min_interval 0) against the replay server
(`monitor.demo.replay`): ETag and Last-Modified on every GET, 304 to a matching conditional GET,
and the portal's search served from the generated records, sorted by the request's `sort` part and
paged by its URL.

Polls measured: for ECCP, euro-access and the feed a full poll and a re-poll with nothing changed;
for the F&T portal, on one database, the full sweep, then the hourly incremental pass one hour later
with nothing changed, an hourly pass after one call changed on the replay (its `esDA_QueueDate`
moved past the mark: it must appear), and an hourly pass against the same replay ignoring the sort
(the pass must notice and fall back to a full sweep). Requests and body bytes are those the poll
records in its run row; request bodies sent and conditional requests are counted by the server.
Every generated portal record carries an `esDA_QueueDate` (a random instant in the month before
now; 10 of the 16 recorded templates have one). Wall time at the shipped politeness (1 s between
requests to a host) is requests x 1 s.

    .venv/bin/python bench/network.py [--size full|tiny] [--set ft_records=N] [--set eccp_calls=N]
"""

from __future__ import annotations

import asyncio
import copy
import html
import json
import random
import re
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench import data  # noqa: E402
from bench.common import ROOT, Databases, Figure, Result, Stats, arguments, bench_now, log, size  # noqa: E402
from monitor.demo.replay import Recording, ReplayServer  # noqa: E402
from monitor.demo.search import SearchIndex  # noqa: E402

ORIGIN = "http://bench.invalid"  # in no body: the replay serves the bytes as generated
SEARCH_FILE = "ft-search.json"


class ToLocal(httpx.AsyncBaseTransport):
    """Sends every request to the local server, whatever host the source asked for."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%S}.000+0000"


def portal_index(count: int, now: datetime) -> SearchIndex:
    rng = random.Random(17)
    records = data.ft_records(count, now=now)
    for record in records:
        record["metadata"]["esDA_QueueDate"] = [stamp(now - timedelta(minutes=rng.randint(90, 30 * 24 * 60)))]
    return SearchIndex(data.ft_envelope(), records)


def euro_access() -> dict[str, bytes]:
    folder = data.EURO_ACCESS
    listing = (folder / "euroaccess_calls_listing_SearchForFunding_saved-page.html").read_bytes()
    detail = (folder / "euroaccess_call_detail_135_Erasmus-Charter-5th-cut-off_saved-page.html").read_text()
    site = {"https://www.euro-access.eu/en/calls?keyword=&submit=&sent=search": listing}
    links = dict.fromkeys(
        re.findall(r'href="(https://www\.euro-access\.eu/en/calls/\d+/[^"#?]*)"', listing.decode())
    )
    for url in links:
        number = re.search(r"/calls/(\d+)/", url)
        assert number is not None
        page = detail.replace("ERASMUS-EDU-2022-ECHE-CERT-FP", f"BENCH-{number.group(1)}")
        page = page.replace(
            "Erasmus Charter for Higher Education - 5th cut-off date", html.escape(url.rsplit("/", 1)[1])
        )
        site[url] = page.encode()
    return site


def write_recording(folder: Path, sites: list[tuple[dict[str, bytes], str]]) -> Recording:
    """One recording holding every site's pages (matched on path and query) and the portal search."""
    requests: list[dict[str, Any]] = [
        {"method": "POST", "path": "/search-api/prod/rest/search", "query": "apiKey=SEDIA&text=***",
         "status": 200, "content_type": "application/json", "body": SEARCH_FILE, "search": True},
    ]  # fmt: skip
    for site, content_type in sites:
        for url, body in site.items():
            parts = urlsplit(url)
            name = f"page{len(requests):05d}"
            (folder / name).write_bytes(body)
            requests.append({"method": "GET", "path": parts.path, "query": parts.query, "status": 200,
                             "content_type": content_type, "body": name})  # fmt: skip
    index = {
        "origin": ORIGIN,
        "now": "2026-11-02T08:00:00Z",
        "about": "bench/network.py",
        "requests": requests,
    }
    (folder / "index.json").write_text(json.dumps(index))
    return Recording.load(folder.name, root=folder.parent)


def feed_config(folder: Path) -> Path:
    path = folder / "eccp-feed.toml"
    path.write_text(
        'id = "eccp-feed"\nname = "ECCP calls feed (example)"\nkind = "feed"\n'
        'url = "https://www.clustercollaboration.eu/taxonomy/term/3711/feed"\n'
    )
    return path


async def poll(config: Path, replay: ReplayServer, url: str, at: datetime) -> dict[str, Any]:
    """One poll through the pipeline at `at`: what it found and cost (run row and server counts)."""
    from db import repo
    from db.engine import make_engine, session_scope
    from monitor.poll.pipeline import run_source
    from sources import build_source, load_source_config
    from sources.fetch.client import PoliteClient
    from sources.fetch.policy import HttpPolicy

    source = build_source(load_source_config(config))
    source.clock = lambda: at  # type: ignore[attr-defined]  # the portal's full-sweep clock
    engine = make_engine(url)
    before = len(replay.seen)
    async with PoliteClient(
        HttpPolicy(min_interval=0), transport=ToLocal(int(replay.url.rsplit(":", 1)[1]))
    ) as client:
        report = await run_source(source, client=client, engine=engine, clock=lambda: at, strict=True)
    with session_scope(engine) as session:
        run = repo.recent_runs(session, source_id=source.id, limit=1)[0]
        found = {"status": str(report.status), "calls": report.found, "new": report.new,
                 "changed": report.changed, "requests": run.requests, "bytes": run.bytes}  # fmt: skip
    engine.dispose()
    seen = replay.seen[before:]
    found["bytes_sent"] = sum(s.sent for s in seen)
    found["conditional"] = sum(s.conditional for s in seen)
    found["not_modified"] = sum(s.status == 304 for s in seen)
    found["fallback"] = [w for w in report.warnings if w.startswith("incremental pass abandoned")][:1]
    log(f"{source.id} at {at:%d %H:%M}: {found}")
    return found


def portal_polls(config: Path, replay: ReplayServer, url: str, now: datetime) -> list[dict[str, Any]]:
    """Full sweep, hourly pass unchanged, hourly pass with one change, hourly pass ignoring the sort."""
    index = replay.search(SEARCH_FILE)
    full = asyncio.run(poll(config, replay, url, now))
    unchanged = asyncio.run(poll(config, replay, url, now + timedelta(hours=1)))
    record = copy.deepcopy(data.ft_records(1, now=now)[0])  # the first generated record, retitled
    record["metadata"]["title"] = ["Retitled on the replay"]
    record["metadata"]["esDA_QueueDate"] = [stamp(now + timedelta(minutes=90))]
    index.put(record)
    changed = asyncio.run(poll(config, replay, url, now + timedelta(hours=2)))
    assert changed["changed"] == 1 and changed["status"] == "incremental", changed
    index.honour_sort = False
    ignored = asyncio.run(poll(config, replay, url, now + timedelta(hours=3)))
    assert ignored["fallback"] and ignored["status"] == "ok", ignored
    return [
        # "ft-portal" alone: the full sweep, and the hourly pass an hour later with nothing changed.
        {"source": "ft-portal", "full": full, "again": unchanged},
        {"source": "ft-portal, hourly pass after 1 call changed", "full": full, "again": changed},
        {
            "source": "ft-portal, hourly pass, API ignoring the sort (falls back)",
            "full": full,
            "again": ignored,
        },
    ]


def figure(row: dict[str, Any]) -> Figure:
    full_poll, again = row["full"], row["again"]
    share = again["bytes"] / max(full_poll["bytes"], 1)
    target, met = None, None
    if row["source"] == "ft-portal":
        target, met = "hourly pass ≤ 0.10 of a full sweep (bytes)", share <= 0.10
    elif row["source"] == "eccp":
        listing = again["requests"] - again["not_modified"]
        target = "unchanged poll = listing pages + 304s"
        met = (
            again["not_modified"] == full_poll["calls"]
            and listing == full_poll["requests"] - full_poll["calls"]
        )
    return Figure(
        f"{row['source']}: second poll, body bytes", Stats([again["bytes"]], "bytes"),
        "full poll, body bytes", Stats([full_poll["bytes"]], "bytes"), share, "second poll ÷ full poll",
        target=target, met=met,
        note=(f"requests: full {full_poll['requests']}, second {again['requests']} "
              f"({again['conditional']} conditional, {again['not_modified']} answered 304); "
              f"{full_poll['calls']} calls; request bodies sent {full_poll['bytes_sent'] / 1e3:.0f} kB / "
              f"{again['bytes_sent'] / 1e3:.0f} kB; "
              f"at 1 request/s a full poll takes ≥ {full_poll['requests']} s"),
        extra={"full": full_poll, "again": again},
    )  # fmt: skip


def main() -> None:
    args = arguments(__doc__.splitlines()[0], db=False, runs=1)
    n_ft, n_eccp = size(args, "ft_records", 5000, 150), size(args, "eccp_calls", 228, 14)
    now = bench_now()
    result = Result("network", args)
    polls = []
    feed = (ROOT / "tests" / "fixtures" / "feeds" / "eccp_taxonomy_term_feed_RECONSTRUCTED.xml").read_bytes()
    sites = [
        (data.eccp_site(n_eccp, now=now), "text/html; charset=utf-8"),
        (euro_access(), "text/html; charset=utf-8"),
        (
            {"https://www.clustercollaboration.eu/taxonomy/term/3711/feed": feed},
            "application/rss+xml; charset=utf-8",
        ),
    ]
    with Databases("sqlite", "network") as dbs, tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "replay"
        folder.mkdir()
        recording = write_recording(folder, sites)
        with ReplayServer(recording, searches={SEARCH_FILE: portal_index(n_ft, now)}) as replay:
            sources = ROOT / "config" / "sources"
            url = dbs.fresh()
            polls += portal_polls(sources / "ft-portal.toml", replay, url, now)
            dbs.drop(url)
            for name, config in (
                ("eccp", sources / "eccp.toml"), ("euro-access", sources / "euro-access.toml"),
                ("feed (example)", feed_config(Path(temp))),
            ):  # fmt: skip
                url = dbs.fresh()
                row: dict[str, Any] = {"source": name}
                for phase in ("full", "again"):
                    row[phase] = asyncio.run(poll(config, replay, url, now))
                polls.append(row)
                dbs.drop(url)
        assert not replay.missing, replay.missing[:3]
    result.params = {"polls": polls, "ft_records": n_ft, "eccp_calls": n_eccp}
    for row in polls:
        result.add(figure(row))
    result.emit()


if __name__ == "__main__":
    main()
