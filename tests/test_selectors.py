"""Tests of the `selectors` source kind, with config/sources/euro-access.toml against real saved pages.

Fixtures are in tests/fixtures/euro_access (provenance in PROVENANCE.md). Every
expected value below was read by hand from those HTML files.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from sources import SourceConfigError, build_source, load_source_config
from sources.base import REGISTRY, Harvest
from sources.errors import LayoutChanged
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from sources.fields import FieldSpec, parse_spec, to_raw_call
from sources.html import element_text, parse_html, parse_page, read_fields, read_items, read_label_rows
from sources.selectors import SelectorsConfig, SelectorsSource
from tests.httpserver import LocalHTTPServer, replay_transport

FIXTURES = Path(__file__).parent / "fixtures" / "euro_access"
CONFIG_FILE = Path(__file__).parent.parent / "config" / "sources" / "euro-access.toml"
LISTING = "euroaccess_calls_listing_SearchForFunding_saved-page.html"
DETAIL_135 = "euroaccess_call_detail_135_Erasmus-Charter-5th-cut-off_saved-page.html"
THREE_ROWS = "euroaccess_listing_3rows_relative-links_DERIVED.html"
PAGES = [f"euroaccess_listing_paged_DERIVED_page{n}_of_3.html" for n in (1, 2, 3)]
ID_CHANGED = "euroaccess_listing_table-id-changed_DERIVED.html"
EMPTY = "euroaccess_listing_empty_RECONSTRUCTED.html"

LISTING_URL = "https://www.euro-access.eu/en/calls?keyword=&submit=&sent=search"
CALLS = "https://www.euro-access.eu/en/calls/"
PATH_135 = "/en/calls/135/Erasmus-Charter-for-Higher-Education-5th-cut-off-date"
PATH_136 = "/en/calls/136/Erasmus-Charter-for-Higher-Education-6th-cut-off-date"
PATH_1603 = "/en/calls/1603/Interreg-CZ-PL-Priority-3-Bridges-last-cut-off-date-Call-full-proposal"
HTML = {"Content-Type": "text/html; charset=UTF-8"}
COUNTRIES = (
    "EU Member States, Overseas Countries and Territories (OCT)\n"
    "Albania (Shqipëria), Bosnia and Herzegovina (Bosna i Hercegovina / Босна и Херцеговина), "
    "Iceland (Ísland), Kosovo (Kosova/Kosovë / Косово), Liechtenstein, North Macedonia "
    "(Северна Македонија), Norway (Norge), Serbia (Srbija/Сpбија), Türkiye"
)
SUMMARY = (
    "<p>This Call aims at accrediting recognised Higher Education Institutions located in eligible "
    "countries, which have operational capacity to take part in Erasmus+ Programme’s activities, such "
    "as learning mobility of individuals and/or cooperation for innovation and good practices.</p>"
)
EC_TOPIC = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
    "topic-details/erasmus-edu-2022-eche-cert-fp"
)


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def shipped() -> dict[str, Any]:
    return tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))


def euro_access(**overrides: Any) -> SelectorsConfig:
    """The shipped euro-access config with some keys replaced (url, detail, expect...)."""
    data = {**shipped(), **overrides}
    return SelectorsConfig.model_validate({key: value for key, value in data.items() if value is not None})


def quick_client(transport: httpx.AsyncBaseTransport | None = None) -> PoliteClient:
    # Politeness is the client's business (tests/test_http.py); here it would only slow tests down.
    return PoliteClient(HttpPolicy(min_interval=0, max_attempts=1), transport=transport)


def page(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers or HTML, stream=httpx.ByteStream(body))


async def harvest_with(
    config: SelectorsConfig,
    routes: dict[str, httpx.Response | Callable[[httpx.Request], httpx.Response]],
    validators: dict[str, dict[str, str]] | None = None,
) -> Harvest:
    async with quick_client(replay_transport(routes)) as client:
        return await SelectorsSource(config).harvest(client, validators=validators)


# --------------------------------------------------------------------------- the real listing


def test_real_listing_has_142_rows_read_by_hand() -> None:
    config = euro_access()
    items = read_items(parse_html(read(LISTING)), config.item, config.fields, base_url=LISTING_URL)
    assert len(items) == 142  # the page says "142 Calls found"
    assert items[0] == {
        "title": "Erasmus Charter for Higher Education - 5th cut-off date",
        "url": CALLS + "135/Erasmus-Charter-for-Higher-Education-5th-cut-off-date",
        "programme": "Erasmus+",
        "deadline": "27.01.2026 17:00",
    }
    assert items[3] == {  # title="KAVA Call 13: Call for Innovation &amp; Education Projects"
        "title": "KAVA Call 13: Call for Innovation & Education Projects",
        "url": CALLS + "1762/KAVA-Call-13-Call-for-Innovation-amp-Education-Projects",
        "programme": "European Institute of Innovation and Technology",
        "deadline": "28.11.2025 13:00",
    }
    assert items[-1] == {
        "title": "Interreg Central Europe - Strategic call for capitalisation",
        "url": CALLS + "2383/Interreg-Central-Europe-Strategic-call-for-capitalisation",
        "programme": "Interreg Central Europe Programme",
        "deadline": "27.11.2025 16:00",
    }
    # title="Interreg South Baltic -  3rd Small-scale call for proposals": whitespace runs collapse.
    south_baltic = next(item for item in items if "/2378/" in item["url"])
    assert south_baltic["title"] == "Interreg South Baltic - 3rd Small-scale call for proposals"
    # formats.md §4.4: every deadline cell is "DD.MM.YYYY HH:MM"; each row has a distinct URL.
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", item["deadline"]) for item in items)
    assert len({item["url"] for item in items}) == 142


def test_real_listing_rows_become_raw_calls() -> None:
    config = euro_access()
    items = read_items(parse_html(read(LISTING)), config.item, config.fields, base_url=LISTING_URL)
    call = to_raw_call(items[1])
    assert call.key == call.url == CALLS + "136/Erasmus-Charter-for-Higher-Education-6th-cut-off-date"
    assert call.title == "Erasmus Charter for Higher Education - 6th cut-off date"
    assert call.programme == "Erasmus+"
    assert call.deadline_text == "26.01.2027 17:00"
    assert call.extra == {}


# --------------------------------------------------------------------------- the real detail page


def detail_values() -> dict[str, str]:
    config = euro_access()
    assert config.detail is not None
    rows = config.detail.label_rows_spec()
    assert rows is not None
    base = CALLS + "135/Erasmus-Charter-for-Higher-Education-5th-cut-off-date"
    return read_label_rows(parse_html(read(DETAIL_135)), rows, base_url=base)


def test_real_detail_page_label_rows() -> None:
    assert detail_values() == {
        "identifier": "ERASMUS-EDU-2022-ECHE-CERT-FP",
        # <p id="call-opening td"><strong>Opening</strong><br>23.02.2022</p>
        "opening": "Opening\n23.02.2022",
        "deadline": "Deadline\n27.01.2026 17:00",
        "call_link": EC_TOPIC,
        "summary": SUMMARY,
        "countries": COUNTRIES,
        "org_types_list": "Education and training institution, Research Institution incl. University",
    }


def test_commented_out_table_copies_are_not_read() -> None:
    raw = read(DETAIL_135)
    # The saved page holds the identifier twice: the visible row and the `<!--table>` copy.
    assert raw.count(b"ERASMUS-EDU-2022-ECHE-CERT-FP") == 2
    assert raw.count(b"This Call aims at accrediting") == 2
    soup = parse_html(raw)
    assert "<!--" not in str(soup)
    text = element_text(soup)
    assert text.count("ERASMUS-EDU-2022-ECHE-CERT-FP") == 1
    assert text.count("This Call aims at accrediting") == 1
    assert "<tr><td" not in text and "table>" not in text
    values = detail_values()
    assert values["summary"].count("This Call aims") == 1
    assert values["countries"].count("Türkiye") == 1


def test_merged_call_normalises_to_brussels_winter_deadline() -> None:
    from monitor.normalise.call import normalise_call

    config = euro_access()
    items = read_items(parse_html(read(LISTING)), config.item, config.fields, base_url=LISTING_URL)
    raw = to_raw_call({**items[0], **detail_values()})
    assert raw.key == CALLS + "135/Erasmus-Charter-for-Higher-Education-5th-cut-off-date"
    assert raw.identifier == "ERASMUS-EDU-2022-ECHE-CERT-FP"
    assert raw.extra == {"call_link": EC_TOPIC}
    call = normalise_call(raw, now=datetime(2025, 10, 10, tzinfo=UTC))
    # 27.01.2026 17:00 in Brussels is CET (UTC+1) in January.
    assert [d.at for d in call.deadlines] == [datetime(2026, 1, 27, 16, 0, tzinfo=UTC)]
    assert call.status == "open"
    assert call.summary_text and call.summary_text.startswith("This Call aims at accrediting")


# --------------------------------------------------------------------------- extraction details


def test_field_syntax() -> None:
    assert parse_spec("a@href") == FieldSpec("a", "href")
    assert parse_spec("td > a:not(.right-arrow) @title") == FieldSpec("td > a:not(.right-arrow)", "title")
    assert parse_spec("@data-id") == FieldSpec("", "data-id")
    assert parse_spec("td.title") == FieldSpec("td.title", None)
    # An "@" inside an attribute selector is not the attribute separator.
    assert parse_spec('a[href^="mailto:x@y"]') == FieldSpec('a[href^="mailto:x@y"]', None)
    with pytest.raises(ValueError, match="invalid CSS selector 'a\\[title'"):
        parse_spec("a[title@href")


def test_comments_scripts_and_theme_debug_never_reach_fields() -> None:
    # Hand-written in the shape of ECCP's Drupal theme-debug output (formats.md §3).
    html = (
        '<div class="card" data-id="7"><!-- THEME DEBUG --><!-- FILE NAME SUGGESTIONS: x -->'
        "<h3><!-- BEGIN OUTPUT from 'field.html.twig' -->Open call<!-- END OUTPUT --></h3>"
        '<div class="body"><script>var secret = 1;</script><p>First<br>second</p><!--<p>old</p>--></div>'
        '<a href="../calls/7">more</a></div>'
    )
    soup = parse_html(html)
    fields = {name: (parse_spec(spec),) for name, spec in
              {"title": "h3", "summary": ".body", "url": "a@href", "id": "@data-id"}.items()}  # fmt: skip
    card = soup.select_one("div.card")
    assert card is not None
    assert read_fields(card, fields, base_url="https://cluster.example/en/list/") == {
        "title": "Open call",
        "summary": "<p>First<br/>second</p>",
        "url": "https://cluster.example/en/calls/7",
        "id": "7",
    }
    body = soup.select_one(".body")
    assert body is not None and element_text(body) == "First\nsecond"


# --------------------------------------------------------------------------- harvests


async def test_harvest_over_a_real_local_server(http_server: LocalHTTPServer) -> None:
    """3 real rows (DERIVED: relative links) + the real detail page of call 135; 136 and 1603 answer 404."""
    http_server.serve_file("/en/calls", FIXTURES / THREE_ROWS, HTML["Content-Type"], etag='"v1"')
    http_server.serve_file(PATH_135, FIXTURES / DETAIL_135, HTML["Content-Type"])
    listing_url = f"{http_server.url}/en/calls?keyword=&submit=&sent=search"
    async with quick_client() as client:
        harvest = await SelectorsSource(euro_access(url=listing_url)).harvest(client)
    assert [seen.path for seen in http_server.requests] == ["/en/calls", PATH_135, PATH_136, PATH_1603]
    assert harvest.requests == 4 and harvest.bytes > len(read(THREE_ROWS))
    assert [call.url for call in harvest.calls] == [
        http_server.url + p for p in (PATH_135, PATH_136, PATH_1603)
    ]
    first, second, third = harvest.calls
    assert first.title == "Erasmus Charter for Higher Education - 5th cut-off date"
    assert first.programme == "Erasmus+"
    assert first.identifier == "ERASMUS-EDU-2022-ECHE-CERT-FP"
    assert first.deadline_text == "Deadline\n27.01.2026 17:00"  # the detail page's value wins
    assert first.opens_text == "Opening\n23.02.2022"
    assert first.countries_text == COUNTRIES
    assert first.summary_html == SUMMARY
    assert first.extra == {"call_link": EC_TOPIC}
    # key_pattern: the site's call id, not the URL with its title slug.
    assert [call.key for call in harvest.calls] == ["135", "136", "1603"]
    # Detail pages that failed: the calls are kept with their listing values.
    assert second.deadline_text == "26.01.2027 17:00" and second.identifier is None
    assert third.title == "Interreg CZ-PL - Priority 3 - Bridges (last cut-off date): Call full proposal"
    assert third.programme == "Interreg Czechia-Poland" and third.deadline_text == "26.11.2025 23:59"
    assert harvest.complete and not harvest.not_modified
    assert len(harvest.warnings) == 2
    assert http_server.url + PATH_136 in harvest.warnings[0] and "HTTP 404" in harvest.warnings[0]
    assert http_server.url + PATH_1603 in harvest.warnings[1]
    # Missed detail pages: no validators, so the next poll can't get a 304 and skip them.
    assert harvest.validators == {}


async def test_conditional_get_on_the_real_listing(http_server: LocalHTTPServer) -> None:
    http_server.serve_file("/en/calls", FIXTURES / LISTING, HTML["Content-Type"], etag='"abc"')
    url = f"{http_server.url}/en/calls?keyword=&submit=&sent=search"
    source = SelectorsSource(euro_access(url=url, detail=None))
    async with quick_client() as client:
        first = await source.harvest(client)
        second = await source.harvest(client, validators=first.validators)
    assert len(first.calls) == 142 and first.complete
    assert first.validators == {url: {"etag": '"abc"'}}
    assert http_server.requests[1].headers.get("If-None-Match") == '"abc"'
    assert second.not_modified and second.calls == [] and second.requests == 1


def test_key_pattern_is_checked_at_load() -> None:
    with pytest.raises(ValueError, match="not a regular expression"):
        euro_access(key_pattern="/calls/(\\d+/")
    with pytest.raises(ValueError, match="at most one group"):
        euro_access(key_pattern="/(calls)/(\\d+)/")


async def test_an_item_whose_url_misses_the_key_pattern_keeps_its_url_as_key() -> None:
    listing = "https://listing.test/en/calls"
    routes: dict[str, Any] = {listing: page(read(THREE_ROWS))}
    harvest = await harvest_with(euro_access(url=listing, detail=None, key_pattern="/nomatch/(\\d+)"), routes)
    assert [call.key for call in harvest.calls] == [call.url for call in harvest.calls]


async def test_all_details_fetched_returns_validators() -> None:
    listing = "https://listing.test/en/calls"
    routes: dict[str, Any] = {listing: page(read(THREE_ROWS), headers={**HTML, "ETag": '"v2"'})}
    # The one real detail page stands in for all three (only the mechanics are under test here).
    for path in (PATH_135, PATH_136, PATH_1603):
        routes["https://listing.test" + path] = page(read(DETAIL_135))
    harvest = await harvest_with(euro_access(url=listing), routes)
    assert harvest.complete and harvest.warnings == [] and len(harvest.calls) == 3
    assert harvest.validators == {listing: {"etag": '"v2"'}}


async def test_detail_404_keeps_the_call_from_listing_values() -> None:
    listing = "https://listing.test/en/calls"
    routes: dict[str, Any] = {
        listing: page(read(THREE_ROWS)),
        "https://listing.test" + PATH_135: page(b"Not Found", 404, {"Content-Type": "text/plain"}),
        "https://listing.test" + PATH_136: page(read(DETAIL_135)),
        "https://listing.test" + PATH_1603: page(read(DETAIL_135)),
    }
    harvest = await harvest_with(euro_access(url=listing), routes)
    call = harvest.calls[0]
    assert call.url == "https://listing.test" + PATH_135
    assert (
        call.deadline_text == "27.01.2026 17:00" and call.identifier is None and call.programme == "Erasmus+"
    )
    assert harvest.complete
    assert harvest.warnings == [
        f"detail page https://listing.test{PATH_135} not used, listing values kept: HTTP 404"
    ]


async def test_max_details_cap_marks_the_harvest_incomplete() -> None:
    listing = "https://listing.test/en/calls"
    routes: dict[str, Any] = {
        listing: page(read(THREE_ROWS)),
        "https://listing.test" + PATH_135: page(read(DETAIL_135)),
    }
    detail = {**shipped()["detail"], "max_details": 1}
    harvest = await harvest_with(euro_access(url=listing, detail=detail), routes)
    assert [call.identifier for call in harvest.calls] == ["ERASMUS-EDU-2022-ECHE-CERT-FP", None, None]
    assert not harvest.complete
    assert any("max_details=1" in warning for warning in harvest.warnings)
    assert harvest.validators == {}


def test_charset_from_header_else_from_the_page() -> None:
    body = '<html><head><meta charset="windows-1252"></head><body><p>Fördermittel</p></body></html>'
    encoded = body.encode("cp1252")
    assert element_text(parse_page(encoded, "text/html")) == "Fördermittel"
    assert element_text(parse_page(body.encode("utf-8"), 'text/html; charset="utf-8"')) == "Fördermittel"


async def test_detail_pages_without_configured_fields_are_a_layout_change() -> None:
    listing = "https://listing.test/en/calls"
    # Derived in the test: the real detail page with its data container renamed.
    changed = read(DETAIL_135).replace(b'<div id="calldata">', b'<div id="call-data">')
    routes: dict[str, Any] = {listing: page(read(THREE_ROWS))}
    routes.update({"https://listing.test" + path: page(changed) for path in (PATH_135, PATH_136, PATH_1603)})
    with pytest.raises(
        LayoutChanged, match="3 of 3 detail pages .* gave none of the configured detail fields"
    ):
        await harvest_with(euro_access(url=listing), routes)
    # One such page among good ones is only a warning.
    routes["https://listing.test" + PATH_136] = page(read(DETAIL_135))
    routes["https://listing.test" + PATH_1603] = page(read(DETAIL_135))
    harvest = await harvest_with(euro_access(url=listing), routes)
    assert harvest.warnings == [
        f"detail page https://listing.test{PATH_135} gave none of the configured fields"
    ]
    assert (
        harvest.calls[0].identifier is None and harvest.calls[1].identifier == "ERASMUS-EDU-2022-ECHE-CERT-FP"
    )


# --------------------------------------------------------------------------- layout changed / empty


async def test_changed_table_id_is_a_layout_change() -> None:
    routes = {LISTING_URL: page(read(ID_CHANGED))}
    with pytest.raises(LayoutChanged) as caught:
        await harvest_with(euro_access(), routes)
    assert str(caught.value) == (
        f"selector 'table#calls-overview tbody tr' matched 0 items on {LISTING_URL}; did the layout change?"
    )


async def test_empty_marker_is_matched_as_whole_words() -> None:
    # "10 Calls found" contains "0 Calls found" as a substring; it must still be a layout change.
    body = read(ID_CHANGED).replace(b"<h3>142 Calls found</h3>", b"<h3>10 Calls found</h3>")
    with pytest.raises(LayoutChanged):
        await harvest_with(euro_access(), {LISTING_URL: page(body)})


async def test_genuinely_empty_listing_is_an_empty_complete_harvest() -> None:
    harvest = await harvest_with(euro_access(), {LISTING_URL: page(read(EMPTY))})
    assert harvest.calls == [] and harvest.complete and harvest.warnings == []
    assert not harvest.not_modified and harvest.requests == 1


async def test_empty_page_without_a_marker_configured_is_a_layout_change() -> None:
    expect = {**shipped()["expect"], "empty_marker": None}
    expect = {key: value for key, value in expect.items() if value is not None}
    with pytest.raises(LayoutChanged, match="matched 0 items"):
        await harvest_with(euro_access(expect=expect), {LISTING_URL: page(read(EMPTY))})


async def test_an_item_missing_a_required_field_is_skipped() -> None:
    listing = "https://listing.test/en/calls"
    body = read(THREE_ROWS).replace(b"<td>26.01.2027 17:00</td>", b"<td></td>")
    harvest = await harvest_with(euro_access(url=listing, detail=None), {listing: page(body)})
    assert [call.url for call in harvest.calls] == ["https://listing.test" + p for p in (PATH_135, PATH_1603)]
    assert harvest.warnings == [f"skipped https://listing.test{PATH_136}: no deadline"]


async def test_most_items_missing_a_required_field_is_a_layout_change() -> None:
    fields = {**shipped()["fields"], "deadline": "td.deadline"}  # a cell class the site does not use
    with pytest.raises(LayoutChanged, match="142 of 142 items .* lack required fields"):
        await harvest_with(euro_access(fields=fields, detail=None), {LISTING_URL: page(read(LISTING))})


# --------------------------------------------------------------------------- pagination


def paged_routes(seen: list[httpx.Request]) -> dict[str, Any]:
    def serve(name: str) -> Callable[[httpx.Request], httpx.Response]:
        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return page(read(name))

        return answer

    base = "https://listing.test/en/calls"
    return {base: serve(PAGES[0]), f"{base}?page=2": serve(PAGES[1]), f"{base}?page=3": serve(PAGES[2])}


async def test_pagination_follows_next_links_to_the_last_page() -> None:
    seen: list[httpx.Request] = []
    config = euro_access(url="https://listing.test/en/calls", detail=None, next_page="a[rel=next]@href")
    harvest = await harvest_with(config, paged_routes(seen), validators={config.url: {"etag": '"x"'}})
    ids = [re.search(r"/calls/(\d+)/", call.url or "")[1] for call in harvest.calls]  # type: ignore[index]
    assert ids == ["135", "136", "1603", "1762", "1845", "1850", "1849", "1851", "2146"]
    assert [str(request.url) for request in seen] == [
        "https://listing.test/en/calls",
        "https://listing.test/en/calls?page=2",
        "https://listing.test/en/calls?page=3",
    ]
    assert harvest.complete and harvest.requests == 3
    # An unchanged page 1 says nothing about pages 2 and 3: no conditional GET when paginating.
    assert "if-none-match" not in seen[0].headers and harvest.validators == {}


async def test_max_pages_cap_marks_the_harvest_incomplete() -> None:
    seen: list[httpx.Request] = []
    config = euro_access(
        url="https://listing.test/en/calls", detail=None, next_page="a[rel=next]", max_pages=2
    )
    harvest = await harvest_with(config, paged_routes(seen))
    assert len(harvest.calls) == 6 and len(seen) == 2
    assert not harvest.complete
    assert harvest.warnings == [
        "stopped at max_pages=2; next page https://listing.test/en/calls?page=3 not fetched"
    ]


async def test_a_failing_later_page_keeps_earlier_pages_incomplete() -> None:
    seen: list[httpx.Request] = []
    routes = paged_routes(seen)
    routes["https://listing.test/en/calls?page=2"] = page(b"", 404, {"Content-Type": "text/plain"})
    config = euro_access(url="https://listing.test/en/calls", detail=None, next_page="a[rel=next]@href")
    harvest = await harvest_with(config, routes)
    assert len(harvest.calls) == 3 and not harvest.complete
    assert harvest.warnings[0].startswith("listing page 2 failed, kept earlier pages")


# --------------------------------------------------------------------------- config


def test_shipped_config_loads_and_builds() -> None:
    config = load_source_config(CONFIG_FILE)
    assert isinstance(config, SelectorsConfig) and REGISTRY["selectors"] is SelectorsSource
    assert isinstance(build_source(config), SelectorsSource)
    assert config.id == "euro-access" and config.enabled and config.interval_seconds == 86400
    assert config.url == LISTING_URL
    assert config.detail is not None and config.detail.max_details == 300
    assert set(config.detail.labels) == {
        "call number", "regions / countries for funding", "eligible entities",
        "short description", "link to the call", "deadlines",
    }  # fmt: skip


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site-x.toml"
    head = 'id = "site-x"\nname = "Site X"\nkind = "selectors"\nurl = "https://site.test/calls"\n'
    path.write_text(head + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'item = "li.call"\n[fields]\ntitle = "h3 >> a"\n',
            "key 'fields.title': invalid CSS selector 'h3 >> a'",
        ),
        ('item = "li.call"\nitme = "x"\n[fields]\ntitle = "h3"\n', "key 'itme': unknown key (typo?)"),
        ('[fields]\ntitle = "h3"\n', "key 'item': Field required"),
        ('item = "li.call["\n[fields]\ntitle = "h3"\n', "key 'item': invalid CSS selector 'li.call['"),
        ('item = "li.call"\n[fields]\nurl = "a@href"\n', "key 'fields': a 'title' field is required"),
        (
            'item = "li.call"\nnext_page = "a[rel=next"\n[fields]\ntitle = "h3"\n',
            "key 'next_page': invalid CSS",
        ),
        (
            'item = "li.call"\n[fields]\ntitle = "h3"\n[expect]\nrequired = ["title", "deadline"]\n',
            "expect.required names ['deadline'], which no field or label produces",
        ),
        (
            'item = "li.call"\n[fields]\ntitle = "h3"\n[detail]\nlabel_rows = "div.tr"\n'
            '[detail.labels.deadlines]\nopening = "p[id^=call-opening"\n',
            "key 'detail.labels.deadlines': field 'opening': invalid CSS selector",
        ),
        (
            'item = "li.call"\n[fields]\ntitle = "h3"\n[detail]\nmax_detail = 5\nfields = { x = "p" }\n',
            "key 'detail.max_detail': unknown key (typo?)",
        ),
        (
            'item = "li.call"\n[fields]\ntitle = "h3"\n[expect]\nempty_marker = "css:p.empty["\n',
            "key 'expect.empty_marker': invalid CSS selector",
        ),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = write_config(tmp_path, body)
    with pytest.raises(SourceConfigError) as caught:
        load_source_config(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
