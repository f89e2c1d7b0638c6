"""The filter language of pages, API, CSV and feeds (monitor.catalogue.query, snapshot, cache): parsing
and its 400 messages, the canonical form, and every filter over a small hand-made set of merged calls whose
expected results are written out below. Pure (no database), except the cache test at the end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from db import repo
from db.engine import session_scope
from db.models import Call, Source
from monitor.catalogue.cache import CatalogueCache
from monitor.catalogue.query import CallQuery, QueryError, search_terms
from monitor.catalogue.snapshot import Catalogue
from monitor.model.call import CallIn, DeadlineIn
from monitor.model.view import LogicalCall, Member, merge, next_deadline, status_at

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def member(
    id_: int, title: str, *, source: str = "portal", deadlines: tuple[str, ...] = (), **values
) -> Member:
    """A stored record as the repository loads it; `next_deadline_at` as the last poll (at NOW) set it."""
    stages = [DeadlineIn(at=utc(at), date_only=values.pop("date_only", False)) for at in deadlines]
    ahead = [d.at for d in stages if d.at >= NOW]
    values.setdefault("next_deadline_at", min(ahead) if ahead else None)
    call = Call(
        id=id_,
        source_id=source,
        key=f"k{id_}",
        title=title,
        content_hash="x",
        first_seen_at=values.pop("first_seen_at", NOW - timedelta(days=id_)),
        last_changed_at=values.pop("last_changed_at", NOW - timedelta(days=id_)),
        final_deadline_at=max((d.at for d in stages), default=None),
        **values,
    )
    return Member(call=call, kind="ft-portal" if source == "portal" else "eccp", deadlines=stages)


def one(*args, **kwargs) -> LogicalCall:
    return merge([member(*args, **kwargs)])


CALLS = [
    one(
        1,
        "Green hydrogen electrolyser pilots",
        deadlines=("2027-01-03T16:00:00Z",),
        status="open",
        identifier="HORIZON-CL5-2027-D3-01-05",
        programme="Horizon Europe",
        funding_type="grant",
        countries=["DE", "PT", "ES"],
        org_types=["sme"],
        org_types_exclusive=True,
        ecosystems=["renewable-energy"],
    ),
    one(
        2,
        "Eurocluster Ágora: vouchers for tourism SMEs",
        source="eccp",
        deadlines=("2026-12-03T16:00:00Z",),
        status="open",
        programme="Single Market Programme",
        funding_type="cascade",
        ecosystems=["tourism"],
    ),
    one(
        3,
        "Hydrogen valleys",
        deadlines=("2026-10-01T15:00:00Z",),
        status="closed",
        programme="Horizon Europe",
    ),
    one(
        4,
        "LIFE circular economy – Digital Twin pilots",
        deadlines=("2027-04-22T15:00:00Z",),
        status="forthcoming",
        opens_at=utc("2027-02-01T00:00:00Z"),
        programme="LIFE",
        funding_type="grant",
        countries=["FR"],
        org_types=["research", "university"],
        org_types_exclusive=True,
    ),
    one(
        5,
        "Open innovation test beds (rolling)",
        status="open",
        summary_text="Applications are accepted until funds run out; 70% co-funding.",
    ),
    # Stage 1 passed since the last poll: the stored next deadline is stale, stage 2 is next.
    one(
        6,
        "Two-stage fusion call",
        deadlines=("2026-11-20T16:00:00Z", "2027-05-06T15:00:00Z"),
        next_deadline_at=utc("2026-11-20T16:00:00Z"),
        status="open",
        programme="Horizon Europe",
        funding_type="grant",
        countries=["DE", "FR"],
        org_types=["research"],
        org_types_exclusive=True,
        ecosystems=["energy-intensive"],
    ),
    # Its only deadline passed since the last poll: closed now, whatever the stored status says.
    one(
        7,
        "Stale call",
        deadlines=("2026-11-20T16:00:00Z",),
        next_deadline_at=utc("2026-11-20T16:00:00Z"),
        status="open",
        programme="Horizon Europe",
        funding_type="grant",
        countries=["IT"],
    ),
    # One call on two sources (the portal's record is the primary), dates that disagree.
    merge(
        [
            member(
                8,
                "PowerUp NetZero 2nd open call",
                deadlines=("2027-03-31T15:00:00Z",),
                status="open",
                programme="Single Market Programme",
                funding_type="cascade",
                countries=["PT"],
                date_only=True,
            ),
            member(
                9,
                "PowerUp NetZero - 2nd Open Call",
                source="eccp",
                status="open",
                deadlines=("2027-03-31T15:00:00Z", "2027-06-30T15:00:00Z"),
                organisation="PowerUp consortium",
            ),
        ]
    ),
]
ALL = [2, 1, 8, 4, 6, 5, 7, 3]  # open and forthcoming by next deadline, none ahead, then the closed


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue.build(CALLS, version="v1", sources=["eccp", "portal"], now=NOW)


def ids(catalogue: Catalogue, *params: tuple[str, str], now: datetime = NOW) -> list[int]:
    query = CallQuery.from_params(params, sources=catalogue.sources)
    return [entry.call.id for entry in catalogue.filter(query, now=now)]


def parse(*params: tuple[str, str]) -> CallQuery:
    return CallQuery.from_params(params, sources=["eccp", "portal"])


# --------------------------------------------------------------------------- parsing


def test_no_parameters_is_the_default_query() -> None:
    assert parse() == CallQuery()
    assert CallQuery().status == ("open", "forthcoming")
    assert parse(("page", "3"), ("utm_source", "x"), ("q", "  ")) == CallQuery()


def test_values_repeat_or_come_comma_separated_and_are_put_in_canonical_order() -> None:
    query = parse(("status", "Closed"), ("status", "open, forthcoming"), ("funding_type", "prize,grant"))
    assert query.status == ("open", "forthcoming", "closed")
    assert query.funding_type == ("grant", "prize")
    assert parse(("status", "all")).status == ()
    assert parse(("status", "open,forthcoming,closed,unknown")).status == ()


def test_vocabularies_take_slugs_or_labels_and_countries_take_codes_or_names() -> None:
    query = parse(
        ("org_type", "SME,Start-up"),
        ("ecosystem", "Energy - Renewables"),
        ("ecosystem", "agri-food"),
        ("country", "Portugal, el"),
        ("country", "uk"),
        ("country", "Deutschland"),
    )
    assert query.org_type == ("sme", "startup")
    assert query.ecosystem == ("agri-food", "renewable-energy")
    assert query.country == ("DE", "GB", "GR", "PT")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            [("status", "bogus")],
            "status: unknown value 'bogus'; use one of open, forthcoming, closed, unknown, all",
        ),
        ([("status", "all,bogus")], "status: unknown value 'bogus'"),
        ([("funding_type", "subsidy")], "funding_type: unknown value 'subsidy'"),
        ([("org_type", "robot")], "org_type: unknown value 'robot'; use one of sme, startup"),
        ([("ecosystem", "space")], "ecosystem: unknown value 'space'"),
        ([("country", "Atlantis")], "country: unknown country 'Atlantis'"),
        ([("country", "XX")], "country: unknown country 'XX'"),
        ([("source", "nope")], "source: unknown value 'nope'; use one of eccp, portal"),
        ([("deadline_from", "31/03/2027")], "deadline_from: '31/03/2027' is not a date like 2027-03-31"),
        ([("deadline_to", "9999-12-31")], "deadline_to: '9999-12-31' is not a date from 1900 to 2999"),
        (
            [("deadline_from", "2027-05-01"), ("deadline_to", "2027-04-01")],
            "deadline_from: the window starts",
        ),
        ([("min_days_left", "-1")], "min_days_left: '-1' is not a whole number of days from 0 to 3650"),
        ([("min_days_left", "²")], "min_days_left: '²' is not a whole number"),
        ([("min_days_left", "9" * 5000)], "min_days_left: '99999999999999999999' is not a whole number"),
        ([("q", "x" * 10_000)], "q: search text is limited to 300 characters"),
        ([("q", "a\x00b")], "q: control characters are not allowed"),
        ([("sort", "random")], "sort: unknown value 'random'; use one of deadline, updated, new"),
        ([("country", ",".join(["PT"] * 31))], "country: at most 30 values"),
        ([("programme", "H" * 101)], "programme: a value is limited to 100 characters"),
    ],
)
def test_a_bad_value_is_a_query_error_naming_the_parameter(
    params: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(QueryError) as raised:
        parse(*params)
    assert str(raised.value).startswith(message)


def test_sources_are_checked_only_when_known() -> None:
    assert CallQuery.from_params([("source", "anything")]).source == ("anything",)
    with pytest.raises(QueryError, match="source: unknown value 'x'; use one of no source is configured"):
        CallQuery.from_params([("source", "x")], sources=[])


def test_params_are_canonical_and_parse_back_to_the_same_query() -> None:
    query = parse(
        ("q", ' green  "digital twin" '),
        ("status", "forthcoming,open,closed"),
        ("programme", "LIFE"),
        ("country", "pt"),
        ("org_type", "SME"),
        ("source", "portal"),
        ("deadline_from", "2027-01-01"),
        ("min_days_left", "7"),
        ("sort", "new"),
    )
    assert query.params() == [
        ("q", 'green "digital twin"'),
        ("status", "open,forthcoming,closed"),
        ("programme", "LIFE"),
        ("country", "PT"),
        ("org_type", "sme"),
        ("source", "portal"),
        ("deadline_from", "2027-01-01"),
        ("min_days_left", "7"),
        ("sort", "new"),
    ]
    assert parse(*query.params()) == query
    assert parse(("status", "all")).params() == [("status", "all")]
    assert CallQuery().params() == []


def test_search_terms() -> None:
    assert search_terms('Green "Digital  Twin" Ágora') == ["green", "digital twin", "agora"]
    assert search_terms('"green hydrogen') == ["green", "hydrogen"]  # a quote without partner is dropped
    assert search_terms('"') == []
    assert search_terms("' OR 1=1 --") == ["'", "or", "1=1", "--"]


# --------------------------------------------------------------------------- filters


def test_default_status_and_order_by_next_deadline_at_now(catalogue: Catalogue) -> None:
    assert ids(catalogue) == [2, 1, 8, 4, 6, 5]
    assert ids(catalogue, ("status", "closed")) == [7, 3]  # most recently closed first
    assert ids(catalogue, ("status", "all")) == ALL
    assert ids(catalogue, ("status", "forthcoming")) == [4]
    assert ids(catalogue, ("status", "unknown")) == []


def test_time_moves_on_without_a_new_snapshot(catalogue: Catalogue) -> None:
    later = utc("2026-12-10T00:00:00Z")  # call 2's deadline (3 Dec) has passed
    assert ids(catalogue, now=later) == [1, 8, 4, 6, 5]
    assert ids(catalogue, ("status", "closed"), now=later) == [2, 7, 3]
    opened = utc("2027-02-02T00:00:00Z")  # call 4 opened on 1 Feb
    assert ids(catalogue, ("status", "open"), now=opened) == [8, 4, 6, 5]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Calls that do not state the criterion stay (as in profiles): 5 states nothing.
        ([("programme", "HORIZON")], [1, 6, 5]),
        ([("programme", "Single Market Programme,LIFE")], [2, 8, 4, 5]),
        ([("funding_type", "cascade")], [2, 8, 5]),
        ([("country", "PT")], [2, 1, 8, 5]),
        ([("country", "Italy"), ("status", "all")], [2, 5, 7, 3]),
        ([("org_type", "university")], [2, 8, 4, 5]),
        ([("org_type", "startup")], [2, 1, 8, 5]),  # a call open to SMEs is open to start-ups
        ([("ecosystem", "tourism")], [2, 8, 4, 5]),
        ([("source", "eccp")], [2, 8]),  # the merged call 8 is listed by ECCP too
        ([("source", "portal"), ("status", "closed")], [7, 3]),
        ([("country", "PT"), ("funding_type", "grant")], [1, 5]),
    ],
)
def test_each_filter(catalogue: Catalogue, params: list[tuple[str, str]], expected: list[int]) -> None:
    assert ids(catalogue, *params) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("hydrogen", [1]),
        ("HYDRO", [1]),  # substrings, any case
        ("agora", [2]),
        ("Ágora", [2]),  # accents ignored on both sides
        ("twin digital", [4]),  # words in any order
        ('"digital twin"', [4]),
        ('"twin digital"', []),
        ("HORIZON-CL5-2027", [1]),  # identifier
        ("powerup consortium", [8]),  # organisation, from the ECCP record
        ("70%", [5]),  # summary
        ("%", [5]),
        ("_", []),
        ("' OR 1=1 --", []),
        ('"', []),
        ("NEAR(", []),
        ("*", []),
        ('"pilots life', [4]),  # a quote without partner is dropped
    ],
)
def test_text_search(catalogue: Catalogue, q: str, expected: list[int]) -> None:
    assert ids(catalogue, ("q", q)) == expected


def test_a_phrase_does_not_run_from_one_field_into_the_next() -> None:
    catalogue = Catalogue.build(
        [one(1, "Pilot lines for hydrogen", identifier="HY-1", summary_text="valleys", status="open")],
        version="v",
        sources=["portal"],
        now=NOW,
    )
    assert ids(catalogue, ("q", '"hydrogen hy-1"')) == []
    assert ids(catalogue, ("q", "hydrogen hy-1")) == [1]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("deadline_from", "2027-01-01"), ("deadline_to", "2027-04-22")], [1, 8, 4]),
        ([("deadline_to", "2027-01-03")], [2, 1]),  # 17:00 Brussels on 3 January is in the day
        ([("deadline_to", "2027-01-02")], [2]),
        ([("deadline_from", "2027-01-04")], [8, 4, 6]),  # 6: its next deadline is stage 2, 6 May
        ([("deadline_from", "2026-11-01"), ("status", "closed")], [7]),  # a closed call's last deadline
        ([("min_days_left", "43")], [1, 8, 4, 6, 5]),  # 43 days and 6 hours left for call 1
        ([("min_days_left", "44")], [8, 4, 6, 5]),  # 5 has no deadline: kept, as in profiles
        ([("min_days_left", "0"), ("status", "all")], [2, 1, 8, 4, 6, 5]),  # nothing left for 7 and 3
        ([("min_days_left", "60"), ("deadline_to", "2027-04-30")], [8, 4]),
    ],
)
def test_deadline_window_and_days_left(
    catalogue: Catalogue, params: list[tuple[str, str]], expected: list[int]
) -> None:
    assert ids(catalogue, *params) == expected


def test_deadline_days_are_brussels_days() -> None:
    late = one(1, "Late", deadlines=("2027-01-03T23:30:00Z",), status="open")  # 00:30 on 4 Jan in Brussels
    catalogue = Catalogue.build([late], version="v", sources=[], now=NOW)
    assert ids(catalogue, ("deadline_to", "2027-01-03")) == []
    assert ids(catalogue, ("deadline_from", "2027-01-04"), ("deadline_to", "2027-01-04")) == [1]


def test_other_sort_orders(catalogue: Catalogue) -> None:
    # first_seen_at and last_changed_at are NOW minus the id in days (8 and 9 merged: 8's).
    assert ids(catalogue, ("sort", "new"), ("status", "all")) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert ids(catalogue, ("sort", "updated")) == [1, 2, 4, 5, 6, 8]


def test_pages(catalogue: Catalogue) -> None:
    query = parse(("status", "all"))
    first = catalogue.page(query, now=NOW, offset=0, limit=3)
    last = catalogue.page(query, now=NOW, offset=6, limit=3)
    assert [c.id for c in first.calls] == [2, 1, 8] and first.total == 8 and first.has_next
    assert [c.id for c in last.calls] == [7, 3] and not last.has_next
    assert catalogue.page(query, now=NOW, offset=30, limit=3).calls == []


def test_get_and_the_primary_of_any_record(catalogue: Catalogue) -> None:
    merged = catalogue.get(8)
    assert merged is not None and merged.sources == ["portal", "eccp"]
    assert merged.organisation == "PowerUp consortium" and merged.provenance["organisation"] == "eccp"
    assert [c.field for c in merged.conflicts] == ["deadlines"]
    assert catalogue.get(9) is None  # ECCP's record is not a call of its own
    assert (catalogue.primary_id(9), catalogue.primary_id(8), catalogue.primary_id(1)) == (8, 8, 1)
    assert catalogue.primary_id(99) is None


def test_status_and_next_deadline_at_now() -> None:
    by_id = {call.id: call for call in CALLS}
    assert status_at(by_id[7], NOW) == "closed"
    assert status_at(by_id[6], NOW) == "open"
    assert next_deadline(by_id[6], NOW) == utc("2027-05-06T15:00:00Z")
    assert status_at(by_id[4], NOW) == "forthcoming"
    assert status_at(by_id[4], utc("2027-02-01T00:00:00Z")) == "open"
    assert next_deadline(by_id[5], NOW) is None


def test_etag_depends_on_the_snapshot_and_the_parts(catalogue: Catalogue) -> None:
    other = Catalogue.build(CALLS, version="v2", sources=[], now=NOW)
    assert catalogue.etag("q=a", "csv") == catalogue.etag("q=a", "csv")
    assert len({catalogue.etag("q=a", "csv"), catalogue.etag("q=b", "csv"), other.etag("q=a", "csv")}) == 3


# --------------------------------------------------------------------------- cache


def test_cache_rebuilds_only_when_the_stored_calls_change(engine, clock) -> None:
    with session_scope(engine) as session:
        session.add(Source(id="s", name="S", kind="ft-portal", url="https://s.test/", created_at=NOW))
    cache = CatalogueCache(engine, clock, background=False)  # background rebuilds: test_snapshot_rebuild.py
    empty = cache.get()
    assert empty.entries == [] and empty.sources == ("s",) and cache.get() is empty

    def store(deadline: str, *, at: datetime) -> None:
        call = CallIn(
            key="A",
            title="A call",
            status="open",
            deadlines=[DeadlineIn(at=utc(deadline))],
            next_deadline_at=utc(deadline),
        )
        with session_scope(engine) as session:
            repo.store_calls(session, source_id="s", run_id=None, calls=[call], complete=False, now=at)

    store("2027-01-03T16:00:00Z", at=NOW)
    first = cache.get()
    assert first is not empty and [e.call.title for e in first.entries] == ["A call"]
    assert cache.get() is first
    store("2027-01-10T16:00:00Z", at=NOW + timedelta(hours=6))  # the deadline moved
    moved = cache.get()
    assert moved is not first and next_deadline(moved.entries[0].call, NOW).date() == date(2027, 1, 10)


def test_entries_are_kept_in_deadline_order_at_the_build(catalogue: Catalogue) -> None:
    assert [e.call.id for e in catalogue.entries] == ALL
