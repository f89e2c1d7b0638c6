"""RSS 2.0, Atom and iCalendar documents of calls. Pure: calls and metadata in, bytes out; no I/O.

Owns what a feed item and a calendar event say about a call and how they are identified:
- Items (feedgen): GUID and Atom id = the call's page on this site (`call_page(id)`, a permalink),
  title, that page as the link (the source's own URL is in the text: feedgen 1.0 drops the `rel`
  of extra Atom entry links, and two "alternate" links would make the entry invalid), the
  programme as category, and an HTML summary: deadlines in Brussels time, programme, budget,
  the source's summary (sanitised again here, whoever stored it) and both links. Atom carries
  `published` = first seen and `updated` = last change; RSS has only `pubDate`, which is the last
  change, so that a reader sorting by date shows updated calls where the feed puts them.
- Events (icalendar): one VEVENT per deadline stage, UID `call-<id>-deadline-<stage>@<host>`.
  The stage key is the stage's label ("label-cut-off-2") or, without one, its place among the
  unlabelled stages in date order ("stage-1"), never the date, so that a moved deadline keeps its
  UID and moves in subscribers' calendars. DTSTART is the deadline in UTC (a date-only deadline
  is shown at the time the rest of Callwatch uses, the 17:00 Brussels cut-off, and says so), DTEND
  30 minutes later. DTSTAMP and LAST-MODIFIED are the call's last change and SEQUENCE grows with
  it, so clients take a moved deadline as a newer version. Every stage is listed, past and
  closed ones too (a calendar is a record; deleting yesterday's deadline would surprise), but
  only stages not marked closed carry alarms: 7 days and 1 day before (display alarms).
- Text: characters that XML 1.0 cannot carry (C0 controls except tab and newline, DEL and C1
  controls, lone surrogates, U+FFFE/U+FFFF) are removed from every string, which also keeps them
  out of iCalendar (RFC 5545 forbids controls in TEXT). Escaping is the libraries' job: lxml
  escapes `<`, `&` in XML, icalendar escapes `\\ ; ,` and newlines.

Documents are deterministic (no "now" inside): the same calls and metadata give the same bytes,
which is what lets the web layer use strong ETags and cache rendered bodies.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from icalendar import Alarm, Calendar, Event, vDuration

from monitor.model.call import DeadlineIn
from monitor.model.zones import BRUSSELS
from monitor.normalise.html import sanitise_html
from monitor.normalise.vocab import fold
from monitor.render.cards import budget_text, funder, when

CallPage = Callable[[int], str]

EVENT_LENGTH = timedelta(minutes=30)
ALARMS = (timedelta(days=7), timedelta(days=1))
REFRESH = timedelta(hours=6)
PRODID = "-//Callwatch//Funding call deadlines//EN"
_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# XML 1.0 Char minus the discouraged C1 block; the same set is invalid in iCalendar TEXT.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class FeedMeta:
    """What a feed says about itself. `updated` must not be "now": it is part of the cached bytes."""

    title: str
    self_url: str
    page_url: str
    updated: datetime
    description: str = "EU funding calls for SMEs, from Callwatch"
    feed_id: str | None = None  # Atom id; the self URL when not given


# --------------------------------------------------------------------------- text and dates


def clean(text: str | None) -> str:
    """`text` without the characters XML and iCalendar cannot carry; CR/CRLF become LF."""
    if not text:
        return ""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str | None) -> str:
    return " ".join(clean(text).split())


def last_change(call: Any) -> datetime:
    """The newest change of any record of the call (what "updated" means in every feed)."""
    return max(m.call.last_changed_at for m in call.members)


def first_seen(call: Any) -> datetime:
    return min(m.call.first_seen_at for m in call.members)


def brussels(at: datetime) -> str:
    return f"{when(at, BRUSSELS)} Brussels time"


# --------------------------------------------------------------------------- deadline stages


@dataclass(frozen=True)
class Stage:
    """One deadline stage of a call with the key its calendar event is known by."""

    key: str
    deadline: DeadlineIn
    name: str | None  # "Cut-off 2", or "deadline 2 of 3" for unlabelled stages of a multi-stage call


def stages(deadlines: Sequence[DeadlineIn]) -> list[Stage]:
    """The stages in date order, keyed by label (or by place among the unlabelled ones), not by date."""
    ordered = sorted(deadlines, key=lambda d: (d.at, d.label or ""))
    slugs = [_slug(d.label) for d in ordered]
    repeated = {slug for slug, n in Counter(s for s in slugs if s).items() if n > 1}
    seen: Counter[str] = Counter()
    unlabelled = sum(1 for s in slugs if not s)
    found = []
    for deadline, slug in zip(ordered, slugs, strict=True):
        seen[slug] += 1
        if slug:
            key = f"label-{slug}" + (f"-{seen[slug]}" if slug in repeated else "")
            name = one_line(deadline.label)
        else:
            key = f"stage-{seen[slug]}"
            name = f"deadline {seen[slug]} of {unlabelled}" if unlabelled > 1 else None
        found.append(Stage(key, deadline, name))
    return found


def _slug(label: str | None) -> str:
    return _NOT_SLUG.sub("-", fold(clean(label))).strip("-")[:40]


def event_uid(call_id: int, stage: Stage, host: str) -> str:
    return f"call-{call_id}-deadline-{stage.key}@{host}"


# --------------------------------------------------------------------------- RSS and Atom


def rss(calls: Sequence[Any], meta: FeedMeta, *, call_page: CallPage) -> bytes:
    """An RSS 2.0 document of `calls`, in the given order."""
    return _feed(calls, meta, call_page, dated_by_change=True).rss_str(pretty=True)  # type: ignore[no-any-return]


def atom(calls: Sequence[Any], meta: FeedMeta, *, call_page: CallPage) -> bytes:
    """An Atom document of `calls`, in the given order."""
    return _feed(calls, meta, call_page, dated_by_change=False).atom_str(pretty=True)  # type: ignore[no-any-return]


def _feed(
    calls: Sequence[Any], meta: FeedMeta, call_page: CallPage, *, dated_by_change: bool
) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(clean(meta.feed_id or meta.self_url))
    feed.title(one_line(meta.title))
    feed.description(one_line(meta.description))
    feed.author(name="Callwatch")
    # RSS takes its channel link from the last "alternate" link given.
    feed.link(href=clean(meta.self_url), rel="self")
    feed.link(href=clean(meta.page_url), rel="alternate")
    feed.language("en")
    feed.generator("Callwatch")
    feed.updated(meta.updated)
    feed.lastBuildDate(meta.updated)
    feed.ttl(60)
    for call in calls:
        _item(feed.add_entry(order="append"), call, call_page(call.id), dated_by_change)
    return feed


def _item(entry: Any, call: Any, page: str, dated_by_change: bool) -> None:
    entry.id(clean(page))
    entry.guid(clean(page), permalink=True)
    entry.title(one_line(call.title) or f"Call {call.id}")
    entry.link(href=clean(page), rel="alternate")
    entry.summary(clean(item_html(call, page)), type="html")
    if call.programme:
        entry.category(term=one_line(call.programme))
    # feedgen writes `published` as RSS pubDate: RSS gets the last change, Atom the first sighting.
    entry.published(last_change(call) if dated_by_change else first_seen(call))
    entry.updated(last_change(call))


def item_html(call: Any, page: str) -> str:
    """The HTML body of a feed item; every value from a source is escaped or sanitised."""
    parts = [_deadlines_html(call.deadlines)]
    facts = [
        ("Opens", brussels(call.opens_at) if getattr(call, "opens_at", None) else None),
        ("Programme", funder(call)),
        ("Identifier", call.identifier),
        ("Budget", budget_text(call)),
    ]
    parts += [f"<p><strong>{name}:</strong> {_esc(value)}</p>" for name, value in facts if value]
    summary = sanitise_html(call.summary_html) if call.summary_html else None
    if summary:
        parts.append(f"<div>{summary}</div>")
    elif call.summary_text:
        parts += [f"<p>{_esc(p)}</p>" for p in clean(call.summary_text).split("\n\n") if p.strip()]
    links = [f'<a href="{_esc(page)}">Details on Callwatch</a>']
    if call.url and call.url.startswith(("http://", "https://")):
        links.append(f'<a href="{_esc(call.url)}" rel="nofollow noopener">Call page at the source</a>')
    parts.append(f"<p>{' · '.join(links)}</p>")
    return "\n".join(parts)


def _deadlines_html(deadlines: Sequence[DeadlineIn]) -> str:
    found = stages(deadlines)
    if not found:
        return "<p><strong>Deadline:</strong> not stated</p>"
    lines = [_stage_line(stage) for stage in found]
    if len(lines) == 1:
        return f"<p><strong>Deadline:</strong> {_esc(lines[0])}</p>"
    items = "".join(f"<li>{_esc(line)}</li>" for line in lines)
    return f"<p><strong>Deadlines:</strong></p><ul>{items}</ul>"


def _stage_line(stage: Stage) -> str:
    text = brussels(stage.deadline.at)
    if stage.name and not stage.name.startswith("deadline "):
        text = f"{stage.name}: {text}"
    notes = [
        note
        for flag, note in (
            (stage.deadline.tentative, "tentative"),
            (stage.deadline.closed, "closed"),
            (stage.deadline.date_only, "time not stated by the source"),
        )
        if flag
    ]
    return f"{text} ({', '.join(notes)})" if notes else text


def _esc(text: str) -> str:
    return html.escape(clean(text), quote=True)


# --------------------------------------------------------------------------- iCalendar


def calendar(calls: Sequence[Any], meta: FeedMeta, *, call_page: CallPage) -> bytes:
    """An iCalendar document with one event per deadline stage of `calls`."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", one_line(meta.title))
    cal.add("name", one_line(meta.title))
    cal.add("x-wr-caldesc", one_line(meta.description))
    cal.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    host = urlsplit(meta.page_url).hostname or "callwatch"
    for call in calls:
        page = call_page(call.id)
        for stage in stages(call.deadlines):
            cal.add_component(_event(call, stage, page, host))
    return cal.to_ical()  # type: ignore[no-any-return]


def _event(call: Any, stage: Stage, page: str, host: str) -> Event:
    deadline, changed = stage.deadline, last_change(call)
    title = one_line(call.title) or f"Call {call.id}"
    event = Event()
    event.add("uid", event_uid(call.id, stage, host))
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("created", first_seen(call))
    event.add("sequence", sequence(changed))
    event.add("dtstart", deadline.at.astimezone(UTC))
    event.add("dtend", deadline.at.astimezone(UTC) + EVENT_LENGTH)
    event.add("summary", f"Deadline: {title}" + (f" ({stage.name})" if stage.name else ""))
    event.add("description", event_text(call, stage, page))
    event.add("url", clean(page))
    event.add("status", "TENTATIVE" if deadline.tentative else "CONFIRMED")
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    if not deadline.closed:
        for before in ALARMS:
            event.add_component(_alarm(before, title))
    return event


def _alarm(before: timedelta, title: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -before)
    left = "tomorrow" if before == timedelta(days=1) else f"in {before.days} days"
    alarm.add("description", f"Deadline {left}: {title}")
    return alarm


def event_text(call: Any, stage: Stage, page: str) -> str:
    """The plain-text DESCRIPTION of a deadline event (icalendar escapes it)."""
    lines = [one_line(call.title), f"Deadline: {_stage_line(stage)}"]
    if stage.deadline.date_only:
        lines.append("The source gives the date only; the time shown is the usual 17:00 Brussels cut-off.")
    if stage.deadline.text:
        lines.append(f"Source wording: {one_line(stage.deadline.text)}")
    facts = (("Programme", funder(call)), ("Identifier", call.identifier), ("Budget", budget_text(call)))
    lines += [f"{name}: {one_line(value)}" for name, value in facts if value]
    if call.summary_text:
        lines += ["", clean(call.summary_text).strip()[:1000]]
    lines += ["", f"Details: {clean(page)}"]
    if call.url:
        lines.append(f"Source: {one_line(call.url)}")
    return "\n".join(lines)


def sequence(changed: datetime) -> int:
    """A revision number that grows with the call's last change (minutes since 2020)."""
    return max(0, int((changed - _SEQUENCE_EPOCH).total_seconds() // 60))
