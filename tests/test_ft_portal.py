"""Tests of the `ft-portal` source kind against recorded SEDIA answers.

Fixtures are in tests/fixtures/ft_portal (provenance in PROVENANCE.md). Every
expected value below was read by hand from those JSON files.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import tomllib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from monitor.model.raw import RawCall
from monitor.model.vocab import CallStatus, DeadlineModel, FundingType
from monitor.normalise.programmes import PROGRAMMES, programme_for, programme_id_for
from sources.base import REGISTRY
from sources.errors import ParseError, QueryIgnored
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from sources.ft_portal import FtPortalSource, apply_topic_details, check_page, parse_results
from sources.ft_portal.budget import topic_budget
from sources.ft_portal.query import FtPortalConfig, build_query
from sources.ft_portal.records import record_to_call, status_hint

FIXTURES = Path(__file__).parent / "fixtures" / "ft_portal"
CONFIG_FILE = Path(__file__).parent.parent / "config" / "sources" / "ft-portal.toml"
CL5 = "sedia_search_result_item_HORIZON-CL5-2024-D2-01-03.json"
CLIMA = "sedia_search_result_item_HORIZON-MISS-2023-CLIMA-01-01_full.json"
MULTILANG = "sedia_search_response_trimmed_multilang_HORIZON-MSCA-2024-DN-01-01.json"
AARHUS = "sedia_search_response_excerpt_2026_new-style_records_AarhusAI.json"
BG_PAGE = "sedia_search_response_full_page_10results_apiv2.132_closed_bg.json"
CASCADE = "sedia_cascade_type8_SMP-COSME-2024-CLUSTER-01_RECONSTRUCTED.json"
EMPTY = "sedia_empty_answer_DERIVED.json"
PAGES = [f"sedia_paged_DERIVED_page{n}_of_3.json" for n in (1, 2, 3)]
PORTAL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def one_call(record: dict[str, Any]) -> RawCall:
    calls, warnings = parse_results([record])
    assert len(calls) == 1, warnings
    return calls[0]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def config(**overrides: Any) -> FtPortalConfig:
    return FtPortalConfig(id="ft-portal", name="F&T portal", kind="ft-portal", **overrides)


def page_of(results: list[Any], total: int | None = None) -> dict[str, Any]:
    return {"totalResults": len(results) if total is None else total, "pageSize": 100, "results": results}


def source(**overrides: Any) -> FtPortalSource:
    return FtPortalSource(config(**overrides))


def client_for(handler: Any) -> PoliteClient:
    return PoliteClient(
        policy=HttpPolicy(min_interval=0, max_attempts=1), transport=httpx.MockTransport(handler)
    )


def json_response(body: bytes | dict[str, Any], status: int = 200) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    # A stream (not `content=`) so the client reads and counts the body as from the wire.
    headers = {"Content-Type": "application/json"}
    return httpx.Response(status, stream=httpx.ByteStream(content), headers=headers)


def multipart_parts(request: httpx.Request) -> dict[str, tuple[str, str | None, Any]]:
    """name -> (content type, filename, decoded JSON) of each part of a multipart body."""
    raw = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.read()
    message = email.message_from_bytes(raw, policy=email.policy.HTTP)
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[name] = (
            part.get_content_type(),
            part.get_filename(),
            json.loads(part.get_payload(decode=True)),
        )
    return parts


# --------------------------------------------------------------------------- real single items


def test_cl5_item_old_style_forthcoming_topic() -> None:
    call = one_call(load(CL5))
    assert call.key == call.identifier == "HORIZON-CL5-2024-D2-01-03"
    assert call.title == (
        "Development of technical and business solutions to optimise the circularity, resilience, "
        "and sustainability of the European battery value chain (Batt4EU Partnership)"
    )
    assert call.url == f"{PORTAL}/topic-details/horizon-cl5-2024-d2-01-03"
    assert call.parent_identifier == "HORIZON-CL5-2024-D2-01"
    assert (call.programme_code, call.programme) == ("43108390", "Horizon Europe")
    assert call.funding_type is FundingType.GRANT
    assert call.status_hint is CallStatus.FORTHCOMING
    assert call.deadline_model is DeadlineModel.SINGLE_STAGE
    # "2024-04-18T19:00:00.000+0200" is 17:00 UTC; the text stays as given.
    assert [(d.at, d.text, d.label, d.date_only) for d in call.deadlines] == [
        (utc(2024, 4, 18, 17), "2024-04-18T19:00:00.000+0200", None, True)
    ]
    assert call.opens_at == utc(2023, 12, 7, 0)  # "2023-12-07T01:00:00.000+0100"
    assert call.published_at == utc(2023, 12, 7, 0)  # es_SortDate, same value
    # No budgetOverview in this item: nothing is invented.
    assert call.budget_total is None and call.budget_currency is None
    assert call.contribution_min is None and call.contribution_max is None and call.expected_grants is None
    assert call.keywords == [
        "Energy storage",
        "Social Innovation",
        "Co-programmed European Partnerships",
        "repair",
        "circularity",
        "refurbishing",
        "batteries",
        "sustainability",
    ]
    assert call.type_of_action == "HORIZON Research and Innovation Actions"  # double space collapsed
    assert call.language == "en"
    assert call.sme_relevant is None
    assert call.extra["cross_cutting_priorities"] == ["PART-COPROGR", "SocInnov"]
    assert call.extra["status_code"] == "31094501" and call.extra["sort_status"] == "2"
    assert call.extra["type_of_mga"] == "43027846" and call.extra["destination"] == "44799060"
    assert call.extra["reference"] == "45646358HORIZONResearchandInnovationActions1701907200000"
    assert call.extra["api_version"] == "2.101"
    assert call.warnings == []


def test_clima_item_legacy_datasource_open_topic() -> None:
    call = one_call(load(CLIMA))
    assert call.key == "HORIZON-MISS-2023-CLIMA-01-01"
    assert call.title == (
        "Testing and demonstrating transformative solutions increasing climate resilience "
        "of the agriculture and/or forestry sector."
    )
    assert call.url == f"{PORTAL}/topic-details/horizon-miss-2023-clima-01-01"
    assert call.programme == "Horizon Europe"
    assert call.status_hint is CallStatus.OPEN
    assert call.deadline_model is DeadlineModel.SINGLE_STAGE
    assert [(d.at, d.text) for d in call.deadlines] == [
        (utc(2023, 9, 20, 17), "2023-09-20T17:00:00.000+0000")
    ]
    assert call.opens_at == utc(2023, 1, 10)
    assert call.published_at is None  # no es_SortDate in this item
    assert call.budget_total is None and call.contribution_min is None and call.expected_grants is None
    assert call.keywords == []
    assert call.type_of_action == "HORIZON Innovation Actions"
    assert call.extra["datasource"] == "SEDIA_PRD_CENTRICITY"
    assert call.extra["cross_cutting_priorities"] == ["SocInnov", "EoscAndFairData"]
    assert call.warnings == []


def test_language_copies_collapse_to_the_english_record() -> None:
    rows = load(MULTILANG)["results"]
    for ordering in (rows, list(reversed(rows))):
        calls, _ = parse_results(ordering)
        assert len(calls) == 1
        call = calls[0]
        assert call.key == "HORIZON-MSCA-2024-DN-01-01"
        assert call.language == "en"
        assert [d.text for d in call.deadlines] == ["2024-11-27T17:00:00.000+0000"]
        assert call.opens_at == utc(2024, 5, 29)
        assert call.title == "MSCA Doctoral Networks 2024"
        assert call.funding_type is None  # trimmed rows carry no `type`


# --------------------------------------------------------------------------- 2026 records (AarhusAI)


def test_two_stage_mission_soil_topic_and_truncated_budget() -> None:
    soil = one_call(load(AARHUS)["results"][0])
    assert soil.key == "HORIZON-MISS-2027-05-SOIL-01-two-stage"
    assert soil.url == f"{PORTAL}/topic-details/horizon-miss-2027-05-soil-01-two-stage"
    assert soil.deadline_model is DeadlineModel.TWO_STAGE
    assert [(d.at, d.label) for d in soil.deadlines] == [
        (utc(2027, 4, 8), "Stage 1"),
        (utc(2027, 9, 14), "Stage 2"),
    ]
    assert soil.status_hint is CallStatus.FORTHCOMING
    assert soil.parent_title == "Supporting the implementation of the Soil Deal for Europe Mission"
    # The upstream fixture cut budgetOverview mid-string: a warning, no budget, still a call.
    assert soil.budget_total is None and soil.expected_grants is None
    assert any("budgetOverview is not valid JSON" in warning for warning in soil.warnings)
    # New keyword shape: the first two entries are the topic and call identifiers.
    assert soil.keywords == [
        "Agriculture",
        "Agriculture related to crop production, soil biology and cultivation, applied plant biology",
        "Ecosystem services provided by soils",
        "Soil biodiversity",
        "Soil chemistry",
        "Soil conservation",
    ]
    assert soil.opens_at == utc(2027, 2, 4)


def test_open_cl3_topic_2026() -> None:
    call = one_call(load(AARHUS)["results"][1])
    assert call.key == "HORIZON-CL3-2026-02-CS-ECCC-01"
    assert call.status_hint is CallStatus.OPEN
    assert call.deadline_model is DeadlineModel.SINGLE_STAGE
    assert [(d.at, d.label) for d in call.deadlines] == [(utc(2026, 9, 15), None)]
    assert call.type_of_action == "HORIZON Research and Innovation Actions"
    assert call.keywords[:2] == ["Computer hardware and architecture", "Cybersecurity Domains"]
    assert "Cybersecurity Research Domains" in call.keywords  # trailing space stripped
    assert call.extra["type_of_mga"] == "43027849"
    assert call.budget_total is None
    assert any("budgetOverview" in warning for warning in call.warnings)


# --------------------------------------------------------------------------- the unfiltered bg page


async def test_unfiltered_page_raises_query_ignored() -> None:
    body = (FIXTURES / BG_PAGE).read_bytes()
    harvest_client = client_for(lambda request: json_response(body))
    async with harvest_client as client:
        with pytest.raises(QueryIgnored, match="541009"):
            await source().harvest(client)


def test_unfiltered_page_records_still_parse() -> None:
    calls, warnings = parse_results(load(BG_PAGE)["results"])
    assert len(calls) == 10 and warnings == []
    by_key = {call.key: call for call in calls}
    era = by_key["HORIZON-WIDERA-2023-ERA-01-02"]
    # metadata title, not the HTML-escaped `summary` ("R&amp;I")
    assert era.title.startswith("A strong European R&I Foresight Community")
    assert era.language == "bg"
    assert era.status_hint is CallStatus.CLOSED
    assert [d.at for d in era.deadlines] == [utc(2023, 3, 9, 0)]  # 2023-03-09T01:00:00.000+0100
    # Entry "3463050" of the call-wide budgetOverview is this topic's.
    assert era.budget_total == Decimal(2000000) and era.budget_currency == "EUR"
    assert era.contribution_min == era.contribution_max == Decimal(2000000)
    assert era.expected_grants == 1
    assert era.type_of_action == "HORIZON Coordination and Support Actions"
    assert era.keywords == [
        "Digital Agenda",
        "EU research policy /Research policies in the EU",
        "Foresight / Forecast",
    ]

    euaf = by_key["EUAF-2023-TRAI-03"]
    assert (euaf.programme_code, euaf.programme) == ("43251842", "Union Anti-Fraud Programme")
    assert euaf.budget_total == Decimal(900000)  # old shape: budgetYearMap {"2023": 900000}
    assert euaf.expected_grants is None and euaf.contribution_min is None
    assert euaf.extra["budget_line_shared"] is True  # TRAI-01..04 share line 3464831
    assert euaf.keywords == ["Staff exchanges", "Fraud prevention"]  # identifier dropped
    assert [d.at for d in euaf.deadlines] == [utc(2023, 5, 11, 0)]  # 2023-05-11T02:00:00.000+0200
    assert euaf.opens_at == utc(2023, 3, 9, 0)

    assert by_key["HORIZON-WIDERA-2023-ERA-01-03"].expected_grants == 3
    assert by_key["HORIZON-WIDERA-2023-ERA-01-03"].contribution_max == Decimal(1000000)
    assert by_key["CEF-T-2022-CORECOEN-MARP-WORKS"].budget_total == Decimal(2000000000)
    assert by_key["CEF-T-2022-CORECOEN-MARP-WORKS"].programme == "Connecting Europe Facility"
    assert by_key["HORIZON-CL5-2023-D5-01-19"].budget_total == Decimal(500000)


# --------------------------------------------------------------------------- cascade (type 8)


def test_cascade_calls_keyed_by_competitive_call_id() -> None:
    calls, warnings = parse_results(load(CASCADE)["results"])
    assert warnings == []
    assert [call.key for call in calls] == ["14703", "14063"]  # same identifier, two calls
    power = calls[0]
    assert power.funding_type is FundingType.CASCADE
    assert power.parent_identifier == "SMP-COSME-2024-CLUSTER-01"
    assert power.url == f"{PORTAL}/competitive-calls-cs/14703"
    assert power.title == "PowerUp NetZero - 2nd Open Call"
    assert power.parent_title.startswith("PARENT TOPIC TITLE")
    assert power.project == "PowerUp NetZero"
    assert (power.programme_code, power.programme) == ("43252476", "Single Market Programme")
    assert power.budget_total == Decimal(600000) and power.budget_currency == "EUR"
    assert power.deadline_model is DeadlineModel.MULTIPLE_CUTOFF
    assert [(d.at, d.label) for d in power.deadlines] == [
        (utc(2025, 3, 31, 15), "Cut-off 1"),
        (utc(2025, 6, 30, 15), "Cut-off 2"),
    ]
    assert power.conditions_html.startswith("<p>SMEs established in an EU Member State")
    assert power.summary_html.startswith("<p>Cascade funding (FSTP)")
    assert power.status_hint is CallStatus.OPEN
    resist = calls[1]
    assert resist.title == "RESIST II Open Call"  # no callTitle: caName
    assert resist.status_hint is CallStatus.CLOSED
    assert resist.url == f"{PORTAL}/competitive-calls-cs/14063"


def test_29_cascades_sharing_one_identifier_stay_29_calls() -> None:
    # reliability.md S9: one identifier appeared 29 times (cascade calls of one topic).
    rows = []
    for number in range(29):
        record = load(CASCADE)["results"][0]
        record["metadata"]["callccm2Id"] = [str(20000 + number)]
        record["reference"] = f"{20000 + number}COMPETITIVE_CALLen"
        rows.append(record)
    calls, _ = parse_results(rows)
    assert len({call.key for call in calls}) == 29
    assert {call.parent_identifier for call in calls} == {"SMP-COSME-2024-CLUSTER-01"}


def test_cascade_without_callccm2id_is_keyed_by_reference_number() -> None:
    record = load(CASCADE)["results"][0]
    del record["metadata"]["callccm2Id"]
    call = one_call(record)
    assert call.key == "14703"
    assert call.url == f"{PORTAL}/competitive-calls-cs/14703"


def test_cascade_budget_that_is_not_a_plain_number_is_kept_as_text() -> None:
    record = load(CASCADE)["results"][0]
    record["metadata"]["budget"] = ["1,615,000"]
    call = one_call(record)
    assert call.budget_total is None and call.budget_text == "1,615,000"
    assert any("budget" in warning for warning in call.warnings)


# --------------------------------------------------------------------------- codes and bad rows


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("31094501", CallStatus.FORTHCOMING),
        ("31094502", CallStatus.OPEN),
        ("31094503", CallStatus.CLOSED),
        ("310945031", CallStatus.UNKNOWN),
        ("99999998", CallStatus.UNKNOWN),
        (None, None),
    ],
)
def test_status_codes(code: str | None, expected: CallStatus | None) -> None:
    warnings: list[str] = []
    assert status_hint(code, warnings) is expected
    assert bool(warnings) == (expected is CallStatus.UNKNOWN)


def test_unknown_status_and_type_codes_warn(caplog: pytest.LogCaptureFixture) -> None:
    record = load(CLIMA)
    record["metadata"]["status"] = ["310945031"]
    record["metadata"]["type"] = ["5"]
    with caplog.at_level(logging.WARNING):
        call = one_call(record)
    assert call.status_hint is CallStatus.UNKNOWN
    assert call.funding_type is FundingType.OTHER
    assert any("310945031" in warning for warning in call.warnings)
    assert any("'5'" in warning for warning in call.warnings)
    assert "310945031" in caplog.text


def test_updates_and_faq_documents_are_skipped() -> None:
    update, faq = load(CLIMA), load(CL5)
    update["metadata"]["type"] = ["6"]
    faq["metadata"]["DATASOURCE"] = ["SEDIA_FAQ"]
    calls, warnings = parse_results([update, faq, load(AARHUS)["results"][1]])
    assert [call.key for call in calls] == ["HORIZON-CL3-2026-02-CS-ECCC-01"]
    assert warnings == []


def test_bad_values_become_warnings_not_crashes() -> None:
    record = load(AARHUS)["results"][1]
    metadata = record["metadata"]
    metadata["actions"] = ['[{"types":[{"typeOfAction": "HORIZON-RIA"']  # cut off
    metadata["deadlineDate"] = ["31/12/2024"]
    metadata["descriptionByte"] = ["<p>Scope</p><script>alert(1)</script>"]
    del metadata["deadlineModel"]
    call = one_call(record)
    assert any("actions is not valid JSON" in warning for warning in call.warnings)
    assert call.deadline_model is None  # neither deadlineModel nor readable actions
    assert call.deadlines == []
    assert any("31/12/2024" in warning for warning in call.warnings)
    assert call.summary_html == "<p>Scope</p><script>alert(1)</script>"  # raw: sanitised later


def test_deadline_model_from_actions_when_deadline_model_missing() -> None:
    record = load(AARHUS)["results"][0]
    del record["metadata"]["deadlineModel"]
    call = one_call(record)
    assert call.deadline_model is DeadlineModel.TWO_STAGE  # submissionProcedure 31094505
    assert [d.label for d in call.deadlines] == ["Stage 1", "Stage 2"]


def test_record_with_only_an_identifier() -> None:
    call = one_call({"metadata": {"identifier": ["EU4H-2025-PJ-01"]}})
    assert call.key == call.title == "EU4H-2025-PJ-01"
    assert call.programme == "EU4Health Programme"  # by identifier prefix
    assert call.deadlines == [] and call.status_hint is None and call.funding_type is None


def test_programme_falls_back_to_the_call_identifier() -> None:
    record = {
        "metadata": {
            "identifier": ["SC1-PHE-CORONAVIRUS-2020"],
            "callIdentifier": ["H2020-SC1-PHE-CORONAVIRUS-2020"],
        }
    }
    assert one_call(record).programme == "Horizon 2020"


def test_budget_string_na_and_several_actions() -> None:
    overview = {
        "budgetTopicActionMap": {
            "1": [
                {
                    "action": "X-01 - A RIA",
                    "budgetYearMap": {"2025": "1000000", "2026": 500000},
                    "minContribution": 200000,
                    "maxContribution": 400000,
                    "expectedGrants": 3,
                },
            ],
            "2": [
                {
                    "action": "X-01 - B CSA",
                    "budgetYearMap": {"2025": "250000"},
                    "minContribution": 100000,
                    "maxContribution": 250000,
                    "expectedGrants": 1,
                },
                {"action": "X-011 - B CSA", "budgetYearMap": {"2025": "999"}},
            ],
        }
    }
    warnings: list[str] = []
    fields = topic_budget(overview, "X-01", warnings)
    assert fields["budget_total"] == Decimal(1750000)
    assert (fields["contribution_min"], fields["contribution_max"]) == (Decimal(100000), Decimal(400000))
    assert fields["expected_grants"] == 4
    assert fields["budget_line_shared"] is True and warnings == []

    overview["budgetTopicActionMap"]["1"][0]["budgetYearMap"]["2025"] = "n/a"
    fields = topic_budget(overview, "X-01", warnings)
    assert fields["budget_total"] is None
    assert any("'n/a'" in warning for warning in warnings)


def test_malformed_records_are_skipped_by_name() -> None:
    rows = [
        load(CL5),
        {"reference": "BROKEN-1", "metadata": []},
        {"reference": "BROKEN-2", "metadata": {"type": ["1"], "title": ["no identifier"]}},
        {"reference": "BROKEN-3", "metadata": {"identifier": "NOT-A-LIST"}},
        '{"reference": "BROKEN-4", "metadata": {',
        load(CLIMA),
    ]
    calls, warnings = parse_results(rows)
    assert [call.key for call in calls] == ["HORIZON-CL5-2024-D2-01-03", "HORIZON-MISS-2023-CLIMA-01-01"]
    assert len(warnings) == 4
    for name in ("BROKEN-1", "BROKEN-2", "BROKEN-3", "#5"):
        assert any(name in warning for warning in warnings), name


def test_record_to_call_refuses_a_record_without_key() -> None:
    with pytest.raises(ValueError, match="identifier"):
        record_to_call({"metadata": {"title": ["x"]}})


# --------------------------------------------------------------------------- page checks


@pytest.mark.parametrize(
    "body",
    [[], {"results": []}, {"totalResults": "7", "results": []}, {"totalResults": 3, "results": {}}, "x"],
)
def test_page_of_the_wrong_shape_is_a_parse_error(body: Any) -> None:
    with pytest.raises(ParseError):
        check_page(body, threshold=100_000)


def test_query_ignored_threshold_is_inclusive() -> None:
    with pytest.raises(QueryIgnored, match="100000"):
        check_page({"totalResults": 100_000, "results": []}, threshold=100_000)
    assert check_page({"totalResults": 99_999, "results": []}, threshold=100_000).total == 99_999


# --------------------------------------------------------------------------- harvest over HTTP


async def test_request_shape() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response((FIXTURES / CASCADE).read_bytes())

    async with client_for(handler) as client:
        harvest = await source().harvest(client)
    assert len(seen) == 1 and harvest.requests == 1
    request = seen[0]
    assert request.method == "POST"
    assert (
        str(request.url.copy_with(query=None)) == "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
    )
    assert dict(request.url.params) == {
        "apiKey": "SEDIA",
        "text": "***",
        "pageSize": "100",
        "pageNumber": "1",
    }
    assert request.headers["content-type"].startswith("multipart/form-data")
    parts = multipart_parts(request)
    assert set(parts) == {"query", "languages", "sort"}
    assert all(content_type == "application/json" for content_type, _, _ in parts.values())
    assert all(filename == "blob" for _, filename, _ in parts.values())
    assert parts["query"][2] == {
        "bool": {
            "must": [{"terms": {"type": ["1", "2", "8"]}}, {"terms": {"status": ["31094501", "31094502"]}}]
        }
    }
    assert parts["languages"][2] == ["en"]
    assert parts["sort"][2] == {"field": "identifier", "order": "ASC"}
    assert [call.key for call in harvest.calls] == ["14703", "14063"]
    assert harvest.complete is True and harvest.bytes == len((FIXTURES / CASCADE).read_bytes())


def test_query_with_programmes_identifiers_and_closed() -> None:
    query = build_query(
        config(
            programmes=["SMP", "43108390", "smp"],
            identifiers=["SMP-COSME-2024-CLUSTER-01"],
            statuses=["closed"],
            types=["8"],
        )
    )
    assert query == {
        "bool": {
            "must": [
                {"terms": {"type": ["8"]}},
                {"terms": {"status": ["31094503"]}},
                {"terms": {"frameworkProgramme": ["43252476", "43108390"]}},
                {"terms": {"identifier": ["SMP-COSME-2024-CLUSTER-01"]}},
            ]
        }
    }


async def test_programme_filter_reaches_the_request() -> None:
    queries: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        queries.append(multipart_parts(request)["query"][2])
        return json_response((FIXTURES / CASCADE).read_bytes())

    async with client_for(handler) as client:
        await source(programmes=["SMP"]).harvest(client)
    assert {"terms": {"frameworkProgramme": ["43252476"]}} in queries[0]["bool"]["must"]


def paged_handler(seen: list[int]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNumber"])
        seen.append(number)
        assert request.url.params["pageSize"] == "3"
        return json_response((FIXTURES / PAGES[number - 1]).read_bytes())  # IndexError past page 3

    return handler


async def test_pagination_stops_at_total_and_collapses_across_pages() -> None:
    seen: list[int] = []
    async with client_for(paged_handler(seen)) as client:
        harvest = await source(page_size=3).harvest(client)
    assert seen == [1, 2, 3] and harvest.requests == 3
    assert harvest.complete is True
    assert [call.key for call in harvest.calls] == [
        "HORIZON-CL5-2024-D2-01-03",
        "HORIZON-MISS-2023-CLIMA-01-01",
        "HORIZON-MSCA-2024-DN-01-01",
        "HORIZON-MISS-2027-05-SOIL-01-two-stage",
        "HORIZON-CL3-2026-02-CS-ECCC-01",
    ]
    msca = harvest.calls[2]
    assert [d.text for d in msca.deadlines] == ["2024-11-27T17:00:00.000+0000"]  # en row from page 2
    assert "collapsed 7 rows into 5 calls" in harvest.warnings
    assert harvest.bytes == sum(len((FIXTURES / name).read_bytes()) for name in PAGES)


async def test_max_pages_cap_marks_the_harvest_incomplete() -> None:
    seen: list[int] = []
    async with client_for(paged_handler(seen)) as client:
        harvest = await source(page_size=3, max_pages=2).harvest(client)
    assert seen == [1, 2]
    assert harvest.complete is False
    assert any("max_pages=2" in warning and "6 of 7" in warning for warning in harvest.warnings)


async def test_fewer_rows_than_announced_is_incomplete() -> None:
    # The AarhusAI excerpt announces 9 results and holds 2.
    async with client_for(lambda request: json_response((FIXTURES / AARHUS).read_bytes())) as client:
        harvest = await source().harvest(client)
    assert harvest.complete is False
    assert len(harvest.calls) == 2
    assert any("received 2 rows" in warning and "announced 9" in warning for warning in harvest.warnings)


async def test_empty_answer_is_asked_again_once() -> None:
    answers = [EMPTY, CASCADE]

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response((FIXTURES / answers.pop(0)).read_bytes())

    async with client_for(handler) as client:
        harvest = await source().harvest(client)
    assert harvest.requests == 2
    assert [call.key for call in harvest.calls] == ["14703", "14063"]
    assert harvest.complete is True


async def test_empty_twice_is_believed() -> None:
    count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        return json_response((FIXTURES / EMPTY).read_bytes())

    async with client_for(handler) as client:
        harvest = await source().harvest(client)
    assert count == 2 and harvest.requests == 2
    assert harvest.calls == [] and harvest.complete is True


async def test_html_instead_of_json_is_a_parse_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        html = b"<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>"
        return httpx.Response(200, content=html, headers={"Content-Type": "text/html"})

    async with client_for(handler) as client:
        with pytest.raises(ParseError):
            await source().harvest(client)


async def test_one_malformed_record_among_good_ones() -> None:
    body = page_of([load(CL5), {"reference": "BROKEN-9", "metadata": "oops"}, load(CLIMA)])
    async with client_for(lambda request: json_response(body)) as client:
        harvest = await source().harvest(client)
    assert [call.key for call in harvest.calls] == [
        "HORIZON-CL5-2024-D2-01-03",
        "HORIZON-MISS-2023-CLIMA-01-01",
    ]
    assert any("BROKEN-9" in warning for warning in harvest.warnings)
    assert harvest.complete is True  # 3 rows received of 3 announced


async def test_a_page_of_only_malformed_records_is_a_parse_error() -> None:
    body = page_of([{"reference": "A", "metadata": None}, "not json"])
    async with client_for(lambda request: json_response(body)) as client:
        with pytest.raises(ParseError, match="none of its 2 records"):
            await source().harvest(client)


async def test_unknown_status_in_a_harvest() -> None:
    record = load(CLIMA)
    record["metadata"]["status"] = ["99999998"]
    async with client_for(lambda request: json_response(page_of([record]))) as client:
        harvest = await source().harvest(client)
    assert harvest.calls[0].status_hint is CallStatus.UNKNOWN
    assert any("99999998" in warning for warning in harvest.calls[0].warnings)


# --------------------------------------------------------------------------- topicDetails enrichment

# RECONSTRUCTED after formats.md §2.1 (no raw topicDetails sample exists).
TOPIC_DETAILS = {
    "TopicDetails": {
        "identifier": "HORIZON-MISS-2023-CLIMA-01-01",
        "sme": True,
        "conditions": "<p>Eligible countries: described in Annex B.</p>",
        "budgetOverviewJSONItem": {
            "budgetTopicActionMap": {
                "1": [
                    {
                        "action": "HORIZON-MISS-2023-CLIMA-01-01 - HORIZON-IA HORIZON Innovation Actions",
                        "budgetYearMap": {"2023": 24000000},
                        "expectedGrants": 2,
                        "minContribution": 12000000,
                        "maxContribution": 12000000,
                    }
                ]
            }
        },
    }
}


async def test_enrichment_fills_conditions_and_budget() -> None:
    gets: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            gets.append(str(request.url))
            if "clima" in request.url.path:
                return json_response(TOPIC_DETAILS)
            return httpx.Response(404)
        return json_response(page_of([load(CLIMA), load(CL5), load(CASCADE)["results"][0]]))

    async with client_for(handler) as client:
        harvest = await source(enrich_details=True).harvest(client)
    base = "https://ec.europa.eu/info/funding-tenders/opportunities/data/topicDetails/"
    assert gets == [f"{base}horizon-miss-2023-clima-01-01.json", f"{base}horizon-cl5-2024-d2-01-03.json"]
    clima, cl5, cascade = harvest.calls
    assert clima.conditions_html == "<p>Eligible countries: described in Annex B.</p>"
    assert clima.budget_total == Decimal(24000000) and clima.expected_grants == 2
    assert clima.sme_relevant is True
    assert cl5.budget_total is None and cascade.key == "14703"
    assert any("HORIZON-CL5-2024-D2-01-03" in warning and "404" in warning for warning in harvest.warnings)
    assert harvest.requests == 3 and harvest.complete is True


def test_topic_details_without_topicdetails_object() -> None:
    call = one_call(load(CLIMA))
    with pytest.raises(ParseError):
        apply_topic_details(call, {"unexpected": True})


# --------------------------------------------------------------------------- config and programmes


def test_shipped_config_validates_with_the_documented_defaults() -> None:
    data = tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    shipped = FtPortalConfig(**data)
    assert shipped.enabled is True and shipped.kind == "ft-portal" and REGISTRY["ft-portal"] is FtPortalSource
    assert shipped.model_dump() == config().model_dump() | {"name": data["name"]}


def test_config_defaults_and_limits() -> None:
    default = config()
    assert default.url == "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
    assert (default.api_key, default.page_size, default.max_pages) == ("SEDIA", 100, 60)
    assert default.types == ["1", "2", "8"] and default.statuses == ["forthcoming", "open"]
    assert default.programmes == [] and default.identifiers == [] and default.languages == ["en"]
    assert default.enrich_details is False and default.query_ignored_threshold == 100_000
    assert config(types=["0", "1"]).types == ["0", "1"]
    for bad in (
        {"page_size": 101},
        {"types": ["6"]},
        {"statuses": ["archived"]},
        {"programmes": ["NOPE"]},
        {"details_url": "https://example.org/x.json"},
        {"typo_key": 1},
    ):
        with pytest.raises(ValidationError):
            config(**bad)


# Every frameworkProgramme id listed in formats.md §1.2.
FORMATS_IDS = [
    "43108390",
    "43152860",
    "43251567",
    "43353764",
    "44181033",
    "43252405",
    "43252476",
    "43251814",
    "43251589",
    "31059643",
    "31045243",
    "43332642",
    "43298916",
    "43089234",
    "43252368",
    "43252386",
    "43251447",
    "43251530",
    "44416173",
    "43254019",
    "43392145",
    "43252449",
    "43298203",
    "43252517",
    "43637601",
    "43254037",
    "44773066",
    "43251842",
    "45876777",
    "111111",
    "45532249",
    "43298664",
    "43697167",
]


def test_programme_table_covers_formats_md() -> None:
    assert set(PROGRAMMES) == set(FORMATS_IDS)
    assert PROGRAMMES["43252476"] == ("SMP", "Single Market Programme")
    assert PROGRAMMES["43108390"] == ("HORIZON", "Horizon Europe")


@pytest.mark.parametrize(
    ("code", "identifier", "abbreviation"),
    [
        ("43252476", None, "SMP"),
        (None, "SMP-COSME-2024-CLUSTER-01", "SMP"),
        ("00000", "DIGITAL-2023-SKILLS-04-BOOSTINGDIGIT", "DIGITAL"),
        (None, "horizon-cl5-2024-d2-01-03", "HORIZON"),
        (None, "ERASMUS-EDU-2022-ECHE-CERT-FP", "ERASMUS+"),
        (None, "ESF-2024-SOCPL-01", "ESF+"),
        (None, "H2020-SC1-2020-Single-Stage-RTD", "H2020"),
        (None, "I3-2021-INV1a", "I3"),
        (None, "JTM-2023-PSLF", "JTM"),
    ],
)
def test_programme_for(code: str | None, identifier: str | None, abbreviation: str) -> None:
    assert programme_for(code, identifier)[0] == abbreviation


def test_programme_for_unknown() -> None:
    assert programme_for(None, None) == (None, None)
    assert programme_for("123", "XYZ-2024-01") == (None, None)
    assert programme_id_for("erasmus") == "43353764" and programme_id_for("nope") is None
