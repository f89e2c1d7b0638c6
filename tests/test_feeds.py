"""The pure feed builders (monitor.render.rss, ics and entries): RSS and Atom read back with
feedparser, iCalendar with the icalendar library, on hand-made calls whose every expected value
is written out below.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import feedparser
import pytest
from icalendar import Calendar
from lxml import etree

from monitor.model.call import DeadlineIn
from monitor.render import entries, ics, rss

BASE = "https://callwatch.example.eu"
NASTY = "Vouchers <script>alert(1)</script> & <img src=x onerror=alert(1)> \"quoted\" 'single'"
CONTROLS = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\x7f\x85"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Record:
    id: int
    last_changed_at: datetime
    first_seen_at: datetime


@dataclass
class Member:
    call: Record
    changes: int = 0


@dataclass
class FakeCall:
    """The attributes of a LogicalCall the builders read."""

    id: int
    title: str
    deadlines: list[DeadlineIn]
    changed: str = "2026-11-20T09:00:00"
    seen: str = "2026-11-01T09:00:00"
    url: str | None = "https://portal.example.eu/call?a=1&b=2"
    programme: str | None = "Horizon Europe"
    organisation: str | None = None
    project: str | None = None
    identifier: str | None = None
    budget_total: Decimal | None = None
    budget_currency: str | None = None
    contribution_max: Decimal | None = None
    summary_html: str | None = None
    summary_text: str | None = None
    opens_at: datetime | None = None
    members: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.members = [Member(Record(self.id, utc(self.changed), utc(self.seen)))]


def page(call_id: int) -> str:
    return f"{BASE}/calls/{call_id}"


META = entries.FeedMeta(
    title="Callwatch: EU funding calls",
    self_url=f"{BASE}/feeds/calls.atom",
    page_url=f"{BASE}/calls",
    updated=utc("2026-11-20T09:00:00"),
)


def calls() -> list[FakeCall]:
    return [
        FakeCall(
            7,
            "Hydrogen valleys",
            [DeadlineIn(at=utc("2027-01-10T16:00:00"))],
            changed="2026-11-20T09:00:00",
            seen="2026-11-02T08:00:00",
            identifier="HORIZON-CL5-2027-01",
            budget_total=Decimal(2_000_000),
            budget_currency="EUR",
            contribution_max=Decimal(500_000),
            summary_html='<p>Pilot <a href="https://x.eu">lines</a><script>alert(1)</script></p>'
            '<img src=x onerror="alert(1)">',
        ),
        FakeCall(
            3,
            "Two stages",
            [
                DeadlineIn(at=utc("2027-01-20T16:00:00"), label="Stage 1"),
                DeadlineIn(at=utc("2027-05-20T15:00:00"), label="Stage 2", tentative=True),
            ],
            changed="2026-11-19T09:00:00",
            seen="2026-11-01T08:00:00",
            summary_text="First paragraph.\n\nSecond paragraph.",
        ),
    ]


# --------------------------------------------------------------------------- RSS and Atom


def test_atom_items_carry_ids_titles_links_and_dates() -> None:
    parsed = feedparser.parse(rss.atom(calls(), META, call_page=page))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.title == "Callwatch: EU funding calls"
    assert parsed.feed.link == f"{BASE}/calls"
    assert [e.id for e in parsed.entries] == ["tag:callwatch,2026:call/7", "tag:callwatch,2026:call/3"]
    assert [e.title for e in parsed.entries] == ["Hydrogen valleys", "Two stages"]
    assert [e.link for e in parsed.entries] == [f"{BASE}/calls/7", f"{BASE}/calls/3"]
    first = parsed.entries[0]
    assert first.updated == "2026-11-20T09:00:00+00:00"
    assert first.published == "2026-11-02T08:00:00+00:00"
    assert first.tags[0].term == "Horizon Europe"
    # Deadlines in Brussels time (CET in January: UTC+1), programme, budget, summary, both links.
    text = first.summary
    assert "10 January 2027 17:00 Brussels time" in text
    assert "HORIZON-CL5-2027-01" in text
    assert "€2,000,000 in total, up to €500,000 per project" in text
    assert "Pilot" in text and "https://portal.example.eu/call?a=1&amp;b=2" in text


def test_rss_items_use_stable_guids_links_to_the_site_and_the_last_change_as_date() -> None:
    body = rss.rss(calls(), META, call_page=page)
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.link == f"{BASE}/calls"
    assert [e.link for e in parsed.entries] == [f"{BASE}/calls/7", f"{BASE}/calls/3"]
    # The ids are on CALLWATCH_ICS_DOMAIN, never the site's host (which may move).
    assert [e.id for e in parsed.entries] == ["tag:callwatch,2026:call/7", "tag:callwatch,2026:call/3"]
    assert body.count(b'<guid isPermaLink="false">') == 2
    assert parsed.entries[1].published_parsed[:5] == (2026, 11, 19, 9, 0)
    assert "Stage 1: 20 January 2027 17:00 Brussels time" in parsed.entries[1].summary
    assert "Stage 2: 20 May 2027 17:00 Brussels time (tentative)" in parsed.entries[1].summary
    assert "<p>Second paragraph.</p>" in parsed.entries[1].summary


def test_output_is_deterministic() -> None:
    for build in (rss.rss, rss.atom, ics.calendar):
        assert build(calls(), META, call_page=page) == build(calls(), META, call_page=page)


@pytest.mark.parametrize("build", [rss.rss, rss.atom])
def test_markup_in_titles_is_escaped_and_summaries_sanitised(build: Any) -> None:
    call = calls()[0]
    call.title = NASTY
    body = build([call], META, call_page=page)
    # No raw tag anywhere in the XML: the title is text, the summary escaped HTML.
    assert b"<script" not in body and b"<img" not in body
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0
    assert parsed.entries[0].title == NASTY
    # The summary HTML, once unescaped from the XML, has no script and no event handler.
    tree = etree.fromstring(body)
    summary = "".join(tree.xpath("//*[local-name()='summary' or local-name()='description']/text()"))
    assert "Pilot" in summary
    assert "<script" not in summary and "onerror" not in summary and "<img" not in summary


@pytest.mark.parametrize("build", [rss.rss, rss.atom])
def test_control_characters_leave_valid_xml(build: Any) -> None:
    call = calls()[1]
    call.title = f"Bad{CONTROLS}title\ud800 end"
    call.summary_text = f"Line one{CONTROLS}\nline two\udfff"
    call.deadlines = [DeadlineIn(at=utc("2027-01-20T16:00:00"), label=f"Stage{CONTROLS}1")]
    body = build([call], META, call_page=page)
    etree.fromstring(body)  # raises on any character XML 1.0 does not allow
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0
    assert parsed.entries[0].title == "Badtitle end"
    assert "Line one\nline two" in parsed.entries[0].summary


def test_clean_keeps_tabs_and_newlines_only() -> None:
    assert entries.clean(f"a{CONTROLS}\tb\r\nc\rd\ud800\ufffe") == "a\tb\nc\nd"
    assert entries.clean(None) == ""


# --------------------------------------------------------------------------- deadline stages


def test_stage_keys_do_not_depend_on_dates() -> None:
    at = utc("2027-01-20T16:00:00")
    unlabelled = [DeadlineIn(at=at), DeadlineIn(at=at + timedelta(days=30))]
    assert [s.key for s in entries.stages(unlabelled)] == ["stage-1", "stage-2"]
    assert [s.name for s in entries.stages(unlabelled)] == ["deadline 1 of 2", "deadline 2 of 2"]
    moved = [DeadlineIn(at=at + timedelta(days=7)), DeadlineIn(at=at + timedelta(days=30))]
    assert [s.key for s in entries.stages(moved)] == ["stage-1", "stage-2"]
    # Labels name stages even when a move changes their order or a passed stage is dropped.
    labelled = [
        DeadlineIn(at=at, label="Cut-off 2"),
        DeadlineIn(at=at - timedelta(days=1), label="Cut-off 1"),
    ]
    assert [s.key for s in entries.stages(labelled)] == ["label-cut-off-1", "label-cut-off-2"]
    assert [s.key for s in entries.stages(labelled[:1])] == ["label-cut-off-2"]
    twice = [
        DeadlineIn(at=at, label="Étape"),
        DeadlineIn(at=at + timedelta(days=1), label="étape"),
        DeadlineIn(at=at),
    ]
    assert [s.key for s in entries.stages(twice)] == ["stage-1", "label-etape-1", "label-etape-2"]
    assert entries.stages([DeadlineIn(at=at)])[0].name is None


# --------------------------------------------------------------------------- iCalendar


def events(body: bytes) -> dict[str, Any]:
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def test_calendar_has_one_event_per_stage_with_utc_times_and_alarms() -> None:
    body = ics.calendar(calls(), META, call_page=page)
    cal = Calendar.from_ical(body)
    assert str(cal["X-WR-CALNAME"]) == "Callwatch: EU funding calls"
    assert str(cal["PRODID"]) == ics.PRODID
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT6H" in body and b"X-PUBLISHED-TTL:PT6H" in body
    found = events(body)
    host = "callwatch"  # FeedMeta.uid_domain's default, not the site's host
    assert set(found) == {
        f"call-7-deadline-stage-1@{host}",
        f"call-3-deadline-label-stage-1@{host}",
        f"call-3-deadline-label-stage-2@{host}",
    }
    single = found[f"call-7-deadline-stage-1@{host}"]
    assert single.decoded("DTSTART") == utc("2027-01-10T16:00:00")
    assert single.decoded("DTEND") == utc("2027-01-10T16:30:00")
    assert single.decoded("DTSTART").tzinfo is not None and b"DTSTART:20270110T160000Z" in body
    assert str(single["SUMMARY"]) == "Deadline: Hydrogen valleys"
    assert str(single["URL"]) == f"{BASE}/calls/7"
    assert f"Details: {BASE}/calls/7" in str(single["DESCRIPTION"])
    assert single.decoded("LAST-MODIFIED") == utc("2026-11-20T09:00:00")
    assert single.decoded("DTSTAMP") == utc("2026-11-20T09:00:00")
    triggers = sorted(a.decoded("TRIGGER") for a in single.walk("VALARM"))
    assert triggers == [-timedelta(days=7), -timedelta(days=1)]
    assert {str(a["ACTION"]) for a in single.walk("VALARM")} == {"DISPLAY"}
    second = found[f"call-3-deadline-label-stage-2@{host}"]
    assert str(second["SUMMARY"]) == "Deadline: Two stages (Stage 2)"
    assert str(second["STATUS"]) == "TENTATIVE"


def test_closed_and_past_stages_are_listed_without_alarms() -> None:
    call = calls()[1]
    call.deadlines = [
        DeadlineIn(at=utc("2026-10-01T15:00:00"), label="Stage 1", closed=True),
        DeadlineIn(at=utc("2027-05-20T15:00:00"), label="Stage 2"),
    ]
    found = events(ics.calendar([call], META, call_page=page))
    closed = found["call-3-deadline-label-stage-1@callwatch"]
    assert closed.walk("VALARM") == []
    assert "(closed)" in str(closed["DESCRIPTION"])
    assert len(found["call-3-deadline-label-stage-2@callwatch"].walk("VALARM")) == 2


def test_moved_deadline_keeps_its_uid_and_raises_the_sequence() -> None:
    before = events(ics.calendar(calls()[:1], META, call_page=page))
    moved = calls()[0]
    moved.deadlines = [DeadlineIn(at=utc("2027-01-17T16:00:00"))]
    moved.members[0].call.last_changed_at = utc("2026-11-25T10:00:00")
    moved.members[0].changes = 1
    after = events(ics.calendar([moved], META, call_page=page))
    assert set(after) == set(before)
    [uid] = after
    assert after[uid].decoded("DTSTART") == utc("2027-01-17T16:00:00")
    assert after[uid].decoded("SEQUENCE") > before[uid].decoded("SEQUENCE")
    assert after[uid].decoded("LAST-MODIFIED") == utc("2026-11-25T10:00:00")


def test_two_changes_within_a_second_give_two_sequence_values() -> None:
    call = calls()[0]
    seen = []
    for changes, at in (
        (0, "2026-11-25T10:00:00"),
        (1, "2026-11-25T10:00:00.400"),
        (2, "2026-11-25T10:00:00.900"),
    ):
        call.members[0].call.last_changed_at = utc(at)
        call.members[0].changes = changes
        [event] = events(ics.calendar([call], META, call_page=page)).values()
        seen.append(event.decoded("SEQUENCE"))
    assert seen[0] < seen[1] < seen[2]
    # Above what minutes alone gave before changes were counted: published events still update.
    assert seen[0] == int((utc("2026-11-25T10:00:00") - utc("2020-01-01T00:00:00")).total_seconds() // 60)


def test_uids_name_the_configured_domain_not_the_site() -> None:
    moved = replace(
        META, self_url="https://new.example.org/feeds/calls.ics", page_url="https://new.example.org/calls"
    )
    assert set(events(ics.calendar(calls(), moved, call_page=page))) == set(
        events(ics.calendar(calls(), META, call_page=page))
    )
    named = replace(META, uid_domain="calls.example.org")
    assert {uid.split("@")[1] for uid in events(ics.calendar(calls(), named, call_page=page))} == {
        "calls.example.org"
    }


def test_calendar_text_is_escaped_as_rfc_5545_says() -> None:
    call = calls()[0]
    call.title = "Cascade, round 2; A\\B <img src=x onerror=alert(1)>"
    call.summary_text = "Line one\nLine two; with, commas"
    call.summary_html = None
    body = ics.calendar([call], META, call_page=page)
    unfolded = body.replace(b"\r\n ", b"")
    assert b"SUMMARY:Deadline: Cascade\\, round 2\\; A\\\\B <img src=x onerror=alert(1)>\r\n" in unfolded
    assert b"Line one\\nLine two\\; with\\, commas" in unfolded
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    [event] = events(body).values()
    assert str(event["SUMMARY"]) == "Deadline: Cascade, round 2; A\\B <img src=x onerror=alert(1)>"
    assert "Line one\nLine two; with, commas" in str(event["DESCRIPTION"])


def test_calendar_survives_control_characters() -> None:
    call = calls()[0]
    call.title = f"Bad{CONTROLS}title\ud800"
    call.summary_text = f"x{CONTROLS}y"
    body = ics.calendar([call], META, call_page=page)
    [event] = events(body).values()
    assert str(event["SUMMARY"]) == "Deadline: Badtitle"
    assert not any(0 <= b < 0x20 and b not in (9, 10, 13) for b in body)
