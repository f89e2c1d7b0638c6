"""Tests of the `eccp` source kind (clustercollaboration.eu open calls) with config/sources/eccp.toml.

The pages in tests/fixtures/eccp are RECONSTRUCTED (see PROVENANCE.md): no real ECCP page has been
recorded. Every expected value below was read by hand from those files (titles, node ids, dates in
the bodies) and converted to UTC by hand: Brussels is UTC+1 in winter (CET) and UTC+2 from the last
Sunday of March to the last Sunday of October (CEST); a date without a time is a 17:00 Brussels cut-off.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlmodel import select

from db.engine import make_engine, session_scope
from db.models import Call
from monitor.cli import main
from monitor.model.raw import RawCall
from monitor.model.vocab import FundingType
from monitor.normalise.call import normalise_call
from sources import SourceConfigError, build_source, load_source_config
from sources.base import REGISTRY, Harvest
from sources.eccp import EccpSource
from sources.eccp.config import EccpConfig
from sources.eccp.detail import parse_detail
from sources.eccp.listing import check_count, parse_listing
from sources.errors import FetchError, LayoutChanged
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from tests.httpserver import LocalHTTPServer, Reply, replay_transport

FIXTURES = Path(__file__).parent / "fixtures" / "eccp"
CONFIG_FILE = Path(__file__).parent.parent / "config" / "sources" / "eccp.toml"
SITE = "https://www.clustercollaboration.eu"
LISTING = SITE + "/search-results?type=eccp_calls&page="
PAGES = ["listing_page0_RECONSTRUCTED.html", "listing_page1_RECONSTRUCTED.html",
         "listing_page2_empty-trailing_RECONSTRUCTED.html"]  # fmt: skip
RENAMED = "listing_page0_cards-renamed-views-row_RECONSTRUCTED.html"
EMPTY = "listing_empty_no-results_RECONSTRUCTED.html"
NOW = datetime(2026, 11, 21, 9, tzinfo=UTC)
HTML = {"Content-Type": "text/html; charset=UTF-8"}
FT_14703 = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/competitive-calls-cs/14703"

# node id -> slug, in listing order (page 0: 12 cards, page 1: DREAM again, 2 new calls, 1 /expertise card).
SLUGS = {
    "233015": "impact-networks-open-call-cluster-led-industrial-symbiosis-pilots",
    "232540": "futureproof-textiles-open-call-sme-circularity-vouchers",
    "231990": "grappa-open-call-cut-2",
    "231877": "powerup-netzero-open-call-business-innovation-and-technology-adoption-services",
    "231502": "resist-ii-process-innovation-open-call-mta-smes",
    "207511": "powerup-netzero-2nd-open-call",
    "210455": "call-expression-interest-clusters-meet-regions",
    "209630": "friend-cci-1st-open-call-project-proposals-dedicated-smes",
    "208871": "greenova-eurocluster-open-call-green-transition-pilots",
    "207990": "digi-tour-eurocluster-open-call-digital-tourism-pilots",
    "206740": "euroclusters-thriving-creative-and-cultural-industries-1st-call-financial",
    "206233": "dream-eurocluster-innovation-open-call",
    "205120": "agrifood-connect-eurocluster-cascade-funding-open-call",
    "198764": "eu75m-clusters-go-international-call-launched",
}
NODES = list(SLUGS)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# Per node: title, organisation, publication (Brussels midnight in UTC), deadlines
# (label, UTC instant, closed, tentative), budget (total, currency), per_project (min, max) (issue #13: a
# per-project maximum is not the call's total), external links of <main>.
EXPECTED: dict[str, dict[str, Any]] = {
    "233015": dict(
        title="IMPACT NETWORKS – Open Call for Cluster-led Industrial Symbiosis Pilots",
        org="IMPACT NETWORKS", published="2026-10-01T22:00Z",
        deadlines=[(None, "2027-01-15T16:00Z", False, False)],  # "15 January 2027, 17:00 CET"
        budget=(900000, "EUR"), per_project=(None, 45000), links=["https://impact-networks.eu/open-call"],
    ),
    "232540": dict(
        title="FutureProof Textiles – Open Call for SME Circularity Vouchers",
        org="FutureProof Textiles", published="2026-09-09T22:00Z",
        # "Closing time: 10 December 2026 17:00 (Europe/Brussels)"; the opening date is not a deadline
        deadlines=[(None, "2026-12-10T16:00Z", False, False)],
        budget=(None, "EUR"), per_project=(None, 5000), links=["https://futureprooftextiles.eu/open-call/"],
    ),
    "231990": dict(
        title="GRAPPA Open Call – CUT-OFF 2", org="GRAPPA", published="2026-06-19T22:00Z",
        # "The first cut-off closed on 30 April 2026. The second cut-off closes on 30 November 2026
        # at 17:00 CET."
        deadlines=[("first cut-off", "2026-04-30T15:00Z", True, False),
                   ("second cut-off", "2026-11-30T16:00Z", False, False)],
        budget=(400000, "EUR"), per_project=(None, 20000), links=["https://grappa-project.eu/apply"],
    ),
    "231877": dict(
        title="PowerUp NetZero: Open Call for Business Innovation and Technology Adoption Services",
        org="PowerUp NetZero", published="2026-05-13T22:00Z",
        deadlines=[(None, "2026-09-15T15:00Z", False, False)],  # "Date closing: September 15, 2026"
        budget=(2000000, "EUR"), per_project=(None, 20000),  # "Total budget: 2M €" beats "up to € 20 000"
        links=["https://ec.europa.eu/eusurvey/runner/PowerUpNetZero_Call_InnovationProjects"],
    ),
    "231502": dict(
        title="RESIST II – Process Innovation Open Call for MTA SMEs", org="RESIST",
        published="2026-05-12T22:00Z",
        # "launched on the 13th May 2026" is no deadline; "Date closing: July 13, 2026" is
        deadlines=[(None, "2026-07-13T15:00Z", False, False)],
        budget=(800000, "EUR"), per_project=(None, None), links=["https://resist-eurocluster.eu/open-call/apply"],
    ),
    "207511": dict(
        title="PowerUp NetZero - 2nd Open Call", org="PowerUp NetZero", published="2025-02-16T23:00Z",
        # "Cut-off 1: 31 March 2025, 17:00 CEST – CLOSED", "Cut-off 2: 7 July 2025, 17:00 CEST"
        deadlines=[("Cut-off 1", "2025-03-31T15:00Z", True, False),
                   ("Cut-off 2", "2025-07-07T15:00Z", False, False)],
        # "Total budget: EUR 600,000; up to € 60 000 per SME"
        budget=(600000, "EUR"), per_project=(None, 60000),
        links=[FT_14703, "https://powerup-netzero.eu/open-call-2/"],
    ),
    "210455": dict(
        title="ECCP – Call for Expression of Interest – Clusters meet Regions",
        org="European Cluster Collaboration Platform", published="2024-01-14T23:00Z",
        # "31 May 2024 – 18:00 CET (Brussels time) – CLOSED", "30 September 2024 – 18:00 CET (Brussels
        # time)", "Potentially, depending on previous selections’ results, 31 January 2025 (tbc)"
        deadlines=[(None, "2024-05-31T16:00Z", True, False), (None, "2024-09-30T16:00Z", False, False),
                   (None, "2025-01-31T16:00Z", False, True)],
        budget=(None, None), per_project=(None, None), links=[],
    ),
    "209630": dict(
        title="FRIEND CCI: 1st Open Call for project proposals dedicated to SMEs", org="FRIEND CCI",
        published="2023-07-20T22:00Z",
        deadlines=[(None, "2023-09-30T15:00Z", False, False)],  # "30 September 2023 17:00 (Europe/Brussels)"
        # "€ 50 000 of total € 538 000", "between 20.000 and 50.000 euros"
        budget=(538000, "EUR"), per_project=(20000, 50000),
        links=["https://friendcci.eu/open-call/"],
    ),
    "208871": dict(
        title="GREENOVA Eurocluster – Open Call for Green Transition Pilots", org="GREENOVA",
        published="2023-05-21T22:00Z",
        deadlines=[(None, "2023-07-03T13:00Z", False, False)],  # "Deadline extended to 03/07/2023 15 pm CET"
        budget=(1615000, "EUR"), per_project=(None, 60000),  # "Total available budget: EUR 1,615,000"
        links=["https://www.greenova-cluster.eu/open-call#documents"],
    ),
    "207990": dict(
        title="DIGI-TOUR Eurocluster – Open Call for Digital Tourism Pilots", org="DIGI-TOUR",
        published="2023-05-02T22:00Z",
        deadlines=[(None, "2023-06-07T15:00Z", False, False)],  # "accepting applications until June 7th 2023"
        budget=(None, "EUR"), per_project=(None, 30000), links=[],
    ),
    "206740": dict(
        title="Euroclusters for Thriving Creative and Cultural Industries - 1st Call for financial support "
        "to CCIs SMEs",
        org="CREATHRIV-EU", published="2023-04-04T22:00Z",
        deadlines=[(None, "2023-05-16T15:00Z", False, False)],  # "DEADLINE: 16 May 2023"
        budget=(None, "EUR"), per_project=(None, 5000), links=[],  # "5,000 € Lump Sum"
    ),
    "206233": dict(
        title="DREAM Eurocluster – Innovation Open Call to financially support small and market-oriented "
        "projects involving SMEs",
        org="DREAM Eurocluster", published="2023-03-19T23:00Z",
        deadlines=[(None, "2023-05-25T15:00Z", False, False)],  # "🔔Deadline: 25 May 2023"
        budget=(None, "EUR"), per_project=(None, 20000), links=[],
    ),
    "205120": dict(
        title="AgriFood Connect Eurocluster – Cascade Funding Open Call", org="AgriFood Connect",
        published="2023-02-14T23:00Z",
        # "Max.Funding: 150.000€<br>Deadline: 01/09/2023" (day first); "Info day: 20 March 2023" is none
        deadlines=[(None, "2023-09-01T15:00Z", False, False)],
        budget=(None, "EUR"), per_project=(None, 150000), links=[],
    ),
    "198764": dict(
        title="EU€7.5m for clusters: Clusters Go International call launched",
        org="European Cluster Collaboration Platform", published="2020-09-07T22:00Z",
        deadlines=[(None, "2020-12-02T16:00Z", False, False)],  # "2 December 2020 (17.00 CET)"
        budget=(7500000, "EUR"), per_project=(None, None),  # "EUR 7.5 million"
        links=["https://ec.europa.eu/easme/en/cos-clusint-2020-3-01-clusters-go-international"],
    ),
}  # fmt: skip
OPEN = {"233015", "232540", "231990"}  # a deadline after 2026-11-21


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def detail_file(node: str) -> str:
    return f"detail_{node}_RECONSTRUCTED.html"


def detail_url(node: str, site: str = SITE) -> str:
    return f"{site}/content/{SLUGS[node]}"


def shipped() -> dict[str, Any]:
    return tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))


def eccp(**overrides: Any) -> EccpConfig:
    return EccpConfig.model_validate({**shipped(), **overrides})


def parse(node: str, content: bytes | None = None) -> RawCall:
    call, warnings = parse_detail(content or read(detail_file(node)), eccp(), detail_url(node))
    assert call is not None and warnings == []
    return call


# --------------------------------------------------------------------------- listing


def test_listing_pages_read_by_hand() -> None:
    config = eccp()
    first = parse_listing(read(PAGES[0]), config, LISTING + "0")
    # 12 cards; the PowerUp 2nd call card starts with an /expertise link, which is skipped
    assert first.detail_urls == [detail_url(node) for node in NODES[:12]]
    assert (first.cards, first.unlinked, first.empty) == (12, 0, False)
    assert first.next_url == LISTING + "1"
    second = parse_listing(read(PAGES[1]), config, LISTING + "1")
    # DREAM again (the listing shifted by one), two new calls, an organisation's /expertise card
    assert second.detail_urls == [detail_url(node) for node in ("206233", "205120", "198764")]
    assert (second.cards, second.unlinked, second.next_url) == (4, 0, LISTING + "2")
    trailing = parse_listing(read(PAGES[2]), config, LISTING + "2")
    assert (trailing.detail_urls, trailing.cards, trailing.next_url, trailing.empty) == ([], 0, None, True)


def test_renamed_cards_and_empty_page_are_told_apart() -> None:
    config = eccp()
    renamed = parse_listing(read(RENAMED), config, LISTING + "0")
    assert (renamed.cards, renamed.empty) == (0, False)
    with pytest.raises(LayoutChanged, match=r"selector 'div.search-result-item' matched 0 cards"):
        check_count(renamed, 0, config, LISTING + "0")
    empty = parse_listing(read(EMPTY), config, LISTING + "0")
    assert (empty.cards, empty.empty, empty.next_url) == (0, True, None)
    check_count(empty, 0, config, LISTING + "0")  # "No results found." on the page: a real empty listing
    unmarked = eccp(expect={"min_items": 1})  # no empty_marker configured: an empty page is suspect
    with pytest.raises(LayoutChanged):
        check_count(parse_listing(read(EMPTY), unmarked, LISTING + "0"), 0, unmarked, LISTING + "0")


# --------------------------------------------------------------------------- detail pages


@pytest.mark.parametrize("node", NODES)
def test_detail_page_read_by_hand(node: str) -> None:
    expected = EXPECTED[node]
    call = parse(node)
    assert (call.key, call.title, call.url) == (node, expected["title"], detail_url(node))
    assert call.organisation == expected["org"]
    assert call.published_at == utc(expected["published"])
    assert call.extra == {"links": expected["links"]}
    assert (call.funding_type, call.language) == (FundingType.CASCADE, "en")
    # The body's inner HTML: its first element is the first paragraph or list, not the field wrapper.
    assert call.summary_html == call.conditions_html and call.summary_html.startswith(("<p>", "<ul>"))
    assert call.warnings == []


@pytest.mark.parametrize("node", NODES)
def test_normalised_deadlines_and_budget_read_by_hand(node: str) -> None:
    expected = EXPECTED[node]
    normalised = normalise_call(parse(node), now=NOW)
    found = [(d.label, d.at, d.closed, d.tentative) for d in normalised.deadlines]
    assert found == [(label, utc(at), closed, tbc) for label, at, closed, tbc in expected["deadlines"]]
    total, currency = expected["budget"]
    assert normalised.budget_total == (Decimal(total) if total else None)
    assert normalised.budget_currency == currency
    low, high = expected["per_project"]
    assert normalised.contribution_min == (Decimal(low) if low else None)
    assert normalised.contribution_max == (Decimal(high) if high else None)
    assert normalised.status == ("open" if node in OPEN else "closed")
    # RESIST II: "the 2nd one is expected to be launched in May 2027" is a launch month, not a deadline.
    assert normalised.warnings == (["month and year, no day 'May 2027'"] if node == "231502" else [])


def test_eligibility_read_from_the_body() -> None:
    greenova = normalise_call(parse("208871"), now=NOW)  # "lead applicant based in Italy, Spain, France, ..."
    assert greenova.countries == ["DE", "ES", "FR", "IT", "RO"]
    powerup = normalise_call(parse("207511"), now=NOW)  # "SMEs located in EU Member States or SMP associated"
    assert {"EU", "SMP-ASSOCIATED"} <= set(powerup.country_groups)
    assert {"DE", "FR", "NO", "UA", "AL"} <= set(powerup.countries)
    assert "sme" in powerup.org_types


def test_publication_date_and_footer_never_reach_the_call_text() -> None:
    call = parse("206740")
    assert call.deadline_text is not None and call.deadline_text.startswith("DEADLINE: 16 May 2023\n")
    assert "05 April 2023" not in call.deadline_text and "Submitted by" not in call.deadline_text
    assert call.budget_text == "1 - Small Scale Projects (5,000 € Lump Sum)"
    # Without a body class the whole <article> is read: byline and organisation block are left out.
    bare = read(detail_file("206740")).replace(b"field--node--body ", b"").replace(b"field--name-body ", b"")
    second = b'<div class="field__item"><a href="/content/cci-cluster" hreflang="en">CCI Cluster</a></div>'
    bare = bare.replace(b"  </div>\n</div>", b"  " + second + b"</div>\n</div>", 1)  # two organisations
    fallback = parse("206740", bare)
    assert fallback.organisation == "CREATHRIV-EU" and "CCI Cluster" in bare.decode()
    assert fallback.deadline_text is not None and fallback.deadline_text.startswith(
        "Submitted by CREATHRIV-EU\n"
    )
    for absent in ("April", "Groups audience", "CREATHRIV-EU\nCCI", "CCI Cluster"):
        assert absent not in fallback.deadline_text
    assert [d.at for d in normalise_call(fallback, now=NOW).deadlines] == [utc("2023-05-16T15:00Z")]


def test_theme_debug_and_editor_comments_never_leak() -> None:
    for node in NODES:
        call = parse(node)
        values = [call.title, call.organisation, call.summary_html, call.deadline_text, call.budget_text,
                  *call.extra["links"]]  # fmt: skip
        for value in filter(None, values):
            for leak in ("<!--", "THEME", "twig", "💡", "FILE NAME SUGGESTIONS", "2099"):
                assert leak not in value, (node, leak)
    powerup = parse("207511")  # an editor's comment in the body mentions "30 June 2025"
    assert "30 June 2025" not in (powerup.summary_html or "") + (powerup.deadline_text or "")


def test_external_links_leave_out_site_share_and_footer_links() -> None:
    call = parse("207511")
    # Body: a link to /content/powerup-netzero (the site), F&T, the project site twice, a mailto:;
    # <main> also holds X/LinkedIn/Facebook share buttons; header and footer hold social and legal links.
    assert call.extra["links"] == [FT_14703, "https://powerup-netzero.eu/open-call-2/"]
    assert 'href="https://www.clustercollaboration.eu/content/powerup-netzero"' in (call.summary_html or "")


def test_title_falls_back_to_the_page_title_without_its_suffix() -> None:
    page = read(detail_file("207511"))
    start, end = page.index(b'<h1 class="page-title">'), page.index(b"</h1>") + len(b"</h1>")
    assert parse("207511", page[:start] + page[end:]).title == "PowerUp NetZero - 2nd Open Call"


def test_page_without_node_id_or_title_is_skipped() -> None:
    page = read(detail_file("207511")).replace(b'data-history-node-id="207511"', b"")
    call, warnings = parse_detail(page, eccp(), detail_url("207511"))
    assert call is None and warnings == [f"skipped detail page {detail_url('207511')}: no node id"]


# --------------------------------------------------------------------------- harvests (in-process)


def quick_client(transport: httpx.AsyncBaseTransport | None = None) -> PoliteClient:
    return PoliteClient(HttpPolicy(min_interval=0, max_attempts=1), transport=transport)


def page(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers=HTML, stream=httpx.ByteStream(body))


def site_routes(**replace: httpx.Response) -> dict[str, Any]:
    routes: dict[str, Any] = {LISTING + str(n): page(read(name)) for n, name in enumerate(PAGES)}
    routes |= {detail_url(node): page(read(detail_file(node))) for node in NODES}
    return routes | replace


async def harvest_with(config: EccpConfig, routes: dict[str, Any]) -> Harvest:
    async with quick_client(replay_transport(routes)) as client:
        return await EccpSource(config).harvest(client)


async def test_full_walk_gives_every_call_once() -> None:
    seen: list[str] = []
    routes = site_routes()

    def recorded(number: int) -> Callable[[httpx.Request], httpx.Response]:
        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return page(read(PAGES[number]))

        return answer

    routes |= {LISTING + str(number): recorded(number) for number in range(3)}
    harvest = await harvest_with(eccp(), routes)
    assert seen == [LISTING + "0", LISTING + "1", LISTING + "2"]
    assert [call.key for call in harvest.calls] == NODES
    assert harvest.complete and harvest.warnings == [] and harvest.requests == 3 + 14


async def test_caps_make_the_harvest_incomplete() -> None:
    harvest = await harvest_with(eccp(max_pages=1), site_routes())
    assert len(harvest.calls) == 12 and not harvest.complete
    assert harvest.warnings == [f"stopped at max_pages=1; next page {LISTING}1 not fetched"]
    harvest = await harvest_with(eccp(max_details=3), site_routes())
    assert [call.key for call in harvest.calls] == NODES[:3] and not harvest.complete
    assert harvest.warnings == ["14 calls listed but max_details=3: 11 not fetched"]


async def test_a_next_link_back_to_a_fetched_page_ends_the_walk() -> None:
    looping = read(PAGES[1]).replace(b"page=2", b"page=0")
    harvest = await harvest_with(eccp(), site_routes(**{LISTING + "1": page(looping)}))
    assert len(harvest.calls) == 14 and harvest.complete


async def test_failing_listing_page_fails_the_poll() -> None:
    with pytest.raises(FetchError):
        await harvest_with(eccp(), site_routes(**{LISTING + "1": page(b"oops", 500)}))


async def test_failing_detail_page_skips_that_call_only() -> None:
    harvest = await harvest_with(eccp(), site_routes(**{detail_url("207511"): page(b"oops", 500)}))
    assert len(harvest.calls) == 13 and "207511" not in {call.key for call in harvest.calls}
    assert not harvest.complete
    [warning] = harvest.warnings
    assert (
        warning.startswith(f"detail page {detail_url('207511')} not read, call skipped:") and "500" in warning
    )


async def test_every_detail_page_failing_fails_the_poll() -> None:
    broken = {detail_url(node): page(b"", 503) for node in NODES}
    with pytest.raises(FetchError, match="all 14 detail pages failed"):
        await harvest_with(eccp(), site_routes(**broken))


async def test_detail_pages_without_node_ids() -> None:
    def stripped(node: str) -> httpx.Response:
        return page(read(detail_file(node)).replace(f'data-history-node-id="{node}"'.encode(), b""))

    one = await harvest_with(eccp(), site_routes(**{detail_url("206740"): stripped("206740")}))
    assert len(one.calls) == 13 and not one.complete
    assert one.warnings == [f"skipped detail page {detail_url('206740')}: no node id"]
    most = {detail_url(node): stripped(node) for node in NODES[:8]}
    with pytest.raises(LayoutChanged, match="8 of 14 detail pages have no node id or no title"):
        await harvest_with(eccp(), site_routes(**most))


async def test_renamed_cards_are_a_layout_change() -> None:
    with pytest.raises(LayoutChanged, match="'div.search-result-item' matched 0 cards"):
        await harvest_with(eccp(), site_routes(**{LISTING + "0": page(read(RENAMED))}))


async def test_lost_card_links_are_a_layout_change() -> None:
    moved = read(PAGES[0]).replace(b'href="/content/', b'href="/node/')
    with pytest.raises(LayoutChanged, match="found no call link in 12 of 12 cards"):
        await harvest_with(eccp(), site_routes(**{LISTING + "0": page(moved)}))


async def test_empty_listing_is_an_empty_complete_harvest() -> None:
    harvest = await harvest_with(eccp(), {LISTING + "0": page(read(EMPTY))})
    assert (harvest.calls, harvest.complete, harvest.warnings, harvest.requests) == ([], True, [], 1)


# --------------------------------------------------------------------------- config


def test_shipped_config_loads_and_equals_the_defaults() -> None:
    config = load_source_config(CONFIG_FILE)
    assert isinstance(config, EccpConfig) and REGISTRY["eccp"] is EccpSource
    assert isinstance(build_source(config), EccpSource)
    assert (config.id, config.enabled, config.interval_seconds) == ("eccp", True, 12 * 3600)
    assert config.url == LISTING + "0" and config.expect.empty_marker == "No results found"
    defaults = EccpConfig(id="eccp", name="x")
    assert config.model_dump(
        exclude={"name", "alert_after_failures", "interval", "expect"}
    ) == defaults.model_dump(exclude={"name", "alert_after_failures", "interval", "expect"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('card = "div.search-result-item["\n', "key 'card': invalid CSS selector"),
        ('cards = "div.x"\n', "key 'cards': unknown key (typo?)"),
        ('[detail]\ntitle = ["h1 >> span"]\n', "key 'detail.title': invalid CSS selector 'h1 >> span'"),
        ('[detail]\nbodyy = ".x"\n', "key 'detail.bodyy': unknown key (typo?)"),
        ('[expect]\nempty_marker = "css:p.empty["\n', "key 'expect.empty_marker': invalid CSS selector"),
        ("max_pages = 0\n", "key 'max_pages': Input should be greater than or equal to 1"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "eccp-x.toml"
    path.write_text(f'id = "eccp-x"\nname = "x"\nkind = "eccp"\n{body}', encoding="utf-8")
    with pytest.raises(SourceConfigError) as caught:
        load_source_config(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


# --------------------------------------------------------------------------- `callwatch poll eccp`


def serve_site(server: LocalHTTPServer, *, first: str = PAGES[0]) -> None:
    for number, name in enumerate([first, *PAGES[1:]]):
        server.route(f"/search-results?type=eccp_calls&page={number}", Reply(200, read(name), HTML))
    for node in NODES:
        server.route(f"/content/{SLUGS[node]}", Reply(200, read(detail_file(node)), HTML))


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, http_server: LocalHTTPServer):
    for name in list(os.environ):
        if name.startswith("CALLWATCH_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    (config / "sources").mkdir(parents=True)
    (config / "sources" / "eccp.toml").write_text(CONFIG_FILE.read_text().replace(SITE, http_server.url))
    # Politeness and retries are tests/test_http.py's business; here they would only slow the polls.
    (config / "callwatch.toml").write_text("[http]\nmin_interval = 0\nmax_attempts = 1\n")
    for name, value in {
        "CALLWATCH_DATABASE_URL": database_url, "CALLWATCH_CONFIG_DIR": str(config),
        "CALLWATCH_VAR_DIR": str(tmp_path / "var"), "CALLWATCH_LOG_LEVEL": "WARNING",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    serve_site(http_server)
    return http_server


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def poll() -> tuple[int, dict[str, Any]]:
    result = cli("poll", "eccp", "--now", "2026-11-21T09:00:00Z", "--json")
    [report] = json.loads(result.stdout)
    return result.exit_code, report


def stored() -> dict[str, dict[str, Any]]:
    result = cli("calls", "--status", "all", "--json")
    assert result.exit_code == 0, result.output
    return {call["key"]: call for call in json.loads(result.stdout)}


def health() -> dict[str, Any]:
    [row] = json.loads(cli("sources", "--json").stdout)
    return row


def test_poll_stores_every_call(site: LocalHTTPServer, database_url: str) -> None:
    code, report = poll()
    assert code == 0, report
    assert (report["status"], report["found"], report["new"], report["unlisted"]) == ("ok", 14, 14, 0)
    assert report["warnings"] == []
    assert len(site.requests) == 3 + 14 and site.unrouted == []
    calls = stored()
    assert set(calls) == set(NODES)
    for node, expected in EXPECTED.items():
        call = calls[node]
        assert (call["title"], call["url"]) == (expected["title"], detail_url(node, site.url))
        assert [(d["label"], d["at_utc"]) for d in call["deadlines"]] == [
            (label, at.replace("Z", ":00Z")) for label, at, _, _ in expected["deadlines"]
        ]
        assert (call["budget"]["total"], call["budget"]["currency"]) == expected["budget"]
        assert call["status"] == ("open" if node in OPEN else "closed") and call["listed"]
        assert call["funding_type"] == "cascade"
    assert calls["207511"]["deadlines"][1]["at_brussels"] == "2025-07-07T17:00:00+02:00"
    with session_scope(make_engine(database_url)) as session:
        rows = {row.key: row for row in session.exec(select(Call))}
    powerup = rows["207511"]
    assert (powerup.organisation, powerup.language) == ("PowerUp NetZero", "en")
    assert powerup.published_at is not None and powerup.published_at.replace(tzinfo=UTC) == utc(
        "2025-02-16T23:00Z"
    )
    assert powerup.extra == {"links": [FT_14703, "https://powerup-netzero.eu/open-call-2/"]}


def test_changed_markup_fails_the_run_and_keeps_calls(site: LocalHTTPServer) -> None:
    assert poll()[0] == 0
    before = stored()
    site.route("/search-results?type=eccp_calls&page=0", Reply(200, read(RENAMED), HTML))
    code, report = poll()
    assert code == 1 and report["status"] == "failed"
    assert report["error"].startswith("layout changed: selector 'div.search-result-item' matched 0 cards")
    assert stored() == before and all(call["listed"] for call in before.values())
    row = health()
    assert (row["consecutive_failures"], row["last_status"], row["listed_calls"]) == (1, "failed", 14)


def test_empty_listing_with_its_marker(site: LocalHTTPServer) -> None:
    site.route("/search-results?type=eccp_calls&page=0", Reply(200, read(EMPTY), HTML))
    code, report = poll()
    assert code == 0 and (report["status"], report["found"], report["unlisted"]) == ("ok", 0, 0)
    assert stored() == {}


def test_empty_listing_after_a_full_one_is_suspect_empty(site: LocalHTTPServer) -> None:
    assert poll()[0] == 0
    before = stored()
    site.route("/search-results?type=eccp_calls&page=0", Reply(200, read(EMPTY), HTML))
    code, report = poll()
    # A complete, empty harvest that would unlist 14 of 14 calls is not believed: it changes nothing
    # and fails the run.
    assert code == 1 and (report["status"], report["found"], report["unlisted"]) == ("suspect_empty", 0, 0)
    assert report["error"] == (
        "suspect empty answer: this complete poll lists 0 of the 14 listed calls, so it would have "
        "unlisted 14 (all; 198764, 205120, 206233, 206740, 207511 and 9 more); nothing was changed and "
        "the run counts as a failure"
    )
    assert stored() == before and all(call["listed"] for call in before.values())
    row = health()
    assert (row["consecutive_failures"], row["last_status"], row["listed_calls"]) == (1, "suspect_empty", 14)


def test_failing_detail_page_keeps_the_other_calls(site: LocalHTTPServer) -> None:
    assert poll()[0] == 0
    site.route(
        f"/content/{SLUGS['206740']}", Reply(500, b"Internal Server Error", {"Content-Type": "text/plain"})
    )
    code, report = poll()
    assert code == 0 and (report["status"], report["found"], report["unchanged"]) == ("incomplete", 13, 13)
    assert report["unlisted"] == 0 and len(report["warnings"]) == 1
    assert report["warnings"][0].startswith(f"detail page {detail_url('206740', site.url)} not read")
    calls = stored()
    assert len(calls) == 14 and all(call["listed"] for call in calls.values())
    assert health()["consecutive_failures"] == 0
