"""Calendars joined from cached events (monitor.render.ics.EventCache): the same bytes as serialising
the whole calendar at once (and as the renderer before the cache, by digest), valid iCalendar that the
icalendar library parses back, folded CRLF lines; a moved deadline re-serialises that call's events
only, and a calendar for another filter reuses the events it shares."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from monitor.model.call import DeadlineIn
from monitor.model.view import merge
from monitor.render import ics
from monitor.render.entries import FeedMeta, stages
from tests.test_catalogue import CALLS

META = FeedMeta(
    title="Callwatch deadlines (q: hydrogen)",
    self_url="https://cw.test/feeds/calls.ics",
    page_url="https://cw.test/calls",
    updated=datetime(2026, 11, 20, 12, tzinfo=UTC),
    uid_domain="callwatch.test",
)
NOTES = {CALLS[0].id: "ecosystem, countries"}
# sha256 of this document as the renderer wrote it before events were cached (main at 51575f7).
BEFORE = "de4d7914038c2fc8b09e2806604b0f2af968e540228fc67ac4f5b4351129a2c2"


def page(call_id: int) -> str:
    return f"https://cw.test/calls/{call_id}"


def whole(calls, meta: FeedMeta = META, notes=NOTES) -> bytes:
    """The calendar serialised in one piece by icalendar, events added as components."""
    cal = Calendar.from_ical(ics._head(meta))
    for call in calls:
        for stage in stages(call.deadlines):
            cal.add_component(ics._event(call, stage, page(call.id), meta.uid_domain, notes.get(call.id)))
    return cal.to_ical()


def render(calls, events: ics.EventCache | None, meta: FeedMeta = META) -> bytes:
    return ics.calendar(calls, meta, call_page=page, notes=NOTES, events=events)


def test_joined_events_are_the_bytes_of_the_whole_calendar_and_of_the_renderer_before() -> None:
    events = ics.EventCache()
    cold, warm = render(CALLS, events), render(CALLS, events)
    assert cold == warm == render(CALLS, None) == whole(CALLS)
    assert hashlib.sha256(cold).hexdigest() == BEFORE


def test_the_document_is_valid_folded_crlf_icalendar() -> None:
    body = render(CALLS, ics.EventCache())
    lines = body.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in b"".join(lines)  # every line ends CRLF, no bare LF
    assert all(len(line) <= 75 for line in lines)  # folded (RFC 5545 §3.1: 75 octets)
    assert any(line.startswith(b" ") for line in lines)  # long descriptions were folded
    parsed = Calendar.from_ical(body)
    found = [c for c in parsed.walk("VEVENT")]
    assert len(found) == sum(len(stages(c.deadlines)) for c in CALLS) == body.count(b"BEGIN:VEVENT")
    assert {str(e["uid"]) for e in found} == {
        ics.event_uid(c.id, s, META.uid_domain) for c in CALLS for s in stages(c.deadlines)
    }
    assert parsed.to_ical() == body


def moved(call, by: timedelta):
    """The call as the next poll stores it: its first stage later, a typed change recorded."""
    first = call.members[0]
    row = first.call.model_copy(
        update={"last_changed_at": first.call.last_changed_at + timedelta(hours=1), "content_hash": "moved"}
    )
    deadlines = [DeadlineIn(**{**d.model_dump(), "at": d.at + by}) for d in first.deadlines]
    return merge(
        [replace(first, call=row, deadlines=deadlines, changes=first.changes + 1), *call.members[1:]]
    )


def test_a_moved_deadline_re_serialises_that_calls_events_only() -> None:
    events = ics.EventCache()
    before = render(CALLS, events)
    total = events.built
    assert total == before.count(b"BEGIN:VEVENT")
    target = next(c for c in CALLS if stages(c.deadlines))
    later = moved(target, timedelta(days=7))
    calls = [later if c is target else c for c in CALLS]
    after = render(calls, events)
    assert events.built == total + len(stages(later.deadlines))  # only the moved call's events
    assert after == whole(calls) != before
    new_start = stages(later.deadlines)[0].deadline.at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    event = next(
        e for e in Calendar.from_ical(after).walk("VEVENT") if str(e["uid"]).startswith(f"call-{target.id}-")
    )
    assert event.decoded("dtstart").strftime("%Y%m%dT%H%M%SZ") == new_start


def test_another_filter_reuses_the_events_it_shares_and_meta_is_not_cached() -> None:
    events = ics.EventCache()
    render(CALLS, events)
    total = events.built
    other = replace(META, title="Callwatch deadlines (country: PT)")
    subset = CALLS[::2]
    assert render(subset, events, other) == whole(subset, other)
    assert events.built == total
    assert render(CALLS, events, replace(META, uid_domain="elsewhere.test")) == whole(
        CALLS, replace(META, uid_domain="elsewhere.test")
    )
    assert events.built == 2 * total  # another UID domain: other event texts


def test_the_cache_keeps_within_its_budget() -> None:
    events = ics.EventCache(budget=4000)
    assert render(CALLS, events) == whole(CALLS)
    assert events._size <= 4000
    assert render(CALLS, events) == whole(CALLS)
