"""Regenerate bench/relevance/calls.json: the benchmark's calls, from the project's own parsers.

Real calls come from the recorded pages and records of tests/fixtures and tests/recordings (origins in
their PROVENANCE.md files), run through the same code a poll runs:
- F&T portal: every search record of tests/fixtures/ft_portal (type-1 topics, the real type-8 cascade
  pair, the real type-0 tender pair, and the RECONSTRUCTED SMP-COSME cascade pair) through
  `sources.ft_portal.parse_results` (language rows collapsed per key);
- euro-access: the real saved listing (142 rows) and the real saved detail page of call 135 through the
  shipped `config/sources/euro-access.toml` (`SelectorsSource.harvest`); the other 141 detail pages were
  never saved, so those calls keep their listing values (title, programme, deadline), as a poll does
  when a detail page fails;
- ECCP: tests/recordings/eccp (every page RECONSTRUCTED by hand, see tests/fixtures/eccp/PROVENANCE.md)
  through the shipped `config/sources/eccp.toml`;
- feeds: the RECONSTRUCTED ECCP RSS and clustersubmissionplatform Atom feeds through `sources.feed`;
  an entry whose title an ECCP call already has is the same call and is left out.
Every raw call then goes through `monitor.normalise.call.normalise_call`. Calls written for the benchmark
(`written_calls.toml`, realistic texts in several EU languages) are added with provenance "written".

So that the status never decides relevance, every call is made open at the benchmark's `NOW`: dated
calls are moved by whole years until their last deadline lies at least 30 days after NOW (an opening
date still ahead is moved 60 days before NOW); undated calls stay undated (a still-listed call with no
deadline is live). The output is deterministic: sorted keys, calls in a fixed order.

    .venv/bin/python bench/relevance/build_calls.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitor.model.raw import RawCall, RawDeadline  # noqa: E402
from monitor.normalise.call import normalise_call  # noqa: E402
from sources import build_source, load_source_config  # noqa: E402
from sources.feed import FeedConfig, parse_feed  # noqa: E402
from sources.fetch.client import PoliteClient  # noqa: E402
from sources.fetch.policy import HttpPolicy  # noqa: E402
from sources.ft_portal import parse_results  # noqa: E402

HERE = Path(__file__).resolve().parent
FIXTURES = ROOT / "tests" / "fixtures"
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
FT_FILES = (
    "sedia_search_response_full_page_10results_apiv2.132_closed_bg.json",
    "sedia_search_response_excerpt_2026_new-style_records_AarhusAI.json",
    "sedia_search_response_trimmed_multilang_HORIZON-MSCA-2024-DN-01-01.json",
    "sedia_search_result_item_HORIZON-CL5-2024-D2-01-03.json",
    "sedia_search_result_item_HORIZON-MISS-2023-CLIMA-01-01_full.json",
    "sedia_type8_cascade_2records_METU_UMX.json",
    "sedia_type0_tenders_PIN_and_CN_2of35_apiv2.154.json",
    "sedia_cascade_type8_SMP-COSME-2024-CLUSTER-01_RECONSTRUCTED.json",
)
EURO_ACCESS_LISTING = "euroaccess_calls_listing_SearchForFunding_saved-page.html"
EURO_ACCESS_DETAILS = {
    "/en/calls/135/": "euroaccess_call_detail_135_Erasmus-Charter-5th-cut-off_saved-page.html"
}
FEEDS = (
    ("eccp_taxonomy_term_feed_RECONSTRUCTED.xml", "https://www.clustercollaboration.eu/taxonomy/term/3711/feed"),
    ("clustersubmissionplatform_eurocluster_post_atom_RECONSTRUCTED.xml", "https://clustersubmissionplatform.eu/feed/atom/"),
)  # fmt: skip
FIELDS = (
    "title", "summary_text", "keywords", "conditions_text", "programme", "programme_code", "identifier",
    "parent_title", "countries", "org_types", "org_types_text", "sme_relevant", "ecosystems", "funding_type",
    "budget_total", "contribution_min", "contribution_max", "budget_currency", "opens_at", "language", "url",
)  # fmt: skip


# --------------------------------------------------------------------------- harvesting


def ft_portal() -> list[tuple[str, RawCall]]:
    """Every recorded search record, collapsed per key, with the fixture file it came from."""
    found: dict[str, tuple[str, RawCall]] = {}
    for name in FT_FILES:
        body = json.loads((FIXTURES / "ft_portal" / name).read_text(encoding="utf-8"))
        results = body.get("results", [body])  # a single saved record is a list of one
        for raw in parse_results(results)[0]:
            found.setdefault(raw.key, (f"tests/fixtures/ft_portal/{name}", raw))
    return list(found.values())


def _transport(routes: dict[str, Path]) -> httpx.MockTransport:
    """Serve each recorded body by its path and query, else by the first path prefix; else a 404."""

    def handler(request: httpx.Request) -> httpx.Response:
        query = request.url.query.decode()
        wanted = request.url.path + ("?" + query if query else "")
        path = routes.get(wanted) or next(
            (p for k, p in routes.items() if request.url.path.startswith(k)), None
        )
        if path is None:
            return httpx.Response(404, content=b"not recorded")
        return httpx.Response(
            200, headers={"content-type": "text/html; charset=UTF-8"}, content=path.read_bytes()
        )

    return httpx.MockTransport(handler)


async def _harvest(config_file: Path, routes: dict[str, Path]) -> list[RawCall]:
    source = build_source(load_source_config(config_file))
    policy = HttpPolicy(min_interval=0, max_attempts=1)
    async with PoliteClient(policy, transport=_transport(routes)) as client:
        return list((await source.harvest(client)).calls)


def euro_access() -> list[tuple[str, RawCall]]:
    folder = FIXTURES / "euro_access"
    routes = {prefix: folder / name for prefix, name in EURO_ACCESS_DETAILS.items()}
    routes["/en/calls?keyword=&submit=&sent=search"] = folder / EURO_ACCESS_LISTING
    calls = asyncio.run(_harvest(ROOT / "config" / "sources" / "euro-access.toml", routes))
    detail = f"tests/fixtures/euro_access/{EURO_ACCESS_DETAILS['/en/calls/135/']}"
    listing = f"tests/fixtures/euro_access/{EURO_ACCESS_LISTING} (listing row only)"
    return [(detail if raw.key == "135" else listing, raw) for raw in calls]


def eccp() -> list[tuple[str, RawCall]]:
    """The ECCP recording as the golden loop serves it (every page RECONSTRUCTED)."""
    folder = ROOT / "tests" / "recordings" / "eccp"
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    routes = {
        r["path"] + ("?" + r["query"] if r["query"] else ""): folder / r["body"]
        for r in index["requests"]
        if r["body"]
    }
    calls = asyncio.run(_harvest(ROOT / "config" / "sources" / "eccp.toml", routes))
    origin = "tests/fixtures/eccp/detail_{}_RECONSTRUCTED.html (via tests/recordings/eccp; RECONSTRUCTED)"
    return [(origin.format(raw.key), raw) for raw in calls]


def feeds() -> list[tuple[str, RawCall]]:
    found = []
    for name, url in FEEDS:
        config = FeedConfig(id="feed", name="feed", url=url)
        harvest = parse_feed((FIXTURES / "feeds" / name).read_bytes(), config, url=url)
        found += [(f"tests/fixtures/feeds/{name} (RECONSTRUCTED)", raw) for raw in harvest.calls]
    return found


# --------------------------------------------------------------------------- normalising and shifting


def _shift_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def open_at_now(values: dict[str, Any]) -> dict[str, Any]:
    """The call moved by whole years so that its last deadline is at least 30 days after NOW."""
    stages = [datetime.fromisoformat(d["at"]) for d in values["deadlines"]]
    years = 0
    while stages and max(_shift_years(at, years) for at in stages) < NOW + timedelta(days=30):
        years += 1
    values["deadlines"] = [
        {"at": _shift_years(at, years).isoformat(), "text": d["text"]}
        for at, d in sorted(zip(stages, values["deadlines"], strict=True), key=lambda pair: pair[0])
    ]
    opens = values.get("opens_at")
    if opens:
        moved = _shift_years(datetime.fromisoformat(opens), years)
        values["opens_at"] = (moved if moved <= NOW else NOW - timedelta(days=60)).isoformat()
    values["status"] = "open"
    values["shifted_years"] = years
    return values


def as_benchmark_call(call_id: str, provenance: str, raw: RawCall) -> dict[str, Any]:
    normalised = normalise_call(raw, now=NOW).model_dump(mode="json")
    values = {name: normalised.get(name) for name in FIELDS}
    values["deadlines"] = normalised["deadlines"]
    values.update(id=call_id, provenance=provenance)
    return open_at_now(values)


def written_calls() -> list[tuple[str, RawCall]]:
    """The calls written for the benchmark (written_calls.toml), as raw calls a source would give."""
    data = tomllib.loads((HERE / "written_calls.toml").read_text(encoding="utf-8"))
    found = []
    for entry in data["call"]:
        raw = RawCall(
            key=entry["id"].removeprefix("w:"),
            title=entry["title"],
            summary_text=entry.get("summary"),
            # As the ECCP pages are read: the whole text is both summary and conditions.
            conditions_html="\n\n".join(filter(None, [entry.get("summary"), entry.get("conditions")])),
            identifier=entry.get("identifier"),
            programme=entry.get("programme"),
            language=entry.get("language"),
            funding_type=entry.get("funding_type"),
            keywords=entry.get("keywords", []),
            countries_text=entry.get("countries_text"),
            budget_text=entry.get("budget_text"),
            deadlines=[RawDeadline(text=entry["deadline"])],
        )
        found.append(("written", raw))
    return found


def build() -> list[dict[str, Any]]:
    calls = [as_benchmark_call(f"ft:{raw.key}", origin, raw) for origin, raw in ft_portal()]
    calls += [as_benchmark_call(f"ea:{raw.key}", origin, raw) for origin, raw in euro_access()]
    eccp_calls = [as_benchmark_call(f"eccp:{raw.key}", origin, raw) for origin, raw in eccp()]
    calls += eccp_calls
    titles = {call["title"].casefold() for call in eccp_calls}
    for origin, raw in feeds():
        if raw.title.casefold() not in titles:
            calls.append(as_benchmark_call(f"feed:{raw.key}", origin, raw))
    calls += [as_benchmark_call(f"w:{raw.key}", origin, raw) for origin, raw in written_calls()]
    ids = [call["id"] for call in calls]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate call ids")
    return calls


def main() -> None:
    calls = build()
    out = HERE / "calls.json"
    out.write_text(json.dumps(calls, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    real = sum(1 for call in calls if call["provenance"] != "written")
    print(f"{len(calls)} calls ({real} real, {len(calls) - real} written) -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
