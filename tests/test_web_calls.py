"""The public call pages, the JSON API, CSV export and source health, over real HTTP (the `world`
fixture: the web app under uvicorn on a loopback port, a fresh database per test).

The seeded calls below are chosen so that every expected list is written by hand. The web clock
reads 21 November 2026 10:00 UTC (11:00 in Brussels); the calls were polled an hour before.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from urllib.parse import urlencode

import httpx
import pytest
from bs4 import BeautifulSoup

from db import repo
from db.engine import session_scope
from db.models import Source
from monitor.model.call import CallIn, DeadlineIn
from monitor.poll.pipeline import regroup
from tests.mailworld import MailWorld, utc

POLLED = utc("2026-11-21T09:00:00Z")


def call(
    key: str, title: str, *, deadlines: tuple[str | DeadlineIn, ...] = (), status: str = "open", **values
) -> CallIn:
    stages = [d if isinstance(d, DeadlineIn) else DeadlineIn(at=utc(d)) for d in deadlines]
    ahead = [d.at for d in stages if d.at >= POLLED]
    values.setdefault("url", f"https://calls.example.eu/{key}")
    return CallIn(
        key=key,
        title=title,
        status=status,
        deadlines=stages,
        next_deadline_at=min(ahead) if ahead else None,
        final_deadline_at=max((d.at for d in stages), default=None),
        **values,
    )


TOPIC = "SMP-COSME-2027-CLUSTER-01"
CALLS = [
    call(
        "A",
        "Green hydrogen electrolyser pilots",
        deadlines=("2027-01-03T16:00:00Z",),
        identifier="HORIZON-CL5-2027-D3-01-05",
        programme="Horizon Europe",
        funding_type="grant",
        countries=["DE", "PT", "ES"],
        org_types=["sme"],
        org_types_exclusive=True,
        ecosystems=["renewable-energy"],
        budget_total=Decimal(2_000_000),
        budget_currency="EUR",
        contribution_max=Decimal(500_000),
        budget_text="EUR 2 000 000; up to EUR 500 000 per project",
        countries_text="Germany, Portugal and Spain",
    ),
    call(
        "B",
        "Energía renovable para PYMEs",
        deadlines=("2026-12-03T16:00:00Z",),
        programme="Single Market Programme",
        funding_type="cascade",
        ecosystems=["tourism"],
    ),
    call(
        "C",
        "Hydrogen valleys",
        deadlines=("2026-10-01T15:00:00Z",),
        status="closed",
        programme="Horizon Europe",
    ),
    call(
        "D",
        "Digital twin pilots for LIFE",
        deadlines=("2027-04-22T15:00:00Z",),
        status="forthcoming",
        opens_at=utc("2027-02-01T00:00:00Z"),
        programme="LIFE",
        funding_type="grant",
        countries=["FR"],
        org_types=["research", "university"],
        org_types_exclusive=True,
    ),
    call("E", "Open innovation test beds", summary_text="Applications are accepted until funds run out."),
    call(
        "G",
        "PowerUp NetZero 2nd open call",
        identifier=TOPIC,
        programme="Single Market Programme",
        funding_type="cascade",
        countries=["PT"],
        deadlines=(DeadlineIn(at=utc("2027-03-31T15:00:00Z"), date_only=True, text="31 March 2027"),),
    ),
]
# ECCP's record of call G: the same topic, with a second cut-off the portal does not give.
ECCP_G = call(
    "207511",
    "PowerUp NetZero - 2nd Open Call",
    identifier=TOPIC,
    organisation="PowerUp consortium",
    url="https://www.clustercollaboration.eu/open-calls/powerup-netzero-2nd-open-call",
    deadlines=("2027-03-31T15:00:00Z", "2027-06-30T15:00:00Z"),
)


def seed(
    world: MailWorld, calls: list[CallIn] = CALLS, *, eccp: list[CallIn] = (ECCP_G,), now=POLLED
) -> None:  # type: ignore[assignment]
    """The seeded portal-like source (world.seed) plus an ECCP source, then cross-source groups."""
    world.seed(calls, now=now)
    with session_scope(world.app.engine) as session:
        if session.get(Source, "eccp") is None:
            session.add(Source(id="eccp", name="ECCP", kind="eccp", url="https://eccp.test/", created_at=now))
            session.flush()
        repo.store_calls(session, source_id="eccp", run_id=None, calls=list(eccp), complete=False, now=now)
        regroup(session)


def get(world: MailWorld, path: str, **params: str | list[str]) -> httpx.Response:
    query = urlencode(params, doseq=True)
    with world.http() as http:
        return http.get(world.web + path + (f"?{query}" if query else ""))


def titles(page: httpx.Response) -> list[str]:
    soup = BeautifulSoup(page.text, "html.parser")
    return [a.get_text() for a in soup.select("table.calls tbody td.primary a")]


def rows(page: httpx.Response) -> list[list[str]]:
    soup = BeautifulSoup(page.text, "html.parser")
    return [
        [" ".join(td.get_text(" ", strip=True).split()) for td in tr.find_all("td")]
        for tr in soup.select("table.calls tbody tr")
    ]


def api_titles(world: MailWorld, **params: str | list[str]) -> list[str]:
    answer = get(world, "/api/calls", **params)
    assert answer.status_code == 200, answer.text
    return [c["title"] for c in answer.json()["calls"]]


def csv_rows(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


A, B, C, D, E, G = (c.title for c in CALLS)


# --------------------------------------------------------------------------- browse


def test_browse_shows_open_calls_by_next_deadline_with_days_left(world: MailWorld) -> None:
    seed(world)
    page = get(world, "/calls")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert rows(page) == [
        [
            "3 Dec 2026 17:00 (Brussels)",
            "12",
            f"{B}",
            "Single Market Programme",
            "Cascade funding",
            "open",
            "seeded",
        ],
        [
            "3 Jan 2027 17:00 (Brussels)",
            "43",
            f"{A} HORIZON-CL5-2027-D3-01-05",
            "Horizon Europe",
            "Grant",
            "open",
            "seeded",
        ],
        [
            "31 Mar 2027 17:00 (Brussels)",
            "130",
            f"{G} {TOPIC}",
            "Single Market Programme",
            "Cascade funding",
            "open",
            "seeded, eccp",
        ],
        ["22 Apr 2027 17:00 (Brussels)", "152", f"{D}", "LIFE", "Grant", "forthcoming", "seeded"],
        ["none ahead", "—", f"{E}", "—", "—", "open", "seeded"],
    ]
    links = [a["href"] for a in BeautifulSoup(page.text, "html.parser").select("td.primary a")]
    assert links == [f"/calls/{world.call_id(k)}" for k in "BAGDE"]
    assert "5 calls match." in page.text
    assert get(world, "/").text == page.text


def test_every_filter_in_pages_and_api(world: MailWorld) -> None:
    seed(world)
    cases: list[tuple[dict[str, str | list[str]], list[str]]] = [
        ({"status": "closed"}, [C]),
        ({"status": "all"}, [B, A, G, D, E, C]),
        ({"status": ["open", "closed"]}, [B, A, G, E, C]),
        ({"programme": "HORIZON"}, [A, E]),  # E states no programme: kept, as in profiles
        ({"funding_type": "cascade"}, [B, G, E]),
        ({"country": "PT"}, [B, A, G, E]),  # B and E state no countries
        ({"country": "France"}, [B, D, E]),
        ({"org_type": "university"}, [B, G, D, E]),
        ({"org_type": "SME"}, [B, A, G, E]),
        ({"ecosystem": "tourism"}, [B, G, D, E]),
        ({"source": "eccp"}, [G]),
        ({"deadline_from": "2027-01-01", "deadline_to": "2027-03-31"}, [A, G]),
        ({"min_days_left": "44"}, [G, D, E]),  # A has 43 days and 7 hours left
        ({"min_days_left": "43"}, [A, G, D, E]),
        ({"q": "energia"}, [B]),
        ({"q": "ENERGÍA pymes"}, [B]),
        ({"q": '"digital twin"'}, [D]),
        ({"q": '"twin digital"'}, []),
        ({"q": "hydrogen"}, [A]),
        ({"q": "hydrogen", "status": "all"}, [A, C]),
        ({"q": "pilots", "country": "FR", "funding_type": "grant"}, [D]),
        ({"sort": "new", "status": "closed"}, [C]),
    ]
    for params, expected in cases:
        page = get(world, "/calls", **params)
        assert (page.status_code, titles(page)) == (200, expected), params
        assert api_titles(world, **params) == expected, params


def test_the_form_keeps_the_filters_and_links_the_same_filter_in_every_format(world: MailWorld) -> None:
    seed(world)
    page = get(world, "/calls", q="pilots", country="pt", org_type="SME", status="all")
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("input[name=q]")["value"] == "pilots"
    assert soup.select_one("input[name=country]")["value"] == "PT"
    assert [i["value"] for i in soup.select("input[name=status][checked]")] == [
        "open",
        "forthcoming",
        "closed",
        "unknown",
    ]
    assert [i["value"] for i in soup.select("input[name=org_type][checked]")] == ["sme"]
    for element in soup.select("form.filters input:not([type=checkbox]), form.filters select"):
        assert soup.select_one(f"label[for={element['id']}]"), element  # every input has a label
    links = {a.get_text(strip=True): a["href"] for a in soup.select(".formats a")}
    same = "?q=pilots&status=all&country=PT&org_type=sme"
    assert links == {
        "CSV (spreadsheet)": f"/calls.csv{same}",
        "JSON": f"/api/calls{same}",
        "RSS": f"/feeds/calls.rss{same}",
        "Atom": f"/feeds/calls.atom{same}",
        "Calendar (iCal)": f"/feeds/calls.ics{same}",
    }
    assert 'Put words in "quotes"' in page.text


def test_pages_of_fifty_keep_the_filters(world: MailWorld) -> None:
    many = [
        call(f"N{i:03}", f"Bulk call {i:03}", deadlines=(f"2027-02-{1 + i % 28:02}T16:00:00Z",))
        for i in range(62)
    ]
    seed(world, many + CALLS)
    first = get(world, "/calls", q="bulk")
    assert len(titles(first)) == 50 and "62 calls match; showing 1–50." in first.text
    soup = BeautifulSoup(first.text, "html.parser")
    assert soup.select_one("a[rel=next]")["href"] == "/calls?q=bulk&page=2" and not soup.select("a[rel=prev]")
    second = get(world, "/calls", q="bulk", page="2")
    assert len(titles(second)) == 12 and "showing 51–62" in second.text
    soup = BeautifulSoup(second.text, "html.parser")
    assert soup.select_one("a[rel=prev]")["href"] == "/calls?q=bulk" and not soup.select("a[rel=next]")
    assert set(titles(first)).isdisjoint(titles(second))
    assert titles(first)[:2] == ["Bulk call 000", "Bulk call 028"]  # 1 February, same day: lower id first

    api = get(world, "/api/calls", q="bulk", per_page="25", page="2").json()
    assert (api["total"], api["page"], api["per_page"], len(api["calls"])) == (62, 2, 25, 25)
    assert api["next"] == f"{world.web}/api/calls?q=bulk&page=3&per_page=25"
    last = httpx.get(api["next"]).json()
    assert len(last["calls"]) == 12 and last["next"] is None
    clamped = get(world, "/api/calls", q="bulk", per_page="100000").json()
    assert (clamped["per_page"], len(clamped["calls"])) == (500, 62)


# --------------------------------------------------------------------------- a call's page


def test_call_page_shows_stages_in_brussels_and_utc_with_eligibility_and_budget(world: MailWorld) -> None:
    two_stage = call(
        "S",
        "Two-stage fusion call",
        programme="Horizon Europe",
        identifier="HORIZON-EURATOM-2027-01",
        deadlines=(
            DeadlineIn(
                at=utc("2027-02-12T16:00:00Z"),
                label="Stage 1",
                text="12 February 2027 17:00:00 Brussels time",
            ),
            DeadlineIn(at=utc("2027-09-16T15:00:00Z"), label="Stage 2", date_only=True),
        ),
        type_of_action="HORIZON-RIA",
        countries=["AT", "BE"],
        country_groups=["EU"],
        countries_text="Legal entities established in EU Member States",
        org_types=["research", "sme"],
        org_types_text="Research organisations and SMEs",
        ecosystems=["energy-intensive"],
        summary_html='<p>Fusion <strong>pilots</strong></p><script>alert(1)</script><p onclick="x()">two</p>',
        summary_text="Fusion pilots two",
    )
    seed(world, [two_stage], eccp=[])
    page = get(world, f"/calls/{world.call_id('S')}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    stages = [
        [" ".join(td.get_text(" ", strip=True).split()) for td in tr.find_all("td")]
        for tr in soup.select("table.deadlines tbody tr")
    ]  # noqa: E501
    assert stages == [
        [
            "Stage 1 Source: “12 February 2027 17:00:00 Brussels time”",
            "12 Feb 2027 17:00 (Brussels) Your time:",
            "2027-02-12 16:00 UTC",
            "83",
        ],
        [
            "Stage 2",
            "16 Sep 2027 17:00 (Brussels) Your time: The source gives the date only; the time is assumed.",
            "2027-09-16 15:00 UTC",
            "299",
        ],
    ]
    assert [t["datetime"] for t in soup.select("table.deadlines time")] == [
        "2027-02-12T16:00:00+00:00",
        "2027-09-16T15:00:00+00:00",
    ]
    facts = dict(
        zip(
            [dt.get_text() for dt in soup.select("dl.facts dt")],
            [dd.get_text(" ", strip=True) for dd in soup.select("dl.facts dd")],
            strict=True,
        )
    )  # noqa: E501
    assert facts["Type of action"] == "HORIZON-RIA" and facts["Identifier"] == "HORIZON-EURATOM-2027-01"
    assert [li.get_text() for li in soup.select("ul[aria-label='Eligible countries'] li")] == ["AT", "BE"]
    assert "EU Member States" in page.text and "Legal entities established in EU Member States" in page.text
    assert [li.get_text() for li in soup.select("ul[aria-label='Eligible organisation types'] li")] == [
        "Research organisation",
        "SME",
    ]
    assert "Research organisations and SMEs" in page.text and "Energy Intensive Industries" in page.text
    # Named in prose, no wording that excludes others: "mentioned", not "only these".
    assert "other organisations are not excluded" in page.text and "Only these may apply" not in page.text
    prose = soup.select_one(".prose")
    assert prose.decode_contents() == "<p>Fusion <strong>pilots</strong></p><p>two</p>"  # sanitised again
    actions = {a.get_text(strip=True): a["href"] for a in soup.select(".actions a")}
    call_id = world.call_id("S")
    assert actions["Track this call"] == f"/subscribe?track={call_id}"
    assert actions["Subscribe to calls like this"] == "/subscribe"


def test_call_page_budget_and_original_wording(world: MailWorld) -> None:
    seed(world)
    soup = BeautifulSoup(get(world, f"/calls/{world.call_id('A')}").text, "html.parser")
    facts = dict(
        zip(
            [dt.get_text() for dt in soup.select("dl.facts dt")],
            [dd.get_text(" ", strip=True) for dd in soup.select("dl.facts dd")],
            strict=True,
        )
    )  # noqa: E501
    assert facts["Budget"] == "€2,000,000" and facts["Per project"] == "€500,000"
    assert facts["Budget as written"] == "EUR 2 000 000; up to EUR 500 000 per project"
    assert "Germany, Portugal and Spain" in soup.select_one("#h-eligibility").parent.get_text()


def test_a_call_on_two_sources_shows_provenance_and_the_conflict(world: MailWorld) -> None:
    seed(world)
    primary, eccp_record = world.call_id("G"), world.call_id("207511")
    page = get(world, f"/calls/{primary}")
    soup = BeautifulSoup(page.text, "html.parser")
    sources = {
        tr.find("td").get_text(strip=True): [
            " ".join(td.get_text(" ", strip=True).split()) for td in tr.find_all("td")
        ]
        for tr in soup.select("#h-sources ~ table tbody tr")
    }
    assert sources["seeded"][2] == "31 Mar 2027 17:00 (Brussels)"
    assert sources["eccp"][2] == "31 Mar 2027 17:00 (Brussels) 30 Jun 2027 17:00 (Brussels)"
    assert sources["seeded"][3] == (
        "title, link, identifier, programme, funding type, countries, status, deadlines"
    )
    assert sources["eccp"][3] == "organisation"
    assert "PowerUp NetZero - 2nd Open Call" in sources["eccp"][1]
    warning = soup.select_one(".warning").get_text(" ", strip=True)
    assert "Sources disagree." in warning
    assert (
        "seeded says 31 March 2027" in warning
        and "eccp says 31 March 2027 17:00, 30 June 2027 17:00" in warning
    )
    assert "PowerUp consortium" in soup.select_one("dl.facts").get_text()

    with world.http() as http:
        moved = http.get(f"{world.web}/calls/{eccp_record}")
    assert moved.status_code in (302, 307) and moved.headers["location"] == f"/calls/{primary}"
    detail = get(world, f"/api/calls/{eccp_record}").json()  # the API answers for any record's id
    assert detail["id"] == primary and [s["source"] for s in detail["sources"]] == ["seeded", "eccp"]
    assert detail["provenance"]["organisation"] == "eccp" and detail["provenance"]["deadlines"] == "seeded"
    assert detail["conflicts"][0]["values"] == {
        "seeded": "31 March 2027",
        "eccp": "31 March 2027 17:00, 30 June 2027 17:00",
    }


def test_change_history_after_a_moved_deadline(world: MailWorld) -> None:
    seed(world)
    moved = [
        c.model_copy(
            update={
                "deadlines": [DeadlineIn(at=utc("2027-01-10T16:00:00Z"))],
                "next_deadline_at": utc("2027-01-10T16:00:00Z"),
                "final_deadline_at": utc("2027-01-10T16:00:00Z"),
            }
        )
        if c.key == "A"
        else c
        for c in CALLS
    ]
    seed(world, moved, now=utc("2026-11-21T09:30:00Z"))
    call_id = world.call_id("A")
    soup = BeautifulSoup(get(world, f"/calls/{call_id}").text, "html.parser")
    history = [" ".join(li.get_text(" ", strip=True).split()) for li in soup.select("#h-history ~ ol li")]
    assert history == [
        "21 November 2026 10:30 (Brussels) · seeded"
        " deadline moved from 3 January 2027 17:00 to 10 January 2027 17:00 (Brussels)"
    ]
    assert "10 Jan 2027 17:00 (Brussels)" in soup.select_one("table.deadlines").get_text()
    [change] = get(world, f"/api/calls/{call_id}").json()["changes"]
    assert change["field"] == "deadline" and change["kind"] == "changed" and change["source"] == "seeded"
    assert json.loads(change["old"])["at"] == "2027-01-03T16:00:00+00:00"
    assert json.loads(change["new"])["at"] == "2027-01-10T16:00:00+00:00"
    assert change["at"] == "2026-11-21T09:30:00Z"
    assert titles(get(world, "/calls", deadline_to="2027-01-05")) == [B]  # the list follows the move


def test_unknown_calls_are_404_pages(world: MailWorld) -> None:
    seed(world)
    for path in ("/calls/999999", "/calls/abc", "/calls/1e3", "/calls/99999999999999999999999"):
        page = get(world, path)
        assert page.status_code == 404 and "Call not found" in page.text, path
    assert get(world, "/api/calls/999999").json() == {"detail": "no call has the id 999999"}
    assert get(world, "/api/calls/999999").status_code == 404
    assert get(world, "/api/calls/abc").status_code == 422


# --------------------------------------------------------------------------- API and CSV


def test_api_list_and_detail_and_openapi(world: MailWorld) -> None:
    seed(world)
    listing = get(world, "/api/calls", country="PT").json()
    assert (listing["total"], listing["page"], listing["per_page"], listing["next"]) == (4, 1, 50, None)
    first = listing["calls"][0]
    assert (first["title"], first["status"], first["days_left"], first["next_deadline"]) == (
        B,
        "open",
        12,
        "2026-12-03T16:00:00Z",
    )
    assert first["page_url"] == f"{world.web}/calls/{world.call_id('B')}"
    a = get(world, f"/api/calls/{world.call_id('A')}").json()
    assert a["deadlines"] == [
        {
            "label": None,
            "at_utc": "2027-01-03T16:00:00Z",
            "at_brussels": "2027-01-03T17:00:00+01:00",
            "wording": "",
            "time_assumed": False,
            "tentative": False,
            "closed": False,
        }
    ]
    assert a["budget"] == {
        "total": 2000000,
        "currency": "EUR",
        "per_project_min": None,
        "per_project_max": 500000,
        "expected_grants": None,
        "wording": "EUR 2 000 000; up to EUR 500 000 per project",
    }
    assert a["eligibility"]["countries"] == ["DE", "PT", "ES"] and a["changes"] == []
    assert set(first) >= {"id", "sources", "provenance", "conflicts", "eligibility", "listed", "warnings"}

    spec = get(world, "/openapi.json").json()
    assert {"/api/calls", "/api/calls/{call_id}", "/api/calls.csv", "/api/sources"} <= set(spec["paths"])
    assert not {"/calls", "/", "/calls/{call_id}", "/calls.csv", "/sources"} & set(spec["paths"])
    parameters = {p["name"] for p in spec["paths"]["/api/calls"]["get"]["parameters"]}
    assert parameters == {
        "q",
        "status",
        "programme",
        "funding_type",
        "country",
        "org_type",
        "ecosystem",
        "source",
        "strict",
        "deadline_from",
        "deadline_to",
        "min_days_left",
        "sort",
        "page",
        "per_page",
    }
    assert spec["paths"]["/api/calls"]["get"]["summary"] == "Search calls"
    sources = get(world, "/api/sources").json()
    assert [(s["id"], s["kind"], s["failing"]) for s in sources] == [
        ("eccp", "eccp", False),
        ("seeded", "ft-portal", False),
    ]


def test_csv_export_of_a_filtered_list(world: MailWorld) -> None:
    seed(world)
    answer = get(world, "/calls.csv", country="PT")
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="callwatch-calls.csv"'
    found = csv_rows(answer)
    assert [r["title"] for r in found] == [B, A, G, E]
    assert list(found[0]) == [
        "id",
        "identifier",
        "title",
        "status",
        "programme",
        "funding type",
        "next deadline (Brussels)",
        "all deadlines (Brussels)",
        "budget total",
        "currency",
        "per-project max",
        "countries",
        "org types",
        "ecosystems",
        "sources",
        "url",
        "page url",
    ]
    a = found[1]
    assert a == {
        "id": str(world.call_id("A")),
        "identifier": "HORIZON-CL5-2027-D3-01-05",
        "title": A,
        "status": "open",
        "programme": "Horizon Europe",
        "funding type": "grant",
        "next deadline (Brussels)": "2027-01-03T17:00:00+01:00",
        "all deadlines (Brussels)": "2027-01-03T17:00:00+01:00",
        "budget total": "2000000",
        "currency": "EUR",
        "per-project max": "500000",
        "countries": "DE, PT, ES",
        "org types": "sme",
        "ecosystems": "renewable-energy",
        "sources": "seeded",
        "url": "https://calls.example.eu/A",
        "page url": f"{world.web}/calls/{world.call_id('A')}",
    }
    assert found[2]["sources"] == "seeded, eccp"
    assert csv_rows(get(world, "/api/calls.csv", country="PT")) == found
    assert [r["title"] for r in csv_rows(get(world, "/calls.csv", status="all", q="hydrogen"))] == [A, C]
    many = [call(f"N{i:03}", f"Bulk call {i:03}", deadlines=("2027-02-01T16:00:00Z",)) for i in range(120)]
    seed(world, many)
    assert len(csv_rows(get(world, "/calls.csv", q="bulk"))) == 120  # not paginated


def test_csv_cells_that_look_like_formulas_are_defused(world: MailWorld) -> None:
    nasty = [
        call("F1", '=HYPERLINK("http://evil.test","Click")', programme="+cmd|' /C calc'!A0"),
        call("F2", "@SUM(1+1)*cmd", programme="-2+3"),
        call("F3", "Accents: Ágora, Łódź, Zürich"),
    ]
    seed(world, nasty, eccp=[])
    found = {r["id"]: r for r in csv_rows(get(world, "/calls.csv"))}
    f1, f2, f3 = (found[str(world.call_id(k))] for k in ("F1", "F2", "F3"))
    assert (
        f1["title"] == '\'=HYPERLINK("http://evil.test","Click")' and f1["programme"] == "'+cmd|' /C calc'!A0"
    )
    assert f2["title"] == "'@SUM(1+1)*cmd" and f2["programme"] == "'-2+3"
    assert f3["title"] == "Accents: Ágora, Łódź, Zürich"


# --------------------------------------------------------------------------- bad input


BAD_QUERIES: list[tuple[dict[str, str], int, str | None]] = [
    ({"q": "' OR 1=1 --"}, 200, None),
    ({"q": "%"}, 200, None),
    ({"q": "_"}, 200, None),
    ({"q": '"'}, 200, None),
    ({"q": "NEAR("}, 200, None),
    ({"q": "*"}, 200, None),
    ({"q": "AND"}, 200, None),
    ({"q": "^"}, 200, None),
    ({"q": "x" * 10_240}, 400, "q: search text is limited to 300 characters"),
    ({"q": "a\x00b"}, 400, "q: control characters are not allowed"),
    ({"status": "bogus"}, 400, "status: unknown value 'bogus'"),
    ({"org_type": "robot"}, 400, "org_type: unknown value 'robot'"),
    ({"ecosystem": "space"}, 400, "ecosystem: unknown value 'space'"),
    ({"country": "Atlantis"}, 400, "country: unknown country 'Atlantis'"),
    ({"source": "nowhere"}, 400, "source: unknown value 'nowhere'; use one of eccp, seeded"),
    ({"funding_type": "gift"}, 400, "funding_type: unknown value 'gift'"),
    ({"deadline_from": "31/12/2027"}, 400, "deadline_from: '31/12/2027' is not a date like 2027-03-31"),
    ({"deadline_to": "9999-12-31"}, 400, "deadline_to: '9999-12-31' is not a date from 1900 to 2999"),
    ({"min_days_left": "lots"}, 400, "min_days_left: 'lots' is not a whole number of days from 0 to 3650"),
    ({"sort": "<script>"}, 400, "sort: unknown value '<script>'"),
]


@pytest.mark.parametrize(("params", "status", "message"), BAD_QUERIES)
def test_bad_input_is_a_clear_4xx_or_an_empty_result_never_a_500(
    world: MailWorld, params: dict[str, str], status: int, message: str | None
) -> None:
    seed(world)
    page, api, export = (get(world, path, **params) for path in ("/calls", "/api/calls", "/calls.csv"))
    assert (page.status_code, api.status_code, export.status_code) == (status, status, status)
    if status == 200:
        assert titles(page) == [] and api.json()["calls"] == [] and csv_rows(export) == []
        return
    assert api.json() == {"detail": api.json()["detail"]} and api.json()["detail"].startswith(message)
    soup = BeautifulSoup(page.text, "html.parser")
    assert (
        soup.select_one("[role=alert]")
        .get_text(" ", strip=True)
        .startswith(f"This filter cannot be used: {message}")
    )
    assert soup.select_one("form.filters input[name=q]") is not None  # the form, to correct the value
    assert "<script>" not in page.text


def test_bad_paging_values(world: MailWorld) -> None:
    seed(world)
    assert get(world, "/calls", page="0").status_code == 400
    assert get(world, "/calls", page="abc").status_code == 400
    too_far = BeautifulSoup(get(world, "/calls", page="9999999999").text, "html.parser")
    assert (
        "page: '9999999999' is not a page number from 1 to 100000"
        in too_far.select_one("[role=alert]").get_text()
    )
    assert get(world, "/calls", page="3").status_code == 200  # past the end: an empty page
    assert get(world, "/api/calls", page="0").status_code == 422
    assert get(world, "/api/calls", per_page="x").status_code == 422
    assert get(world, "/api/calls", page="99").json()["calls"] == []


# --------------------------------------------------------------------------- escaping


def test_markup_in_titles_is_escaped_in_pages_and_plain_text_in_json(world: MailWorld) -> None:
    script, image = "<script>alert('x')</script> Grants", "Vouchers <img src=x onerror=alert(1)>"
    seed(
        world,
        [
            call("X1", script, deadlines=("2027-01-05T16:00:00Z",), programme="<b>P</b>"),
            call("X2", image, deadlines=("2027-01-06T16:00:00Z",)),
        ],
        eccp=[],
    )
    listing = get(world, "/calls")
    assert titles(listing) == [script, image]
    pages = [listing.text, *(get(world, f"/calls/{world.call_id(k)}").text for k in ("X1", "X2"))]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>P</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Grants" in pages[1]
    assert "Vouchers &lt;img src=x onerror=alert(1)&gt;" in pages[0] and "&lt;img src=x onerror" in pages[2]
    assert api_titles(world) == [script, image]
    assert get(world, f"/api/calls/{world.call_id('X1')}").json()["programme"] == "<b>P</b>"
    bad = get(world, "/calls", status="<img src=x onerror=alert(1)>")
    assert bad.status_code == 400 and "<img src=x" not in bad.text and "&lt;img src=x" in bad.text


# --------------------------------------------------------------------------- sources


def test_source_health_page_and_healthz(world: MailWorld) -> None:
    seed(world)
    with session_scope(world.app.engine) as session:
        eccp = session.get(Source, "eccp")
        eccp.consecutive_failures, eccp.alert_after_failures = 3, 2
        eccp.last_error, eccp.last_run_at, eccp.last_status = (
            "layout changed: <div> gone",
            utc("2026-11-21T08:00:00Z"),
            "failed",
        )
        seeded = session.get(Source, "seeded")
        seeded.last_run_at = seeded.last_success_at = utc("2026-11-21T09:00:00Z")
        seeded.last_status, seeded.listed_calls, seeded.interval_seconds = "ok", 6, 21600
    page = get(world, "/sources")
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("[role=alert]").get_text(" ", strip=True) == "1 source failing: eccp."
    eccp_row = [" ".join(td.get_text(" ", strip=True).split()) for td in soup.select("#source-eccp td")]
    assert eccp_row == [
        "ECCP eccp · eccp · every 6 h",
        "21 Nov 2026 09:00 (Brussels) failed",
        "never: not reached yet",
        "3 (alert at 2)",
        "0",
        "layout changed: <div> gone",
    ]
    seeded_row = [" ".join(td.get_text(" ", strip=True).split()) for td in soup.select("#source-seeded td")]
    assert seeded_row[2:5] == ["21 Nov 2026 10:00 (Brussels)", "0", "6"]
    assert "layout changed: &lt;div&gt; gone" in page.text
    health = get(world, "/healthz")
    assert health.status_code == 200 and health.json() == {
        "status": "ok",
        "database": "ok",
        "failing_sources": ["eccp"],
        "last_run_failed_sources": ["eccp"],
        "never_succeeded_sources": ["eccp"],
    }
    api = {s["id"]: s for s in get(world, "/api/sources").json()}
    assert api["eccp"]["failing"] is True and api["eccp"]["last_error"] == "layout changed: <div> gone"


def test_every_page_has_the_site_frame(world: MailWorld) -> None:
    seed(world)
    for path in ("/calls", f"/calls/{world.call_id('A')}", "/sources", "/calls/0", "/calls?status=x"):
        soup = BeautifulSoup(get(world, path).text, "html.parser")
        assert soup.html["lang"] == "en", path
        assert soup.select_one("a.skip-link")["href"] == "#main" and soup.select_one("main#main"), path
        assert [a["href"] for a in soup.select("nav .site-nav a")] == [
            "/calls",
            "/subscribe",
            "/sources",
            "/collections",
            "/docs",
        ]
        assert soup.select_one("meta[name=viewport]") and soup.title.get_text().endswith("Callwatch"), path
