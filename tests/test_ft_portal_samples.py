"""Every real SEDIA sample (`sedia_*.json` in tests/fixtures/ft_portal/, copies of ../shared/samples/)
polled end to end: the real local HTTP server answers the search POST with the sample, the real
`ft-portal` source (shipped config, polite client) harvests it and `normalise_call` stores it.

Every expected value was read by hand from the JSON; the comment beside it names the key. Instants are
exact and in UTC. `sedia_request_query_portal_frontend_keyword_search.json` is a request body the portal
frontend sends, not an answer, so there is nothing in it to poll (tests/test_ft_portal.py covers queries).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from monitor.model.call import CallIn
from monitor.normalise.call import normalise_call
from sources import build_source, load_source_config
from sources.errors import QueryIgnored
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from tests.httpserver import LocalHTTPServer, Reply, SeenRequest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "ft_portal"
SEARCH = "/search-api/prod/rest/search"
NOW = datetime(2025, 5, 1, tzinfo=UTC)
PORTAL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities"
DATA = "https://ec.europa.eu/info/funding-tenders/opportunities/data/topicDetails"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def envelope(name: str) -> dict[str, Any]:
    """The sample as the answer; a single result item gets the minimal envelope around it."""
    body = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return body if "results" in body else {"totalResults": 1, "results": [body]}


async def poll(server: LocalHTTPServer, tmp_path: Path, body: dict[str, Any]) -> dict[str, CallIn]:
    """Serve `body` as page 1 (an empty page after it), poll with the shipped config, normalise at NOW."""

    def answer(request: SeenRequest) -> Reply:
        first_page = "pageNumber=1&" in request.query + "&"
        payload = body if first_page else {"totalResults": body["totalResults"], "results": []}
        return Reply(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    server.route(SEARCH, answer, method="POST")
    shipped = (ROOT / "config" / "sources" / "ft-portal.toml").read_text(encoding="utf-8")
    local = tmp_path / "ft-portal.toml"
    local.write_text(shipped.replace("https://api.tech.ec.europa.eu", server.url), encoding="utf-8")
    source = build_source(load_source_config(local))
    async with PoliteClient(HttpPolicy(min_interval=0, max_attempts=1)) as client:
        harvest = await source.harvest(client)
    assert harvest.complete
    return {raw.key: normalise_call(raw, now=NOW) for raw in harvest.calls}


def stages(call: CallIn) -> list[tuple[str | None, datetime, datetime | None]]:
    return [(d.label, d.at, d.published_at) for d in call.deadlines]


async def test_cascade_records_keep_their_published_cut_offs_and_url(
    http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    calls = await poll(http_server, tmp_path, envelope("sedia_type8_cascade_2records_METU_UMX.json"))
    assert sorted(calls) == ["11143", "11264"]  # the numbers of `reference` "11143COMPETITIVE_CALLen", …

    metu = calls["11143"]
    assert metu.title == "METU Internships Offer"  # metadata.callTitle
    assert metu.url == f"{PORTAL}/competitive-calls-cs/46214053"  # the record's own `url`
    assert metu.parent_identifier == "DIGITAL-2023-SKILLS-05-SPECIALEDU"  # metadata.identifier
    assert metu.project == "SUSA"  # metadata.projectAcronym
    assert metu.funding_type == "cascade" and metu.deadline_model == "multiple cut-off"
    # metadata.deadlineDate, every value exactly as published (03:59Z and 07:59Z, not 17:00 Brussels)
    cut_offs = ["2025-09-02T03:59", "2026-01-03T07:59", "2026-09-02T03:59", "2027-01-03T07:59"]
    cut_offs += ["2027-09-02T03:59", "2028-01-03T07:59", "2028-09-02T03:59"]
    assert stages(metu) == [(f"Cut-off {n}", utc(f"{at}:00Z"), None) for n, at in enumerate(cut_offs, 1)]
    assert not any(d.date_only for d in metu.deadlines)
    # metadata.budget "30500", and the record has no `currency` key: none is assumed
    assert (metu.budget_total, metu.budget_currency) == (Decimal("30500.00"), None)
    # the record states no eligible countries or organisation types (its description is cut mid-word)
    assert (metu.countries, metu.org_types) == ([], [])
    # metadata.startDate 2025-06-30 is after NOW
    assert (metu.opens_at, metu.status) == (utc("2025-06-30T00:00:00Z"), "forthcoming")

    umx = calls["11264"]
    assert umx.url == f"{PORTAL}/competitive-calls-cs/45033429"  # the record's own `url`
    assert umx.title == "Urban Mobility Explained (UMX) Open Call (Multi-cut-off)"  # metadata.callTitle
    assert umx.project == "EITUM-BP23-25"  # metadata.projectAcronym
    # metadata.deadlineDate "2025-09-30T17:00:04.000+0000", "2026-09-29T17:00:00.000+0000"
    assert stages(umx) == [
        ("Cut-off 1", utc("2025-09-30T17:00:04Z"), None),
        ("Cut-off 2", utc("2026-09-29T17:00:00Z"), None),
    ]
    assert (umx.budget_total, umx.budget_currency) == (Decimal("4000000.00"), None)  # metadata.budget
    assert umx.programme == "Horizon Europe"  # metadata.frameworkProgramme 43108390


async def test_tenders_contract_notice_and_prior_information_notice(
    http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    body = envelope("sedia_type0_tenders_PIN_and_CN_2of35_apiv2.154.json")
    calls = await poll(http_server, tmp_path, body)
    pin = calls["fcc1ce26-4ae1-40bb-9560-107753b2be80-PIN"]  # metadata.identifier
    cn = calls["65354062-0cf5-465c-b15b-a78f6223bb97-CN"]

    # The lot's participationRequestReceptionPeriod endDate "2025-05-15+02:00" endTime "12:00:59+02:00"
    # = 10:00:59 UTC; deadlineDate "2025-05-15T12:00:59.000+0000" is the same wall time in cftTimezone
    # "Europe/Skopje" (UTC+2 in May). One lot, so one stage without a lot label.
    assert stages(cn) == [(None, utc("2025-05-15T10:00:59Z"), None)]
    assert cn.extra["time_zone"] == "Europe/Skopje"  # metadata.cftTimezone
    # metadata.cftEstimatedOverallContractAmount "1000000" + cftEstimatedOverallContractCurrency "EUR"
    assert (cn.budget_total, cn.budget_currency) == (Decimal("1000000.00"), "EUR")
    assert cn.url == f"{PORTAL}/tender-details/65354062-0cf5-465c-b15b-a78f6223bb97-CN"  # `url`
    assert cn.funding_type == "tender" and cn.status == "open"
    assert cn.type_of_action == "Call for tenders (contract notice)"
    # cftLeadContractingAuthorityCode[0].name (cut short by the portal itself)
    assert cn.organisation == (
        "European Union, represented by the European Commission on behalf of and for the account of North Mac"
    )
    # lots[].benefittingZones [{"ccmCode": "MK", ...}]: where the work is done, not who may bid
    assert cn.extra["benefitting_countries"] == ["MK"] and cn.countries == []

    # A prior-information notice has no deadlineDate: no deadline is invented, it is forthcoming.
    assert pin.deadlines == [] and pin.status == "forthcoming"
    assert pin.type_of_action is not None and "Prior information notice" in pin.type_of_action
    assert (pin.budget_total, pin.budget_currency) == (Decimal("2400000.00"), "EUR")  # cftEstimated…
    assert pin.extra["time_zone"] == "Africa/Porto-Novo"  # metadata.cftTimezone
    assert pin.extra["benefitting_countries"] == ["BJ"]  # lots[].benefittingZones ccmCode "BJ"
    assert pin.organisation == "Commission européenne, INTPA - International Partnerships"
    assert pin.url == f"{PORTAL}/tender-details/fcc1ce26-4ae1-40bb-9560-107753b2be80-PIN"


async def test_2026_topics_follow_the_brussels_rule_and_keep_the_published_instant(
    http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    body = envelope("sedia_search_response_excerpt_2026_new-style_records_AarhusAI.json")
    body["totalResults"] = len(body["results"])  # the excerpt keeps 2 of its 9 results
    calls = await poll(http_server, tmp_path, body)
    soil = calls["HORIZON-MISS-2027-05-SOIL-01-two-stage"]
    # deadlineDate "2027-04-08T00:00:00.000+0000", "2027-09-14T00:00:00.000+0000"; deadlineModel two-stage.
    # The documented rule: Brussels date, 17:00 Brussels (CEST) = 15:00 UTC; the published value is kept.
    assert stages(soil) == [
        ("Stage 1", utc("2027-04-08T15:00:00Z"), utc("2027-04-08T00:00:00Z")),
        ("Stage 2", utc("2027-09-14T15:00:00Z"), utc("2027-09-14T00:00:00Z")),
    ]
    assert all(d.date_only for d in soil.deadlines)
    # the record's own url (topic page, original case) is kept beside the canonical lower-case link
    assert soil.url == f"{PORTAL}/topic-details/horizon-miss-2027-05-soil-01-two-stage"
    assert soil.extra["links"] == [f"{PORTAL}/topic-details/HORIZON-MISS-2027-05-SOIL-01-two-stage"]
    # budgetOverview is cut mid-string upstream (PROVENANCE.md): no budget, never a guess
    assert soil.budget_total is None
    cl3 = calls["HORIZON-CL3-2026-02-CS-ECCC-01"]
    assert stages(cl3) == [(None, utc("2026-09-15T15:00:00Z"), utc("2026-09-15T00:00:00Z"))]


@pytest.mark.parametrize(
    ("name", "key", "published", "at"),
    [
        # deadlineDate "2024-04-18T19:00:00.000+0200" (= 17:00Z): Brussels 18 April, 17:00 CEST = 15:00Z
        ("sedia_search_result_item_HORIZON-CL5-2024-D2-01-03.json", "HORIZON-CL5-2024-D2-01-03",
         "2024-04-18T17:00:00Z", "2024-04-18T15:00:00Z"),
        # deadlineDate "2023-09-20T17:00:00.000+0000": Brussels 20 September, 17:00 CEST = 15:00Z
        ("sedia_search_result_item_HORIZON-MISS-2023-CLIMA-01-01_full.json", "HORIZON-MISS-2023-CLIMA-01-01",
         "2023-09-20T17:00:00Z", "2023-09-20T15:00:00Z"),
    ],
)  # fmt: skip
async def test_single_topic_items(
    http_server: LocalHTTPServer, tmp_path: Path, name: str, key: str, published: str, at: str
) -> None:
    calls = await poll(http_server, tmp_path, envelope(name))
    call = calls[key]
    assert stages(call) == [(None, utc(at), utc(published))]
    assert call.url == f"{PORTAL}/topic-details/{key.lower()}"
    assert call.extra["links"] == [f"{DATA}/{key}.json"]  # the record's own `url`, kept
    assert call.programme == "Horizon Europe"  # frameworkProgramme 43108390
    assert call.budget_total is None  # neither item carries a budgetOverview


async def test_multilanguage_rows_collapse_to_the_english_deadline(
    http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    body = envelope("sedia_search_response_trimmed_multilang_HORIZON-MSCA-2024-DN-01-01.json")
    calls = await poll(http_server, tmp_path, body)
    [msca] = calls.values()
    # the `en` row's deadlineDate "2024-11-27T17:00:00.000+0000" (cs/bg say 26 Nov 23:00Z):
    # Brussels 27 November, 17:00 CET = 16:00Z
    assert stages(msca) == [(None, utc("2024-11-27T16:00:00Z"), utc("2024-11-27T17:00:00Z"))]


async def test_unfiltered_page_is_refused_then_read_when_its_total_is_believable(
    http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    body = envelope("sedia_search_response_full_page_10results_apiv2.132_closed_bg.json")
    with pytest.raises(QueryIgnored):  # totalResults 541,009: the query was not applied
        await poll(http_server, tmp_path, body)
    calls = await poll(http_server, tmp_path, {**body, "totalResults": 10})  # the route is replaced
    assert len(calls) == 10
    euaf = calls["EUAF-2023-TRAI-03"]
    # deadlineDate "2023-05-11T02:00:00.000+0200" (= 00:00Z): Brussels 11 May, 17:00 CEST = 15:00Z
    assert stages(euaf) == [(None, utc("2023-05-11T15:00:00Z"), utc("2023-05-11T00:00:00Z"))]
    # budgetOverview: the "EUAF-2023-TRAI-03 - EUAF-PJG …" entry, budgetYearMap {"2023": 900000}
    assert (euaf.budget_total, euaf.budget_currency) == (Decimal("900000.00"), "EUR")
    assert euaf.status == "closed"
    eosc = calls["HORIZON-INFRA-2022-EOSC-01-02"]
    # budgetOverview "HORIZON-INFRA-2022-EOSC-01-02 - HORIZON-RIA …" budgetYearMap {"2022": 5000000}
    assert (eosc.budget_total, eosc.budget_currency) == (Decimal("5000000.00"), "EUR")
    # deadlineDate "2022-04-20T02:00:00.000+0200": Brussels 20 April, 15:00Z
    assert stages(eosc) == [(None, utc("2022-04-20T15:00:00Z"), utc("2022-04-20T00:00:00Z"))]
