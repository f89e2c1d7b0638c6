"""Cross-source reconciliation: identity keys, grouping rules and the merged view (pure),
then the store: groups written after a poll, searched once, regrouped when sources change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from db import repo
from db.engine import session_scope
from db.models import Source
from monitor.model.call import CallIn, DeadlineIn
from monitor.model.view import Member, merge
from monitor.poll.pipeline import regroup
from monitor.poll.reconcile import Record, group_records, portal_keys, titles_close, url_key
from monitor.render.words import conflict_message, conflict_values

CC_URL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/competitive-calls-cs/14703"
TOPIC_URL = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/topic-details/"
    "horizon-cl5-2024-d2-01-03"
)
D1 = frozenset({date(2025, 6, 30)})
D2 = frozenset({date(2025, 7, 7)})


def _record(id_: int, source: str, kind: str, title: str = "A call", **values) -> Record:
    return Record(id=id_, source_id=source, kind=kind, title=title, **values)


# --------------------------------------------------------------------------- keys


def test_portal_keys_from_identifiers_urls_and_links() -> None:
    cascade = _record(1, "ft-portal", "ft-portal", identifier="14703", url=CC_URL)
    assert portal_keys(cascade) == {"cc:14703"}
    eccp = _record(2, "eccp", "eccp", links=("https://powerup-netzero.eu/open-call-2/", CC_URL))
    assert portal_keys(eccp) == {"cc:14703"}
    topic_link = _record(3, "feed", "feed", links=(TOPIC_URL,))
    assert portal_keys(topic_link) == {"topic:HORIZON-CL5-2024-D2-01-03"}
    aggregator = _record(4, "euro-access", "selectors", identifier="ERASMUS-EDU-2022-ECHE-CERT-FP")
    assert portal_keys(aggregator) == {"topic:ERASMUS-EDU-2022-ECHE-CERT-FP"}
    # A number is a competitive-call id only where the portal says so.
    assert portal_keys(_record(5, "eccp", "eccp", identifier="14703")) == set()
    assert portal_keys(_record(6, "eccp", "eccp", identifier="Call 2")) == set()


def test_url_key_ignores_cosmetics_and_refuses_home_pages() -> None:
    assert url_key("https://www.powerup-netzero.eu/open-call-2/") == "powerup-netzero.eu/open-call-2"
    assert (
        url_key("http://powerup-netzero.eu/open-call-2?utm_source=x#apply")
        == "powerup-netzero.eu/open-call-2"
    )
    assert url_key("https://site.eu/calls?id=7&utm_medium=mail") == "site.eu/calls?id=7"
    assert url_key("https://powerup-netzero.eu/") is None
    assert url_key("mailto:info@powerup-netzero.eu") is None
    assert url_key(None) is None


def test_close_titles() -> None:
    assert titles_close("PowerUp NetZero – 2nd Open Call", "POWERUP NETZERO - 2nd open call")
    assert titles_close("Eurocluster Ágora: Open Call #2", "Eurocluster Agora open call 2")
    # Numbers must agree: the 1st and 2nd open calls of one project are two calls.
    assert not titles_close("PowerUp NetZero - 1st Open Call", "PowerUp NetZero - 2nd Open Call")
    assert not titles_close("Open call 2025", "Open call 2026")
    assert not titles_close("Digital vouchers for SMEs", "Green transition vouchers for SMEs")


# --------------------------------------------------------------------------- grouping


def test_portal_id_and_url_link_three_sources_primary_is_the_portal() -> None:
    records = [
        _record(
            10, "eccp", "eccp", links=(CC_URL, "https://powerup-netzero.eu/open-call-2/"), deadline_days=D2
        ),
        _record(11, "ft-portal", "ft-portal", identifier="14703", url=CC_URL, deadline_days=D1),
        _record(12, "powerup", "selectors", url="https://powerup-netzero.eu/open-call-2", deadline_days=D2),
        _record(13, "ft-portal", "ft-portal", identifier="HORIZON-CL5-2024-D2-01-03"),
    ]
    assert group_records(records) == {10: 11, 11: 11, 12: 11}


def test_two_records_of_one_source_never_join_one_group() -> None:
    # euro-access lists each cut-off of one topic as its own page with the same identifier.
    records = [
        _record(1, "ft-portal", "ft-portal", identifier="ERASMUS-EDU-2022-ECHE-CERT-FP", deadline_days=D2),
        _record(2, "euro-access", "selectors", identifier="ERASMUS-EDU-2022-ECHE-CERT-FP", deadline_days=D1),
        _record(3, "euro-access", "selectors", identifier="ERASMUS-EDU-2022-ECHE-CERT-FP", deadline_days=D2),
    ]
    # The page whose deadline matches the portal's joins it; the other stays a call of its own.
    assert group_records(records) == {1: 1, 3: 1}


def test_a_link_many_records_of_one_source_carry_is_no_identity() -> None:
    portal_home = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/home"
    records = [_record(i, "eccp", "eccp", title=f"Call {i}", links=(portal_home,)) for i in range(1, 5)]
    records.append(_record(9, "feed", "feed", title="Other", url=portal_home))
    assert group_records(records) == {}


def test_close_title_needs_the_same_deadline_day() -> None:
    same_day = [
        _record(1, "eccp", "eccp", title="FutureProof Textiles Open Call", deadline_days=D1),
        _record(2, "textiles", "feed", title="FutureProof Textiles – Open Call", deadline_days=D1),
    ]
    assert group_records(same_day) == {1: 1, 2: 1}
    other_day = [
        same_day[0],
        _record(2, "textiles", "feed", title="FutureProof Textiles Open Call", deadline_days=D2),
    ]
    assert group_records(other_day) == {}
    undated = [_record(1, "eccp", "eccp", title="Vouchers"), _record(2, "x", "feed", title="Vouchers")]
    assert group_records(undated) == {}


# --------------------------------------------------------------------------- merge


def _at(day: int, month: int, hour: int = 15) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=UTC)


def _call(id_: int, source: str, **values) -> SimpleNamespace:
    base = {name: None for name in ("url", "summary_html", "summary_text", "identifier", "programme",
                                    "programme_code", "organisation", "project", "funding_type",
                                    "type_of_action", "opens_at", "countries_text", "org_types_text",
                                    "org_types_exclusive", "sme_relevant", "published_at", "budget_total",
                                    "budget_currency", "budget_text", "contribution_min", "contribution_max",
                                    "next_deadline_at", "final_deadline_at", "deadline_model")}  # fmt: skip
    base.update(countries=[], country_groups=[], org_types=[], ecosystems=[], keywords=[], status="closed")
    base.update(id=id_, source_id=source, key=str(id_), title=f"title from {source}")
    base.update(values)
    return SimpleNamespace(**base)


def test_merge_takes_each_field_from_the_most_trusted_source_that_has_it() -> None:
    portal = Member(
        call=_call(
            11, "ft-portal", budget_total=600000, budget_currency="EUR", programme="Single Market Programme"
        ),
        kind="ft-portal",
        deadlines=[DeadlineIn(at=_at(31, 3)), DeadlineIn(at=_at(30, 6))],
    )
    eccp = Member(
        call=_call(10, "eccp", organisation="PowerUp NetZero", budget_total=60000, budget_currency="EUR"),
        kind="eccp",
        deadlines=[DeadlineIn(at=_at(31, 3)), DeadlineIn(at=_at(7, 7))],
    )
    merged = merge([eccp, portal])
    assert merged.id == 11 and merged.sources == ["ft-portal", "eccp"]
    assert merged.title == "title from ft-portal" and merged.provenance["title"] == "ft-portal"
    assert merged.organisation == "PowerUp NetZero" and merged.provenance["organisation"] == "eccp"
    assert merged.budget_total == 600000 and merged.provenance["budget_total"] == "ft-portal"
    assert [d.at for d in merged.deadlines] == [_at(31, 3), _at(30, 6)]
    assert merged.provenance["deadlines"] == "ft-portal"
    [conflict] = merged.conflicts
    assert conflict.field == "deadlines"
    assert conflict_values(conflict) == {
        "ft-portal": "31 March 2025 17:00, 30 June 2025 17:00",
        "eccp": "31 March 2025 17:00, 7 July 2025 17:00",
    }
    assert conflict_message(conflict).startswith(
        "sources disagree on the deadline: ft-portal says 31 March 2025 17:00"
    )


def test_a_date_without_time_agrees_with_a_timed_deadline_that_day() -> None:
    portal = Member(call=_call(1, "ft-portal"), kind="ft-portal", deadlines=[DeadlineIn(at=_at(30, 6))])
    page = Member(
        call=_call(2, "eccp"), kind="eccp", deadlines=[DeadlineIn(at=_at(30, 6, 21), date_only=True)]
    )
    assert merge([portal, page]).conflicts == []
    later = Member(call=_call(3, "feed"), kind="feed", deadlines=[DeadlineIn(at=_at(30, 6, 16))])
    assert len(merge([portal, later]).conflicts) == 1


def test_a_lone_call_merges_to_itself() -> None:
    only = Member(call=_call(5, "eccp", organisation="X"), kind="eccp", deadlines=[])
    merged = merge([only])
    assert merged.id == 5 and merged.conflicts == [] and merged.organisation == "X" and merged.key == "5"


# --------------------------------------------------------------------------- store


def _call_in(key: str, title: str, *, url: str | None = None, identifier: str | None = None,
             links: list[str] | None = None, deadlines: list[datetime] = ()) -> CallIn:  # fmt: skip
    return CallIn(
        key=key, title=title, url=url, identifier=identifier, extra={"links": links or []},
        deadlines=[DeadlineIn(at=at) for at in deadlines], status="closed",
        next_deadline_at=None, final_deadline_at=max(deadlines, default=None),
    )  # fmt: skip


def _seed_sources(session, now) -> None:
    for source_id, kind in (("ft-portal", "ft-portal"), ("eccp", "eccp")):
        session.add(
            Source(id=source_id, name=source_id, kind=kind, url="https://example.org/", created_at=now)
        )
    session.flush()


def test_store_groups_search_once_and_regroup_when_the_link_goes(engine, now) -> None:
    with session_scope(engine) as session:
        _seed_sources(session, now)
        repo.store_calls(session, source_id="ft-portal", run_id=None, complete=True, now=now, calls=[
            _call_in("14703", "PowerUp NetZero - 2nd Open Call", url=CC_URL, identifier="14703",
                     deadlines=[_at(31, 3), _at(30, 6)]),
        ])  # fmt: skip
        repo.store_calls(session, source_id="eccp", run_id=None, complete=True, now=now, calls=[
            _call_in("207511", "PowerUp NetZero - 2nd Open Call", links=[CC_URL],
                     deadlines=[_at(31, 3), _at(7, 7)]),
            _call_in("207600", "Something else entirely", deadlines=[_at(1, 9)]),
        ])  # fmt: skip
        assert regroup(session) == 2
        assert regroup(session) == 0  # nothing moves on a second pass
    with session_scope(engine) as session:
        found = repo.search_calls(session, status="all")
        assert [(c.title, c.sources) for c in found] == [
            ("PowerUp NetZero - 2nd Open Call", ["ft-portal", "eccp"]),
            ("Something else entirely", ["eccp"]),
        ]
        assert found[0].conflicts and "7 July 2025" in conflict_message(found[0].conflicts[0])
        # A search that matches only the ECCP record still shows the logical call once.
        assert [c.id for c in repo.search_calls(session, status="all", text="netzero")] == [found[0].id]
        repo.store_calls(session, source_id="eccp", run_id=None, complete=True, now=now, calls=[
            # The page drops its portal link and now names only a day the portal does not.
            _call_in("207511", "PowerUp NetZero - 2nd Open Call", deadlines=[_at(7, 7)]),
            _call_in("207600", "Something else entirely", deadlines=[_at(1, 9)]),
        ])  # fmt: skip
        assert regroup(session) == 2
        assert len(repo.search_calls(session, status="all", text="netzero")) == 2


def test_search_text_wildcards_are_literal(engine, now) -> None:
    with session_scope(engine) as session:
        _seed_sources(session, now)
        repo.store_calls(session, source_id="eccp", run_id=None, complete=True, now=now, calls=[
            _call_in("1", "Vouchers 100% funded"), _call_in("2", "Vouchers for SMEs"),
        ])  # fmt: skip
        assert [c.key for c in repo.search_calls(session, status="all", text="100%")] == ["1"]
        assert [c.key for c in repo.search_calls(session, status="all", text="%")] == ["1"]
        assert repo.search_calls(session, status="all", text="_") == []
