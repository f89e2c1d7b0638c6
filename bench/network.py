"""Figure 6, a poll's network cost: requests and bytes of a full poll of each configured source (the
shipped config/sources/*.toml, plus a `feed` source as the example of that kind), and of a re-poll
with nothing changed, through the real poll (`run_source`, the polite client with min_interval 0)
against a local HTTP server that serves the generated pages with ETag and Last-Modified and answers
304 to a matching conditional GET. Requests and body bytes are those the poll records in its run
row; bytes sent (request bodies) and 304s are counted by the server. Wall time at the shipped
politeness (1 s between requests to a host) is requests x 1 s.

    .venv/bin/python bench/network.py [--size full|tiny]
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench import data  # noqa: E402
from bench.common import ROOT, Databases, Figure, Result, Stats, arguments, bench_now, log  # noqa: E402
from tests.httpserver import LocalHTTPServer, Reply, SeenRequest, _not_modified  # noqa: E402

LAST_MODIFIED = "Mon, 02 Nov 2026 08:00:00 GMT"


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


def static(body: bytes, content_type: str) -> Any:
    """A responder with validators: 304 when the client sends them back."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

    def answer(request: SeenRequest) -> Reply:
        headers = {"Content-Type": content_type, "ETag": etag, "Last-Modified": LAST_MODIFIED}
        if _not_modified(request.headers, etag, LAST_MODIFIED):
            return Reply(304, headers=headers)
        return Reply(200, body=body, headers=headers)

    return answer


def route_site(server: LocalHTTPServer, site: dict[str, bytes], content_type: str) -> None:
    for url, body in site.items():
        parts = urlsplit(url)
        server.route(f"{parts.path}?{parts.query}" if parts.query else parts.path, static(body, content_type))


def ft_portal(server: LocalHTTPServer, count: int) -> None:
    pages = data.ft_pages(data.ft_records(count, now=bench_now()))

    def answer(request: SeenRequest) -> Reply:
        number = int(parse_qs(request.query)["pageNumber"][0])
        body = pages[number - 1] if number <= len(pages) else b'{"totalResults": 0, "results": []}'
        return Reply(200, body, {"Content-Type": "application/json"})

    server.route("/search-api/prod/rest/search", answer, method="POST")


def euro_access(server: LocalHTTPServer) -> None:
    folder = data.EURO_ACCESS
    listing = (folder / "euroaccess_calls_listing_SearchForFunding_saved-page.html").read_bytes()
    detail = (folder / "euroaccess_call_detail_135_Erasmus-Charter-5th-cut-off_saved-page.html").read_text()
    route_site(
        server,
        {"https://www.euro-access.eu/en/calls?keyword=&submit=&sent=search": listing},
        "text/html; charset=utf-8",
    )
    links = dict.fromkeys(
        re.findall(r'href="(https://www\.euro-access\.eu/en/calls/\d+/[^"#?]*)"', listing.decode())
    )
    site = {}
    for url in links:
        number = re.search(r"/calls/(\d+)/", url)
        assert number is not None
        page = detail.replace("ERASMUS-EDU-2022-ECHE-CERT-FP", f"BENCH-{number.group(1)}")
        page = page.replace(
            "Erasmus Charter for Higher Education - 5th cut-off date", html.escape(url.rsplit("/", 1)[1])
        )
        site[url] = page.encode()
    route_site(server, site, "text/html; charset=utf-8")


def feed_config(folder: Path) -> Path:
    path = folder / "eccp-feed.toml"
    path.write_text(
        'id = "eccp-feed"\nname = "ECCP calls feed (example)"\nkind = "feed"\n'
        'url = "https://www.clustercollaboration.eu/taxonomy/term/3711/feed"\n'
    )
    return path


async def poll(config: Path, port: int, url: str) -> Any:
    from db.engine import make_engine
    from monitor.poll.pipeline import run_source
    from sources import build_source, load_source_config
    from sources.fetch.client import PoliteClient
    from sources.fetch.policy import HttpPolicy

    source = build_source(load_source_config(config))
    engine = make_engine(url)
    now = bench_now()
    async with PoliteClient(HttpPolicy(min_interval=0), transport=ToLocal(port)) as client:
        report = await run_source(source, client=client, engine=engine, clock=lambda: now, strict=True)
    from db import repo
    from db.engine import session_scope

    with session_scope(engine) as session:
        run = repo.recent_runs(session, source_id=source.id, limit=1)[0]
        found = {"status": report.status, "calls": report.found, "new": report.new, "changed": report.changed,
                 "requests": run.requests, "bytes": run.bytes}  # fmt: skip
    engine.dispose()
    return found


def main() -> None:
    args = arguments(__doc__.splitlines()[0], db=False, runs=1)
    full = args.size == "full"
    n_ft, n_eccp = (5000, 228) if full else (150, 14)
    now = bench_now()
    result = Result("network", args)
    polls = []
    with Databases("sqlite", "network") as dbs, tempfile.TemporaryDirectory() as folder:
        server = LocalHTTPServer()
        server.start()
        try:
            ft_portal(server, n_ft)
            route_site(server, data.eccp_site(n_eccp, now=now), "text/html; charset=utf-8")
            euro_access(server)
            feed = (
                ROOT / "tests" / "fixtures" / "feeds" / "eccp_taxonomy_term_feed_RECONSTRUCTED.xml"
            ).read_bytes()
            server.route("/taxonomy/term/3711/feed", static(feed, "application/rss+xml; charset=utf-8"))
            sources = ROOT / "config" / "sources"
            for name, config in (
                ("ft-portal", sources / "ft-portal.toml"), ("eccp", sources / "eccp.toml"),
                ("euro-access", sources / "euro-access.toml"), ("feed (example)", feed_config(Path(folder))),
            ):  # fmt: skip
                url = dbs.fresh()
                row: dict[str, Any] = {"source": name}
                for phase in ("full", "again"):
                    before = len(server.requests)
                    found = asyncio.run(poll(config, server.port, url))
                    seen = server.requests[before:]
                    found["bytes_sent"] = sum(len(request.body) for request in seen)
                    found["conditional"] = sum(
                        1
                        for r in seen
                        if {k.lower() for k in r.headers} & {"if-none-match", "if-modified-since"}
                    )
                    row[phase] = found
                    log(f"{name} {phase}: {found}")
                assert not server.unrouted, server.unrouted[:3]
                polls.append(row)
                dbs.drop(url)
        finally:
            server.stop()
    result.params = {"polls": polls, "ft_records": n_ft, "eccp_calls": n_eccp}
    for row in polls:
        full_poll, again = row["full"], row["again"]
        result.add(Figure(
            f"{row['source']}: re-poll with nothing changed, body bytes", Stats([again["bytes"]], "bytes"),
            "full poll, body bytes", Stats([full_poll["bytes"]], "bytes"),
            again["bytes"] / max(full_poll["bytes"], 1),
            "re-poll ÷ full poll",
            note=(f"requests: full {full_poll['requests']}, re-poll {again['requests']} "
                  f"({again['conditional']} conditional); {full_poll['calls']} calls; "
                  f"request bodies sent per poll {full_poll['bytes_sent'] / 1e3:.0f} kB; "
                  f"at 1 request/s a poll takes ≥ {full_poll['requests']} s"),
            extra={"full": full_poll, "again": again},
        ))  # fmt: skip
    result.emit()


if __name__ == "__main__":
    main()
